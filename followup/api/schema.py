"""The OpenAPI description: every operation documents the errors it can give, so a client (and the
schemathesis run in the tests) knows a 400 or a 404 is part of the contract, not a surprise."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

# Served at /api/schema/ and used by `manage.py spectacular --custom-settings followup.api.schema.OVERRIDES`:
# separate request and response components, so read-only fields (id, status, recorded_at) are not
# offered to clients as input.
# Tags and operation ids follow the resource ("patients_create"), not the version prefix.
# Enum names say which choice set they are (several models have a "kind" or a "state").
OVERRIDES = {
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CareKindEnum": "followup.models.care.Kind",
        "AlertKindEnum": "followup.models.care.Alert.Kind",
        "InboundMessageKindEnum": "followup.models.messaging.InboundMessage.Kind",
        "IntervalUnitEnum": "followup.scheduling.Unit",
        "OccurrenceStateEnum": "followup.models.care.Occurrence.State",
        "ReminderStateEnum": "followup.models.messaging.Reminder.State",
        "PatientStatusEnum": "followup.models.patients.Patient.Status",
        "PcocPhaseEnum": "followup.models.patients.Patient.Phase",
    },
}


class ErrorSerializer(serializers.Serializer):
    """An error: `detail` for the whole request, or one list of messages per field (`non_field_errors`
    for messages about the request as a whole)."""

    detail = serializers.CharField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


ERRORS = {
    "400": "Invalid input: messages per field.",
    "401": "No valid credentials: send `Authorization: Token <key>` or a session cookie.",
    "403": "Signed in, but not allowed (for example a session request without its CSRF token).",
    "404": "No such object in your clinics (also for an id given in the request body).",
}


class FollowupAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {**ERRORS, **getattr(self.view, "extra_error_responses", {})}
        for code, description in errors.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses
