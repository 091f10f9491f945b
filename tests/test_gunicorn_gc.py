"""gunicorn.conf.py's post_worker_init: a worker loads its URLs (and the API's schemas)
before its first request and freezes what it has made so far out of the garbage
collector's way, so a full collection in a request no longer walks Django itself."""

import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import gc, runpy, sys
import django
django.setup()  # gunicorn has loaded config.wsgi before it calls the hook
hooks = runpy.run_path("gunicorn.conf.py")
hooks["post_worker_init"](None)
print(gc.get_freeze_count(), "config.api" in sys.modules)
"""


def test_a_worker_loads_its_urls_and_freezes_them_before_its_first_request():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "config.settings_test", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, populated = done.stdout.split()
    assert int(frozen) > 10_000 and populated == "True"
