from datetime import timedelta

import pytest
from django.core import signing

from accounts import invitations
from core.links import LinkExpired, LinkNotValid, make_link_token, read_link_token
from partners import links
from tests.factories import InvitationFactory, PartnershipFactory

DAY = timedelta(days=1)


def test_a_token_reads_back_its_payload():
    token = make_link_token({"x": 1, "e": "a@b.test"}, salt="s")
    assert read_link_token(token, salt="s", max_age=DAY) == {"x": 1, "e": "a@b.test"}


def test_an_old_token_has_expired():
    token = make_link_token({"x": 1}, salt="s")
    with pytest.raises(LinkExpired):
        read_link_token(token, salt="s", max_age=timedelta(seconds=-1))


@pytest.mark.parametrize(
    "token",
    [
        make_link_token({"x": 1}, salt="another kind of link"),
        make_link_token({"x": 1}, salt="s")[:-3],
        "not-a-token",
        make_link_token(["a", "list"], salt="s"),
    ],
    ids=["other salt", "cut short", "garbage", "not a dict"],
)
def test_a_bad_token_is_not_valid_and_not_expired(token):
    with pytest.raises(LinkNotValid) as caught:
        read_link_token(token, salt="s", max_age=DAY)
    assert not isinstance(caught.value, LinkExpired)


@pytest.mark.django_db
def test_links_signed_before_the_shared_code_still_work():
    """Emails already sent carry tokens made by signing.dumps directly: same salts, same
    payloads, so they keep working."""
    invitation = InvitationFactory(email="old.link@heartland.test")
    old_invitation_token = signing.dumps(
        {"i": invitation.pk, "e": invitation.email}, salt="shelfshare.invitation"
    )
    check = invitations.check_token(old_invitation_token)
    assert (check.object, check.problem) == (invitation, "")

    partnership = PartnershipFactory()
    old_partner_token = signing.dumps(
        {"p": partnership.pk, "e": "boss@fieldforce.test"},
        salt="shelfshare.partnership-link",
        compress=True,
    )
    check = links.check_token(old_partner_token)
    assert (check.object, check.email, check.problem) == (partnership, "boss@fieldforce.test", "")
