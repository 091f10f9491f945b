"""Writes of master accounts: connections (which make the master on first use), their
removal, starting a load of every connection, the master's exchange rates and product-matching decisions."""

import logging

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.forms import clean_organization_name
from accounts.models import Membership, Organization
from accounts.names import organization_name_key
from accounts.services import Taken, new_organization
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
from core.queue import enqueue_on_commit, enqueue_recorded_on_commit
from core.versions import check_version

log = logging.getLogger(__name__)


class ConnectionRefused(Exception):
    """str(exc) tells the user what to do instead."""


def _new_name(value, taken, label):
    """A new account's name as stored, refused as a look-alike of an existing one
    (accounts/names.py) or when too long; `label` names the field in the refusal."""
    try:
        return clean_organization_name(value, taken=taken)
    except ValidationError as error:
        raise ConnectionRefused(f"{label}: {' '.join(error.messages)}") from None


def _new_organization(**fields):
    try:
        return new_organization(**fields)
    except Taken as taken:  # another account took the name since the check
        raise ConnectionRefused(
            f"An organization named {fields['name']} already exists: choose another name."
        ) from taken


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
    name = _new_name(
        master_name or f"{organization.name} Group",
        "An organization named {name} already exists: choose another master name.",
        "Name of the master account",
    )
    # The master reports in its first child's currency until someone says otherwise.
    master_org = _new_organization(
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
    name = _new_name(
        child_name,
        "An organization named {name} already exists: choose another account name.",
        "Name of the new account",
    )
    child = _new_organization(
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
def add_shop_connection(
    *, organization, user, kind, child_name, shop_url, credentials, master_name="", currency=None
):
    """A new child account fed by a shop's API (Shopify, WooCommerce) at `shop_url` (checked
    by the form), signed in with `credentials` (stored encrypted)."""
    master = _master_for(organization, user, master_name)
    name = _new_name(
        child_name,
        "An organization named {name} already exists: choose another account name.",
        "Name of the new account",
    )
    child = _new_organization(
        name=name, is_retailer=True, currency=currency or organization.currency
    )
    connection = Connection(
        master=master, child=child, kind=kind, shop_url=shop_url, created_by=user
    )
    connection.set_credentials(credentials)
    connection.save()
    return master, connection


def change_shop_connection(*, connection, shop_url, credentials) -> Connection:
    """A shop connection's new address and credentials; `credentials` empty keeps the
    saved ones. Another shop's address reads everything again on the next load."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        fields = ["shop_url"]
        if shop_url != connection.shop_url:
            connection.synced_until = None
            fields.append("synced_until")
        connection.shop_url = shop_url
        if credentials:
            connection.set_credentials(credentials)
            fields.append("credentials")
        connection.save(update_fields=fields)
    return connection


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
        name_key=organization_name_key(account_name),
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
        # The run is the record: with the broker down the page still shows it queued, and
        # the sweep sends a run whose job the broker never took (loading.send_unsent).
        enqueue_recorded_on_commit(
            load_all_connections, run.pk, sent=LoadRun.objects.filter(pk=run.pk)
        )
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


# The settings form, its draft and applying it are one record with one `version`
# (core/models.py): a form read before another planner's draft, or a draft page read
# before another's change, is refused with who changed what and when.


def _locked_master(master, version):
    locked = (
        MasterAccount.objects.select_for_update(of=("self",))
        .select_related("changed_by")
        .get(pk=master.pk)
    )
    check_version(locked, version, lambda m: m.last_change())
    return locked


def _settings_words(settings):
    return ", ".join(
        f"{MasterAccount._meta.get_field(key).verbose_name} {value}"
        for key, value in settings.items()
    )


def preview_plan_settings(*, master, draft, actor=None, version=None):
    """Keep `draft` (the settings form's values) beside the live settings and work out in a
    worker what it would change; the live plan is not touched. A new reporting currency,
    which changes no order, is saved at once."""
    from aggregation.jobs import preview_plan_settings as preview_job

    values = {
        key: float(draft[key]) if key == "service_level" else draft[key] for key in PLAN_SETTINGS
    }
    with transaction.atomic():
        locked = _locked_master(master, version)
        words = []
        currency = draft.get("reporting_currency")
        if currency and currency != locked.reporting_currency:
            set_reporting_currency(master=locked, currency=currency)
            locked.reporting_currency = currency
            words.append(f"changed the reporting currency to {currency}")
        current = plans.settings_of(locked)
        changed = {key: value for key, value in values.items() if current.get(key) != value}
        words.append(
            f"saved draft settings ({_settings_words(changed)})"
            if changed
            else "saved draft settings"
        )
        locked.draft_settings, locked.draft_summary = values, {}
        fields = locked.record_change(actor=actor, change=" and ".join(words))
        locked.save(update_fields=[*fields, "draft_settings", "draft_summary"])
        master.version = locked.version
        enqueue_on_commit(preview_job, master.pk)
    return values


def apply_plan_settings(*, master, actor=None, version=None):
    """The draft becomes the live settings; the plan is rebuilt with them in a worker.
    `version` is the draft's as its page showed it."""
    with transaction.atomic():
        master = _locked_master(master, version)
        draft = dict(master.draft_settings)
        for key, value in draft.items():
            setattr(master, key, value)
        master.draft_settings, master.draft_summary = {}, {}
        fields = master.record_change(
            actor=actor, change=f"applied the draft settings ({_settings_words(draft)})"
        )
        master.save(update_fields=[*PLAN_SETTINGS, *fields, "draft_settings", "draft_summary"])
        plans.request_rebuild(master.pk)
    return master


def discard_plan_settings(*, master, actor=None, version=None):
    with transaction.atomic():
        master = _locked_master(master, version)
        master.draft_settings, master.draft_summary = {}, {}
        fields = master.record_change(actor=actor, change="discarded the draft settings")
        master.save(update_fields=[*fields, "draft_settings", "draft_summary"])


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
