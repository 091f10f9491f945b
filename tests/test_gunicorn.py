"""gunicorn.conf.py: the production web server starts from the repository's config, answers
the health check, and logs JSON lines that carry the request id."""

import json
import os
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT, closed_port
from tests.test_settings import PRODUCTION_LIKE


def test_gunicorn_serves_with_the_repository_config_and_logs_json(tmp_path):
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env |= PRODUCTION_LIKE | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "lb-probe-42"}
            )
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                        assert response.status == 200
                        assert response.headers["X-Request-ID"] == "lb-probe-42"
                        break
                except OSError:
                    assert server.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert access[-1]["path"] == "/healthz"
    assert (access[-1]["status"], access[-1]["request_id"]) == (200, "lb-probe-42")
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # "Booting worker", as JSON
