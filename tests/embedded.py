"""The processes of `make run` on the embedded default (SQLite, the filesystem broker under
var/, no Redis), started exactly as the Procfile says, on files in a test's own folder."""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def procfile():
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = command.strip()
    return processes


def embedded_env(folder, **extra):
    """The environment `make run` gives its processes, with nothing but files in `folder`."""
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DJANGO_", "PYTEST_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "MEDIA_ROOT", "VAR_DIR")
    }
    return keep | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "on",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "VAR_DIR": str(folder / "var"),
        "MEDIA_ROOT": str(folder / "media"),
        "EMAIL_URL": f"file://{folder / 'mail'}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **extra,
    }


def manage(env, *args, timeout=300):
    """Run `manage.py *args` in the embedded environment; fail with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def start(command, env, log):
    # A session of its own, so stopping it stops the worker's pool processes too.
    return subprocess.Popen(
        ["/bin/sh", "-c", command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
