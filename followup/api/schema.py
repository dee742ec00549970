"""The OpenAPI description: every operation documents the errors it can give, so a client (and the
schemathesis run in the tests) knows a 400 or a 404 is part of the contract, not a surprise."""

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
