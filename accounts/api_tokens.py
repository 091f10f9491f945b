"""API tokens: created and revoked by an organization's owners and admins, checked on
every API request. The key is "ss_" + a prefix + a secret; only its SHA-256 is stored (the
key is random and long, so a slow hash would add nothing but time to every request)."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken

KEY_START = "ss_"
# The last-used time is written at most this often: not one UPDATE per request.
LAST_USED_EVERY = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, organization, actor, name, scope, expires_at=None) -> tuple[ApiToken, str]:
    """A new token and its key, which is shown once and never again."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organization=organization, name=name, scope=scope, prefix=prefix, digest=_digest(key),
        created_by=actor, expires_at=expires_at,
    )  # fmt: skip
    return token, key


def token_revoke(*, token: ApiToken, actor) -> bool:
    """Revoke a live token; False when it was already revoked."""
    with transaction.atomic():
        return bool(
            ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
                revoked_at=timezone.now(), revoked_by=actor
            )
        )


def token_for_key(key: str) -> ApiToken | None:
    """The live token of a key, with its organization; None for any other key (unknown,
    revoked or expired alike). Records when it was last used."""
    if not key.startswith(KEY_START) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("organization", "created_by")
        .filter(digest=_digest(key))
        .first()
    )
    now = timezone.now()
    if token is None or not token.is_live(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
