"""The OpenAPI description: every operation documents the errors it can give, so a client (and the
schemathesis run in the tests) knows a 400 or a 404 is part of the contract, not a surprise."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

# The schema's settings (split request components, path prefix, enum names) are in
# settings.SPECTACULAR_SETTINGS, so `manage.py spectacular --validate` and /api/schema/ agree.


class ErrorSerializer(serializers.Serializer):
    """An error: `detail` for the whole request, or one list of messages per field (`non_field_errors`
    for messages about the request as a whole)."""

    detail = serializers.CharField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


ERRORS = {
    "400": "Invalid input: messages per field.",
    "401": "No valid credentials: send `Authorization: Token <key>`, `Authorization: Bearer <token>` or a session cookie.",
    "403": "Signed in, but not allowed (a session request without its CSRF token, or a bearer token whose scopes do not allow it).",
    "404": "No such object in your clinics (also for an id given in the request body).",
}


FILTER_ERRORS = ("A filter value that cannot be read, named with its message: an enum filter given empty or with a value "
                 "not listed (`?status=`), a true/false filter given anything but `true` or `false`, a moment that is not "
                 "ISO 8601, or a clinic, patient, nurse or occurrence that is not in your clinics.")


class FollowupAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {**ERRORS, **getattr(self.view, "extra_error_responses", {})}
        for code, description in errors.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        if "400" in responses and self.method != "GET":
            responses["400"]["description"] = rules_description(self.get_operation_id())
        elif "400" in responses and self._is_list_view():
            responses["400"]["description"] = FILTER_ERRORS
        return responses

    def get_examples(self):
        return [*super().get_examples(), *write_examples(self.get_operation_id())]


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Systems' OAuth 2.0 bearer tokens (client credentials with a signed JWT; see docs/api.md)."""

    target_class = "followup.oauth.authentication.BearerTokenAuthentication"
    name = "oauth2ClientCredentials"

    def get_security_definition(self, auto_schema):
        from ..oauth.tokens import token_url
        from ..oauth.views import SCOPES_SUPPORTED

        return {
            "type": "oauth2",
            "description": "Client credentials with a signed JWT (private_key_jwt, SMART Backend Services). "
                           "Send the token as `Authorization: Bearer <token>`. The REST API needs `system/*` scopes.",
            "flows": {"clientCredentials": {"tokenUrl": token_url(), "scopes": {
                scope: ("Read and search" if scope.endswith((".read", ".rs")) else "Read, search and write")
                for scope in SCOPES_SUPPORTED}}},
        }


# Every write: an example request, and the business rules that answer 400 (beyond a malformed field).
# Kept here, beside the schema class that puts them in the document, so a new write without them stands out
# in the test that checks every write has both.
WRITES = {
    "patients_create": (
        {"clinic": 1, "mrn": "RV-2040", "given_name": "José", "family_name": "Núñez", "date_of_birth": "1948-07-14",
         "mobile": "+12025550140", "preferred_channel": "sms", "language": "es", "nurse": 3,
         "consent_at": "2026-03-20T14:55:00Z", "consent_source": "verbal"},
        {"mrn": ["A patient with this MRN is already in this clinic."]},
        ["The MRN is already used in this clinic.", "The nurse is not a member of the patient's clinic.",
         "A birth date before 1900 or after today.", "Text reminders without a valid mobile number, "
         "e-mail reminders without an e-mail address.", "Only one end of the quiet hours given, or the evening before the morning.",
         "A drainage interval outside 2 days to 6 months.", "A first drainage due in the past or more than a year ahead.", "Consent dated in the future."],
    ),
    "patients_partial_update": (
        {"family_name": "Núñez-O'Hara"}, {"date_of_birth": ["Give a date of birth between 1900 and today."]},
        ["A birth date before 1900 or after today.", "A nurse who is not a member of the patient's clinic."],
    ),
    "patients_status_create": (
        {"status": "deceased", "at": "2026-03-20T10:30:00Z", "note": "Died at home, family present."},
        {"status": ["A patient recorded as deceased cannot change status."]},
        ["The patient already has this status.", "A patient recorded as deceased cannot change status (a death is final).",
         "A change dated in the future.", "An unknown status."],
    ),
    "schedules_interval_create": (
        {"count": 14, "unit": "days"}, {"count": ["The interval must be at least 2 days."]},
        ["An interval shorter than 2 days or longer than 6 months.", "The series has ended (the patient was discharged or died)."],
    ),
    "occurrences_reschedule_create": (
        {"due_at": "2026-03-25T13:00:00Z", "note": "Patient asked for Wednesday."},
        {"due_at": ["This series already has an occurrence on that day."]},
        ["The occurrence is no longer open (done, skipped or cancelled meanwhile).", "A time in the past or more than a year ahead.",
         "The series already has an occurrence on that day."],
    ),
    "occurrences_skip_create": (
        {"note": "In hospital this week."}, {"non_field_errors": ["Only a scheduled occurrence can be skipped."]},
        ["The occurrence is no longer open (done, skipped or cancelled meanwhile)."],
    ),
    "procedures_create": (
        {"patient": 12, "performed_at": "2026-03-20T14:00:00Z", "volume_ml": 4500, "duration_minutes": 40,
         "complications": ""},
        {"performed_at": ["This drainage is already recorded for that moment."]},
        ["The same drainage (patient and moment) is already recorded.", "A time in the future.",
         "A volume outside 1 to 20,000 ml, a duration outside 1 to 1,440 minutes.",
         "The patient has no active series of this kind (and is neither discharged nor deceased)."],
    ),
    "symptom_reports_create": (
        {"patient": 12, "reported_at": "2026-03-20T14:30:00Z", "pain": 8, "nausea": 2, "shortness_of_breath": 4,
         "completed_by": "patient", "source": "web"},
        {"non_field_errors": ["Score at least one ESAS-r item (0-10)."]},
        ["No item scored.", "A score outside 0-10.", "The other problem scored but not named, or named but not scored.",
         "A PPS not in steps of 10.", "A report dated in the future."],
    ),
    "alerts_acknowledge_create": (
        {"note": "Called back; plan agreed with the family."}, {"detail": "This alert was already acknowledged."},
        ["The alert was already acknowledged (answered 409)."],
    ),
    "occurrences_call_create": (
        {"outcome": "caregiver", "completed_by": "caregiver", "pain": 6, "nausea": 2, "note": "Daughter answered."},
        {"completed_by": ["Say who answered the questions."]},
        ["Someone answered (reached, spoke with a caregiver) but no score and no note were given.",
         "A retry time in the past or outside the clinic's working hours.",
         "The occurrence is not an open check-in call."],
    ),
    "on_call_contacts_create": (
        {"clinic": 1, "name": "Dr. Amélie O'Neill", "mobile": "+12025550143", "email": "", "active": True},
        {"non_field_errors": ["Give a mobile number or an e-mail address."]},
        ["Neither a mobile nor an e-mail address.", "A clinic you are not a member of (answered 404)."],
    ),
    "patients_advisory_answers_create": (
        {"answer": "referred", "answered_on": "2026-11-30", "note": "Referred to interventional radiology."},
        {"answered_on": ["An answer cannot be dated in the future."]},
        ["An answer dated in the future.", "The patient is not active or already has a catheter."],
    ),
    "patients_catheter_create": (
        {"placed_on": "2026-11-30", "type": "tunnelled peritoneal catheter", "interval_days": 2},
        {"placed_on": ["This patient already has a catheter in place."]},
        ["A second catheter for a patient who has one.", "A placement date in the future.",
         "An interval under 1 day or over 14 days."],
    ),
    "patients_death_create": (
        {"died_at": "2026-11-30T03:40:00-05:00", "place": "home", "source": "family", "note": ""},
        {"died_at": ["A death cannot be recorded in the future."]},
        ["A time of death in the future.", "The patient's death is already recorded."],
    ),
    "patients_pause_create": (
        {"reason": "hospital_admission", "review_on": None, "note": "Admitted to St. Mary's ward 4."},
        {"review_on": ["A review date cannot be in the past."]},
        ["A review date in the past.", "A reason other than a hospital admission without a review date.",
         "The patient is not active."],
    ),
    "patients_pause_extend_create": (
        {"review_on": "2026-12-14", "note": "Still on the ward."},
        {"review_on": ["A review date cannot be in the past."]},
        ["A review date in the past.", "The patient is not paused."],
    ),
    "patients_resume_create": (
        {"ward_drainages": [{"performed_at": "2026-11-28T10:00:00-05:00", "volume_ml": 3500,
                             "performer_name": "Dr. José Núñez", "performer_role": "Registrar"}]},
        {"ward_drainages": [{"volume_ml": ["Ensure this value is less than or equal to 20000."]}]},
        ["The patient is not paused.", "A ward drainage in the future or with a volume out of range."],
    ),
    "bereavement_calls_outcome_create": (
        {"outcome": "spoke", "note": "Spoke with her son; he would welcome the 3-month call."},
        {"outcome": ["\"maybe\" is not a valid choice."]},
        ["The call already has an outcome.", "An outcome that is not one of the listed choices."],
    ),
    "calendar_feeds_create": (
        {"clinic": 1}, {"clinic": ["No clinic with this id in your clinics."]},
        ["A clinic you are not a member of (answered 404)."],
    ),
    "calendar_feeds_revoke_create": (
        None, {"detail": "No CalendarFeed matches the given query."},
        ["Only your own feeds can be revoked (another's answers 404). Revoking a revoked feed changes nothing."],
    ),
}


def write_examples(operation_id):
    """The OpenAPI examples of a write: its request, and one business-rule refusal."""
    from drf_spectacular.utils import OpenApiExample

    if operation_id not in WRITES:
        return []
    request, refusal, _ = WRITES[operation_id]
    examples = [OpenApiExample("Refused", value=refusal, response_only=True, status_codes=["400"])]
    if request is not None:
        examples.insert(0, OpenApiExample("Example", value=request, request_only=True))
    return examples


def rules_description(operation_id):
    if operation_id not in WRITES:
        return ERRORS["400"]
    rules = "\n".join(f"- {rule}" for rule in WRITES[operation_id][2])
    return f"{ERRORS['400']} Refused by the rules when:\n\n{rules}"
