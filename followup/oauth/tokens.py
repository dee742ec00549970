"""The token endpoint's rules: authenticate the client by its signed JWT (authlib's RFC 7523 client
assertion), then issue a short-lived bearer token for the scopes it may have."""

import secrets
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from . import scopes
from .models import AccessToken, Client, UsedAssertion, token_digest

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# SMART Backend Services: servers support RS384 and ES384; nothing symmetric, never `none`.
SIGNING_ALGORITHMS = ["RS384", "ES384"]
TOKEN_LIFETIME = timedelta(minutes=5)
# An assertion valid for longer than this is refused (SMART: "no more than five minutes in the future").
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)


class TokenError(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def token_url():
    return f"{settings.SITE_URL}{reverse('oauth-token')}"


class SignedClientAssertion(JWTBearerClientAssertion):
    """authlib's private_key_jwt check, with this server's audience, keys and replay store."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def get_audiences(self):
        return [token_url()]

    def resolve_client_public_key(self, client):
        return KeySet.import_key_set(client.jwks)

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=SIGNING_ALGORITHMS)
        except JoseError as error:
            raise InvalidClientError(description=error.description or "The assertion's signature does not verify.") from error
        except ValueError as error:  # joserfc: no key in the set matches the assertion's kid
            raise InvalidClientError(description=str(error) or "No key of this client matches the assertion.") from error
        self.verify_claims(token.claims)
        exp = token.claims.get("exp")
        if isinstance(exp, int | float) and datetime.fromtimestamp(exp, UTC) > timezone.now() + MAX_ASSERTION_LIFETIME + timedelta(seconds=self.leeway):
            raise InvalidClientError(description="The assertion must expire within five minutes.")
        return token.claims

    def validate_jti(self, claims, jti):
        client = Client.objects.get(client_id=claims["sub"])
        UsedAssertion.objects.filter(expires_at__lt=timezone.now()).delete()
        try:
            with transaction.atomic():
                UsedAssertion.objects.create(client=client, jti=str(jti)[:255],
                                             expires_at=datetime.fromtimestamp(claims["exp"], UTC))
        except IntegrityError:
            return False
        return True


def _client_by_id(client_id):
    return Client.objects.filter(client_id=client_id, active=True, user__is_active=True).select_related("user").first()


def issue(form):
    """(the token's text, its AccessToken row) for a client-credentials request, or TokenError."""
    if form.get("grant_type") != "client_credentials":
        raise TokenError("unsupported_grant_type", "Only grant_type=client_credentials is supported.")
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        raise TokenError("invalid_client", f"Authenticate with a signed JWT: client_assertion_type={ASSERTION_TYPE} "
                                           "and client_assertion.", status=401)
    try:
        client = SignedClientAssertion()(_client_by_id, SimpleNamespace(form=form))
    except InvalidClientError as error:
        raise TokenError("invalid_client", error.description or "The client could not be authenticated.", status=401) from None
    if client is None:
        raise TokenError("invalid_client", "The client could not be authenticated.", status=401)
    try:
        granted = scopes.narrow(form.get("scope", ""), client.scope)
    except ValueError as error:
        raise TokenError("invalid_scope", str(error)) from None
    if not granted:
        raise TokenError("invalid_scope", f"None of the scopes asked for is allowed to this client (allowed: {client.scope}).")
    text = secrets.token_urlsafe(32)
    now = timezone.now()
    row = AccessToken.objects.create(digest=token_digest(text), client=client, scope=" ".join(granted), issued_at=now,
                                     expires_at=now + TOKEN_LIFETIME)
    return text, row
