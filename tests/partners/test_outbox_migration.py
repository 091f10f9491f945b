"""partners 0004 moves the outbox rows to core: a waiting partnership email is still there,
still waiting, after the move (and after going back)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("partners", "0003_notification_context_alter_notification_event"),
    ("core", "0002_outboxemail"),
]
AFTER = [("partners", "0004_notifications_move_to_core_outbox")]
LONG_AGO = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def migrate(targets):
    """Migrate and return the apps as they are at `targets`."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def partnership_event(apps):
    organization = apps.get_model("accounts", "Organization")
    user = apps.get_model("accounts", "User").objects.create(email="boss@fieldforce.test")
    requester = organization.objects.create(name="Heartland Mart", slug="heartland-mart")
    partner = organization.objects.create(name="FieldForce", slug="fieldforce")
    partnership = apps.get_model("partners", "Partnership").objects.create(
        organization=requester, partner=partner, scope="merchandising", status="pending"
    )
    event = apps.get_model("partners", "PartnershipEvent").objects.create(
        partnership=partnership, to_status="pending"
    )
    return event, user


@pytest.mark.django_db(transaction=True)
def test_a_waiting_partnership_email_is_carried_over_to_the_core_outbox():
    try:
        old = migrate(BEFORE)
        event, user = partnership_event(old)
        notification = old.get_model("partners", "Notification")
        waiting = notification.objects.create(
            key=f"event:{event.pk}:partnership_requested:boss@fieldforce.test",
            event=event,
            template="partnership_requested",
            recipient=user,
            email="boss@fieldforce.test",
            status="failed",
            attempts=2,
            last_error="ConnectionRefusedError: mail server down",
        )
        news = notification.objects.create(
            key="task:7:cannot_complete:task_cannot_complete:owner@heartland.test",
            template="task_cannot_complete",
            email="owner@heartland.test",
            context={"task_title": "Endcap reset", "store": "#7"},
        )
        notification.objects.update(created_at=LONG_AGO, claimed_at=LONG_AGO)

        new = migrate(AFTER)
        outbox = new.get_model("core", "OutboxEmail")
        moved = outbox.objects.get(pk=waiting.pk)
        assert (moved.key, moved.kind, moved.subject_id, moved.template) == (
            waiting.key, "partnership_event", event.pk, "partnership_requested",
        )  # fmt: skip
        assert (moved.recipient_id, moved.email, moved.status, moved.attempts) == (
            user.pk, "boss@fieldforce.test", "failed", 2,
        )  # fmt: skip
        assert moved.last_error == waiting.last_error and moved.context == {}
        assert moved.created_at == moved.claimed_at == LONG_AGO  # so the sweep sees it as due
        moved_news = outbox.objects.get(pk=news.pk)
        assert (moved_news.kind, moved_news.subject_id, moved_news.context) == (
            "", None, {"task_title": "Endcap reset", "store": "#7"},
        )  # fmt: skip
        # New rows are numbered after the copied ones.
        later = outbox.objects.create(key="later", template="invitation", email="x@y.test")
        assert later.pk > max(waiting.pk, news.pk)
        later.delete()

        # Going back puts them where they were.
        old = migrate(BEFORE)
        back = old.get_model("partners", "Notification").objects.get(pk=waiting.pk)
        assert (back.event_id, back.status, back.key) == (event.pk, "failed", waiting.key)
        assert not old.get_model("core", "OutboxEmail").objects.exists()
    finally:
        migrate(leaf_nodes())
