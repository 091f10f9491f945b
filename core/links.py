"""Emailed links that carry a signed, expiring payload (invitations, partner requests).

The signing is the same for every kind of link; what differs is the salt, how long a link
works, and the words a user reads when it does not. Each app keeps its own salt and
messages and turns the two ways a token can fail into a LinkCheck."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing


class LinkNotValid(Exception):
    """The token was cut short, changed, or signed for another kind of link."""


class LinkExpired(LinkNotValid):
    """The token was good once, and is older than its kind of link may be."""


def make_link_token(payload: dict, *, salt: str, compress: bool = False) -> str:
    return signing.dumps(payload, salt=salt, compress=compress)


def read_link_token(token: str, *, salt: str, max_age: timedelta) -> dict:
    """The payload of a token made by make_link_token() with the same salt. Raises
    LinkExpired (catch it first) or LinkNotValid."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age.total_seconds())
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkNotValid from None
    if not isinstance(payload, dict):
        raise LinkNotValid  # every link we sign carries a dict
    return payload


@dataclass
class LinkCheck:
    """What opening a link found: the object it leads to (if any), the address it was sent
    to, and, when it cannot be used, a title and a problem in the user's words."""

    object: Any = None
    email: str = ""
    title: str = ""
    problem: str = ""  # empty when the link may be used
