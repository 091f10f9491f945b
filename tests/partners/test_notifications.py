from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from core.jobs import retry_outbox_emails, send_outbox_email
from core.models import OutboxEmail
from core.outbox import MAX_ATTEMPTS
from partners import services
from partners.models import Partnership, PartnershipEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def request(world, **kwargs):
    return services.partnership_request(
        requester=world["retailer"], actor=world["requester_admin"], partner=world["partner"],
        scope=Partnership.Scope.MERCHANDISING, **kwargs,
    )  # fmt: skip


def about(partnership):
    """The outbox rows telling of the partnership's changes."""
    return OutboxEmail.objects.filter(
        kind="partnership_event",
        subject_id__in=PartnershipEvent.objects.filter(partnership=partnership).values("pk"),
    )


def sent_to():
    return sorted((m.to[0], m.subject) for m in mail.outbox)


def test_a_request_tells_every_requester_user_and_the_partner_admins(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = request(world)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(
        [
            world["requester_admin"].email,
            world["requester_member"].email,
            world["partner_admin"].email,
        ]
    )
    to_partner = next(m for m in mail.outbox if m.to == [world["partner_admin"].email])
    assert to_partner.subject == "Heartland Mart asks FieldForce to partner on Shelfshare"
    assert "/partners/respond/" in to_partner.body
    assert "Merchandising partner" in to_partner.body
    html = to_partner.alternatives[0][0]
    assert "Review and approve" in html
    record = next(m for m in mail.outbox if m.to == [world["requester_member"].email])
    assert "/partners/respond/" not in record.body  # a record, with no approve link
    assert about(partnership).filter(status="sent").count() == 3


@pytest.mark.parametrize(
    ("action", "actor", "start", "who"),
    [
        ("approve", "partner_admin", "pending", "requester"),
        ("decline", "partner_admin", "pending", "requester"),
        ("cancel", "requester_admin", "pending", "partner"),
        ("unapprove", "requester_admin", "active", "partner"),
    ],
)
def test_each_transition_tells_the_other_side(
    world, action, actor, start, who, django_capture_on_commit_callbacks
):
    partnership = request(world)
    Partnership.objects.filter(pk=partnership.pk).update(status=start)
    partnership.refresh_from_db()
    mail.outbox.clear()
    side = world["retailer"] if actor == "partner_admin" else world["partner"]
    with django_capture_on_commit_callbacks(execute=True):
        services.partnership_transition(
            partnership=partnership, action=action, actor=world[actor],
            organization=world["partner"] if actor == "partner_admin" else world["retailer"],
        )  # fmt: skip
    expected = (
        [
            world["requester_admin"].email,
            world["requester_member"].email,
        ]  # every user of the requester
        if who == "requester"
        else [world["partner_admin"].email]  # the partner's admins
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(expected), side


def test_nothing_is_sent_for_a_rolled_back_change(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                request(world)
                raise RuntimeError("something later failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []
    assert not Partnership.objects.exists() and not OutboxEmail.objects.exists()


def test_a_retried_job_never_sends_twice(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request(world)
    count = len(mail.outbox)
    for notification in OutboxEmail.objects.all():
        send_outbox_email(notification.pk)  # a duplicate delivery of every job
    assert len(mail.outbox) == count


def test_a_failed_send_is_kept_visible_and_retried(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from core import outbox

    calls = {"n": 0}
    real = outbox.send_templated_email

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("mail server down")
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "send_templated_email", flaky)
    MembershipFactory(organization=world["partner"], role=Membership.Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        request(world)
    failed = OutboxEmail.objects.get(status="failed")
    assert "mail server down" in failed.last_error and failed.attempts == 1
    # The sweep requeues it once its back-off has passed.
    OutboxEmail.objects.filter(pk=failed.pk).update(claimed_at=failed.claimed_at.replace(year=2000))
    assert retry_outbox_emails() == 1
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 2
    assert sum(1 for m in mail.outbox if m.to == [failed.email]) == 1


def test_an_invited_partner_gets_a_join_link(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.partnership_request(
            requester=world["retailer"], actor=world["requester_admin"], company_name="New Vendor Co",
            email="boss@newvendor.example", scope=Partnership.Scope.VENDOR,
        )  # fmt: skip
    invite = next(m for m in mail.outbox if m.to == ["boss@newvendor.example"])
    assert "New Vendor Co" in invite.subject
    assert "/partners/join/" in invite.body


def test_a_member_of_both_sides_gets_both_the_record_and_the_approve_link(
    world, django_capture_on_commit_callbacks
):
    both = world["requester_member"]
    MembershipFactory(user=both, organization=world["partner"], role=Membership.Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        partnership = request(world)
    theirs = [m for m in mail.outbox if m.to == [both.email]]
    assert len(theirs) == 2, [m.subject for m in theirs]
    assert sum("/partners/respond/" in m.body for m in theirs) == 1  # the approve link, once
    assert sorted(
        about(partnership).filter(email=both.email).values_list("template", "status")
    ) == [("partnership_requested", "sent"), ("partnership_requested_record", "sent")]


def test_cancelling_an_invitation_tells_the_invited_address(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = services.partnership_request(
            requester=world["retailer"], actor=world["requester_admin"], company_name="New Vendor Co",
            email="boss@newvendor.example", scope=Partnership.Scope.VENDOR,
        )  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.partnership_transition(
            partnership=partnership, action="cancel", actor=world["requester_admin"],
            organization=world["retailer"],
        )  # fmt: skip
    assert [m.to for m in mail.outbox] == [["boss@newvendor.example"]]
    cancelled = mail.outbox[0]
    assert cancelled.subject == "Heartland Mart cancelled its invitation to partner on Shelfshare"
    assert "cancelled its request for New Vendor Co to be its vendor data share" in cancelled.body
    assert "(invited)" not in cancelled.body and "/partners/" not in cancelled.body


def queued_but_never_run(world, django_capture_on_commit_callbacks):
    """A request whose jobs were lost: its outbox rows wait, PENDING."""
    with django_capture_on_commit_callbacks(execute=False):
        request(world)
    return OutboxEmail.objects.order_by("pk")


def test_the_sweep_sends_emails_whose_worker_died_mid_send(
    world, django_capture_on_commit_callbacks
):
    rows = queued_but_never_run(world, django_capture_on_commit_callbacks)
    dead, busy, doomed = rows
    now = timezone.now()
    OutboxEmail.objects.filter(pk=dead.pk).update(
        status="sending", claimed_at=now - timedelta(minutes=11)
    )
    OutboxEmail.objects.filter(pk=busy.pk).update(
        status="sending", claimed_at=now - timedelta(minutes=2)
    )
    OutboxEmail.objects.filter(pk=doomed.pk).update(
        status="sending", claimed_at=now - timedelta(minutes=11), attempts=MAX_ATTEMPTS - 1
    )
    assert retry_outbox_emails() == 1
    assert [m.to for m in mail.outbox] == [[dead.email]]
    for row in (dead, busy, doomed):
        row.refresh_from_db()
    assert (dead.status, dead.attempts) == ("sent", 2)  # the lost attempt counts
    assert busy.status == "sending"  # still within its worker's time: left alone
    # A row that stopped its worker every time is given up, visibly.
    assert (doomed.status, doomed.attempts) == ("gave_up", MAX_ATTEMPTS)
    assert "The worker stopped while sending" in doomed.last_error


def test_the_sweep_sends_emails_whose_job_was_lost(world, django_capture_on_commit_callbacks):
    rows = queued_but_never_run(world, django_capture_on_commit_callbacks)
    lost, *just_queued = rows
    OutboxEmail.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(seconds=90))
    assert retry_outbox_emails() == 1
    assert [m.to for m in mail.outbox] == [[lost.email]]
    lost.refresh_from_db()
    assert lost.status == "sent"
    # Rows a few seconds old are on their way: the sweep leaves them to their own job.
    assert {n.status for n in OutboxEmail.objects.filter(pk__in=[n.pk for n in just_queued])} == {
        "pending"
    }
    assert retry_outbox_emails() == 0


def test_emails_about_a_deleted_partnership_are_marked_not_sent(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        partnership = request(world)
    partnership.delete()  # its events go with it
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    assert set(OutboxEmail.objects.values_list("status", "attempts", "last_error")) == {
        ("not_sent", 0, "The partnership event it was about is gone.")
    }
    assert retry_outbox_emails() == 0


def test_plain_text_says_names_as_written_and_the_link_lifetime_from_the_settings(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PARTNER_LINK_MAX_AGE = timedelta(days=3)
    world["retailer"].name = "A & B <Markets>"
    world["retailer"].save()
    with django_capture_on_commit_callbacks(execute=True):
        request(world)
    to_partner = next(m for m in mail.outbox if m.to == [world["partner_admin"].email])
    assert to_partner.subject == "A & B <Markets> asks FieldForce to partner on Shelfshare"
    assert "A & B <Markets> asks FieldForce" in to_partner.body
    assert "&amp;" not in to_partner.body and "&lt;" not in to_partner.body
    assert "for 3 days, while the request is pending" in to_partner.body
    html = to_partner.alternatives[0][0]
    assert "A &amp; B &lt;Markets&gt;" in html  # the HTML part is still escaped
    assert "for 3 days" in html and "14 days" not in html
