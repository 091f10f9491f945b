"""The processes of `make run` on the embedded default (SQLite, the filesystem broker under
var/, no Redis), started exactly as the Procfile says, on files in a test's own folder."""

import contextlib
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
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
    """SIGTERM the process's group, then SIGKILL whatever of it is left: a Celery pool child
    busy in a job outlives its parent's warm shutdown, and would live on as an orphan."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


PASSWORD = "embedded-passphrase-1"
OWNER = "owner@embedded.test"


def seed_script(children, products):
    """A master account "Embedded Group" owned by OWNER, over `children` CSV children with
    `products` products each in one store (K00000.. with i % 40 on hand)."""
    return textwrap.dedent(
        f"""
        from django.core.files.base import ContentFile
        from accounts.models import Membership, Organization, User
        from aggregation.models import Connection, MasterAccount, SourceFile

        owner = User.objects.create_user(email="{OWNER}", password="{PASSWORD}")
        group = Organization.objects.create(name="Embedded Group", is_retailer=True)
        Membership.objects.create(user=owner, organization=group, role=Membership.Role.OWNER)
        master = MasterAccount.objects.create(organization=group)
        files = {{
            "stores": b"Store number,Name\\n1,Online shop\\n",
            "products": b"sku,name\\n" + b"".join(
                b"K%05d,Item %d\\n" % (i, i) for i in range({products})
            ),
            "stock": b"store,sku,on_hand,on_order\\n" + b"".join(
                b"1,K%05d,%d,0\\n" % (i, i % 40) for i in range({products})
            ),
        }}
        for n in range({children}):
            child = Organization.objects.create(name=f"Shop {{n}}", is_retailer=True)
            connection = Connection.objects.create(master=master, child=child, kind="csv")
            for kind, content in files.items():
                SourceFile.objects.create(
                    connection=connection, kind=kind, original_name=f"{{kind}}.csv",
                    file=ContentFile(content, name=f"{{kind}}.csv"),
                )
        """
    )


def stores_file(path, count):
    """A store list of `count` stores; returns its rows (number, name, city)."""
    rows = [(str(n), f"Store {n}", f"Town {n % 97}") for n in range(1, count + 1)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([("Store Number", "Name", "City"), *rows])
    path.write_text(text.getvalue())
    return rows


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url, web, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert web.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (http://127.0.0.1)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the web server did not answer within {timeout} s")


@contextlib.contextmanager
def running_site(folder, *, children, products):
    """The Procfile's three processes on `folder`'s own files, with the seed above; yields
    the site's URL and its database file."""
    port = free_port()
    env = embedded_env(folder, WEB_PORT=str(port))
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "shell", "-c", seed_script(children, products))
    processes, logs = [], []
    try:
        for name, command in procfile().items():
            log = folder / f"{name}.log"
            logs.append(log.open("w"))
            processes.append(start(command, env, logs[-1]))
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/healthz", processes[0], folder / "web.log")
        yield url, folder / "db.sqlite3"
    finally:
        for process in processes:
            stop(process)
        for log in logs:
            log.close()
