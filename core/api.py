"""What every API endpoint shares: one JSON shape for errors, opaque keyset cursors, and
the Idempotency-Key of writes. The endpoints live in each app's api.py; config/api.py
puts them together under /api/v1/.

Every error, whatever raised it, is answered as

    {"error": {"status": 404, "code": "not_found", "message": "…", "errors": [...]}}

where `errors` lists what was wrong with the input: a field of the query or body
(`{"field": "limit", "message": "…"}`), or a row of a batch (`{"row": 3, "field":
"on_hand", "value": "four", "message": "…"}`)."""

import base64
import binascii
import hashlib
import json
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from ninja import Field, Schema
from ninja.parser import Parser

from core.models import IdempotentRequest

PAGE_SIZE = 100
PAGE_SIZE_MAX = 1000


class ApiError(Exception):
    """An answer other than success, with its status, a stable code and words for people."""

    def __init__(self, status, code, message, *, errors=(), headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors)
        self.headers = headers or {}

    def body(self):
        return error_body(self.status, self.code, self.message, self.errors)


def error_body(status, code, message, errors=()):
    return {"error": {"status": status, "code": code, "message": message, "errors": list(errors)}}


def error_response(status, code, message, errors=(), headers=None):
    response = JsonResponse(error_body(status, code, message, errors), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def not_found(what="object"):
    return ApiError(404, "not_found", f"No such {what}.")


def error_location(parts) -> dict:
    """Where in a request a problem is, as the API says it: a batch row's index and field
    ({"row": 3, "field": "sku"}), else the field's dotted path."""
    parts = [part for part in parts if part not in ("body", "payload", "query")]
    if len(parts) >= 2 and parts[0] == "rows" and isinstance(parts[1], int):
        return {"row": parts[1], "field": ".".join(str(p) for p in parts[2:])}
    return {"field": ".".join(str(p) for p in parts)}


# -- the JSON body -----------------------------------------------------------------------
# JSON may escape half of a UTF-16 surrogate pair alone ("\ud800"), and Python's reader
# also takes the same half written raw in the bytes: the str it makes can be neither stored
# nor written to a file, so the first write of it failed with a 500. Only a body that has
# one of these is searched for a half that stands alone (a whole pair is an ordinary
# character, such as an emoji).
_MAY_HOLD_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonParser(Parser):
    """django-ninja's JSON body parser, refusing text that is not Unicode with a 400 that
    says where (ninja reports a parser's error as the 400 it wraps; config/api.py answers
    with this one)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if _MAY_HOLD_SURROGATE.search(request.body):
            found = _lone_surrogate(data)
            if found is not None:
                raise ApiError(
                    400, "invalid_text",
                    "A string in the body holds half of a UTF-16 surrogate pair on its own "
                    "(an escape such as \\ud800 without its partner), which is not text. "
                    "Nothing was read or written.",
                    errors=[{**error_location(found), "message": "not valid Unicode text"}],
                )  # fmt: skip
        return data


def _lone_surrogate(data):
    """The path to the first string (a value or a key) holding a lone surrogate, or None."""
    stack = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return path
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if _SURROGATE.search(key):
                    return (*path, key)
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in reversed(list(enumerate(value))))
    return None


class Paging(Schema):
    """Every list's paging: its next page is asked for with the `next_cursor` it gave."""

    cursor: str | None = Field(None, description="The `next_cursor` of the previous page")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX, description="Rows per page")


# -- cursors -----------------------------------------------------------------------------
def encode_cursor(*values) -> str:
    """The position after the last row of a page, opaque to the client."""
    raw = json.dumps([str(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types) -> tuple | None:
    """The values `encode_cursor` wrote, read back as `types`; None for the first page. A
    cursor this API did not give is a 400 naming the parameter."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        return tuple(kind(value) for kind, value in zip(types, values, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, ArithmeticError):
        raise ApiError(
            400, "bad_cursor",
            "The cursor is not one this API gave: use the `next_cursor` of the previous page.",
            errors=[{"field": "cursor", "message": "not a cursor of this list"}],
        ) from None  # fmt: skip


def page(rows: list, limit: int, cursor_of) -> dict:
    """A page from `limit + 1` rows read: the rows, and the cursor of the next page if the
    extra row says there is one (no COUNT of the whole list)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": cursor_of(rows[-1]) if more and rows else None}


# -- Idempotency-Key ---------------------------------------------------------------------
KEY_HEADER = "Idempotency-Key"
# A request still marked as being written after this long died with its process: a retry
# may write it.
ABANDONED_AFTER = timedelta(minutes=10)
KEPT_FOR = timedelta(hours=24)


def idempotent(request, organization, write):
    """Run `write()` -> (status, body) once per Idempotency-Key of the organization: a
    request sent again with the same key and body gets the first answer and writes
    nothing; the same key with another body is refused. A refused write (an ApiError) is
    not kept: nothing was written, so the request may be sent again with the same key.
    Without the header, every request writes; the rows' natural keys (store and SKU, a
    sales line's reference) still make sending the same rows twice change nothing."""
    key = request.headers.get(KEY_HEADER, "")
    if not key:
        return write()
    if len(key) > 255:
        raise ApiError(400, "bad_idempotency_key", "An Idempotency-Key has at most 255 characters.")
    fingerprint = hashlib.sha256(
        b"\n".join([request.method.encode(), request.path.encode(), request.body])
    ).hexdigest()
    record = _claim(organization, key, request, fingerprint)
    if record.status:
        return record.status, {**record.response, "replayed": True}
    try:
        status, body = write()
    except BaseException:
        IdempotentRequest.objects.filter(pk=record.pk, status=0).delete()
        raise
    IdempotentRequest.objects.filter(pk=record.pk).update(status=status, response=body)
    return status, body


def _claim(organization, key, request, fingerprint):
    """The key's record: a new one (status 0) to write under, or the finished one."""
    fields = {"method": request.method, "path": request.path[:255], "fingerprint": fingerprint}
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(organization=organization, key=key, **fields)
    except IntegrityError:
        pass
    found = IdempotentRequest.objects.filter(organization=organization, key=key).first()
    if found is None:  # forgotten between our insert and this read: try once more
        return IdempotentRequest.objects.create(organization=organization, key=key, **fields)
    if found.fingerprint != fingerprint:
        raise ApiError(
            422, "idempotency_key_reused",
            "This Idempotency-Key was sent before with another request. Use a new key for a "
            "new request.",
        )  # fmt: skip
    if found.status:
        return found
    now = timezone.now()
    taken = IdempotentRequest.objects.filter(
        pk=found.pk, status=0, created_at__lt=now - ABANDONED_AFTER
    ).update(created_at=now)
    if taken:
        return found
    raise ApiError(
        409, "in_progress",
        "A request with this Idempotency-Key is being written now. Send it again in a moment "
        "to get its answer.",
        headers={"Retry-After": "1"},
    )  # fmt: skip


def forget_old_idempotency_keys() -> int:
    """Keys are kept a day: a client retries within minutes, not days."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    return deleted
