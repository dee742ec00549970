"""`Authorization: Bearer <token>` for systems, beside the static `Token <key>` people use, and the
permission that holds a system to its token's scopes."""

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from . import scopes
from .models import AccessToken, token_digest


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one bearer token: Authorization: Bearer <token>.")
        try:
            text = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The bearer token is not valid.") from None
        token = (AccessToken.objects.select_related("client__user").filter(digest=token_digest(text)).first())
        if (token is None or token.expires_at <= timezone.now() or not token.client.active
                or not token.client.user.is_active):
            raise exceptions.AuthenticationFailed("The bearer token is unknown or has expired: ask the token endpoint for a new one.")
        return token.client.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="followup"'


def resource_type_of(view, kwargs):
    return kwargs.get("resource_type") if kwargs else None


class TokenScopes(permissions.BasePermission):
    """A system's token allows only what its scopes grant: `.read` for GET and HEAD, `.write` for the
    rest, per FHIR resource type (the REST API, which has no FHIR types, needs `system/*`). People
    (static tokens, sessions) are not limited here."""

    message = "This token's scopes do not allow it."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, AccessToken):
            return True
        write = request.method not in permissions.SAFE_METHODS
        if write and getattr(view, "scopes_checked_per_entry", False):
            return True  # a FHIR transaction checks each entry's type (followup.fhir.views.require_write_scope)
        resource_type = getattr(view, "scoped_resource_type", lambda: None)()
        if not scopes.allows(token.granted, resource_type, write):
            self.message = (f"This token's scopes ({token.scope}) do not allow "
                            f"{'writing' if write else 'reading'} {resource_type or 'the REST API'}.")
            return False
        return True
