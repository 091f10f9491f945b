"""/healthz says the process is up; /readyz that the database and the broker answer."""

import os
import time

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_the_database(client, monkeypatch, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-store" in response["Cache-Control"]


def test_readyz_with_everything_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    # The embedded default runs jobs in-process: no broker to reach, and that is ready.
    assert response.json() == {"status": "ok", "database": "ok", "broker": "in-process"}


def test_readyz_says_503_and_what_failed_when_the_broker_is_down(client, broker_down):
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}
    assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_readyz_says_503_when_the_database_is_down(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200


def test_probes_pass_the_https_redirect_and_the_host_check(client, settings):
    # A load balancer probes over plain HTTP at an internal address.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["shelfshare.example.com"]
    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/account/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
def test_readyz_reaches_a_real_broker(client, broker_down, settings):
    broker_down(settings.CELERY_BROKER_URL)  # Redis, with jobs queued rather than in-process
    response = client.get("/readyz")
    assert (response.status_code, response.json()["broker"]) == (200, "ok")
