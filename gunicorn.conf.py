"""gunicorn, as Shelfshare runs it in production: `gunicorn` in the project folder reads
this file (README: "Running in production"). Every value can be changed by the
environment or on the command line (`gunicorn --workers 3`).

The web processes only answer pages: long work goes to the Celery workers, so a request
that takes longer than `timeout` is a bug, and its worker is restarted.
"""

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

wsgi_app = "config.wsgi:application"

# Behind a reverse proxy on the same host by default; PORT (a container, a platform) binds
# every interface.
bind = [f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else "127.0.0.1:8000"]
# Sync workers, two per core and one more: each page is short and the database does the
# waiting. WEB_CONCURRENCY overrides it, as gunicorn's own convention has it.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests, memory a long-lived process gathers given
# back. The limit of each is drawn between 1,000 and 1,500: workers share the requests
# evenly, and with limits within a tenth of each other (a jitter of 100) all three were
# replaced within 0.2 s, leaving none warm for a second or two: requests timed out.
max_requests = 1000
max_requests_jitter = 500
# The heartbeat file of each worker, in memory rather than on a container's disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Trust X-Forwarded-* only from these addresses (FORWARDED_ALLOW_IPS, gunicorn's default:
# the local host). Django trusts them separately, through TRUSTED_PROXY_COUNT.
accesslog = "-"
errorlog = "-"

DEBUG = os.environ.get("DEBUG", "off").lower() in ("1", "true", "on", "yes")
JSON_LOGS = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json") == "json"


class JsonLogger(Logger):
    """gunicorn's own lines as JSON objects, like the application's (core/logs.py); the
    access line carries the request id the application sent back in X-Request-ID."""

    def setup(self, cfg):
        super().setup(cfg)
        from core.logs import JsonFormatter

        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": atoms["r"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "remote_addr": atoms["h"],
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o"),
        }
        self.access_log.info(json.dumps(entry))


if JSON_LOGS:
    logger_class = JsonLogger


def post_worker_init(worker):
    """Load the URLs (and with them the API's schemas) before the first request, then move
    every object the worker has made so far out of the garbage collector's way
    (gc.freeze()): they live as long as the worker, and without this each full collection
    walks all of them again, about 75 ms in the middle of a request once every few large
    ones (a 10,000-row API batch, a big export)."""
    import gc
    import logging

    try:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 (imports every app's urls and the API)
    except Exception:
        # The first request reports a broken URLconf, as it would without this hook.
        logging.getLogger("gunicorn.error").exception("Could not load the URLs at start")
    gc.collect()
    gc.freeze()
