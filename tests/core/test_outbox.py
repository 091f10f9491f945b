"""The outbox itself, with a made-up kind: what every app's emails rely on."""

import pytest
from django.core import mail
from django.urls import reverse

from core import outbox
from core.jobs import retry_outbox_emails, send_outbox_email
from core.models import OutboxEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "task_cannot_complete"  # any real template will do; its values come from context


class Shelf:
    """A stand-in for a higher app's row, in memory."""

    rows = {}

    @classmethod
    def context(cls, *, subject_id, template, email):
        shelf = cls.rows.get(subject_id)
        if shelf is None:
            raise OutboxEmail.DoesNotExist  # as a model's .get() would
        if shelf == "emptied":
            raise outbox.NoLongerApplies("The shelf was emptied before the email went out.")
        return {"task_title": shelf, "store": "#7"}


@pytest.fixture
def shelf_kind(monkeypatch):
    monkeypatch.setitem(outbox._builders, "shelf", Shelf.context)
    monkeypatch.setattr(Shelf, "rows", {1: "Endcap reset", 2: "emptied"})


def queue_shelf(subject_id, django_capture_on_commit_callbacks, email="rep@shop.test"):
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_emails(
            key=f"shelf:{subject_id}", template=TEMPLATE, people=[(None, email)],
            kind="shelf", subject_id=subject_id,
        )  # fmt: skip
    return OutboxEmail.objects.get(key=f"shelf:{subject_id}:{TEMPLATE}:{email}")


def test_the_context_is_built_when_the_email_is_sent(
    shelf_kind, django_capture_on_commit_callbacks
):
    row = queue_shelf(1, django_capture_on_commit_callbacks)
    assert (row.status, row.context) == ("sent", {})
    assert [m.subject for m in mail.outbox] == ["Cannot complete: Endcap reset at store #7"]


@pytest.mark.parametrize(
    ("subject_id", "reason"),
    [
        (404, "The shelf it was about is gone."),
        (2, "The shelf was emptied before the email went out."),
    ],
    ids=["gone", "no longer applies"],
)
def test_an_email_that_no_longer_applies_is_marked_and_never_tried_again(
    shelf_kind, django_capture_on_commit_callbacks, subject_id, reason
):
    row = queue_shelf(subject_id, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert (row.status, row.attempts, row.last_error) == ("not_sent", 0, reason)
    assert row.get_status_display() == "Not sent (no longer applies)"
    assert retry_outbox_emails() == 0
    send_outbox_email(row.pk)  # a late duplicate of its job
    row.refresh_from_db()
    assert row.status == "not_sent" and mail.outbox == []


def test_a_kind_nobody_registered_fails_visibly(django_capture_on_commit_callbacks):
    row = queue_shelf(1, django_capture_on_commit_callbacks)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "No context builder is registered for 'shelf' emails" in row.last_error


def test_news_without_a_kind_is_sent_from_its_stored_context(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_emails(
            key="news:1", template=TEMPLATE, people=[(None, "Owner@Shop.test")],
            context={"task_title": "Count the aisle", "store": "#9"},
        )  # fmt: skip
    row = OutboxEmail.objects.get()
    assert (row.key, row.kind, row.subject_id, row.status) == (
        "news:1:task_cannot_complete:owner@shop.test", "", None, "sent",
    )  # fmt: skip
    assert [m.subject for m in mail.outbox] == ["Cannot complete: Count the aisle at store #9"]


def test_the_same_news_twice_is_one_email(shelf_kind, django_capture_on_commit_callbacks):
    queue_shelf(1, django_capture_on_commit_callbacks)
    queue_shelf(1, django_capture_on_commit_callbacks)
    assert OutboxEmail.objects.count() == len(mail.outbox) == 1


# -- Admin -----------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_outbox_admin_is_read_only(
    staff_client, shelf_kind, django_capture_on_commit_callbacks
):
    row = queue_shelf(1, django_capture_on_commit_callbacks)
    change = reverse("admin:core_outboxemail_change", args=[row.pk])
    page = staff_client.get(change)
    assert page.status_code == 200 and row.email in page.text
    assert 'name="_save"' not in page.text
    assert staff_client.post(change, {"email": "someone@else.test"}).status_code == 403
    assert staff_client.get(reverse("admin:core_outboxemail_add")).status_code == 403
    delete = reverse("admin:core_outboxemail_delete", args=[row.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert (row.email, row.status) == ("rep@shop.test", "sent")


def test_staff_can_send_a_failed_email_again(
    staff_client, shelf_kind, django_capture_on_commit_callbacks
):
    failed = queue_shelf(1, django_capture_on_commit_callbacks)
    OutboxEmail.objects.filter(pk=failed.pk).update(status="gave_up", attempts=6)
    mail.outbox.clear()
    response = staff_client.post(
        reverse("admin:core_outboxemail_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "Queued 1 email(s) again." in response.text
    failed.refresh_from_db()
    assert failed.status == "sent" and len(mail.outbox) == 1


def test_staff_resending_while_the_broker_is_down_are_told_and_the_sweep_sends_later(
    staff_client, shelf_kind, broker_down, django_capture_on_commit_callbacks
):
    failed = queue_shelf(1, django_capture_on_commit_callbacks)
    OutboxEmail.objects.filter(pk=failed.pk).update(status="gave_up", attempts=6)
    response = staff_client.post(
        reverse("admin:core_outboxemail_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Queued 0 email(s) again. 1 wait for the broker, which is unreachable." in response.text
    failed.refresh_from_db()
    assert failed.status == "failed"
    broker_down()
    assert retry_outbox_emails() == 1
    failed.refresh_from_db()
    assert failed.status == "sent"
