"""A connection's credentials (an access token, a consumer key and secret) encrypted at rest.

They are sealed with Fernet (AES-128-CBC and an HMAC) under CONNECTOR_CREDENTIALS_KEY, or a
key derived from SECRET_KEY when that is not set (config/settings.py). The database,
its backups and the admin hold only the sealed text; a load unseals them for its requests
and nothing shows them again."""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class Unreadable(Exception):
    """The sealed credentials cannot be opened: the key that sealed them is gone."""


def _fernet() -> MultiFernet:
    keys = list(settings.CONNECTOR_CREDENTIALS_KEY) or [_derived_key()]
    return MultiFernet([Fernet(key.strip().encode()) for key in keys])


def _derived_key() -> str:
    # A key of its own, not SECRET_KEY itself: SECRET_KEY also signs sessions and links.
    digest = hashlib.sha256(b"shelfshare connector credentials\0" + settings.SECRET_KEY.encode())
    return base64.urlsafe_b64encode(digest.digest()).decode()


def seal(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(sealed: str) -> dict[str, str]:
    if not sealed:
        return {}
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError) as error:
        raise Unreadable from error
