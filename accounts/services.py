"""Writes of the accounts app: keyword-only, one transaction each, emails through the outbox."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.emails import queue_invitation_email
from accounts.models import NAME_TAKEN, Invitation, Membership, Organization, Region, Store, User
from accounts.names import organization_name_key
from core.versions import check_version

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


# -- Stores and regions: each change counts in the record's version (core/models.py) -----


def _locked(record, version):
    """`record`'s row locked, once the form's `version` is still its own (None: not
    from a form). The instance takes the locked row's version, ready for record_change."""
    locked = (
        type(record)
        .objects.select_for_update(of=("self",))
        .select_related("changed_by")
        .get(pk=record.pk)
    )
    check_version(locked, version, lambda row: row.last_change())
    record.version = locked.version
    return locked


@transaction.atomic
def store_update(*, store: Store, actor: User, version: int | None, change: str) -> Store:
    """Save a store edited on its page (the form's values are on `store`)."""
    _locked(store, version)
    store.record_change(actor=actor, change=change)
    store.save()
    return store


@transaction.atomic
def store_set_open(*, store: Store, actor: User, is_open: bool, version: int | None) -> Store:
    _locked(store, version)
    store.is_open = is_open
    fields = store.record_change(actor=actor, change="reopened it" if is_open else "closed it")
    store.save(update_fields=[*fields, "is_open", "updated_at"])
    return store


@transaction.atomic
def region_update(*, region: Region, actor: User, version: int | None, change: str) -> Region:
    """Save a region edited on its form (name, description, rule: on `region`)."""
    _locked(region, version)
    region.record_change(actor=actor, change=change)
    region.save()
    return region


@transaction.atomic
def region_add_stores(*, region: Region, stores, actor: User | None, version: int | None = None):
    """Pick stores into a region (a filter's matches, a store list)."""
    stores = list(stores)
    _locked(region, version)
    if not stores:
        return stores
    region.stores.add(*stores)
    words = (
        f"added store {stores[0].number}" if len(stores) == 1 else f"added {len(stores):,} stores"
    )
    fields = region.record_change(actor=actor, change=words)
    region.save(update_fields=[*fields, "updated_at"])
    return stores


@transaction.atomic
def region_remove_store(*, region: Region, store: Store, actor: User, version: int | None = None):
    _locked(region, version)
    region.stores.remove(store)
    fields = region.record_change(actor=actor, change=f"removed store {store.number}")
    region.save(update_fields=[*fields, "updated_at"])
