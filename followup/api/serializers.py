"""What the API reads and writes. Serializers turn JSON into domain values and field messages; the
views hand those values to the service functions, which do the work exactly as the pages do."""

import re
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from .. import access, scheduling
from ..models import (
    ESAS_FIELDS,
    Alert,
    AlertItem,
    CallAttempt,
    CalendarFeed,
    Caregiver,
    CareSchedule,
    Clinic,
    InboundMessage,
    Kind,
    Occurrence,
    OnCallContact,
    Patient,
    Procedure,
    Reminder,
    SymptomReport,
    User,
)
from ..models.patients import validate_mobile
from .errors import NotInYourClinics

# A write may be a few minutes ahead of the server clock (a tablet's clock); more is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
_INTEGER = re.compile(r"-?[0-9]+")


class InYourClinics(serializers.PrimaryKeyRelatedField):
    """An id of an object in the caller's clinics.

    Another clinic's id answers 404 with a message under the field's name, the same as asking for
    that object by URL, so a caller cannot tell "someone else's" from "does not exist".
    """

    def __init__(self, model, scope, label, **kwargs):
        self.scope = scope
        self.object_label = label
        # The empty queryset only tells the schema generator what the id refers to.
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, str) and _INTEGER.fullmatch(data))):
            self.fail("incorrect_type", data_type=type(data).__name__)
        pk = int(data)
        if not 0 < pk < 2**63:
            raise NotInYourClinics(self.field_name, self.object_label)
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise NotInYourClinics(self.field_name, self.object_label)
        return found


# Bounds on the moments the API accepts: outside them a time is a typing mistake, and dates near the
# ends of the calendar would overflow the scheduling arithmetic.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
PLANNING_HORIZON = timedelta(days=366)


def _not_in_future(value):
    """Something that happened: not in the future, not before 1970."""
    if value is not None and value > timezone.now() + CLOCK_SKEW:
        raise serializers.ValidationError("This cannot be in the future.")
    if value is not None and value < EARLIEST:
        raise serializers.ValidationError("This is too far in the past.")
    return value


def _plausible_birth_date(value):
    if value is not None and not date(1900, 1, 1) <= value <= timezone.localdate():
        raise serializers.ValidationError("Give a date of birth between 1900 and today.")
    return value


def _ahead(value):
    """Something planned: in the future, within a year."""
    now = timezone.now()
    if value <= now:
        raise serializers.ValidationError("Choose a time in the future.")
    if value > now + PLANNING_HORIZON:
        raise serializers.ValidationError("Choose a time within the next year.")
    return value


# --- Patients and caregivers --------------------------------------------------------------------


class OptionalEmailField(serializers.EmailField):
    """An e-mail address, or null when none was given (the database keeps a blank string)."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, allow_blank=True, required=False, **kwargs)

    def run_validation(self, data=serializers.empty):
        if data is None or data == "":
            return ""
        return super().run_validation(data)

    def to_representation(self, value):
        return value or None


class PatientSerializer(serializers.ModelSerializer):
    clinic = InYourClinics(Clinic, access.clinics_for, "clinic")
    nurse = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True,
        help_text="The assigned nurse: a member of the patient's clinic.",
    )
    mobile = PhoneNumberField(required=False, allow_blank=True, validators=[validate_mobile],
                              help_text="E.164, for example +12025550123. Needed for text reminders.")
    email = OptionalEmailField(help_text="Needed for e-mail reminders.")
    time_zone = serializers.CharField(required=False, help_text="IANA name; the clinic's zone when left out.")
    paracentesis_interval_count = serializers.IntegerField(
        write_only=True, required=False, min_value=1, max_value=400,
        help_text="Drainage interval for the new patient; the clinic's default when left out.",
    )
    paracentesis_interval_unit = serializers.ChoiceField(
        choices=scheduling.Unit.choices, write_only=True, required=False, default=scheduling.Unit.DAYS,
    )
    first_drainage_due = serializers.DateTimeField(
        write_only=True, required=False, help_text="When the first drainage is due; one interval from today when left out.",
    )

    class Meta:
        model = Patient
        fields = [
            "id", "clinic", "mrn", "given_name", "family_name", "date_of_birth", "time_zone", "nurse", "status",
            "status_changed_at", "phase", "mobile", "email", "preferred_channel", "language", "receives_reminders",
            "consent_at", "consent_source", "opted_out_at", "opted_out_source", "quiet_hours_end", "quiet_hours_start",
            "created_at", "paracentesis_interval_count", "paracentesis_interval_unit", "first_drainage_due",
        ]
        read_only_fields = ["status", "status_changed_at", "opted_out_at", "opted_out_source", "created_at"]
        validators = []  # MRN uniqueness is checked per clinic below, with a message under "mrn".

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["nurse"].queryset = User.objects.filter(memberships__clinic__in=request.user.clinic_ids()).distinct()

    def validate_first_drainage_due(self, value):
        return _ahead(value)

    def validate_consent_at(self, value):
        return _not_in_future(value)

    def validate_date_of_birth(self, value):
        return _plausible_birth_date(value)

    def validate_phase(self, value):
        if value == Patient.Phase.BEREAVED:
            from ..life_events import BEREAVED_REFUSED

            raise serializers.ValidationError(BEREAVED_REFUSED)
        return value

    def validate(self, attrs):
        clinic = attrs["clinic"]
        nurse = attrs.get("nurse")
        if nurse is not None and clinic.pk not in nurse.clinic_ids():
            raise serializers.ValidationError({"nurse": ["Choose a member of the patient's clinic."]})
        if Patient.objects.filter(clinic=clinic, mrn=attrs["mrn"]).exists():
            raise serializers.ValidationError({"mrn": ["A patient with this MRN is already in this clinic."]})
        attrs.setdefault("time_zone", clinic.time_zone)
        count = attrs.pop("paracentesis_interval_count", None)
        unit = attrs.pop("paracentesis_interval_unit", scheduling.Unit.DAYS)
        if count is not None:
            try:
                attrs["paracentesis_interval"] = scheduling.Interval(count, unit).validate()
            except ValueError as error:
                raise serializers.ValidationError({"paracentesis_interval_count": [str(error)]}) from None
        if (attrs.get("quiet_hours_end") is None) != (attrs.get("quiet_hours_start") is None):
            raise serializers.ValidationError({"quiet_hours_start": ["Give both ends of the quiet hours, or neither."]})
        return attrs


class PatientChangeSerializer(serializers.ModelSerializer):
    """The fields a PATCH may change: who the patient is and which nurse follows them. Contact,
    channel and time zone decide when and where reminders go, so they change on the patient's page."""

    nurse = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False, allow_null=True)

    class Meta:
        model = Patient
        fields = ["given_name", "family_name", "date_of_birth", "nurse"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["nurse"].queryset = User.objects.filter(memberships__clinic__in=request.user.clinic_ids()).distinct()

    def validate_date_of_birth(self, value):
        return _plausible_birth_date(value)

    def validate_nurse(self, nurse):
        if nurse is not None and self.instance.clinic_id not in nurse.clinic_ids():
            raise serializers.ValidationError("Choose a member of the patient's clinic.")
        return nurse


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Patient.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    at = serializers.DateTimeField(required=False, help_text="When it happened (the time of death); now when left out.")

    def validate_at(self, value):
        return _not_in_future(value)


class CaregiverSerializer(serializers.ModelSerializer):
    mobile = PhoneNumberField(read_only=True)
    email = OptionalEmailField(read_only=True)

    class Meta:
        model = Caregiver
        fields = [
            "id", "patient", "name", "relationship", "mobile", "email", "preferred_channel", "language",
            "receives_reminders", "consent_at", "consent_source", "opted_out_at", "opted_out_source",
        ]
        read_only_fields = fields


# --- Series and occurrences ---------------------------------------------------------------------


class CareScheduleSerializer(serializers.ModelSerializer):
    interval = serializers.CharField(source="interval_label", read_only=True, help_text='For people: "3 weeks".')

    class Meta:
        model = CareSchedule
        fields = ["id", "patient", "kind", "interval_count", "interval_unit", "interval", "cadence_by_phase",
                  "follows_last_event", "active"]
        read_only_fields = fields


class IntervalSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=400)
    unit = serializers.ChoiceField(choices=scheduling.Unit.choices)

    def validate(self, attrs):
        try:
            attrs["interval"] = scheduling.Interval(attrs["count"], attrs["unit"]).validate()
        except ValueError as error:
            raise serializers.ValidationError({"count": [str(error)]}) from None
        return attrs


class OccurrenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Occurrence
        fields = ["id", "patient", "schedule", "kind", "due_at", "due_date", "state", "closed_at", "closed_by", "note",
                  "retry_at"]
        read_only_fields = fields


class CallSerializer(serializers.Serializer):
    """A check-in call: its outcome and, when someone answered, who answered and their scores."""

    outcome = serializers.ChoiceField(choices=CallAttempt.Outcome.choices)
    completed_by = serializers.ChoiceField(
        choices=SymptomReport.CompletedBy.choices, required=False, allow_blank=True, default="",
        help_text="Who answered the ESAS-r questions. Default: the patient when reached, a family caregiver when a "
                  "caregiver answered. The caller is recorded as the one who entered it.")
    other_problem_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    pps = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100, default=None)
    phase = serializers.ChoiceField(choices=Patient.Phase.choices, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    retry_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                         help_text="No answer or voicemail: when to try again. Default: the clinic's retry time.")

    def get_fields(self):
        fields = super().get_fields()
        for name in ESAS_FIELDS:
            fields[name] = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10, default=None)
        return fields

    def validate(self, attrs):
        if attrs.get("other_problem") is not None and not attrs.get("other_problem_name", "").strip():
            raise serializers.ValidationError({"other_problem_name": ["Name the other problem that was scored."]})
        return attrs


class CallAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallAttempt
        fields = ["id", "patient", "occurrence", "at", "outcome", "by", "note", "report", "retry_at"]
        read_only_fields = fields


class RescheduleSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_due_at(self, value):
        return _ahead(value)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- Procedures ---------------------------------------------------------------------------------


class ProcedureSerializer(serializers.ModelSerializer):
    patient = InYourClinics(Patient, access.patients_for, "patient")
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.PARACENTESIS,
                                   help_text="A drainage unless said otherwise; the patient needs an active series of this kind.")
    performed_at = serializers.DateTimeField(validators=[_not_in_future])
    complication_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=Procedure.Complication.choices), required=False, default=list,
        help_text='Coded complications: "none", or any of hypotension, leak, infection, pain, bleeding, other '
                  '(with `complications` describing it). Empty: not recorded.')
    setting = serializers.ChoiceField(choices=Procedure.Setting.choices, required=False,
                                      help_text="clinic (or day unit), home, hospital; clinic by default, home for a home drainage.")
    performed_by = InYourClinics(User, lambda user: User.objects.filter(memberships__clinic__in=user.clinic_ids()).distinct(),
                                 "staff member", required=False, allow_null=True)

    class Meta:
        model = Procedure
        fields = ["id", "patient", "occurrence", "kind", "performed_at", "volume_ml", "duration_minutes", "complication_codes",
                  "complications", "setting", "performed_by", "performer_name", "performer_role", "recorded_by", "recorded_at"]
        read_only_fields = ["occurrence", "recorded_by", "recorded_at"]
        extra_kwargs = {
            "volume_ml": {"help_text": "Required for a drainage; 0 for a dry tap. At most 3000 ml for a home drainage."},
            "performed_by": {"help_text": "The staff member who performed it; leave out with performer_name, or for yourself."},
        }
        validators = []  # the service refuses the same drainage twice, with a message under performed_at


class NextOccurrenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Occurrence
        fields = ["id", "kind", "due_at", "due_date"]
        read_only_fields = fields


class RecordedProcedureSerializer(ProcedureSerializer):
    """A recorded drainage, with the next one it planned (null when the patient is discharged or deceased)."""

    next_occurrence = serializers.SerializerMethodField()

    class Meta(ProcedureSerializer.Meta):
        fields = [*ProcedureSerializer.Meta.fields, "next_occurrence"]

    @extend_schema_field(NextOccurrenceSerializer(allow_null=True))
    def get_next_occurrence(self, procedure):
        upcoming = Occurrence.objects.filter(patient_id=procedure.patient_id, kind=procedure.kind, schedule__active=True,
                                             state=Occurrence.State.SCHEDULED).first()
        return NextOccurrenceSerializer(upcoming).data if upcoming else None


# --- Symptom reports and alerts -----------------------------------------------------------------


class SymptomReportSerializer(serializers.ModelSerializer):
    patient = InYourClinics(Patient, access.patients_for, "patient")
    reported_at = serializers.DateTimeField(required=False, validators=[_not_in_future], help_text="Now when left out.")
    pps = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100,
                                   help_text="Palliative Performance Scale, 0-100 in steps of 10.")
    alert = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="The alert it raised, if any.")
    closes_checkin = serializers.BooleanField(
        write_only=True, required=False,
        help_text="Close the open check-in and plan the next one. Default: true for a nurse call, else false.",
    )

    class Meta:
        model = SymptomReport
        fields = ["id", "patient", "reported_at", *ESAS_FIELDS, "other_problem_name", "pps", "phase", "completed_by",
                  "source", "recorded_by", "note", "alert", "closes_checkin"]
        read_only_fields = ["recorded_by"]
        extra_kwargs = {name: {"min_value": 0, "max_value": 10} for name in ESAS_FIELDS}

    def validate_pps(self, value):
        if value is not None and value % 10:
            raise serializers.ValidationError("PPS goes in steps of 10 (0, 10, ... 100).")
        return value

    def validate(self, attrs):
        if all(attrs.get(name) is None for name in ESAS_FIELDS):
            raise serializers.ValidationError({"non_field_errors": ["Score at least one ESAS-r item (0-10)."]})
        if attrs.get("other_problem") is not None and not attrs.get("other_problem_name", "").strip():
            raise serializers.ValidationError({"other_problem_name": ["Name the other problem that was scored."]})
        if attrs.get("other_problem_name", "").strip() and attrs.get("other_problem") is None:
            raise serializers.ValidationError({"other_problem": ["Score the other problem that was named."]})
        return attrs


class AlertItemSerializer(serializers.ModelSerializer):
    item_label = serializers.CharField(read_only=True, help_text="The ESAS-r item, or the other problem's name.")
    summary = serializers.CharField(read_only=True, help_text='As the nurse reads it: "Pain 8, was 3: severe, up 5".')

    class Meta:
        model = AlertItem
        fields = ["item", "item_label", "score", "previous_score", "severe", "worsening", "new_problem", "summary"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    items = AlertItemSerializer(many=True, read_only=True)
    acknowledgement_action = serializers.ChoiceField(
        choices=Alert.Action.choices, allow_blank=True, read_only=True,
        help_text="What was done. Blank while open, and for alerts acknowledged before actions were recorded.")

    class Meta:
        model = Alert
        fields = ["id", "patient", "report", "severe", "items", "created_at", "acknowledged_at", "acknowledged_by",
                  "acknowledgement_action", "acknowledgement_note", "escalated_at"]
        read_only_fields = fields


class AcknowledgeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Alert.Action.choices, help_text="What was done about the alert.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class OnCallContactSerializer(serializers.ModelSerializer):
    clinic = InYourClinics(Clinic, access.lead_clinics_for, "clinic you lead")
    mobile = PhoneNumberField(required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    class Meta:
        model = OnCallContact
        fields = ["id", "clinic", "name", "user", "mobile", "email", "active"]
        read_only_fields = ["id"]
        extra_kwargs = {"user": {"required": False, "allow_null": True}}

    def validate(self, attrs):
        user, clinic = attrs.get("user"), attrs.get("clinic")
        if user is not None and clinic is not None and clinic.pk not in user.clinic_ids():
            raise serializers.ValidationError({"user": ["This staff member does not work at this clinic."]})
        if not attrs.get("mobile") and not attrs.get("email"):
            raise serializers.ValidationError({"mobile": ["Give a mobile number or an e-mail address (or both) to reach them."]})
        return attrs


# --- Messaging (read-only) ----------------------------------------------------------------------


class ReminderSerializer(serializers.ModelSerializer):
    """A planned or sent reminder. Never the message text, never the number or address it went to."""

    class Meta:
        model = Reminder
        fields = ["id", "patient", "occurrence", "caregiver", "recipient", "channel", "purpose", "due_at", "send_at",
                  "expires_at", "state", "reason", "attempts", "sent_at", "acknowledged_at", "confirmed_at", "created_at"]
        read_only_fields = fields


class InboundMessageSerializer(serializers.ModelSerializer):
    """A text a patient or caregiver sent the clinic, as the worklist shows it; without the sender's number
    (numbers appear only on patients and caregivers)."""

    class Meta:
        model = InboundMessage
        fields = ["id", "clinic", "patient", "caregiver", "kind", "body", "received_at", "handled_at", "handled_by"]
        read_only_fields = fields


# --- Calendar feeds -----------------------------------------------------------------------------


class CalendarFeedSerializer(serializers.ModelSerializer):
    clinic = InYourClinics(Clinic, access.clinics_for, "clinic", required=False, allow_null=True,
                           help_text="Leave out for your own patients' feed; a clinic id for the whole clinic's.")
    url = serializers.SerializerMethodField(help_text="The secret address to subscribe to; anyone with it can read the feed.")

    class Meta:
        model = CalendarFeed
        fields = ["id", "clinic", "url", "created_at", "revoked_at"]
        read_only_fields = ["created_at", "revoked_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, feed):
        from ..calendar.feeds import feed_url

        return feed_url(feed)

