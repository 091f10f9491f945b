"""Log lines carry the request id (the proxy's X-Request-ID or a new one) and the
organization the request acts for; in production each is one JSON object."""

import io
import json
import logging
import sys

import pytest
from django.urls import reverse

from core.logs import JsonFormatter, RequestContextFilter
from tests.test_settings import PRODUCTION_LIKE, manage

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """What django.request logs during the test, as the production handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_a_log_line_names_the_proxys_request_id_and_the_organization(owner_client, org, json_lines):
    url = reverse("partners:detail", args=[987654])
    response = owner_client.get(url, headers={"X-Request-ID": "edge-7f3a-0001"})
    assert response.status_code == 404
    assert response["X-Request-ID"] == "edge-7f3a-0001"
    (line,) = json_lines()
    assert line["message"] == f"Not Found: {url}"
    assert (line["level"], line["logger"]) == ("WARNING", "django.request")
    assert (line["request_id"], line["organization_id"]) == ("edge-7f3a-0001", org.pk)
    assert line["time"].endswith("+00:00")


def test_without_a_usable_id_the_request_gets_its_own(client, json_lines):
    first = client.get("/no/such/page", headers={"X-Request-ID": 'bad id"\n'})
    second = client.get("/no/such/page")
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    assert [line["request_id"] for line in json_lines()] == ids
    assert {line["organization_id"] for line in json_lines()} == {None}


def test_outside_a_request_the_ids_are_empty_and_a_traceback_is_kept():
    record = logging.LogRecord("shelfshare", logging.ERROR, __file__, 1, "failed %s", ("x",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["request_id"], line["organization_id"]) == (
        "failed x",
        None,
        None,
    )
    assert "ValueError: boom" in line["exception"]


def test_production_settings_write_json_lines():
    result = manage(
        "shell", "-c", "import logging; logging.getLogger('shelfshare').warning('ready')",
        **PRODUCTION_LIKE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["message"], line["level"], line["request_id"]) == ("ready", "WARNING", None)
