"""Health checks for a load balancer or an orchestrator.

/healthz: the process is up and answers (nothing else is touched, the database included),
so a slow database never gets a healthy web process restarted.
/readyz: the database and the broker are reachable, so this process can do its work; 503
naming what failed otherwise (the details go to the log, not to whoever asks).

Both are answered by HealthCheckMiddleware, first in MIDDLEWARE: a probe speaks plain HTTP
to an internal address, so it must pass before the HTTPS redirect and the host check.
They are in the URLconf as well, so they have names and show in the every-URL walk.
"""

import logging

from celery import current_app as app
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
@login_not_required
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@login_not_required
def readyz(request):
    checks = {"database": _database(), "broker": _broker()}
    ready = all(state in ("ok", "in-process") for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.warning("Readiness: the database is unreachable.", exc_info=True)
        return "unreachable"
    return "ok"


def _broker():
    if app.conf.task_always_eager:
        return "in-process"  # jobs run inside the request: there is no broker to reach
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(
                max_retries=1, interval_start=0, timeout=app.conf.broker_connection_timeout
            )
    except Exception:
        logger.warning("Readiness: the broker is unreachable.", exc_info=True)
        return "unreachable"
    return "ok"


class HealthCheckMiddleware:
    PATHS = {"/healthz": healthz, "/readyz": readyz}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.PATHS.get(request.path_info.rstrip("/"))
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
