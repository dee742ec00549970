"""Consent and opt-out belong to a phone number (issue 16 part 5, issue 15): the PhoneNumber record.

0025 moves the contacts' opt-outs onto it (and onto EmailAddress); 0026 removes them from the contacts."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('followup', '0023_call_request_alerts'),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalPhoneNumber',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('number', models.CharField(db_index=True, help_text='E.164.', max_length=20)),
                ('opted_out_at', models.DateTimeField(blank=True, null=True)),
                ('opted_out_source', models.CharField(blank=True, help_text='How: SMS STOP, phone key 9, nurse...', max_length=40)),
                ('consent_at', models.DateTimeField(blank=True, help_text='The new consent that last lifted an opt-out.', null=True)),
                ('consent_source', models.CharField(blank=True, help_text='How it was given: verbal, SMS START...', max_length=40)),
                ('consent_given_by', models.CharField(blank=True, help_text='Who agreed: the patient, or who for them.', max_length=80)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical phone number',
                'verbose_name_plural': 'historical phone numbers',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PhoneNumber',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(help_text='E.164.', max_length=20, unique=True)),
                ('opted_out_at', models.DateTimeField(blank=True, null=True)),
                ('opted_out_source', models.CharField(blank=True, help_text='How: SMS STOP, phone key 9, nurse...', max_length=40)),
                ('consent_at', models.DateTimeField(blank=True, help_text='The new consent that last lifted an opt-out.', null=True)),
                ('consent_source', models.CharField(blank=True, help_text='How it was given: verbal, SMS START...', max_length=40)),
                ('consent_given_by', models.CharField(blank=True, help_text='Who agreed: the patient, or who for them.', max_length=80)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'indexes': [models.Index(fields=['opted_out_at'], name='phone_number_opted_out_idx')],
            },
        ),
    ]
