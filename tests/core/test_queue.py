"""core/queue.py: a job queued from a request never fails it, whatever the broker does."""

import logging
import re
import time
from pathlib import Path

import pytest
from celery import shared_task
from django.db import transaction

from core.jobs import send_outbox_email
from core.queue import enqueue, enqueue_on_commit

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ["core", "accounts", "partners", "inventory", "tasks", "aggregation", "demo", "config"]


@shared_task(name="tests.core.explode")
def explode():
    raise ZeroDivisionError("the job's own bug")


def test_a_broker_that_is_down_is_logged_and_given_up_at_once(broker_down, caplog):
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.queue"):
        assert enqueue(send_outbox_email, 12345) is False
    assert time.monotonic() - started < 2
    assert "Could not queue core.send_outbox_email(12345,)" in caplog.text
    assert "the broker is unreachable" in caplog.text


def test_queued_on_commit_nothing_fails_the_commit(broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(send_outbox_email, 1)
        enqueue_on_commit(send_outbox_email, 2)
    assert len(callbacks) == 2  # the first failure did not stop the second attempt


def test_a_rolled_back_change_queues_nothing(django_capture_on_commit_callbacks):
    rolled_back = pytest.raises(RuntimeError)
    with django_capture_on_commit_callbacks() as callbacks, rolled_back, transaction.atomic():
        enqueue_on_commit(explode)
        raise RuntimeError("rolled back")
    assert callbacks == []


def test_in_process_a_jobs_own_error_still_shows(django_capture_on_commit_callbacks):
    # Only the broker's errors are swallowed: a bug in a job run in-process is not hidden.
    with pytest.raises(ZeroDivisionError), django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(explode)


def test_every_job_is_queued_through_core_queue():
    """A job queued any other way from app code (delay_on_commit, on_commit(...delay)) would
    fail its request when the broker is down. Jobs may queue jobs: a worker's failure is
    retried, so jobs.py files are left out."""
    direct = re.compile(r"\.(delay|delay_on_commit|apply_async|apply_async_on_commit)\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if path.name != "jobs.py" and path != ROOT / "core" / "queue.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if direct.search(line)
    ]
    assert offenders == []


def test_after_a_failure_the_broker_is_left_alone_for_a_while(broker_down, monkeypatch):
    # A broker that drops packets costs a connect timeout per try: one request queueing
    # three emails, and the requests right after it, must not pay it each time.
    tries = []
    real = send_outbox_email.apply_async

    def counted(*args, **kwargs):
        tries.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(send_outbox_email, "apply_async", counted)
    assert [enqueue(send_outbox_email, pk) for pk in (1, 2, 3)] == [False, False, False]
    assert len(tries) == 1
    monkeypatch.setattr("core.queue._paused_until", time.monotonic() - 1)  # the pause is over
    assert enqueue(send_outbox_email, 4) is False
    assert len(tries) == 2
