"""`make loadtest`: Shelfshare under fifty simulated users, as it runs in production.

    python -m bench.loadtest.run          # 50 users for 5 minutes
    LOADTEST_USERS=10 LOADTEST_MINUTES=1 python -m bench.loadtest.run

Makes a fresh PostgreSQL database (LOADTEST_DATABASE_URL, dropped and created again),
loads the demo data (seed_demo) plus the load test's logins and tasks (seed.py), then
starts gunicorn with the repo's gunicorn.conf.py (DEBUG off), a Celery worker on every
queue and beat, all on PostgreSQL and Redis (LOADTEST_REDIS_URL; the queues get a prefix of
their own, so other workers on that Redis never take these jobs). Once /readyz answers and
the seed's jobs are done, locust runs headless (locustfile.py). Afterwards it prints, per
page, the requests, failures, p50 and p95, and checks:

- no failed request, no 5xx, no error or traceback in the web, worker or beat logs;
- every adjustment locust saw accepted is one audit row (inventory.Adjustment), and none
  other was written; each stock row's audit rows follow one another (each starts from the
  on hand the one before left) and its final on hand is its starting value plus the sum of
  their changes, recomputed here in plain Python; the same for task updates;
- every "Load data from all connections" run ended done, without an error.

It exits non-zero when a check fails. The processes it starts are stopped at the end, on
Ctrl-C or on failure too; their logs stay in the folder it prints."""

import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

from bench.common import machine_seconds

ROOT = Path(__file__).resolve().parents[2]
USERS = int(os.environ.get("LOADTEST_USERS", "50"))
MINUTES = float(os.environ.get("LOADTEST_MINUTES", "5"))
DATABASE_URL = os.environ.get(
    "LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shelfshare_loadtest"
)
REDIS_URL = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/5")
QUEUE_PREFIX = f"loadtest-{os.getpid()}-"
QUEUES = ("emails", "imports", "rollups", "default")
# How long a user may take to finish what it is doing once the time is up: a save in
# flight is answered, so every accepted one is known.
STOP_TIMEOUT = 60


class Stopped(Exception):
    """SIGTERM: stop like Ctrl-C, through the same clean-up."""


def main():
    signal.signal(signal.SIGTERM, _raise_stopped)
    # Ctrl-C stops the run even when a shell started it in the background (which ignores it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    folder = Path(tempfile.mkdtemp(prefix="shelfshare-loadtest-"))
    print(f"Shelfshare load test: {USERS} users for {MINUTES:g} min; logs in {folder}")
    print(f"  machine: a fixed Python loop took {machine_seconds():.3f} s (median of 5), "
          f"{os.cpu_count()} cores, {_load()}")  # fmt: skip
    env = _app_env(folder)
    processes = Processes(folder)
    try:
        _prepare_database(env, folder)
        config = folder / "config.json"
        config.write_text(json.dumps(_seed_for_locust(env)))
        port = _free_port()
        _start(processes, env, port)
        _wait_for_jobs("the seed's jobs", timeout=600)
        before = _snapshot()
        locust_code = _run_locust(processes, env, folder, config, port)
        _wait_for_load_runs(before)
        _wait_for_jobs("the jobs queued during the run", timeout=600)
    except (KeyboardInterrupt, Stopped):
        print("\nStopped: stopping the processes.")
        return 130
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop_all()
        _clear_queues()
    if not (folder / "outcomes.json").exists():
        print(f"\nlocust wrote no outcomes: see {folder / 'locust.log'}")
        return 1
    outcomes = json.loads((folder / "outcomes.json").read_text())
    _print_figures(outcomes, _server_times(folder))
    ok = _check(outcomes, before, folder, locust_code)
    print("\nAll checks passed." if ok else "\nSome checks FAILED.")
    return 0 if ok else 1


def _raise_stopped(signum, frame):
    raise Stopped


def _load():
    """The machine's load average: other work on it slows every figure."""
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


# -- The application's processes --------------------------------------------------------


class Processes:
    """Child processes, each in a process group of its own (gunicorn's and Celery's
    workers with it), stopped together: SIGTERM, then SIGKILL to what is left."""

    def __init__(self, folder):
        self.folder = folder
        self.running = []

    def start(self, name, args, env):
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 (closed in stop_all)
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append((name, process, log))
        return process

    def check_alive(self):
        for name, process, _ in self.running:
            if process.poll() is not None and name != "locust":
                raise SystemExit(f"{name} exited with {process.returncode}: see {name}.log")

    def stop_all(self):
        for _, process, _ in reversed(self.running):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 90  # a worker finishes its job (warm shutdown)
        for _, process, log in reversed(self.running):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(process, signal.SIGKILL)  # its children too, whatever it did
            process.wait()
            log.close()
        self.running = []


def _signal_group(process, signum):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _app_env(folder):
    """Production settings, on this machine: DEBUG off, plain HTTP to gunicorn itself."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "LOADTEST_")) and k not in ("DEBUG",)
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="off",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="off",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        CELERY_QUEUE_PREFIX=QUEUE_PREFIX,
        EMAIL_URL=f"file://{folder / 'mail'}",
        MEDIA_ROOT=str(folder / "media"),
        VAR_DIR=str(folder / "var"),
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def _prepare_database(env, folder):
    import psycopg

    base, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    for step, args in (
        ("Migrating a fresh database", ["migrate", "--noinput"]),
        ("Collecting static files", ["collectstatic", "--noinput"]),
        # A throwaway site: the demo's published password is what the users log in with.
        ("Loading the demo data (seed_demo)", ["seed_demo", "--allow-production"]),
    ):
        print(f"  {step}...", flush=True)
        _manage(env, folder, *args)


def _manage(env, folder, *args):
    with open(folder / "prepare.log", "a") as log:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed: see {folder / 'prepare.log'}")


def _seed_for_locust(env):
    """Django in this process too, on the same database: the extra seed, and later the
    snapshot and the checks."""
    os.environ.update(env)
    import django

    django.setup()
    from bench.loadtest.seed import prepare

    print("  Adding the load test's logins and tasks...", flush=True)
    return prepare()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(processes, env, port):
    bin_dir = Path(sys.executable).parent
    queues = ",".join(f"{QUEUE_PREFIX}{q}" for q in QUEUES)
    print(f"  Starting gunicorn on 127.0.0.1:{port}, a Celery worker and beat...", flush=True)
    processes.start(
        "worker",
        [str(bin_dir / "celery"), "-A", "config", "worker", "--loglevel=info",
         "--concurrency=2", f"--queues={queues}", f"--hostname=loadtest-{os.getpid()}@%h"],
        env,
    )  # fmt: skip
    processes.start(
        "beat",
        [str(bin_dir / "celery"), "-A", "config", "beat", "--loglevel=info",
         f"--schedule={env['VAR_DIR']}/celerybeat-schedule"],
        env,
    )  # fmt: skip
    Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    processes.start(
        "web",
        [str(bin_dir / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        env,
    )
    deadline = time.monotonic() + 60
    while True:
        processes.check_alive()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit("/readyz did not answer 200 within 60 s: see web.log")
        time.sleep(0.5)


def _redis():
    import redis

    return redis.Redis.from_url(REDIS_URL)


def _wait_for_jobs(what, timeout):
    """Until this run's queues are empty and no job is being worked on, for 3 s running."""
    print(f"  Waiting for {what}...", flush=True)
    client = _redis()
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        waiting = sum(client.llen(f"{QUEUE_PREFIX}{q}") for q in QUEUES)
        working = client.hlen("unacked")
        if waiting or working:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 3:
            return
        time.sleep(0.5)
    raise SystemExit(f"The worker did not finish {what} within {timeout} s: see worker.log")


def _clear_queues():
    try:
        client = _redis()
        for key in client.scan_iter(f"*{QUEUE_PREFIX}*"):
            client.delete(key)
    except Exception as error:  # the figures matter more than a tidy Redis
        print(f"  (could not clear this run's queues from Redis: {error})")


def _run_locust(processes, env, folder, config, port):
    seconds = round(MINUTES * 60)
    print(f"  Running locust: {USERS} users for {seconds} s...", flush=True)
    locust_env = {
        **env,
        "LOADTEST_CONFIG": str(config),
        "LOADTEST_OUTCOMES": str(folder / "outcomes.json"),
    }
    process = processes.start(
        "locust",
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/loadtest/locustfile.py"),
         "--headless", "--users", str(USERS), "--spawn-rate", str(max(1, USERS // 10)),
         "--run-time", f"{seconds}s", "--stop-timeout", str(STOP_TIMEOUT),
         "--host", f"http://127.0.0.1:{port}", "--csv", str(folder / "locust"), "--only-summary"],
        locust_env,
    )  # fmt: skip
    deadline = time.monotonic() + seconds + STOP_TIMEOUT + 120
    while process.poll() is None:
        processes.check_alive()
        if time.monotonic() > deadline:
            raise SystemExit("locust did not stop in time: see locust.log")
        time.sleep(1)
    print(f"  locust exited with {process.returncode}; {_load()}.", flush=True)
    return process.returncode


# -- What the database says ---------------------------------------------------------------


def _snapshot():
    """The state the checks start from, read just before locust starts."""
    from accounts.models import Organization
    from aggregation.models import LoadRun
    from inventory.models import Adjustment, Stock
    from tasks.models import Task, TaskUpdate

    retailer = Organization.objects.get(name="Heartland Mart")
    return {
        "stock": {
            pk: (store_id, product_id, on_hand)
            for pk, store_id, product_id, on_hand in Stock.objects.filter(
                organization=retailer
            ).values_list("pk", "store_id", "product_id", "on_hand")
        },
        "tasks": dict(Task.objects.values_list("pk", "percent_done")),
        "last_adjustment": _last_pk(Adjustment),
        "last_task_update": _last_pk(TaskUpdate),
        "last_load_run": _last_pk(LoadRun),
    }


def _last_pk(model):
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def _wait_for_load_runs(before, timeout=600):
    from aggregation.models import LoadRun

    deadline = time.monotonic() + timeout
    running = LoadRun.objects.filter(
        pk__gt=before["last_load_run"], status__in=[LoadRun.Status.QUEUED, LoadRun.Status.RUNNING]
    )
    while running.exists() and time.monotonic() < deadline:
        time.sleep(1)


# -- Figures and checks -------------------------------------------------------------------


def _percentile(values, p):
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _server_times(folder):
    """gunicorn's time for each answer by request id, from its access log."""
    return {
        entry["request_id"]: float(entry["duration_ms"])
        for entry in _log_entries(folder / "web.log")
        if entry.get("logger") == "gunicorn.access" and entry.get("request_id")
    }


def _print_figures(outcomes, server_times):
    """Per page: as locust saw it (the wait for a free gunicorn worker included), and
    gunicorn's own time for the same answers."""
    times, failures, ids = outcomes["times"], outcomes["failures"], outcomes["request_ids"]
    served = {
        name: [server_times[i] for i in ids.get(name, []) if i in server_times] for name in times
    }
    width = max(len(name) for name in [*times, "overall"])
    print(f"\n{'':{width}}                     as locust saw it    gunicorn's own time")
    print(f"{'page':{width}}  requests  failures   p50 ms   p95 ms     p50 ms   p95 ms")

    def line(name, values, failed, server):
        figures = (
            f"{_percentile(server, 50):7.0f}  {_percentile(server, 95):7.0f}" if server else ""
        )
        print(
            f"{name:{width}}  {len(values):8d}  {failed:8d}  {_percentile(values, 50):7.0f}"
            f"  {_percentile(values, 95):7.0f}    {figures}"
        )

    for name in sorted(times):
        line(name, times[name], failures.get(name, 0), served[name])
    every = [t for values in times.values() for t in values]
    if every:
        line("overall", every, sum(failures.values()), [t for v in served.values() for t in v])
    seconds = round(MINUTES * 60)
    print(f"{len(every)} requests in {seconds} s: {len(every) / seconds:.1f} a second")
    print(
        f"\nsaves: {len(outcomes['adjustments'])} adjustments accepted, "
        f"{outcomes['stale_adjustments']} refused as stale; {len(outcomes['task_updates'])} task "
        f"updates accepted, {outcomes['stale_task_updates']} refused as stale; "
        f"{len(outcomes['load_runs'])} load runs"
    )


def _check(outcomes, before, folder, locust_code):
    from django.db import connection

    connection.close()  # a fresh connection after the minutes of waiting
    results = [
        ("no failed request", _no_failures(outcomes, locust_code)),
        ("no 5xx answer in the access log", _no_server_errors(folder)),
        ("no error or traceback in the web, worker and beat logs", _no_logged_errors(folder)),
        ("every save was answered", _all_answered(outcomes)),
        ("every accepted adjustment is one audit row", _adjustments_accounted(outcomes, before)),
        ("every stock row's on hand is its start plus its audit rows", _stock_adds_up(before)),
        ("every accepted task update is one timeline row", _task_updates_accounted(outcomes, before)),
        ("every load run ended done, without an error", _load_runs_done(outcomes, before)),
    ]  # fmt: skip
    print("\nchecks:")
    for title, problems in results:
        print(f"  {'ok  ' if not problems else 'FAIL'} {title}")
        for problem in problems[:10]:
            print(f"         {problem}")
        if len(problems) > 10:
            print(f"         ... and {len(problems) - 10} more")
    return not any(problems for _, problems in results)


def _no_failures(outcomes, locust_code):
    problems = [f"{name}: {n} failed" for name, n in outcomes["failures"].items() if n]
    if locust_code not in (0, None) and not problems:
        problems.append(f"locust exited with {locust_code}")
    return problems


def _log_entries(path):
    """A log's lines: JSON objects (the app's, gunicorn's, Celery's through LOGGING), or
    plain text for whatever writes past the logging setup."""
    if not path.exists():
        return
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"message": line}
        yield entry if isinstance(entry, dict) else {"message": line}


def _no_server_errors(folder):
    return [
        f"{entry.get('status')} {entry.get('method')} {entry.get('path')}"
        for entry in _log_entries(folder / "web.log")
        if entry.get("logger") == "gunicorn.access" and str(entry.get("status", "")).startswith("5")
    ]


def _no_logged_errors(folder):
    problems = []
    for name in ("web", "worker", "beat"):
        for entry in _log_entries(folder / f"{name}.log"):
            text = f"{entry.get('message', '')} {entry.get('exception', '')}"
            if entry.get("level") in ("ERROR", "CRITICAL") or "Traceback" in text:
                problems.append(f"{name}: {text.strip()[:300]}")
    return problems


def _all_answered(outcomes):
    return [f"no answer to a save of {url}" for url in outcomes["unanswered_saves"]]


def _new_adjustments(before):
    from inventory.models import Adjustment

    return list(
        Adjustment.objects.filter(pk__gt=before["last_adjustment"])
        .order_by("pk")
        .values("pk", "store_id", "product_id", "on_hand_before", "on_hand_after", "kind")
    )


def _adjustments_accounted(outcomes, before):
    """The audit rows written during the run are exactly the saves locust saw accepted:
    as many, and the same (row, before, after, reason) each."""
    stock_of = {(s, p): pk for pk, (s, p, _) in before["stock"].items()}
    rows = _new_adjustments(before)
    written = Counter(
        (stock_of.get((a["store_id"], a["product_id"])), a["on_hand_before"], a["on_hand_after"],
         a["kind"])
        for a in rows
    )  # fmt: skip
    seen = Counter(
        (a["stock"], a["before"], a["after"], a["kind"]) for a in outcomes["adjustments"]
    )
    problems = []
    if len(rows) != len(outcomes["adjustments"]):
        problems.append(
            f"{len(outcomes['adjustments'])} adjustments accepted, {len(rows)} audit rows written"
        )
    problems += [f"accepted, no audit row: {key}" for key in (seen - written)]
    problems += [f"audit row, never accepted: {key}" for key in (written - seen)]
    print(f"\naudit: {len(rows)} adjustment rows written during the run")
    return problems


def _stock_adds_up(before):
    """For every stock row, from the database now: final on hand = starting on hand + the
    sum of its audit rows' changes, and each audit row starts where the one before ended
    (a lost update breaks that chain)."""
    from inventory.models import Stock

    by_row = defaultdict(list)
    for a in _new_adjustments(before):
        by_row[(a["store_id"], a["product_id"])].append(a)
    final = dict(Stock.objects.filter(pk__in=before["stock"]).values_list("pk", "on_hand"))
    problems = []
    for pk, (store_id, product_id, start) in before["stock"].items():
        changes = by_row.get((store_id, product_id), [])
        expected = start + sum(a["on_hand_after"] - a["on_hand_before"] for a in changes)
        if final.get(pk) != expected:
            problems.append(f"stock {pk}: on hand {final.get(pk)}, expected {expected}")
        level = start
        for a in changes:
            if a["on_hand_before"] != level:
                problems.append(
                    f"stock {pk}: adjustment {a['pk']} starts at {a['on_hand_before']}, "
                    f"the row was at {level}"
                )
            level = a["on_hand_after"]
    rows = sum(1 for changes in by_row.values() if changes)
    print(f"audit: {rows} stock rows adjusted; {len(before['stock'])} rows recomputed")
    return problems


def _task_updates_accounted(outcomes, before):
    from tasks.models import Task, TaskUpdate

    updates = list(
        TaskUpdate.objects.filter(pk__gt=before["last_task_update"])
        .order_by("pk")
        .values("pk", "task_id", "percent_before", "percent_after")
    )
    written = Counter((u["task_id"], u["percent_before"], u["percent_after"]) for u in updates)
    seen = Counter((u["task"], u["before"], u["after"]) for u in outcomes["task_updates"])
    problems = []
    if len(updates) != len(outcomes["task_updates"]):
        problems.append(
            f"{len(outcomes['task_updates'])} updates accepted, {len(updates)} timeline rows"
        )
    problems += [f"accepted, no timeline row: {key}" for key in (seen - written)]
    problems += [f"timeline row, never accepted: {key}" for key in (written - seen)]
    level = dict(before["tasks"])
    for u in updates:
        if u["percent_before"] != level.get(u["task_id"]):
            problems.append(
                f"task {u['task_id']}: update {u['pk']} starts at {u['percent_before']}%, "
                f"the task was at {level.get(u['task_id'])}%"
            )
        level[u["task_id"]] = u["percent_after"]
    final = dict(Task.objects.filter(pk__in=level).values_list("pk", "percent_done"))
    problems += [
        f"task {pk}: {final.get(pk)}%, its timeline ends at {percent}%"
        for pk, percent in level.items()
        if final.get(pk) != percent
    ]
    return problems


def _load_runs_done(outcomes, before):
    from aggregation.models import LoadRun

    runs = list(LoadRun.objects.filter(pk__gt=before["last_load_run"]).order_by("pk"))
    problems = [
        f"load run {run.pk}: {run.status}, {run.message or run.errors}"
        for run in runs
        if run.status != LoadRun.Status.DONE or run.errors
    ]
    missing = set(outcomes["load_runs"]) - {run.pk for run in runs}
    problems += [f"load run {pk} was pressed but is not in the database" for pk in missing]
    if not runs and MINUTES >= 1:
        problems.append("no load run was started")
    print(f"audit: {len(runs)} load runs: " + ", ".join(f"{r.pk} {r.status}" for r in runs))
    return problems


if __name__ == "__main__":
    sys.exit(main())
