"""Every transition x every state x every actor: the allowed ones succeed, every other
gets a clear message or a 404 and changes nothing."""

import itertools

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from partners.models import Partnership, PartnershipEvent
from tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db

ACTIONS = list(Partnership.TRANSITIONS)
STATES = list(Partnership.Status.values)
ACTORS = [
    "requester_admin", "requester_member", "partner_admin", "partner_member",
    "outsider", "platform_admin", "anonymous",
]  # fmt: skip
ALLOWED = {
    ("approve", "pending", "partner_admin"),
    ("approve", "pending", "platform_admin"),  # from Django admin, recorded as staff
    ("decline", "pending", "partner_admin"),
    ("cancel", "pending", "requester_admin"),
    ("unapprove", "active", "requester_admin"),
}


def act(world, partnership, action, actor):
    client = Client()
    if actor != "anonymous":
        client.force_login(world[actor])
    if actor == "platform_admin" and action == "approve":
        return client.post(
            reverse("admin:partners_partnership_changelist"),
            {"action": "approve_selected", "_selected_action": [partnership.pk]},
        )
    return client.post(reverse("partners:transition", args=[partnership.pk, action]))


CASES = list(itertools.product(ACTIONS, STATES, ACTORS))


@pytest.mark.parametrize(("action", "state", "actor"), CASES, ids=["-".join(c) for c in CASES])
def test_transition_table(world, action, state, actor):
    partnership = PartnershipFactory(
        organization=world["retailer"], partner=world["partner"], status=state
    )
    events_before = PartnershipEvent.objects.count()
    response = act(world, partnership, action, actor)
    partnership.refresh_from_db()
    texts = [str(m) for m in get_messages(response.wsgi_request)]

    if (action, state, actor) in ALLOWED:
        assert partnership.status == Partnership.TRANSITIONS[action][1]
        event = PartnershipEvent.objects.get(partnership=partnership)
        assert (event.from_status, event.to_status, event.actor) == (
            state,
            partnership.status,
            world[actor],
        )
        assert event.by_staff == (actor == "platform_admin")
        return

    assert partnership.status == state, f"{actor} could {action} a {state} request"
    assert PartnershipEvent.objects.count() == events_before
    if actor == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )
    elif actor == "outsider":
        assert response.status_code == 404
    elif actor == "platform_admin":
        # Staff belong to no organization: the app has nothing for them but the admin action.
        assert response.status_code in (302, 404)
        if action == "approve":
            assert any("already" in t for t in texts), texts
    else:
        assert response.status_code == 302
        assert texts, "a refusal must say why"
        side = Partnership.TRANSITIONS[action][2]
        on_side = actor.startswith(side)
        if not on_side:
            assert any(t.startswith("Only ") and f"can {action}" in t for t in texts), texts
        elif actor.endswith("member"):
            assert any("Only owners and admins" in t for t in texts), texts
        else:
            assert any("already" in t or "still pending" in t for t in texts), texts


def test_the_table_is_every_transition_state_and_actor_and_agrees_with_the_model(world):
    """The cases pytest generated are every transition x status x actor, once each; every
    kind of user in `world` acts; ALLOWED agrees with the model's TRANSITIONS (state and
    side). A filtered case list, a user nobody tests, or a stale ALLOWED fails here."""
    (parametrize,) = [m for m in test_transition_table.pytestmark if m.name == "parametrize"]
    generated = parametrize.args[1]
    every = {
        (action, state, actor)
        for action in Partnership.TRANSITIONS
        for state in Partnership.Status.values
        for actor in ACTORS
    }
    assert len(generated) == len(set(generated)) and set(generated) == every
    assert {actor for actor in ACTORS if actor != "anonymous"} == {
        name for name, value in world.items() if isinstance(value, User)
    }, "every kind of user in the world acts in the table"
    assert ALLOWED.issubset(every)
    for action, state, actor in ALLOWED:
        from_status, _to, side = Partnership.TRANSITIONS[action]
        assert state == from_status, (action, state, actor)
        assert actor == f"{side}_admin" or (actor, action) == ("platform_admin", "approve")
    # Each transition of the model is allowed to its own side's admins, in its one state.
    assert {(a, s, actor) for a, s, actor in ALLOWED if actor != "platform_admin"} == {
        (action, from_status, f"{side}_admin")
        for action, (from_status, _to, side) in Partnership.TRANSITIONS.items()
    }
