import contextlib
import os
import shutil

import pytest
from django.test import Client

from accounts.models import Membership
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from tests.shop import shop  # noqa: F401 (a fixture, used across packages)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(monkeypatch):
    """Each test counts its own attempts: the cache outlives a test (locmem in a process,
    Redis across runs), and clearing Redis would clear the broker's queues with it."""
    import uuid

    monkeypatch.setattr("core.throttle.KEY_PREFIX", f"throttle-test-{uuid.uuid4().hex}")


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Heartland Test Mart")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Elsewhere Retail")


@pytest.fixture
def owner(org):
    return MembershipFactory(
        organization=org, role=Membership.Role.OWNER, user__email="owner@heartland.test"
    ).user


@pytest.fixture
def admin_user(org):
    return MembershipFactory(
        organization=org, role=Membership.Role.ADMIN, user__email="admin@heartland.test"
    ).user


@pytest.fixture
def member(org):
    return MembershipFactory(
        organization=org, role=Membership.Role.MEMBER, user__email="member@heartland.test"
    ).user


@pytest.fixture
def outsider(other_org):
    return MembershipFactory(
        organization=other_org, role=Membership.Role.OWNER, user__email="outsider@elsewhere.test"
    ).user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def member_client(member):
    return client_for(member)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def password():
    return PASSWORD


# -- Tests that need a real Celery worker (marked `worker`) -----------------------------


def pytest_collection_modifyitems(config, items):
    if os.environ.get("REDIS_URL"):
        return
    skip = pytest.mark.skip(
        reason="needs a real Celery worker: set REDIS_URL and DATABASE_URL (PostgreSQL); "
        ".ci/run does"
    )
    for item in items:
        if "worker" in item.keywords:
            item.add_marker(skip)


# -- Fail the run on any skip when CI asks for it ----------------------------------------


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("SHELFSHARE_FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"SHELFSHARE_FAIL_ON_SKIP=1: {skipped} test(s) were skipped; this run requires all.",
            red=True,
        )
        session.exitstatus = 1


def chromium_path():
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


# -- A real Celery worker on Redis, for tests marked `worker` ---------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def _database_url(settings_dict):
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def job_routes(prefix):
    """The settings' routes with every queue name prefixed: (routes, default queue, queues)."""
    from django.conf import settings

    queues = [f"{prefix}{queue}" for queue in settings.JOB_QUEUES]
    routes = {
        job: {"queue": f"{prefix}{queue}"}
        for queue, jobs in settings.JOB_QUEUES.items()
        for job in jobs
    }
    return routes, f"{prefix}default", queues


def start_worker(*, name, env, log_path, extra_args=()):
    """Start `celery worker` (solo pool: a job runs in the process itself, so killing the
    process kills the job) on the queues named by env's CELERY_QUEUE_PREFIX, and wait until
    it answers a ping. Returns the process."""
    import socket
    import subprocess
    import sys
    import time

    from config.celery import app

    _, _, queues = job_routes(env["CELERY_QUEUE_PREFIX"])
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
        "--loglevel=info", "--without-gossip", "--without-mingle",
        f"--queues={','.join(queues)}", f"--hostname={name}@%h", *extra_args,
    ]  # fmt: skip
    log = open(log_path, "a+")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    hostname = f"{name}@{socket.gethostname()}"
    process.hostname = hostname
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"the Celery worker exited at start:\n{log.read()[-3000:]}")
        if app.control.ping(destination=[hostname], timeout=1.0):
            return process
    process.kill()
    pytest.fail("the Celery worker did not answer a ping within 60 s")


def stop_worker(process):
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log.close()


def worker_env(settings_dict, *, prefix, mail_dir, media_dir, **extra):
    """The environment of a worker on the test database, Redis and its own queues."""
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "on",
        "SECRET_KEY": settings.SECRET_KEY,  # links signed by the worker must verify here
        "DATABASE_URL": _database_url(settings_dict),
        "EMAIL_URL": f"file://{mail_dir}",
        "MEDIA_ROOT": str(media_dir),  # uploads saved by the test are read by the worker
        "SITE_URL": settings.SITE_URL,
        "CELERY_QUEUE_PREFIX": prefix,
        **extra,
    }


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, tmp_path_factory, worker_id):
    """Start `celery worker` against the test database and Redis; yield its mail folder.

    The worker is a separate process with its own connections, so the tests that
    use it commit their data (transactional_db) and read email from files. Under
    pytest-xdist each test process has its own database, so it gets its own Celery
    worker on its own queues: a job is never taken by a worker reading another database.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the real worker needs PostgreSQL: set DATABASE_URL")
    mail_dir = tmp_path_factory.mktemp("worker-mail")
    media_dir = tmp_path_factory.mktemp("worker-media")
    prefix = f"shelfshare-test-{worker_id}-"
    env = worker_env(
        connection.settings_dict, prefix=prefix, mail_dir=mail_dir, media_dir=media_dir
    )
    process = start_worker(
        name=f"shelfshare-test-{worker_id}",
        env=env,
        log_path=tmp_path_factory.mktemp("worker-log") / "worker.log",
        extra_args=["--purge"],
    )
    try:
        yield mail_dir, media_dir, prefix
    finally:
        stop_worker(process)


@contextlib.contextmanager
def jobs_through(prefix):
    """Jobs go through Redis to the workers on the prefixed queues, not in-process."""
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.task_routes, app.conf.task_default_queue
    routes, default, _ = job_routes(prefix)
    app.conf.task_always_eager = False
    app.conf.task_routes = routes
    app.conf.task_default_queue = default
    _reroute(app)
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_routes, app.conf.task_default_queue = saved
        _reroute(app)


def _reroute(app):
    # Celery caches the routing table and the router it makes from it.
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()


@pytest.fixture
def real_worker(celery_worker_process, transactional_db, settings):
    """Jobs go through Redis to the worker instead of running in-process.

    Yields the folder where the worker's emails land."""
    mail_dir, media_dir, prefix = celery_worker_process
    settings.MEDIA_ROOT = media_dir
    for old in mail_dir.glob("*.log"):
        old.unlink()  # each test reads only the mail it caused
    with jobs_through(prefix):
        yield mail_dir


def wait_for_email(folder, address, timeout=30):
    """The first email to `address` in the worker's mail folder, waiting for it to arrive.
    Every message of every file is read (the file backend writes all the messages of one
    connection to one file), and a file is never taken for this test's mail only because
    it is there: a job of an earlier test can still be delivering when this one starts."""
    import email
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.log")):
            for text in path.read_text().split("-" * 79):
                message = email.message_from_string(text.strip())
                if message["To"] == address:
                    return message
        time.sleep(0.2)
    raise AssertionError(f"no email to {address} in {folder} within {timeout} s")


def wait_for_files(folder, count=1, timeout=30):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.log"))
        if len(files) >= count:
            return files
        time.sleep(0.2)
    raise AssertionError(f"expected {count} email file(s) in {folder} within {timeout} s")


# -- A broker that is down ---------------------------------------------------------------


def closed_port():
    """A local port with nothing listening: connecting to it is refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _use_broker(app, url, *, eager):
    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    # The app keeps its connections and producers in pools made from the old URL; kombu
    # keeps the pools themselves (one per URL), so they are dropped here, never closed.
    app._pool = None
    app.amqp._producer_pool = None
    # core.queue leaves a broker that just failed alone for a while; this one is new.
    from core import queue

    queue._paused_until = 0.0


@pytest.fixture
def broker_down():
    """Jobs are queued, not run in-process, to a broker nobody answers on. Yields a function
    that brings the broker back: jobs run in-process again (a real worker's tests pass
    the broker URL to bring back)."""
    from config.celery import app

    url, eager = app.conf.broker_url, app.conf.task_always_eager
    _use_broker(app, f"redis://127.0.0.1:{closed_port()}/0", eager=False)

    def back(to_url=None):
        _use_broker(app, to_url or url, eager=to_url is None)

    yield back
    _use_broker(app, url, eager=eager)
