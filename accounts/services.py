"""Writes of the accounts app: keyword-only, one transaction each, emails through the outbox."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.emails import queue_invitation_email
from accounts.models import NAME_TAKEN, Invitation, Membership, Organization, User
from accounts.names import organization_name_key

# Logins made by the app itself (sign-up, an accepted invitation, a partner joining from
# an emailed link) name the backend, since django-axes is configured beside it.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class MembershipError(Exception):
    """A membership change the rules forbid; the message is shown to the user."""


class Taken(Exception):
    """A name or an email someone else took between the form's check and the save (two
    sign-ups at once): `field` is the form field to show str(exc) at."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


EMAIL_TAKEN = "An account with this email already exists. Log in, or reset your password."


@transaction.atomic
def user_create(*, email: str, password: str, full_name: str = "") -> User:
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError:
        if User.objects.filter(email__iexact=email).exists():
            raise Taken("email", EMAIL_TAKEN) from None
        raise


def new_organization(**fields) -> Organization:
    """Organization.objects.create, where losing a race for the name is Taken, not a 500.
    The form checked the name; the unique key decides between two saves at once. (A race
    for the slug alone, between two names that slugify alike, takes the next slug.)"""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return Organization.objects.create(**fields)
        except IntegrityError:
            key = organization_name_key(fields.get("name", ""))
            if Organization.objects.filter(name_key=key).exists():
                raise Taken("organization_name", NAME_TAKEN) from None
    raise Taken("organization_name", "Many organizations are being made at once: save again.")


@transaction.atomic
def organization_create(*, owner: User, name: str, **fields) -> Organization:
    organization = new_organization(name=name, **fields)
    Membership.objects.create(user=owner, organization=organization, role=Membership.Role.OWNER)
    return organization


@transaction.atomic
def organization_settings_save(*, organization: Organization) -> Organization:
    """Save the organization settings' form (its name, its currency): a new name racing
    another organization's is Taken, as at sign-up."""
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError:
        others = Organization.objects.exclude(pk=organization.pk)
        if others.filter(name_key=organization_name_key(organization.name)).exists():
            raise Taken("name", NAME_TAKEN) from None
        raise
    return organization


@transaction.atomic
def signup(*, email: str, password: str, full_name: str, organization: dict):
    user = user_create(email=email, password=password, full_name=full_name)
    return user, organization_create(owner=user, **organization)


@transaction.atomic
def invite(*, organization: Organization, actor: User, email: str, role: str) -> Invitation:
    # A new invitation replaces any open one for the same address.
    Invitation.objects.for_org(organization).filter(
        email__iexact=email, accepted_at=None, revoked_at=None
    ).update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        organization=organization, email=email.lower(), role=role, invited_by=actor
    )
    queue_invitation_email(invitation=invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )


def _check_may_manage(target: Membership, actor: Membership) -> None:
    if actor.role != Membership.Role.OWNER and target.role == Membership.Role.OWNER:
        raise MembershipError("Only an owner can change or remove another owner.")


def _lock_owners(organization_id: int) -> int:
    """Lock the organization's owner rows and count them, so two demotions cannot race."""
    return len(
        Membership.objects.select_for_update()
        .filter(organization_id=organization_id, role=Membership.Role.OWNER)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor_membership: Membership):
    _check_may_manage(membership, actor_membership)
    if role == Membership.Role.OWNER and actor_membership.role != Membership.Role.OWNER:
        raise MembershipError("Only an owner can make someone an owner.")
    owners = _lock_owners(membership.organization_id)
    membership.refresh_from_db()
    if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER and owners <= 1:
        raise MembershipError(
            "An organization always keeps at least one owner. Make someone else owner first."
        )
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def membership_remove(*, membership: Membership, actor_membership: Membership):
    _check_may_manage(membership, actor_membership)
    owners = _lock_owners(membership.organization_id)
    membership.refresh_from_db()
    if membership.role == Membership.Role.OWNER and owners <= 1:
        raise MembershipError("The last owner cannot be removed. Make someone else owner first.")
    membership.delete()
