"""The contacts' own opt-out fields go: the opt-out lives on the address (0024, 0025)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('followup', '0025_opt_outs_to_addresses'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='caregiver',
            name='opted_out_at',
        ),
        migrations.RemoveField(
            model_name='caregiver',
            name='opted_out_source',
        ),
        migrations.RemoveField(
            model_name='historicalcaregiver',
            name='opted_out_at',
        ),
        migrations.RemoveField(
            model_name='historicalcaregiver',
            name='opted_out_source',
        ),
        migrations.RemoveField(
            model_name='historicalpatient',
            name='opted_out_at',
        ),
        migrations.RemoveField(
            model_name='historicalpatient',
            name='opted_out_source',
        ),
        migrations.RemoveField(
            model_name='patient',
            name='opted_out_at',
        ),
        migrations.RemoveField(
            model_name='patient',
            name='opted_out_source',
        ),
    ]
