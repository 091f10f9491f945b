"""Log lines that say which request, organization and job they come from.

RequestIdMiddleware gives every request an id: the X-Request-ID header of the proxy in
front (so its access log and ours match), or a new one. The id goes back in the response
header and, with the organization the request acts for (set by accounts.tenancy once it
is known), into every log line written while the request runs. In production the lines
are JSON objects (JsonFormatter, LOG_FORMAT=json), one per line, for a log collector.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from django.core.signals import request_finished

request_id = contextvars.ContextVar("request_id", default=None)
organization_id = contextvars.ContextVar("organization_id", default=None)

# What a proxy's id may look like; anything else (too long, spaces, quotes) is replaced.
GIVEN_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def set_organization(pk: int | None) -> None:
    organization_id.set(pk)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        # Set, not reset on the way out: Django logs a 4xx or 5xx after the middleware has
        # returned. The values are cleared when the request is finished (below).
        request_id.set(request.request_id)
        organization_id.set(None)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def _forget(**kwargs):
    request_id.set(None)
    organization_id.set(None)


request_finished.connect(_forget, dispatch_uid="core.logs.forget")


class RequestContextFilter(logging.Filter):
    """Puts the request id, the organization id and the running job (if any) on each
    record, for any formatter to use."""

    def filter(self, record):
        record.request_id = getattr(record, "request_id", None) or request_id.get()
        record.organization_id = getattr(record, "organization_id", None) or organization_id.get()
        task = _current_task()
        record.task = task.name if task else None
        record.task_id = task.request.id if task else None
        return True


def _current_task():
    from celery import current_task

    return current_task if current_task and current_task.request.id else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id,
    organization_id, the job (task, task_id) in a worker, and the traceback if any."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "organization_id": getattr(record, "organization_id", None),
        }
        if getattr(record, "task", None):
            entry["task"], entry["task_id"] = record.task, record.task_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
