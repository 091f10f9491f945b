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

    # No such outbox row: nothing to do.
    assert send_outbox_email.delay(987654321).get(timeout=30) is None
    # A row about an invitation that is gone: marked, not sent, not retried.
    row = OutboxEmail.objects.create(
        key="invitation:987654321:invitation:gone@heartland.test",
        kind="invitation",
        subject_id=987654321,
        template="invitation",
        email="gone@heartland.test",
    )
    assert send_outbox_email.delay(row.pk).get(timeout=30) is None
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
