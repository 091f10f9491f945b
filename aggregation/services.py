"""Writes of master accounts: connections (which make the master on first use), their
removal, starting a load of every connection, the master's exchange rates and product-matching decisions."""

import logging

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organization
from aggregation import loading, plans
from aggregation.models import (
    Connection,
    ExchangeRate,
    ItemOverride,
    LoadRun,
    MasterAccount,
    MatchDecision,
    ReplenishmentRule,
    SourceFile,
)
from core.queue import enqueue_on_commit

log = logging.getLogger(__name__)


class ConnectionRefused(Exception):
    """str(exc) tells the user what to do instead."""


def _master_for(organization, user, master_name):
    """The master the current account adds connections to; the first connection makes it,
    with the current account as its first child."""
    master = MasterAccount.objects.filter(organization=organization).first()
    if master is not None:
        return master
    existing = (
        Connection.objects.filter(child=organization).select_related("master__organization").first()
    )
    if existing is not None:
        raise ConnectionRefused(
            f"{organization.name} is a child of {existing.master.organization.name}. "
            f"Switch to {existing.master.organization.name} to add connections."
        )
    name = (master_name or f"{organization.name} Group").strip()
    if Organization.objects.filter(name__iexact=name).exists():
        raise ConnectionRefused(
            f"An organization named {name} already exists: choose another master name."
        )
    # The master reports in its first child's currency until someone says otherwise.
    master_org = Organization.objects.create(
        name=name, is_retailer=organization.is_retailer, currency=organization.currency
    )
    Membership.objects.create(user=user, organization=master_org, role=Membership.Role.OWNER)
    master = MasterAccount.objects.create(
        organization=master_org, reporting_currency=organization.currency
    )
    Connection.objects.create(
        master=master, child=organization, kind=Connection.Kind.ACCOUNT, created_by=user
    )
    return master


@transaction.atomic
def add_csv_connection(*, organization, user, child_name, files, master_name="", currency=None):
    """A new child account fed by CSV files (stores, products, stock, sales), selling in
    `currency` (by default the currency of the account adding it)."""
    if not any(files.values()):
        raise ConnectionRefused(
            "Attach at least one CSV file: a store list, products, stock or sales."
        )
    master = _master_for(organization, user, master_name)
    name = child_name.strip()
    if Organization.objects.filter(name__iexact=name).exists():
        raise ConnectionRefused(
            f"An organization named {name} already exists: choose another account name."
        )
    child = Organization.objects.create(
        name=name, is_retailer=True, currency=currency or organization.currency
    )
    connection = Connection.objects.create(
        master=master, child=child, kind=Connection.Kind.CSV, created_by=user
    )
    for kind, upload in files.items():
        if upload:
            source = SourceFile(connection=connection, kind=kind, original_name=upload.name[:255])
            source.file.save(upload.name, upload, save=True)
    return master, connection


@transaction.atomic
def add_account_connection(
    *, request, organization, user, account_name, email, password, master_name=""
):
    """An account already on Shelfshare, proven by the login of one of its owners (through
    the login's own checks: failed attempts count towards the lockout)."""
    owner = authenticate(request, username=email.strip(), password=password)
    if owner is None:
        raise ConnectionRefused("That email and password do not log in to Shelfshare.")
    child = Organization.objects.filter(
        name__iexact=account_name.strip(),
        memberships__user=owner,
        memberships__role=Membership.Role.OWNER,
    ).first()
    if child is None:
        raise ConnectionRefused(f"{email} is not an owner of an account named {account_name}.")
    if child.pk == organization.pk or MasterAccount.objects.filter(organization=child).exists():
        raise ConnectionRefused(f"{child.name} cannot be a child of this master.")
    master = _master_for(organization, user, master_name)
    if child.pk == master.organization_id:
        raise ConnectionRefused(f"{child.name} is the master itself.")
    try:
        with transaction.atomic():
            connection = Connection.objects.create(
                master=master, child=child, kind=Connection.Kind.ACCOUNT, created_by=user
            )
    except IntegrityError:
        raise ConnectionRefused(f"{child.name} already belongs to a master account.") from None
    return master, connection


def remove_connection(connection):
    """The child leaves the master: its rollup rows go with the next refresh (queued now)."""
    from aggregation.jobs import refresh_rollups

    master_id = connection.master_id
    with transaction.atomic():
        connection.delete()
        enqueue_on_commit(refresh_rollups, master_id)


def start_load(master, user) -> LoadRun:
    """The run the button shows: the one under way, else a new one queued for a worker. A run
    whose worker was lost is re-queued or stopped first (aggregation/loading.py), so the
    button never brings back a stuck run."""
    from aggregation.jobs import load_all_connections

    with transaction.atomic():
        # One start at a time per master: two presses make one run.
        MasterAccount.objects.select_for_update().filter(pk=master.pk).first()
        loading.recover(LoadRun.objects.filter(master=master))
        running = LoadRun.objects.filter(
            master=master, status__in=[LoadRun.Status.QUEUED, LoadRun.Status.RUNNING]
        )
        if run := running.first():
            return run
        run = LoadRun.objects.create(
            master=master, total=master.connections.count() + 1, started_by=user
        )
        enqueue_on_commit(load_all_connections, run.pk)
    return run


# -- Plan settings: a draft, previewed, then applied -------------------------------------

PLAN_SETTINGS = (
    "lead_time_days",
    "review_period_days",
    "service_level",
    "history_days",
    "minimum_order",
    "case_pack",
)


def preview_plan_settings(*, master, draft):
    """Keep `draft` (the settings form's values) beside the live settings and work out in a
    worker what it would change; the live plan is not touched."""
    from aggregation.jobs import preview_plan_settings as preview_job

    values = {
        key: float(draft[key]) if key == "service_level" else draft[key] for key in PLAN_SETTINGS
    }
    with transaction.atomic():
        MasterAccount.objects.filter(pk=master.pk).update(draft_settings=values, draft_summary={})
        enqueue_on_commit(preview_job, master.pk)
    return values


def apply_plan_settings(*, master):
    """The draft becomes the live settings; the plan is rebuilt with them in a worker."""
    with transaction.atomic():
        master = MasterAccount.objects.select_for_update().get(pk=master.pk)
        for key, value in master.draft_settings.items():
            setattr(master, key, value)
        master.draft_settings, master.draft_summary = {}, {}
        master.save(update_fields=[*PLAN_SETTINGS, "draft_settings", "draft_summary"])
        plans.request_rebuild(master.pk)
    return master


def discard_plan_settings(*, master):
    MasterAccount.objects.filter(pk=master.pk).update(draft_settings={}, draft_summary={})


# -- A planner's override of one item ---------------------------------------------------


def save_item_override(*, master, item, values, user):
    with transaction.atomic():
        ItemOverride.objects.update_or_create(
            master=master, item=item, defaults={**values, "created_by": user}
        )
        plans.request_rebuild(master.pk)


def remove_item_override(*, master, item):
    with transaction.atomic():
        ItemOverride.objects.filter(master=master, item=item).delete()
        plans.request_rebuild(master.pk)


@transaction.atomic
def set_reporting_currency(*, master, currency):
    """The master's reporting currency, which is also the master organization's own
    currency (a master sells nothing itself)."""
    MasterAccount.objects.filter(pk=master.pk).update(reporting_currency=currency)
    Organization.objects.filter(pk=master.organization_id).update(currency=currency)


class RateRefused(Exception):
    """str(exc) tells the user what to do instead."""


def add_exchange_rate(*, master, user, currency, valid_from, rate):
    """A dated rate: 1 `currency` = `rate` units of the master's reporting currency."""
    if currency == master.reporting_currency:
        raise RateRefused(f"{currency} is the reporting currency: its money needs no rate.")
    if rate <= 0:
        raise RateRefused("A rate is more than zero.")
    try:
        with transaction.atomic():
            return ExchangeRate.objects.create(
                master=master, currency=currency, valid_from=valid_from, rate=rate,
                created_by=user,
            )  # fmt: skip
    except IntegrityError:
        raise RateRefused(
            f"There is already a {currency} rate from {valid_from:%Y-%m-%d}: delete it first "
            "to change it."
        ) from None


def delete_exchange_rate(*, rate):
    rate.delete()


@transaction.atomic
def decide_match(*, master, kind, key, action, user) -> MatchDecision:
    """Merge the products of a matching conflict into one item, or keep them apart; a new
    decision on the same conflict replaces the old one. The order plan is rebuilt with it
    once the decision is committed."""
    if kind not in MatchDecision.Kind.values or action not in MatchDecision.Action.values:
        raise ValueError(f"not a matching decision: {kind!r}, {action!r}")
    decision, _ = MatchDecision.objects.update_or_create(
        master=master, kind=kind, key=key,
        defaults={"action": action, "decided_by": user, "decided_at": timezone.now()},
    )  # fmt: skip
    plans.request_rebuild(master.pk)
    return decision


@transaction.atomic
def undo_match(*, decision, user) -> None:
    """Forget a decision: its conflict is held again, and the plan rebuilt without it.
    The row was the record of the decision; who undid it goes to the log."""
    MatchDecision.objects.filter(pk=decision.pk).delete()
    log.info(
        "match decision %s (%s %s: %s) of master %s undone by user %s",
        decision.pk, decision.kind, decision.key, decision.action, decision.master_id, user.pk,
    )  # fmt: skip
    plans.request_rebuild(decision.master_id)


# -- Vendor and item rules, stock pools: each rebuilds the plan --------------------------


def add_replenishment_rule(*, master, values):
    with transaction.atomic():
        rule = ReplenishmentRule.objects.create(master=master, **values)
        plans.request_rebuild(master.pk)
    return rule


def delete_replenishment_rule(*, rule):
    with transaction.atomic():
        rule.delete()
        plans.request_rebuild(rule.master_id)


def set_stock_pool(*, connection, pool):
    """Accounts with the same pool name share their stock and are planned together."""
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(stock_pool=" ".join(pool.split()))
        plans.request_rebuild(connection.master_id)
