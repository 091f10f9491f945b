"""Jobs through a real Celery worker and Redis broker, not eager mode."""

import email
import re

import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.conftest import wait_for_files

pytestmark = pytest.mark.worker


def read_message(path):
    # The file backend writes each message followed by a line of dashes.
    raw = path.read_text().rsplit("-" * 79, 1)[0].strip()
    return email.message_from_string(raw)


def text_body(message):
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def test_an_invitation_email_is_sent_by_the_worker_and_its_link_works(
    real_worker, client, owner, org
):
    client.force_login(owner)
    client.post(reverse("accounts:invite"), {"email": "via.worker@heartland.test", "role": "admin"})

    (path,) = wait_for_files(real_worker)
    message = read_message(path)
    assert message["To"] == "via.worker@heartland.test"
    assert org.name in message["Subject"]
    link = re.search(
        r"http://testserver(/account/invitations/accept/\S+/)", text_body(message)
    ).group(1)

    client.post(reverse("accounts:logout"))
    response = client.post(
        link,
        {
            "full_name": "Via Worker",
            "password1": "worker-passphrase-1",
            "password2": "worker-passphrase-1",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="via.worker@heartland.test")
    assert (membership.organization, membership.role) == (org, Membership.Role.ADMIN)


def test_the_worker_returns_quietly_when_the_email_or_its_invitation_is_gone(
    real_worker, owner, org
):
    from core.jobs import send_outbox_email
    from core.models import OutboxEmail

    # No such outbox row: nothing to do. (This process is no task; an earlier test in it may
    # have run a worker's code in-process, which makes Celery think it is one.)
    assert send_outbox_email.delay(987654321).get(timeout=30, disable_sync_subtasks=False) is None
    # A row about an invitation that is gone: marked, not sent, not retried.
    row = OutboxEmail.objects.create(
        key="invitation:987654321:invitation:gone@heartland.test",
        kind="invitation",
        subject_id=987654321,
        template="invitation",
        email="gone@heartland.test",
    )
    assert send_outbox_email.delay(row.pk).get(timeout=30, disable_sync_subtasks=False) is None
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("not_sent", 0)
    assert row.get_status_display() == "Not sent (no longer applies)"
    assert list(real_worker.glob("*.log")) == []


def test_a_large_import_is_applied_by_the_worker(real_worker, client, owner, org, settings):
    import time

    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Store
    from core.models import ImportBatch

    settings.IMPORT_INLINE_MAX_ROWS = 100
    data = b"Store Number,Name,State\n" + b"".join(
        b"%d,Shop %d,AR\n" % (i, i) for i in range(1, 2501)
    )
    client.force_login(owner)
    client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("big.csv", data)},
    )
    batch = ImportBatch.objects.get()
    response = client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})
    assert response.status_code == 302
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.status in ("applied", "failed"):
            break
        time.sleep(0.2)
    assert (batch.status, batch.created_count) == ("applied", 2500), batch.message
    assert Store.objects.for_org(org).count() == 2500


# -- A worker killed in the middle of "Load data from all connections" ---------------------


def csv_children(master, count, products):
    """`count` CSV children of `master`, each with one store and `products` products."""
    from django.core.files.base import ContentFile

    from aggregation.models import Connection, SourceFile
    from tests.factories import OrganizationFactory

    files = {
        "stores": b"Store number,Name\n1,Online shop\n",
        "products": b"sku,name\n" + b"".join(b"K%05d,Item %d\n" % (i, i) for i in range(products)),
        "stock": b"store,sku,on_hand,on_order\n"
        + b"".join(b"1,K%05d,%d,0\n" % (i, i % 40) for i in range(products)),
    }
    for n in range(count):
        connection = Connection.objects.create(
            master=master, child=OrganizationFactory(name=f"Shop {n}"), kind="csv"
        )
        for kind, content in files.items():
            SourceFile.objects.create(
                connection=connection, kind=kind, original_name=f"{kind}.csv",
                file=ContentFile(content, name=f"{kind}.csv"),
            )  # fmt: skip


def test_a_load_run_whose_worker_is_killed_ends_done_after_a_restart_and_the_sweep(
    transactional_db, settings, tmp_path, worker_id, client, owner, org
):
    """SIGKILL the worker mid-run: the run stays RUNNING (the job is lost with it). A new
    worker and the sweep (or Redis giving the job back after its visibility timeout, which
    follows the short time limits given to these workers) finish it, and the rollups are
    what a clean refresh makes."""
    import signal
    import time

    from django.db import connection

    from aggregation import loading, rollups
    from aggregation.jobs import recover_stuck_runs
    from aggregation.models import LoadRun, MasterAccount
    from tests.conftest import jobs_through, start_worker, stop_worker, worker_env

    if connection.vendor != "postgresql":
        pytest.skip("the real worker needs PostgreSQL: set DATABASE_URL")
    settings.MEDIA_ROOT = tmp_path / "media"
    master = MasterAccount.objects.create(organization=org)
    csv_children(master, count=4, products=1500)
    prefix = f"shelfshare-kill-{worker_id}-"
    limits = {
        "LONG_JOB_SOFT_TIME_LIMIT": "12",
        "LONG_JOB_TIME_LIMIT": "15",  # the lease of a claim
        "BROKER_VISIBILITY_TIMEOUT": "20",
    }
    env = worker_env(
        connection.settings_dict, prefix=prefix, mail_dir=tmp_path, media_dir=settings.MEDIA_ROOT,
        **limits,
    )  # fmt: skip
    first = start_worker(
        name=f"shelfshare-kill-{worker_id}", env=env, log_path=tmp_path / "1.log",
        extra_args=["--purge"],
    )  # fmt: skip
    second = None
    try:
        with jobs_through(prefix):
            client.force_login(owner)
            run = LoadRun.objects.get(
                pk=client.post(reverse("aggregation:load")).url.split("/")[-2]
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                run.refresh_from_db()
                if run.status != "queued":
                    break
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.wait()
            first.log.close()
            run.refresh_from_db()
            assert run.status == "running" and run.done < run.total, "killed too late"
            killed_at = run.done

            # Under another name: nothing is recovered at start; the lease must pass first.
            second = start_worker(
                name=f"shelfshare-kill2-{worker_id}", env=env, log_path=tmp_path / "2.log"
            )
            time.sleep(3)
            run.refresh_from_db()
            assert (run.status, run.attempts) == ("running", 1)  # no one takes it within its lease
            lease_ends = run.claimed_at.timestamp() + int(limits["LONG_JOB_TIME_LIMIT"])
            time.sleep(max(0.0, lease_ends - time.time()) + 1)
            recover_stuck_runs.delay()  # what beat sends every minute
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                run.refresh_from_db()
                if run.status not in ("queued", "running"):
                    break
                time.sleep(0.2)
    finally:
        if second is not None:
            stop_worker(second)
        if first.poll() is None:
            stop_worker(first)
    assert (run.status, run.done, run.total, run.failed) == ("done", 5, 5, 0), run.message
    assert run.attempts == 2 and run.message == loading.RESTARTED
    assert killed_at <= len(run.loaded) == 4
    # The rollups are what a clean refresh makes: refreshing again changes nothing.
    again = rollups.refresh(master)
    assert (again.stock_written, again.stock_deleted) == (0, 0)
    page = client.get(run.get_absolute_url()).text
    assert "Done" in page and loading.RESTARTED in page
