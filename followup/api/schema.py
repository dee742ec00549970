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
