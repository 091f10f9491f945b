"""Shared set-up for benchmarks: Django on PostgreSQL (they measure the real thing)."""

import os
import signal
import socket
import statistics
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shelfshare_bench"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "on")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("REDIS_URL", None)
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from config.celery import app

    app.conf.task_always_eager = True  # jobs in-process: we time the work, not the queue
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(url):
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def peak_rss_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_rows(cursor, table, columns, rows):
    """Stream rows into a table with COPY: the fast way to make a benchmark's data."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def trials(module, runs):
    """Run `python -m module --trial` `runs` times in fresh processes; each prints one
    line of key=value figures. Fresh processes keep peak memory honest."""
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-m", module, "--trial"], capture_output=True, text=True
        )
        if done.returncode:
            # A failed trial (an assertion, a memory guard) must say why, not only its exit code.
            raise SystemExit(f"{module} trial failed ({done.returncode}):\n{done.stderr[-3000:]}")
        line = done.stdout.strip().splitlines()[-1]
        results.append({k: float(v) for k, v in (kv.split("=") for kv in line.split())})
    return results


def machine_seconds():
    """The median time of a fixed pure-Python loop (parse, format, look up), printed with
    every report: these machines' speed varies several-fold from day to day, so a figure
    means something only next to this one."""
    import time

    def loop():
        started = time.perf_counter()
        seen = {}
        for i in range(300_000):
            text = f"{i % 9973},{i % 89}.{i % 100:02d}"
            number, cents = text.split(",")
            seen[number] = seen.get(number, 0) + float(cents)
        return time.perf_counter() - started

    return statistics.median(loop() for _ in range(5))


def report(title, results, targets):
    print(f"{title} ({len(results)} runs, fresh process each)")
    print(f"  machine: a fixed Python loop took {machine_seconds():.3f} s (median of 5)")
    ok = True
    for key in results[0]:
        values = [r[key] for r in results]
        median = statistics.median(values)
        line = f"  {key:<28} median {median:9.2f}   runs: " + ", ".join(f"{v:.2f}" for v in values)
        if key in targets:
            passed = median < targets[key]
            ok &= passed
            line += f"   target < {targets[key]}: {'ok' if passed else 'MISSED'}"
        print(line)
    return ok


ROOT = Path(__file__).resolve().parent.parent


def free_port():
    """A port nothing listens on now (a fixed one may be taken by a development server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(log_name, *, workers=3, env=None, args=()):
    """The project served as in production (DEBUG off, static files collected, the
    project's gunicorn.conf.py) on a free port of 127.0.0.1; yields the base URL, and
    stops the server on leaving. Its error log: /tmp/bench-<log_name>-gunicorn.log."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "off",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "off",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "smtp://127.0.0.1:1025",
        **(env or {}),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=environment, check=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-w", str(workers),
         "-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
         "--error-logfile", f"/tmp/bench-{log_name}-gunicorn.log", *args],
        cwd=ROOT, env=environment,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
