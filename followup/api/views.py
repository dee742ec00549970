"""REST v1. Every read goes through the access helpers (another clinic's object is 404); every write
calls the same service function as the page that does the same thing."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from .. import access, audit, calls, services
from ..calendar import feeds
from ..models import (
    ESAS_FIELDS,
    Alert,
    BereavementCall,
    CalendarFeed,
    Caregiver,
    CareSchedule,
    InboundMessage,
    Occurrence,
    OnCallContact,
    Patient,
    Procedure,
    Reminder,
    SymptomReport,
)
from . import filters, life_serializers, serializers
from .errors import api_exception_handler, parse_id
from .schema import ErrorSerializer, FollowupAutoSchema


class AlreadyDone(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This was already done."
    default_code = "conflict"


class ClinicScopedViewSet(audit.AuditedViewSetMixin, viewsets.GenericViewSet):
    """Lists hold only the caller's clinics; a detail URL fetches through the object's access helper.

    Each subclass names its `model`, `visible(user)` (the list) and `fetch(user, pk)` (one object or 404).
    """

    schema = FollowupAutoSchema()
    parser_classes = [JSONParser]  # integrators send JSON; one request format keeps the contract small
    # Any path segment reaches get_object, so "abc" or "0.5" is a JSON 404 like any unknown id.
    lookup_value_regex = "[^/]+"
    model = None

    def get_exception_handler(self):
        return api_exception_handler

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no signed-in user
            return self.model.objects.none()
        return self.visible(self.request.user)

    def get_object(self):
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise NotFound("No such object in your clinics.")
        found = self.fetch(self.request.user, pk)
        self.check_object_permissions(self.request, found)
        return found

    def respond(self, serializer_class, instance, code=status.HTTP_200_OK):
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=code)

    def validated(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ReadOnlyScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ClinicScopedViewSet):
    pass


# --- Patients and caregivers --------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Patients of your clinics"),
    retrieve=extend_schema(summary="One patient"),
)
class PatientViewSet(ReadOnlyScopedViewSet):
    model = Patient
    serializer_class = serializers.PatientSerializer
    filterset_class = filters.PatientFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def fetch(self, user, pk):
        return access.get_patient(user, pk)

    def visible(self, user):
        return access.patients_for(user).order_by("family_name", "given_name", "pk")

    @extend_schema(summary="Enrol a patient", description="Creates the patient and plans their first drainage and "
                   "check-in, as enrolment on the patient page does.")
    def create(self, request):
        data = dict(self.validated(serializers.PatientSerializer))
        interval = data.pop("paracentesis_interval", None)
        first_drainage_due = data.pop("first_drainage_due", None)
        patient = Patient(**data)
        patient.full_clean()
        try:
            with transaction.atomic():
                patient.save()
                services.enrol(patient, paracentesis_interval=interval, first_drainage_due=first_drainage_due)
        except IntegrityError:
            raise ValidationError({"mrn": "A patient with this MRN is already in this clinic."}) from None
        return self.respond(serializers.PatientSerializer, access.get_patient(request.user, patient.pk), status.HTTP_201_CREATED)

    @extend_schema(summary="Correct a patient's name, date of birth or nurse",
                   request=serializers.PatientChangeSerializer, responses=serializers.PatientSerializer)
    def partial_update(self, request, pk=None):
        patient = self.get_object()
        serializer = serializers.PatientChangeSerializer(patient, data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(patient, name, value)
        patient.full_clean()
        patient.save(update_fields=list(serializer.validated_data) or None)
        return self.respond(serializers.PatientSerializer, patient)

    @extend_schema(summary="Pause, resume, discharge or record a death",
                   description="Discharge and death cancel every future occurrence and unsent reminder at once.",
                   request=serializers.StatusChangeSerializer, responses=serializers.PatientSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        patient = self.get_object()
        data = self.validated(serializers.StatusChangeSerializer)
        patient = services.change_status(patient, data["status"], by=request.user, note=data["note"], at=data.get("at"))
        return self.respond(serializers.PatientSerializer, patient)

    @extend_schema(summary="Record a death",
                   description="When (not in the future; earlier than events already recorded is accepted), where, and "
                               "how the team learnt of it. Everything planned stops at once, the phase becomes bereaved "
                               "and the clinic's bereavement calls are planned for staff.",
                   request=life_serializers.DeathSerializer, responses={201: life_serializers.DeathSerializer})
    @action(detail=True, methods=["post"])
    def death(self, request, pk=None):
        patient = self.get_object()
        data = self.validated(life_serializers.DeathSerializer)
        death = services.record_death(patient, died_at=data["died_at"], place=data["place"], source=data["source"],
                                      by=request.user, note=data["note"])
        return self.respond(life_serializers.DeathSerializer, death, status.HTTP_201_CREATED)

    @extend_schema(summary="Pause for a coded reason until a review date",
                   description="A hospital admission is reviewed after the clinic's admission_review_days unless review_on "
                               "is given; other reasons need it. A review date in the past is refused.",
                   request=life_serializers.PauseSerializer, responses={201: life_serializers.PauseSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        patient = self.get_object()
        data = self.validated(life_serializers.PauseSerializer)
        pause = services.pause(patient, reason=data["reason"], review_on=data.get("review_on"), note=data["note"],
                               by=request.user)
        return self.respond(life_serializers.PauseSerializer, pause, status.HTTP_201_CREATED)

    @extend_schema(summary="Extend a pause to a later review date", request=life_serializers.ExtendPauseSerializer,
                   responses=life_serializers.PauseSerializer)
    @action(detail=True, methods=["post"], url_path="pause/extend")
    def extend_pause(self, request, pk=None):
        patient = self.get_object()
        data = self.validated(life_serializers.ExtendPauseSerializer)
        pause = services.extend_pause(patient, review_on=data["review_on"], by=request.user, note=data["note"])
        return self.respond(life_serializers.PauseSerializer, pause)

    @extend_schema(summary="Resume after a pause, with the drainages done on the ward",
                   request=life_serializers.ResumeSerializer, responses=serializers.PatientSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        patient = self.get_object()
        data = self.validated(life_serializers.ResumeSerializer)
        patient = services.resume(patient, by=request.user, ward_drainages=data["ward_drainages"])
        return self.respond(serializers.PatientSerializer, patient)

    @extend_schema(summary="Answer the catheter advisory",
                   description="Discussed and declined, referred, or not suitable; silences the advisory for the clinic's "
                               "advisory_silence_months.",
                   request=life_serializers.AdvisoryAnswerSerializer, responses={201: life_serializers.AdvisoryAnswerSerializer})
    @action(detail=True, methods=["post"], url_path="advisory-answers")
    def advisory_answer(self, request, pk=None):
        patient = self.get_object()
        data = self.validated(life_serializers.AdvisoryAnswerSerializer)
        answer = services.answer_advisory(patient, answer=data["answer"], answered_on=data.get("answered_on"),
                                          note=data["note"], by=request.user)
        return self.respond(life_serializers.AdvisoryAnswerSerializer, answer, status.HTTP_201_CREATED)

    @extend_schema(summary="Record a catheter placed",
                   description="Ends the paracentesis series and starts a home-drainage series (every 2 days by default, "
                               "no automated reminders unless the clinic turned them on). A second one is refused.",
                   request=life_serializers.CatheterSerializer, responses={201: life_serializers.CatheterSerializer})
    @action(detail=True, methods=["post"])
    def catheter(self, request, pk=None):
        patient = self.get_object()
        data = self.validated(life_serializers.CatheterSerializer)
        placed = services.place_catheter(patient, placed_on=data["placed_on"], type=data["type"], by=request.user,
                                         interval_days=data.get("interval_days"))
        return self.respond(life_serializers.CatheterSerializer, placed, status.HTTP_201_CREATED)


class CaregiverViewSet(ReadOnlyScopedViewSet):
    model = Caregiver
    serializer_class = serializers.CaregiverSerializer
    filterset_class = filters.CaregiverFilter

    def fetch(self, user, pk):
        return access.get_caregiver(user, pk)

    def visible(self, user):
        return Caregiver.objects.filter(patient__in=access.patients_for(user)).order_by("name", "pk")


# --- Series and occurrences ---------------------------------------------------------------------


class CareScheduleViewSet(ReadOnlyScopedViewSet):
    model = CareSchedule
    serializer_class = serializers.CareScheduleSerializer
    filterset_class = filters.CareScheduleFilter

    def fetch(self, user, pk):
        return get_object_or_404(self.visible(user).select_related("patient__clinic"), pk=pk)

    def visible(self, user):
        return CareSchedule.objects.filter(patient__in=access.patients_for(user)).select_related("patient__clinic").order_by("pk")

    @extend_schema(summary="Change the interval of a series",
                   description="The open occurrence moves to one new interval after the last event, as on the patient page.",
                   request=serializers.IntervalSerializer, responses=serializers.CareScheduleSerializer)
    @action(detail=True, methods=["post"])
    def interval(self, request, pk=None):
        schedule = self.get_object()
        data = self.validated(serializers.IntervalSerializer)
        return self.respond(serializers.CareScheduleSerializer, services.change_interval(schedule, data["interval"], by=request.user))


class OccurrenceViewSet(ReadOnlyScopedViewSet):
    model = Occurrence
    serializer_class = serializers.OccurrenceSerializer
    filterset_class = filters.OccurrenceFilter

    def fetch(self, user, pk):
        return access.get_occurrence(user, pk)

    def visible(self, user):
        return Occurrence.objects.filter(patient__in=access.patients_for(user)).order_by("due_at", "pk")

    @extend_schema(summary="Move an open occurrence", description="Its unsent reminders are planned again for the new time.",
                   request=serializers.RescheduleSerializer, responses=serializers.OccurrenceSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        occurrence = self.get_object()
        data = self.validated(serializers.RescheduleSerializer)
        return self.respond(serializers.OccurrenceSerializer,
                            services.reschedule(occurrence, data["due_at"], by=request.user, note=data["note"]))

    @extend_schema(summary="Skip an open occurrence",
                   description="Says why, and when to look again: the next one is planned on that day (in 7 days for a "
                               "drainage, the next cadence step for a call, when left out; a day in the past is refused).",
                   request=life_serializers.SkipSerializer, responses=serializers.OccurrenceSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        occurrence = self.get_object()
        data = self.validated(life_serializers.SkipSerializer)
        services.skip(occurrence, by=request.user, note=data["note"], reason=data["reason"],
                      look_again_on=data["look_again_on"])
        occurrence.refresh_from_db()
        return self.respond(serializers.OccurrenceSerializer, occurrence)

    @extend_schema(summary="Record a check-in call and its outcome",
                   description="Reached or caregiver: the scores (or a note) close the check-in and plan the next one; "
                               "an alert they raise is acknowledged by this call. No answer or voicemail: the check-in "
                               "stays open with a retry time (inside working hours). Wrong number: it stays open. "
                               "Declined: it is skipped and the next one planned. Bad input answers 400 by field.",
                   request=serializers.CallSerializer, responses={201: serializers.CallAttemptSerializer})
    @action(detail=True, methods=["post"])
    def call(self, request, pk=None):
        occurrence = self.get_object()
        data = self.validated(serializers.CallSerializer)
        attempt = calls.record_call(
            occurrence.patient, occurrence=occurrence, outcome=data["outcome"], by=request.user,
            scores={name: data.get(name) for name in ESAS_FIELDS}, completed_by=data["completed_by"],
            other_problem_name=data["other_problem_name"], pps=data["pps"], phase=data["phase"], note=data["note"],
            retry_at=data["retry_at"],
        )
        return self.respond(serializers.CallAttemptSerializer, attempt, status.HTTP_201_CREATED)


# --- Procedures ---------------------------------------------------------------------------------


class ProcedureViewSet(ReadOnlyScopedViewSet):
    model = Procedure
    serializer_class = serializers.ProcedureSerializer
    filterset_class = filters.ProcedureFilter

    def fetch(self, user, pk):
        return access.get_procedure(user, pk)

    def visible(self, user):
        return Procedure.objects.filter(patient__in=access.patients_for(user)).order_by("-performed_at", "-pk")

    @extend_schema(summary="Record a drainage",
                   description="Closes the occurrence it fulfils and plans the next one and its reminders, exactly as "
                               "the form on the patient page does. The same drainage twice (same moment) is refused.",
                   request=serializers.ProcedureSerializer, responses={201: serializers.RecordedProcedureSerializer})
    def create(self, request):
        data = self.validated(serializers.ProcedureSerializer)
        performer = data.get("performed_by")
        if performer is None and not data.get("performer_name", "").strip():
            performer = request.user  # nobody else named: the caller performed it
        procedure = services.record_procedure(
            data["patient"], performed_at=data["performed_at"], volume_ml=data.get("volume_ml"),
            duration_minutes=data.get("duration_minutes"), complications=data.get("complications", ""),
            performed_by=performer, kind=data["kind"], complication_codes=data.get("complication_codes", []),
            setting=data.get("setting"), performer_name=data.get("performer_name", ""),
            performer_role=data.get("performer_role", ""), recorded_by=request.user,
        )
        return self.respond(serializers.RecordedProcedureSerializer, procedure, status.HTTP_201_CREATED)


# --- Bereavement calls ----------------------------------------------------------------------------


class BereavementCallViewSet(ReadOnlyScopedViewSet):
    """Calls to the family after a death: tasks for staff. Nothing automated is sent to the family."""

    model = BereavementCall
    serializer_class = life_serializers.BereavementCallSerializer
    filterset_class = None

    def fetch(self, user, pk):
        return get_object_or_404(self.visible(user), pk=pk)

    def visible(self, user):
        return BereavementCall.objects.filter(patient__in=access.patients_for(user)).order_by("due_on", "pk")

    @extend_schema(summary="Record how a bereavement call went", request=life_serializers.BereavementOutcomeSerializer,
                   responses=life_serializers.BereavementCallSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        call = self.get_object()
        data = self.validated(life_serializers.BereavementOutcomeSerializer)
        return self.respond(life_serializers.BereavementCallSerializer,
                            services.record_bereavement_call(call, outcome=data["outcome"], by=request.user, note=data["note"]))


# --- Symptom reports and alerts -----------------------------------------------------------------


class SymptomReportViewSet(ReadOnlyScopedViewSet):
    model = SymptomReport
    serializer_class = serializers.SymptomReportSerializer
    filterset_class = filters.SymptomReportFilter

    def fetch(self, user, pk):
        return access.get_symptom_report(user, pk)

    def visible(self, user):
        return (SymptomReport.objects.filter(patient__in=access.patients_for(user))
                .select_related("alert").order_by("-reported_at", "-pk"))

    @extend_schema(summary="Record an ESAS-r report",
                   description="Runs the alert rules at once: one alert per report, each item compared with the last "
                               "report that scored it within 30 days. A severe item (7 or more) brings the next check-in "
                               "forward (the same day before the clinic opens, else the next day) and, out of hours, "
                               "pages the on-call contacts.")
    def create(self, request):
        data = self.validated(serializers.SymptomReportSerializer)
        report = services.record_symptom_report(
            data["patient"], scores={name: data.get(name) for name in ESAS_FIELDS},
            completed_by=data["completed_by"], source=data["source"], recorded_by=request.user,
            other_problem_name=data.get("other_problem_name", ""), pps=data.get("pps"), phase=data.get("phase", ""),
            note=data.get("note", ""), reported_at=data.get("reported_at"),
            closes_checkin=data.get("closes_checkin", data["source"] == SymptomReport.Source.NURSE_CALL),
        )
        return self.respond(serializers.SymptomReportSerializer, access.get_symptom_report(request.user, report.pk),
                            status.HTTP_201_CREATED)


class AlertViewSet(ReadOnlyScopedViewSet):
    model = Alert
    serializer_class = serializers.AlertSerializer
    filterset_class = filters.AlertFilter

    def fetch(self, user, pk):
        return access.get_alert(user, pk)

    def visible(self, user):
        return (Alert.objects.filter(patient__in=access.patients_for(user)).select_related("report")
                .prefetch_related("items").order_by("-created_at", "-pk"))

    @extend_schema(summary="Acknowledge an alert", description="Records the action taken and an optional note.",
                   request=serializers.AcknowledgeSerializer,
                   responses={200: serializers.AlertSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = self.get_object()
        data = self.validated(serializers.AcknowledgeSerializer)
        if not services.acknowledge_alert(alert, by=request.user, action=data["action"], note=data["note"]):
            raise AlreadyDone("This alert was already acknowledged.")
        return self.respond(serializers.AlertSerializer, alert)


@extend_schema_view(
    list=extend_schema(summary="On-call contacts of your clinics"),
    retrieve=extend_schema(summary="One on-call contact"),
)
class OnCallContactViewSet(ReadOnlyScopedViewSet):
    """Who is paged for a severe report out of hours. A clinic's leads add them."""

    model = OnCallContact
    serializer_class = serializers.OnCallContactSerializer
    filterset_class = None

    def fetch(self, user, pk):
        return get_object_or_404(OnCallContact, clinic__in=user.clinic_ids(), pk=pk)

    def visible(self, user):
        return OnCallContact.objects.filter(clinic__in=user.clinic_ids()).order_by("clinic", "name", "pk")

    @extend_schema(summary="Add an on-call contact", description="A mobile number, an e-mail address or both; "
                   "neither is refused (400). Only a lead of the clinic may add one.")
    def create(self, request):
        data = self.validated(serializers.OnCallContactSerializer)
        contact = OnCallContact(**data)
        contact.full_clean()
        contact.save()
        return self.respond(serializers.OnCallContactSerializer, contact, status.HTTP_201_CREATED)


# --- Messaging (read-only) ----------------------------------------------------------------------


class ReminderViewSet(ReadOnlyScopedViewSet):
    model = Reminder
    serializer_class = serializers.ReminderSerializer
    filterset_class = filters.ReminderFilter

    def fetch(self, user, pk):
        return access.get_reminder(user, pk)

    def visible(self, user):
        return Reminder.objects.filter(patient__in=access.patients_for(user)).order_by("send_at", "pk")  # no staff pages


class InboundMessageViewSet(ReadOnlyScopedViewSet):
    model = InboundMessage
    serializer_class = serializers.InboundMessageSerializer
    filterset_class = filters.InboundMessageFilter

    def fetch(self, user, pk):
        return access.get_inbound_message(user, pk)

    def visible(self, user):
        return InboundMessage.objects.filter(clinic__in=access.clinics_for(user)).order_by("-received_at", "-pk")


# --- Calendar feeds -----------------------------------------------------------------------------


class CalendarFeedViewSet(ReadOnlyScopedViewSet):
    """Your own calendar feeds: each is a secret address; revoke one to stop it for good."""

    model = CalendarFeed
    serializer_class = serializers.CalendarFeedSerializer
    filterset_class = None

    def fetch(self, user, pk):
        return get_object_or_404(CalendarFeed, owner=user, pk=pk)

    def visible(self, user):
        return CalendarFeed.objects.filter(owner=user).order_by("-created_at", "-pk")

    @extend_schema(summary="Create a calendar feed")
    def create(self, request):
        data = self.validated(serializers.CalendarFeedSerializer)
        return self.respond(serializers.CalendarFeedSerializer, feeds.create_feed(request.user, data.get("clinic")),
                            status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke a calendar feed", request=None, responses=serializers.CalendarFeedSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        feed = self.get_object()
        feeds.revoke_feed(feed)
        return self.respond(serializers.CalendarFeedSerializer, feed)
