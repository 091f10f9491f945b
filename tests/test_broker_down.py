"""The broker is down: a user's change is saved, the user is told so at once, and the
emails about it go out once the broker is back (the outbox sweep), each exactly once."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Store
from aggregation.jobs import recover_stuck_runs
from aggregation.models import Connection, LoadRun, MasterAccount
from core.jobs import fail_stuck_imports, retry_outbox_emails
from core.models import ImportBatch, OutboxEmail
from partners.models import Partnership
from tests.conftest import client_for, wait_for_files
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# The change commits for real, so its on-commit enqueue runs inside the request.
pytestmark = pytest.mark.django_db(transaction=True)

QUICK = 3.0  # seconds: a request may try the broker once, never wait for it


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def page(client, url):
    """The page's text, without the CSRF token (masked anew on every page)."""
    return re.sub(r"[A-Za-z0-9]{64}", "<token>", client.get(url).text)


def sweep_once_the_broker_is_back(back):
    """Beat's sweep, a minute later: it takes what the outbox still holds."""
    back()
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    return retry_outbox_emails()


@pytest.fixture
def requester():
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    partner = OrganizationFactory(name="FieldForce", is_retailer=False, is_merchandiser=True)
    MembershipFactory(organization=partner, role=Membership.Role.OWNER, user__email="lead@ff.test")
    return MembershipFactory(
        organization=retailer, role=Membership.Role.OWNER, user__email="owner@hm.test"
    ).user, partner


def test_a_partner_request_and_its_cancel_are_kept_and_told_once_the_broker_is_back(
    broker_down, requester
):
    owner, partner = requester
    client = client_for(owner)
    response, took = timed(
        lambda: client.post(
            reverse("partners:new_request"),
            {"partner": partner.pk, "scope": "merchandising"},
            follow=True,
        )
    )
    assert response.status_code == 200 and took < QUICK
    assert "Request sent to FieldForce" in response.text
    partnership = Partnership.objects.get()
    assert partnership.status == "pending"

    response, took = timed(
        lambda: client.post(
            reverse("partners:transition", args=[partnership.pk, "cancel"]), follow=True
        )
    )
    assert response.status_code == 200 and took < QUICK
    assert "Request cancelled." in response.text
    partnership.refresh_from_db()
    assert partnership.status == "cancelled"

    waiting = sorted(OutboxEmail.objects.values_list("template", "email", "status"))
    assert waiting == [
        ("partnership_cancelled", "lead@ff.test", "pending"),
        ("partnership_requested", "lead@ff.test", "pending"),
        ("partnership_requested_record", "owner@hm.test", "pending"),
    ]
    assert mail.outbox == []

    assert sweep_once_the_broker_is_back(broker_down) == 3
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("lead@ff.test", "Heartland Mart asks FieldForce to partner on Shelfshare"),
        ("lead@ff.test", "Heartland Mart cancelled its partner request"),
        ("owner@hm.test", "You asked FieldForce to partner with Heartland Mart"),
    ]
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"sent"}
    # The next sweep finds nothing: each email went exactly once.
    assert retry_outbox_emails() == 0
    assert len(mail.outbox) == 3


def test_password_reset_answers_the_same_quickly_for_any_email(broker_down, client):
    UserFactory(email="forgetful@hm.test")
    url = reverse("accounts:password_reset")
    known, known_took = timed(lambda: client.post(url, {"email": "forgetful@hm.test"}))
    unknown, unknown_took = timed(lambda: client.post(url, {"email": "nobody@hm.test"}))
    assert known_took < QUICK and unknown_took < QUICK
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    assert page(client, known["Location"]) == page(client, unknown["Location"])
    assert list(OutboxEmail.objects.values_list("email", "status")) == [
        ("forgetful@hm.test", "pending")
    ]

    assert sweep_once_the_broker_is_back(broker_down) == 1
    assert [m.to for m in mail.outbox] == [["forgetful@hm.test"]]
    assert "/account/password-reset/" in mail.outbox[0].body
    assert retry_outbox_emails() == 0
    assert len(mail.outbox) == 1


@pytest.mark.worker
def test_through_a_real_worker_the_sweep_sends_what_waited_for_the_broker(
    real_worker, broker_down, requester, settings
):
    owner, partner = requester
    response, took = timed(
        lambda: client_for(owner).post(
            reverse("partners:new_request"), {"partner": partner.pk, "scope": "merchandising"}
        )
    )
    assert response.status_code == 302 and took < QUICK
    assert OutboxEmail.objects.filter(status="pending").count() == 2

    broker_down(settings.CELERY_BROKER_URL)  # Redis again; the worker was listening all along
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert retry_outbox_emails() == 2
    files = wait_for_files(real_worker, count=2)
    assert len(files) == 2
    deadline = time.monotonic() + 30
    while OutboxEmail.objects.exclude(status="sent").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert retry_outbox_emails() == 0
    time.sleep(1)
    assert len(list(real_worker.glob("*.log"))) == 2


# -- An import confirmed and a load run started while the broker is down ------------------


def a_minute_later(*querysets):
    """The sweep runs a minute or more after the commit: rows are made to look that old."""
    earlier = timezone.now() - timedelta(minutes=2)
    for queryset in querysets:
        field = "started_at" if queryset.model is ImportBatch else "queued_at"
        queryset.update(**{field: earlier})


STORE_FILE = b"Store Number,Name,City,State\n" + b"".join(
    b"%d,Shop %d,Town %d,AR\n" % (i, i, i % 7) for i in range(1, 41)
)


def confirm_in_the_background(client, settings):
    settings.IMPORT_INLINE_MAX_ROWS = 10  # through a job
    client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("stores.csv", STORE_FILE)},
    )
    batch = ImportBatch.objects.get()
    response, took = timed(
        lambda: client.post(
            reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"}, follow=True
        )
    )
    return batch, response, took


def test_an_import_confirmed_while_the_broker_is_down_waits_and_the_sweep_sends_it(
    broker_down, owner_client, org, settings
):
    batch, response, took = confirm_in_the_background(owner_client, settings)
    assert response.status_code == 200 and took < QUICK
    assert "in the background" in response.text and "Waiting to import" in response.text
    batch.refresh_from_db()
    assert (batch.status, batch.job_sent_at) == ("queued", None)

    # A minute later the broker is still down: the sweep cannot send it, and keeps it.
    a_minute_later(ImportBatch.objects.all())
    assert fail_stuck_imports() == 0
    batch.refresh_from_db()
    assert (batch.status, batch.job_sent_at) == ("queued", None)
    assert not Store.objects.exists()

    broker_down()  # back (jobs run in-process again)
    assert fail_stuck_imports() == 0
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("applied", 40), batch.message
    assert batch.job_sent_at is not None
    stored = set(Store.objects.for_org(org).values_list("number", "name", "city", "state"))
    assert stored == {(str(i), f"Shop {i}", f"Town {i % 7}", "AR") for i in range(1, 41)}


def test_an_import_still_unsent_after_the_stuck_limit_is_failed_with_a_way_to_try_again(
    broker_down, owner_client, settings
):
    batch, _response, _took = confirm_in_the_background(owner_client, settings)
    ImportBatch.objects.update(
        started_at=timezone.now() - timedelta(minutes=settings.IMPORT_STUCK_AFTER_MINUTES + 1)
    )
    broker_down()
    assert fail_stuck_imports() == 1
    batch.refresh_from_db()
    assert batch.status == "failed" and "Upload the file again" in batch.message
    assert not Store.objects.exists()  # failed first, never sent after
    page = owner_client.get(batch.get_absolute_url()).text
    assert "Nothing was imported." in page


def test_the_sweep_leaves_alone_a_queued_job_the_broker_took(
    owner_client, org, settings, monkeypatch
):
    """A job the broker took is waiting for a worker: sending it again would only pile up
    copies behind a busy queue. The batch and the run say when their job was sent."""
    from core import queue

    settings.IMPORT_INLINE_MAX_ROWS = 10
    sent = []
    monkeypatch.setattr(queue, "enqueue", lambda task, *args: sent.append(task.name) or True)
    batch, _response, _took = confirm_in_the_background(owner_client, settings)
    master = MasterAccount.objects.create(organization=org)
    run = LoadRun.objects.get(pk=owner_client.post(reverse("aggregation:load")).url.split("/")[-2])
    assert sent == ["core.apply_import", "aggregation.load_all_connections"]
    batch.refresh_from_db()
    run.refresh_from_db()
    assert batch.job_sent_at is not None and run.job_sent_at is not None
    assert (batch.status, run.status, run.master) == ("queued", "queued", master)

    a_minute_later(ImportBatch.objects.all(), LoadRun.objects.all())
    assert fail_stuck_imports() == 0
    assert recover_stuck_runs()["sent"] == 0
    assert len(sent) == 2


def test_a_load_run_started_while_the_broker_is_down_waits_and_the_sweep_sends_it(
    broker_down, owner_client, org
):
    master = MasterAccount.objects.create(organization=org)
    child = OrganizationFactory(name="Prairie Shop")
    Connection.objects.create(master=master, child=child, kind=Connection.Kind.ACCOUNT)
    response, took = timed(lambda: owner_client.post(reverse("aggregation:load"), follow=True))
    assert response.status_code == 200 and took < QUICK
    run = LoadRun.objects.get()
    assert (run.status, run.job_sent_at) == ("queued", None)
    assert "Queued" in response.text and "0 of 2 steps" in response.text

    a_minute_later(LoadRun.objects.all())
    assert recover_stuck_runs() == {"stopped": 0, "requeued": 0, "sent": 0, "plan_rebuilds": 0}
    run.refresh_from_db()
    assert (run.status, run.job_sent_at) == ("queued", None)
    # Pressing the button again shows the same run, still waiting: no second run.
    assert owner_client.post(reverse("aggregation:load")).url == run.get_absolute_url()

    broker_down()
    assert recover_stuck_runs()["sent"] == 1
    run.refresh_from_db()
    assert (run.status, run.done, run.total) == ("done", 2, 2), run.message
    assert run.job_sent_at is not None
    assert recover_stuck_runs()["sent"] == 0


def test_a_load_run_still_unsent_after_the_stuck_limit_is_stopped_with_load_again(
    broker_down, owner_client, org, settings
):
    MasterAccount.objects.create(organization=org)
    owner_client.post(reverse("aggregation:load"))
    LoadRun.objects.update(
        queued_at=timezone.now() - timedelta(minutes=settings.JOB_STUCK_AFTER_MINUTES + 1)
    )
    broker_down()
    assert recover_stuck_runs()["stopped"] == 1
    run = LoadRun.objects.get()
    assert run.status == "failed" and run.attempts == 0
    page = owner_client.get(run.get_absolute_url()).text
    assert "no worker took it" in page and "Load again</button>" in page


@pytest.mark.worker
def test_through_a_real_worker_the_sweep_sends_an_import_and_a_load_run_that_waited(
    real_worker, broker_down, owner, org, settings
):
    """Confirmed and started while the broker is down, an import and a load run wait,
    queued. Once it is back, the sweeps send them to the worker; they end applied and done,
    with the values of their files."""
    from aggregation.models import RollupStock
    from inventory.models import normalize_sku
    from tests.test_jobs_worker import csv_children

    master = MasterAccount.objects.create(organization=org)
    csv_children(master, count=2, products=300)
    client = client_for(owner)
    batch, response, took = confirm_in_the_background(client, settings)
    assert response.status_code == 200 and took < QUICK
    response, took = timed(lambda: client.post(reverse("aggregation:load"), follow=True))
    assert response.status_code == 200 and took < QUICK and "Queued" in response.text
    run = LoadRun.objects.get()
    batch.refresh_from_db()
    assert (batch.status, run.status) == ("queued", "queued")
    assert (batch.job_sent_at, run.job_sent_at) == (None, None)

    broker_down(settings.CELERY_BROKER_URL)  # Redis again; the worker was listening all along
    a_minute_later(ImportBatch.objects.all(), LoadRun.objects.all())
    assert fail_stuck_imports() == 0  # the import sweep: it sends the import
    assert recover_stuck_runs()["sent"] == 1

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        run.refresh_from_db()
        if batch.status not in ("queued", "applying") and run.status not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert (batch.status, batch.created_count) == ("applied", 40), batch.message
    assert (run.status, run.done, run.total) == ("done", 3, 3), run.message
    assert batch.job_sent_at is not None and run.job_sent_at is not None
    stored = set(Store.objects.for_org(org).values_list("number", "name", "city", "state"))
    assert stored == {(str(i), f"Shop {i}", f"Town {i % 7}", "AR") for i in range(1, 41)}
    children = master.child_ids()
    rollup = set(
        RollupStock.objects.filter(master=master).values_list("child_id", "sku", "on_hand")
    )
    assert rollup == {
        (child, normalize_sku(f"K{i:05d}"), i % 40) for child in children for i in range(300)
    }
    # Nothing is left to send, and nothing was sent twice.
    assert fail_stuck_imports() == 0 and recover_stuck_runs()["sent"] == 0
    assert LoadRun.objects.get().attempts == 1
