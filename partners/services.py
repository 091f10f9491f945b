"""Writes of the partners app. Each takes the acting user and organization, runs in one
transaction, records history and queues its notifications for after the commit."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organization
from core.versions import check_version
from partners import catalogue, notifications
from partners.abilities import NOT_DATA_OWNER
from partners.models import Partnership, PartnershipEvent

Status = Partnership.Status
Side = Partnership.Side


class PartnershipError(Exception):
    """A refused change; the message is for the user."""


def _check_manager(actor, organization):
    is_manager = Membership.objects.filter(
        user=actor, organization=organization, role__in=Membership.MANAGERS
    ).exists()
    if not is_manager:
        raise PartnershipError(
            f"Only owners and admins of {organization.name} can do this. Ask one of them."
        )


def _record(partnership, *, actor, organization, from_status, to_status, by_staff=False):
    event = PartnershipEvent.objects.create(
        partnership=partnership,
        actor=actor,
        organization=organization,
        from_status=from_status,
        to_status=to_status,
        by_staff=by_staff,
    )
    notifications.queue_for(event)
    return event


@transaction.atomic
def partnership_request(
    *, requester: Organization, actor, scope: str, partner: Organization | None = None,
    company_name: str = "", email: str = "", all_stores: bool = False, vendor_key: str = "",
) -> Partnership:  # fmt: skip
    """Rule 1: only the data owner requests; the partner is asked, never the asker.
    `vendor_key` names the catalogue vendor a vendor data share is for (Partner
    Permissions): its products become the partner's when it approves."""
    _check_manager(actor, requester)
    if not requester.is_retailer:
        raise PartnershipError(NOT_DATA_OWNER)
    if partner is not None and partner.pk == requester.pk:
        raise PartnershipError("An organization cannot partner with itself.")
    if scope not in Partnership.Scope.values:
        raise PartnershipError("Pick Merchandising partner or Vendor data share.")
    if partner is None and not email:
        raise PartnershipError("Give the partner's company name and email address.")
    try:
        with transaction.atomic():
            partnership = Partnership.objects.create(
                organization=requester,
                partner=partner,
                invited_company_name=company_name if partner is None else "",
                invited_email=email.lower() if partner is None else "",
                scope=scope,
                all_stores=all_stores,
                vendor_key=vendor_key if scope == Partnership.Scope.VENDOR else "",
                requested_by=actor,
            )
    except IntegrityError:
        raise PartnershipError(
            _open_already(requester, scope, partner, company_name, email)
        ) from None
    _record(
        partnership, actor=actor, organization=requester, from_status="", to_status=Status.PENDING
    )
    return partnership


def _open_already(requester, scope, partner, company_name, email):
    label = Partnership.Scope(scope).label.lower()
    if partner is None:
        invited = (
            Partnership.objects.requested_by(requester)
            .open()
            .filter(scope=scope, partner__isnull=True, invited_email__iexact=email)
            .first()
        )
        if invited is not None:
            return (
                f"{email.lower()} already has a pending invitation from you "
                f"({invited.invited_company_name}, {label}): nothing new was sent. Cancel "
                "it first to invite them for another company."
            )
    return f"There is already a pending or active {label} request with {partner.name if partner else company_name}."


def refusal_for(partnership, action, organization):
    """Why `organization` may not do `action` now, or None if it may."""
    from_status, _to, side = Partnership.TRANSITIONS[action]
    if partnership.side_of(organization) != side:
        if side == Side.PARTNER:
            return f"Only {partnership.partner_name} can {action} this request."
        return f"Only {partnership.organization.name} can {action} this partnership."
    if partnership.status != from_status:
        return already(partnership)
    return None


def already(partnership):
    status = Partnership.Status(partnership.status)
    if status == Status.PENDING:
        return "This request is still pending."
    if status == Status.ACTIVE:
        return "This request was already approved: the partnership is active."
    return f"This request was already {status.label.lower()}; nothing was changed."


@transaction.atomic
def partnership_transition(
    *, partnership: Partnership, action: str, actor, organization: Organization | None,
    by_staff: bool = False,
) -> Partnership:  # fmt: skip
    """Move a partnership along the lifecycle. Two racing calls: one conditional UPDATE
    wins; the other finds the status changed and is refused with a clear message."""
    if action not in Partnership.TRANSITIONS:
        raise PartnershipError("Unknown action.")
    from_status, to_status, side = Partnership.TRANSITIONS[action]
    if by_staff:
        if action != "approve" or not actor.is_staff:
            raise PartnershipError("Platform staff may only approve pending requests.")
        if partnership.partner_id is None:
            # Approving would make an active partnership with nobody: the invited company
            # approves itself when it joins through the emailed link.
            raise PartnershipError(
                f"{partnership.partner_name} is not on Shelfshare yet: it was invited by email "
                f"({partnership.invited_email}) and approves when it joins. Nothing was changed."
            )
    else:
        reason = refusal_for(partnership, action, organization)
        if reason and partnership.side_of(organization) != side:
            raise PartnershipError(reason)
        _check_manager(actor, organization)
    now = timezone.now()
    changes = {"status": to_status, "updated_at": now}
    if to_status == Status.ACTIVE:
        changes["approved_at"] = now
    else:
        changes["ended_at"] = now
    won = Partnership.objects.filter(pk=partnership.pk, status=from_status).update(**changes)
    if not won:
        partnership.refresh_from_db()
        raise PartnershipError(already(partnership))
    partnership.refresh_from_db()
    if to_status == Status.ACTIVE and partnership.scope == Partnership.Scope.VENDOR:
        _link_vendor_products(partnership)
    _record(
        partnership,
        actor=actor,
        organization=None if by_staff else organization,
        from_status=from_status,
        to_status=to_status,
        by_staff=by_staff,
    )
    return partnership


def _link_vendor_products(partnership):
    """On approval, in its transaction: the requester's products of the catalogue vendor
    the share was asked for (and of the partner's own name), no organization's yet,
    become the partner's, so the share shows them. Not earlier: until the vendor approves,
    the retailer's catalogue stays as it was, and a declined or cancelled request changes
    nothing."""
    catalogue.link_vendor_products(
        owner=partnership.organization,
        vendor=partnership.partner,
        keys={partnership.vendor_key, catalogue.vendor_key(partnership.partner.name)},
    )


@transaction.atomic
def partner_joins(*, partnership: Partnership, organization: Organization, actor) -> Partnership:
    """An invited partner takes its place: a new organization made on joining, or one the
    actor already manages. The request stays PENDING, for the partner to approve or
    decline on its page."""
    _check_manager(actor, organization)
    if organization.pk == partnership.organization_id:
        raise PartnershipError("An organization cannot partner with itself.")
    try:
        with transaction.atomic():
            claimed = Partnership.objects.filter(
                pk=partnership.pk, partner__isnull=True, status=Status.PENDING
            ).update(partner=organization, updated_at=timezone.now())
    except IntegrityError:
        raise PartnershipError(
            f"{organization.name} already has a pending or active "
            f"{partnership.get_scope_display().lower()} with {partnership.organization.name}: "
            "see it under 3rd Party Connections."
        ) from None
    if not claimed:
        partnership.refresh_from_db()
        raise PartnershipError(already(partnership) if partnership.status != Status.PENDING else
                               "This invitation has already been taken up.")  # fmt: skip
    partnership.refresh_from_db()
    return partnership


# -- Geography (rule 3: only the requester changes it) --------------------------------


def check_requester(partnership, organization, actor):
    if partnership.side_of(organization) != Side.REQUESTER:
        raise PartnershipError(
            f"Only {partnership.organization.name} chooses the stores it shares."
        )
    _check_manager(actor, organization)


def _locked_geography(partnership, organization, actor, version):
    """The partnership's row, locked, once the requester's manager may change its
    geography and the form's `version` is still its own (None: not from a form)."""
    check_requester(partnership, organization, actor)
    locked = (
        Partnership.objects.select_for_update(of=("self",))
        .select_related("changed_by")
        .get(pk=partnership.pk)
    )
    check_version(locked, version, lambda p: p.last_change())
    return locked


def _geography_changed(partnership, locked, actor, change):
    fields = locked.record_change(actor=actor, change=change)
    locked.save(update_fields=[*fields, "all_stores", "updated_at"])
    partnership.all_stores, partnership.version = locked.all_stores, locked.version


@transaction.atomic
def geography_add(
    *, partnership, organization, actor, stores=(), regions=(), all_stores=None, version=None
):
    """Share more stores (regions, a store list) or every store. `version` is the
    geography's as the page showed it: a newer change refuses this one (StaleVersion)."""
    locked = _locked_geography(partnership, organization, actor, version)
    for obj in [*stores, *regions]:
        if obj.organization_id != partnership.organization_id:
            raise PartnershipError("Only your own stores and regions can be shared.")
    partnership.stores.add(*stores)
    partnership.regions.add(*regions)
    words = [f"shared region {region.name}" for region in regions]
    if stores:
        words.append(_stores_words("shared", stores))
    if all_stores is not None:
        locked.all_stores = all_stores
        words.append("shared every store" if all_stores else "stopped sharing every store")
    _geography_changed(partnership, locked, actor, " and ".join(words) or "saved the geography")


@transaction.atomic
def geography_remove(
    *, partnership, organization, actor, stores=(), regions=(), everything=False, version=None
):
    locked = _locked_geography(partnership, organization, actor, version)
    if everything:
        partnership.stores.clear()
        partnership.regions.clear()
        locked.all_stores = False
        _geography_changed(partnership, locked, actor, "removed every store")
        return
    partnership.stores.remove(*stores)
    partnership.regions.remove(*regions)
    words = [f"removed region {region.name}" for region in regions]
    if stores:
        words.append(_stores_words("removed", stores))
    if words:
        _geography_changed(partnership, locked, actor, " and ".join(words))


def _stores_words(verb, stores):
    if len(stores) == 1:
        return f"{verb} store {stores[0].number}"
    return f"{verb} {len(stores):,} stores"
