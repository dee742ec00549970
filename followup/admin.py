"""The Django admin: look records up, correct what carries no rule, read every change.

The care rules run in `followup.services`, which plan and cancel reminders in the same transaction.
So here the clinical record (series, occurrences, procedures, symptom reports, alerts, status
changes) is shown with its history and only free-text or measured values can be corrected; the
delivery record (reminders, their events, inbound messages, heartbeats) cannot be touched at all.
Staff who are not superusers see only their own clinics' rows, in lists, forms and history pages.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from . import access, audit, services
from .admin_machinery import for_superusers_only
from .models import (
    AccessLog,
    Alert,
    AlertItem,
    CallAttempt,
    CalendarFeed,
    EmailAddress,
    Caregiver,
    CareSchedule,
    Clinic,
    OnCallContact,
    WorkingHours,
    Heartbeat,
    HospitalMessage,
    HospitalNotice,
    InboundMessage,
    Membership,
    Occurrence,
    Patient,
    PhoneNumber,
    Procedure,
    Reminder,
    ReminderEvent,
    StatusChange,
    SymptomFormLink,
    SymptomReport,
    User,
    VoiceCall,
)

admin.site.site_header = "Followup administration"
admin.site.site_title = "Followup administration"
admin.site.index_title = "Records"

PATIENT_SEARCH = ["patient__mrn", "patient__given_name", "patient__family_name"]


def _related_only(path):
    # Offer only the clinics (or nurses) found in this user's scoped rows, so a filter never names
    # another clinic's.
    return (path, admin.RelatedOnlyFieldListFilter)


def scoped_choices(model, user):
    """The rows of `model` a non-superuser may pick in a form, or None when the model needs no scope."""
    clinics = access.clinics_for(user)
    if model is Clinic:
        return clinics
    if model is Patient:
        return access.patients_for(user)
    if model is User:
        return User.objects.filter(memberships__clinic__in=clinics).distinct()
    if model is Caregiver:
        return Caregiver.objects.filter(patient__in=access.patients_for(user))
    if model in (CareSchedule, Occurrence, SymptomReport, Reminder):
        return model.objects.filter(patient__in=access.patients_for(user))
    return None


class ClinicScoped:
    """Limits staff who are not superusers to the rows of their own clinics.

    `clinic_path` is the lookup from this model to its Clinic ("" for Clinic itself).
    """

    clinic_path = "patient__clinic"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        clinics = access.clinics_for(request.user)
        if not self.clinic_path:
            return queryset.filter(pk__in=clinics)
        if self.clinic_path == "patient__clinic":
            return queryset.filter(patient__in=access.patients_for(request.user))
        return queryset.filter(**{f"{self.clinic_path}__in": clinics}).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            choices = scoped_choices(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        if db_field.related_model is User:
            kwargs.setdefault("form_class", StaffChoiceField)  # full names, not usernames
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class ReadOnly:
    """A record, not a form: it can be viewed, never added, changed or deleted here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoAddNoDelete:
    """Created and removed only by the services (which keep occurrences and reminders in step)."""

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedHistoryAdmin(ClinicScoped, SimpleHistoryAdmin):
    """simple_history's admin with read-only history, scoped like the change list.

    simple_history shows a deleted object's history and its per-version page without asking the
    change list's queryset, and lets a version be restored: neither fits an audit trail.
    """

    def _require_in_scope(self, request, object_id):
        if request.user.is_superuser:
            return
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is a record: versions are read, never restored.")
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_change_history_permission(self, request, obj=None):
        return False


# --- Clinics and staff --------------------------------------------------------------------------


class MembershipInline(ClinicScoped, admin.TabularInline):
    model = Membership
    fk_name = "user"
    clinic_path = "clinic"
    extra = 0


class WorkingHoursInline(ClinicScoped, admin.TabularInline):
    """Days and times the team works, in the clinic's zone (none: Monday to Friday, 09:00-17:00)."""

    model = WorkingHours
    clinic_path = "clinic"
    extra = 0


class OnCallContactInline(ClinicScoped, admin.TabularInline):
    """Paged at once for a severe report out of hours: a mobile and/or an e-mail address."""

    model = OnCallContact
    clinic_path = "clinic"
    fields = ["name", "user", "mobile", "email", "active"]
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(ClinicScoped, admin.ModelAdmin):
    clinic_path = ""
    inlines = [WorkingHoursInline, OnCallContactInline]
    list_display = ["name", "time_zone", "phone", "paracentesis_interval_days", "patient_count"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "name_in_messages", "phone", "reply_to_email", "time_zone"]}),
        ("Care defaults", {"fields": [
            "paracentesis_interval_days", "appointment_time", "checkin_days_stable", "checkin_days_unstable",
            "checkin_days_deteriorating", "checkin_days_terminal", "history_window_days",
        ]}),
        # The day as a nurse says it: messages from the morning time until the evening time.
        ("Reminders", {"fields": [
            ("quiet_hours_end", "quiet_hours_start"), "drainage_reminder_day_before_at", "drainage_reminder_morning_at",
            "checkin_reminder_at", "reminder_lateness_minutes", "sms_per_day", "sms_per_week",
        ]}),
        ("Automated calls and self-reports", {"fields": [
            "calls_per_day", "calls_per_week", "call_retry_minutes", "self_report_every_days",
        ]}),
        ("Life events", {"fields": [
            "sending_number", "admission_review_days", "bereavement_plan", "advisory_silence_months",
            "home_drainage_interval_days", "home_drainage_reminders",
        ]}),
        ("Calls, alerts and on call", {"fields": [
            "out_of_hours_phone", "checkin_retry_hours", "escalate_after_working_hours",
        ]}),
        ("Hospital interface (HL7)", {"fields": ["hl7_assigning_authority"]}),
    ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        labels = {"quiet_hours_end": "Messages allowed from", "quiet_hours_start": "Messages allowed until"}
        for name, label in labels.items():
            if name in form.base_fields:
                form.base_fields[name].label = label
        return form

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(patient_total=Count("patients"))

    @admin.display(description="patients", ordering="patient_total")
    def patient_count(self, clinic):
        return clinic.patient_total

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from .messaging.names import care_words_in

        words = care_words_in(obj.messages_name)
        if words:
            messages.warning(request, (
                f"\"{obj.messages_name}\" names a kind of care ({', '.join(words)}). Whoever holds a patient's phone "
                "reads it: consider a neutral name in messages, such as \"{0} Care Team\".".format(obj.name.split()[0])
            ))


@admin.register(User)
class UserAdmin(ClinicScoped, DjangoUserAdmin):
    clinic_path = "memberships__clinic"
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "clinics", "is_staff", "is_superuser", "is_active"]
    list_filter = [_related_only("memberships__clinic"), "memberships__role", "is_staff", "is_superuser", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    # Only a superuser hands out admin rights; a clinical lead with staff access manages names and memberships.
    PRIVILEGES = ["is_staff", "is_superuser", "groups", "user_permissions"]
    # The language of Followup's pages for this person (they can change it on their account page).
    fieldsets = [*DjangoUserAdmin.fieldsets[:2], ("Language", {"fields": ["language"]}), *DjangoUserAdmin.fieldsets[2:]]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__clinic")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += self.PRIVILEGES
        return readonly

    @admin.display(description="clinics")
    def clinics(self, user):
        return ", ".join(f"{m.clinic.name} ({m.get_role_display().lower()})" for m in user.memberships.all())


@admin.register(Membership)
class MembershipAdmin(ClinicScoped, admin.ModelAdmin):
    clinic_path = "clinic"
    list_display = ["user", "clinic", "role"]
    list_filter = [_related_only("clinic"), "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "clinic"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ClinicScoped, NoAddNoDelete, admin.ModelAdmin):
    """Feeds are made on the staff member's own page; here a leaked one can be revoked (the action
    on the list). Revocation is final: nothing here brings a feed back. The token is the feed's
    secret and is never shown."""

    clinic_path = "owner__memberships__clinic"
    list_display = ["__str__", "owner", "clinic", "created_at", "revoked_at"]
    list_filter = [_related_only("clinic"), ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["owner__username", "owner__first_name", "owner__last_name"]
    fields = ["owner", "clinic", "created_at", "revoked_at"]
    readonly_fields = fields
    list_select_related = ["owner", "clinic"]
    actions = ["revoke_feeds"]

    @admin.action(description="Revoke the selected feeds (for good)", permissions=["change"])
    def revoke_feeds(self, request, queryset):
        from .calendar.feeds import revoke_feed

        revoked = sum(revoke_feed(feed) for feed in queryset.filter(revoked_at__isnull=True))
        self.message_user(request, f"{revoked} feed(s) revoked: calendars subscribed to them stop updating.")


# --- Patients -----------------------------------------------------------------------------------


def opt_out_of_address(contact):
    """The opt-out of the address a contact's reminders go to, in words (it belongs to the number or the
    e-mail address, and is changed on the phone number's own admin page or the contact form)."""
    found = contact.address_opt_out() if contact.pk else None
    if not found:
        return "None"
    what = "E-mail address" if contact.preferred_channel == "email" else "Number (texts and automated calls)"
    return f"{what} opted out {timezone.localtime(found[0]):%Y-%m-%d %H:%M} ({found[1] or 'no source recorded'})"


class CaregiverInline(ClinicScoped, admin.StackedInline):
    model = Caregiver
    extra = 0
    fields = [("name", "relationship", "next_of_kin"), ("mobile", "email"), ("preferred_channel", "language", "receives_reminders"),
              ("consent_at", "consent_source", "consent_given_by"), "opt_out"]
    readonly_fields = ["opt_out"]

    @admin.display(description="Opt-out")
    def opt_out(self, caregiver):
        return opt_out_of_address(caregiver)


class StatusChangeInline(ClinicScoped, ReadOnly, admin.TabularInline):
    model = StatusChange
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(Patient)
class PatientAdmin(ScopedHistoryAdmin):
    clinic_path = "clinic"
    list_display = ["family_name", "given_name", "mrn", "clinic", "status", "phase", "nurse", "preferred_channel",
                    "opted_out"]
    list_display_links = ["family_name", "given_name", "mrn"]
    list_filter = [_related_only("clinic"), "status", "phase", "preferred_channel", _related_only("nurse"), "time_zone"]
    search_fields = ["mrn", "given_name", "family_name"]
    list_select_related = ["clinic", "nurse"]
    inlines = [CaregiverInline, StatusChangeInline]
    fieldsets = [
        (None, {"fields": ["clinic", "mrn", ("given_name", "family_name"), "date_of_birth", "nurse", "time_zone"]}),
        ("Care", {
            "fields": ["status", "status_changed_at", "status_changed_by", "phase"],
            "description": "Pause, resume, discharge or record a death on the patient's page: "
                           "that cancels their occurrences and reminders in the same step.",
        }),
        ("Contact and consent", {"fields": [
            ("mobile", "line_type", "line_type_source", "email"), ("preferred_channel", "language", "receives_reminders"),
            ("consent_at", "consent_source", "consent_given_by"), "opt_out",
            ("quiet_hours_end", "quiet_hours_start"),
        ], "description": "Consent and opt-out belong to an address: a phone number's opt-out (texts and automated "
                          "calls, for everyone who gives it) is recorded and lifted on the phone number's page, and "
                          "lifting it needs new consent: when (after the opt-out), how, and who agreed."}),
    ]
    readonly_fields = ["status", "status_changed_at", "status_changed_by", "opt_out"]

    @admin.display(description="Opt-out")
    def opt_out(self, patient):
        return opt_out_of_address(patient)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_opted_out=_number_opted_out())

    @admin.display(boolean=True, description="number opted out", ordering="number_opted_out")
    def opted_out(self, patient):
        return patient.number_opted_out

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            # A patient without series would never appear on the worklist: open them as the app
            # does, after the caregivers are saved so that their reminders are planned too.
            services.enrol(form.instance)


@admin.register(Caregiver)
class CaregiverAdmin(ScopedHistoryAdmin):
    list_display = ["name", "relationship", "patient", "preferred_channel", "receives_reminders", "opted_out"]
    list_filter = [_related_only("patient__clinic"), "preferred_channel", "receives_reminders"]
    search_fields = ["name", *PATIENT_SEARCH]
    list_select_related = ["patient"]
    autocomplete_fields = ["patient"]

    readonly_fields = ["opt_out"]

    @admin.display(description="Opt-out")
    def opt_out(self, caregiver):
        return opt_out_of_address(caregiver)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_opted_out=_number_opted_out())

    @admin.display(boolean=True, description="number opted out", ordering="number_opted_out")
    def opted_out(self, caregiver):
        return caregiver.number_opted_out


@admin.register(StatusChange)
class StatusChangeAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    list_display = ["patient", "from_status", "to_status", "at", "by"]
    list_filter = [_related_only("patient__clinic"), "to_status", "from_status"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "by"]


# --- Care ---------------------------------------------------------------------------------------


@admin.register(CareSchedule)
class CareScheduleAdmin(ReadOnly, ScopedHistoryAdmin):
    """Intervals change on the patient's page, which moves the open occurrence with them."""

    list_display = ["patient", "kind", "interval_label", "cadence_by_phase", "follows_last_event", "active"]
    list_filter = [_related_only("patient__clinic"), "kind", "active", "cadence_by_phase"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient__clinic"]


@admin.register(Occurrence)
class OccurrenceAdmin(NoAddNoDelete, ScopedHistoryAdmin):
    list_display = ["patient", "kind", "due_date", "due_at", "state", "closed_at", "closed_by"]
    list_filter = [_related_only("patient__clinic"), "kind", "state"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "closed_by"]
    readonly_fields = ["schedule", "patient", "kind", "due_at", "due_date", "state", "closed_at", "closed_by"]
    fields = [*readonly_fields, "note"]


@admin.register(Procedure)
class ProcedureAdmin(NoAddNoDelete, ScopedHistoryAdmin):
    """Measured values can be corrected (the history keeps the old ones); when it happened drives
    the next due date, so that is changed by recording the procedure again on the patient's page."""

    list_display = ["patient", "kind", "performed_at", "volume_ml", "duration_minutes", "had_complications", "performed_by"]
    list_filter = [_related_only("patient__clinic"), "kind"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "performed_by"]
    readonly_fields = ["patient", "occurrence", "kind", "performed_at", "performed_by", "recorded_at"]
    fields = [*readonly_fields, "volume_ml", "duration_minutes", "complications"]

    @admin.display(boolean=True, description="complications")
    def had_complications(self, procedure):
        return bool(procedure.complications.strip())


@admin.register(SymptomReport)
class SymptomReportAdmin(ReadOnly, ScopedHistoryAdmin):
    """Read-only: the alerts were raised from these very scores."""

    list_display = ["patient", "reported_at", "worst", "pps", "phase", "completed_by", "source"]
    list_filter = [_related_only("patient__clinic"), "source", "completed_by", "phase"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient"]

    @admin.display(description="highest item")
    def worst(self, report):
        scored = [(score, name) for name, score in report.scores().items() if score is not None]
        if not scored:
            return "-"
        score, name = max(scored)
        return f"{report._meta.get_field(name).verbose_name} {score}"


class AlertItemInline(ReadOnly, admin.TabularInline):
    model = AlertItem
    fields = ["summary", "acknowledged_at", "acknowledged_by", "acknowledgement_note"]
    readonly_fields = fields
    extra = 0


@admin.register(Alert)
class AlertAdmin(ReadOnly, ScopedHistoryAdmin):
    """Alerts are acknowledged on the worklist, which records who, when and what was done."""

    list_display = ["patient", "summary", "severe", "created_at", "acknowledged", "acknowledged_by",
                    "acknowledgement_action", "escalated_at"]
    list_filter = [_related_only("patient__clinic"), "severe", ("acknowledged_at", admin.EmptyFieldListFilter),
                   "acknowledgement_action"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "report", "acknowledged_by"]
    inlines = [AlertItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("items")

    @admin.display(description="items")
    def summary(self, alert):
        return "; ".join(item.summary for item in alert.items.all())

    @admin.display(boolean=True, description="acknowledged", ordering="acknowledged_at")
    def acknowledged(self, alert):
        return alert.acknowledged_at is not None


@admin.register(AlertItem)
class AlertItemAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    clinic_path = "alert__patient__clinic"
    list_display = ["alert", "summary", "severe", "worsening", "new_problem"]
    list_filter = [_related_only("alert__patient__clinic"), "severe", "worsening", "new_problem"]
    list_select_related = ["alert__report"]


@admin.register(CallAttempt)
class CallAttemptAdmin(ReadOnly, ScopedHistoryAdmin):
    """Calls are logged on the patient page, which applies their rules (retries, not reached)."""

    list_display = ["patient", "at", "outcome", "by", "retry_at"]
    list_filter = [_related_only("patient__clinic"), "outcome"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "by"]


@admin.register(OnCallContact)
class OnCallContactAdmin(ClinicScoped, admin.ModelAdmin):
    clinic_path = "clinic"
    list_display = ["name", "clinic", "mobile", "email", "active"]
    list_filter = [_related_only("clinic"), "active"]
    search_fields = ["name", "email"]
    list_select_related = ["clinic"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(ClinicScoped, admin.ModelAdmin):
    clinic_path = "clinic"
    list_display = ["clinic", "weekday", "opens_at", "closes_at"]
    list_filter = [_related_only("clinic")]
    list_select_related = ["clinic"]


@admin.register(SymptomFormLink)
class SymptomFormLinkAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    """The token is the link's secret and is never shown."""

    list_display = ["__str__", "patient", "created_at", "expires_at", "used_at"]
    list_filter = [_related_only("patient__clinic"), ("used_at", admin.EmptyFieldListFilter)]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient"]
    fields = ["patient", "created_at", "expires_at", "used_at", "report"]


# --- Delivery record (read-only) ----------------------------------------------------------------


class ReminderEventInline(ReadOnly, admin.TabularInline):
    model = ReminderEvent
    fields = ["at", "from_state", "to_state", "reason"]
    readonly_fields = fields
    extra = 0


@admin.register(Reminder)
class ReminderAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    list_display = ["key", "patient", "recipient_name", "channel", "purpose", "send_at", "state", "attempts", "reason"]
    list_filter = [_related_only("patient__clinic"), "state", "channel", "purpose"]
    search_fields = [*PATIENT_SEARCH, "=provider_id"]
    list_select_related = ["patient", "caregiver"]

    @admin.display(description="recipient", ordering="recipient")
    def recipient_name(self, reminder):
        """The caregiver by name ("Dora Archer (daughter)"), or "the patient": never "caregiver-11"."""
        return str(reminder.caregiver) if reminder.caregiver_id else "the patient"
    inlines = [ReminderEventInline]
    date_hierarchy = "send_at"


@admin.register(ReminderEvent)
class ReminderEventAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    clinic_path = "reminder__patient__clinic"
    list_display = ["at", "reminder", "from_state", "to_state", "reason"]
    list_filter = [_related_only("reminder__patient__clinic"), "to_state"]
    search_fields = ["reminder__patient__mrn", "reminder__patient__given_name", "reminder__patient__family_name"]
    list_select_related = ["reminder"]


@admin.register(InboundMessage)
class InboundMessageAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    """The number and text are shown only on the message's own page, not in the list."""

    clinic_path = "clinic"
    list_display = ["received_at", "kind", "clinic", "patient", "caregiver", "handled_at", "handled_by"]
    list_filter = [_related_only("clinic"), "kind", ("handled_at", admin.EmptyFieldListFilter)]
    search_fields = [*PATIENT_SEARCH, "=provider_id"]
    list_select_related = ["clinic", "patient", "caregiver", "handled_by"]


@admin.register(VoiceCall)
class VoiceCallAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    """An automated call and where its script stood; the keyed scores are on its report."""

    clinic_path = "patient__clinic"
    list_display = ["started_at", "patient", "caregiver", "purpose", "step", "status", "answered_by", "report", "ended_at"]
    list_filter = ["purpose", "step", "status"]
    search_fields = [*PATIENT_SEARCH, "=call_sid"]
    list_select_related = ["patient", "caregiver", "report"]
    exclude = ["scores"]


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnly, admin.ModelAdmin):
    """Addresses e-mailed and their unsubscribes (one-click or the link). Not scoped to a clinic, so
    superusers only; the link's token is a secret and never shown."""

    list_display = ["address", "unsubscribed_at", "unsubscribed_source"]
    list_filter = ["unsubscribed_source"]
    search_fields = ["address"]
    exclude = ["token"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser


def _number_opted_out():
    return Exists(PhoneNumber.objects.filter(number=OuterRef("mobile"), opted_out_at__isnull=False))


class PhoneNumberForm(forms.ModelForm):
    """A number's opt-out: recorded at once (for everyone who gives it), lifted only on new consent in
    full (when, after the opt-out; how; who agreed). The change is applied through
    messaging/opt_outs.py, so unsent texts and calls are cancelled or planned again."""

    class Meta:
        model = PhoneNumber
        fields = ["number", "opted_out_at", "opted_out_source", "consent_at", "consent_source", "consent_given_by"]

    def clean_number(self):
        import phonenumbers
        from django.conf import settings

        try:
            parsed = phonenumbers.parse(self.cleaned_data["number"], getattr(settings, "PHONENUMBER_DEFAULT_REGION", "US"))
        except phonenumbers.NumberParseException:
            raise ValidationError("Enter a phone number, for example +1 202 555 0123.") from None
        if not phonenumbers.is_valid_number(parsed):
            raise ValidationError("Enter a phone number, for example +1 202 555 0123.")
        number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if PhoneNumber.objects.filter(number=number).exists():
            raise ValidationError("This number has a record already: change it there.")
        return number

    def clean(self):
        data = super().clean()
        saved = PhoneNumber.objects.get(pk=self.instance.pk) if self.instance.pk else None
        self.lifts = bool(saved and saved.opted_out_at and data.get("opted_out_at") is None)
        self.stops = bool(data.get("opted_out_at") and not (saved and saved.opted_out_at))
        if self.lifts:
            try:
                saved.check_new_consent(consent_at=data.get("consent_at"), source=data.get("consent_source"),
                                        given_by=data.get("consent_given_by"))
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    self.add_error(name if name in self.fields else None, problems)
        if self.stops and not (data.get("opted_out_source") or "").strip():
            self.add_error("opted_out_source", "Say how the opt-out was given (phone call, letter...).")
        if not saved and not self.stops:
            self.add_error("opted_out_at", "Say when the number was opted out: a record is made for an opt-out.")
        return data


@admin.register(PhoneNumber)
class PhoneNumberAdmin(SimpleHistoryAdmin):
    """Numbers texted or called and their opt-outs. A number is not one clinic's (two families in two
    clinics may share it), so superusers only, as for e-mail addresses; nurses record and lift opt-outs
    on the contact form."""

    form = PhoneNumberForm
    list_display = ["number", "opted_out_at", "opted_out_source", "consent_at", "consent_source"]
    list_filter = ["opted_out_source"]
    search_fields = ["=number"]
    fields = ["number", "given_by_contacts", ("opted_out_at", "opted_out_source"),
              ("consent_at", "consent_source", "consent_given_by")]

    def get_readonly_fields(self, request, obj=None):
        return ["number", "given_by_contacts"] if obj is not None else ["given_by_contacts"]

    @admin.display(description="Given by")
    def given_by_contacts(self, row):
        from .messaging.opt_outs import contacts_at

        return ", ".join(str(contact) for contact in contacts_at(row.number)) if row.pk else "-"

    def has_add_permission(self, request):
        return request.user.is_superuser  # an opt-out given by letter or phone, for a number

    def has_delete_permission(self, request, obj=None):
        return False  # the opt-out is a record

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        from .messaging import opt_outs

        if form.lifts:
            data = form.cleaned_data
            contacts = opt_outs.lift(obj.number, consent_at=data["consent_at"], source=data["consent_source"],
                                     given_by=data["consent_given_by"])
            for patient in {opt_outs._patient_of(c).pk: opt_outs._patient_of(c) for c in contacts}.values():
                audit.record(request, audit.Action.CHANGE, f"opt-out cleared: phone number {obj.pk} (admin)", subject=patient)
        elif form.stops:
            data = form.cleaned_data
            contacts = opt_outs.stop_number(data.get("number") or obj.number, data["opted_out_source"].strip(), data["opted_out_at"])
            obj.pk = PhoneNumber.objects.get(number=data.get("number") or obj.number).pk
            for patient in {opt_outs._patient_of(c).pk: opt_outs._patient_of(c) for c in contacts}.values():
                audit.record(request, audit.Action.CHANGE, f"number opted out: phone number {obj.pk} (admin)", subject=patient)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "last_at"]


@admin.register(AccessLog)
class AccessLogAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    """Append-only audit of who saw and changed what."""

    clinic_path = "clinic"
    list_display = ["at", "username", "action", "what", "patient", "clinic", "ip"]
    list_filter = [_related_only("clinic"), "action"]
    search_fields = ["username", "what", *PATIENT_SEARCH]
    list_select_related = ["patient", "clinic"]
    date_hierarchy = "at"


@admin.register(HospitalMessage)
class HospitalMessageAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    """Every HL7 message the listener received, as received, with the ACK it got (for the integration team)."""

    clinic_path = "clinics"
    list_display = ["received_at", "message_type", "control_id", "sending_facility", "outcome", "ack_code", "patient", "repeats"]
    list_filter = ["outcome", "ack_code", "event", _related_only("clinics")]
    search_fields = ["=control_id", "sending_facility", *PATIENT_SEARCH]
    list_select_related = ["patient"]
    date_hierarchy = "received_at"


@admin.register(HospitalNotice)
class HospitalNoticeAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    """What the hospital left for a nurse; answered on the worklist."""

    list_display = ["created_at", "kind", "patient", "closed_at", "outcome", "closed_by"]
    list_filter = ["kind", "outcome", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "closed_by"]


from . import life_admin  # noqa: E402, F401 - registers the life-event records

# Last: the other apps' admin classes are registered by now.
for_superusers_only()
