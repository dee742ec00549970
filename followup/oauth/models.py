"""Registered systems, the access tokens they were issued, and the assertions already used.

A system acts as a service account: a staff user whose clinic memberships bound what it sees, exactly
as for a person. Its token's scopes bound what it may do (read, write, which resource types).
"""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import User
from . import scopes


def new_client_id():
    return secrets.token_urlsafe(16)


def token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def validate_jwks(value):
    from joserfc.jwk import KeySet

    if not isinstance(value, dict) or not value.get("keys"):
        raise ValidationError('Paste the public keys as a JWK Set: {"keys": [...]}.')
    try:
        key_set = KeySet.import_key_set(value)
    except Exception as error:  # noqa: BLE001 - joserfc raises several kinds for a malformed key
        raise ValidationError(f"Not a usable JWK Set: {error}") from None
    if any(key.is_private for key in key_set.keys):
        raise ValidationError("Paste the public keys only: a private key must never leave the client.")


def validate_scope_list(value):
    try:
        scopes.parse(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class Client(models.Model):
    client_id = models.CharField(_("client id"), max_length=64, unique=True, default=new_client_id)
    name = models.CharField(_("name"), max_length=120, help_text="The system, e.g. 'St. Mary's & Riverside EHR'.")
    user = models.ForeignKey(User, verbose_name=_("service account"), on_delete=models.PROTECT, related_name="oauth_clients",
                             help_text="The service account it acts as: its clinics are the ones this system sees.")
    jwks = models.JSONField(_("public keys (JWK Set)"), validators=[validate_jwks],
                            help_text="The client's public keys; it signs its token requests with the private key.")
    scope = models.CharField(_("allowed scopes"), max_length=500, default="system/*.read", validators=[validate_scope_list],
                             help_text="Space-separated, e.g. 'system/*.read system/Patient.write'.")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("registered system")
        verbose_name_plural = _("registered systems")
        ordering = ["name"]

    def __str__(self):
        return self.name

    # What authlib's client authentication asks of a client.
    def check_endpoint_auth_method(self, method, endpoint):
        return self.active and endpoint == "token"


class AccessToken(models.Model):
    """Only the token's digest is stored: a copy of the table lets no one in."""

    digest = models.CharField(_("token digest (SHA-256)"), max_length=64, unique=True)
    client = models.ForeignKey(Client, verbose_name=_("registered system"), on_delete=models.CASCADE, related_name="tokens")
    scope = models.CharField(_("scopes"), max_length=500)
    issued_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self):
        return f"Token of {self.client} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def granted(self):
        return scopes.parse(self.scope)


class UsedAssertion(models.Model):
    """A signed token request (its `jti`) already used: the same one again is refused until it expires."""

    client = models.ForeignKey(Client, verbose_name=_("registered system"), on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(_("assertion id (jti)"), max_length=255)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("used assertion")
        verbose_name_plural = _("used assertions")
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="assertion_used_once")]
