"""Writes of master accounts: connections (which make the master on first use), their
removal, starting a load of every connection, and product-matching decisions."""

import logging

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organization
from aggregation.models import Connection, LoadRun, MasterAccount, MatchDecision, SourceFile

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
    master_org = Organization.objects.create(name=name, is_retailer=organization.is_retailer)
    Membership.objects.create(user=user, organization=master_org, role=Membership.Role.OWNER)
    master = MasterAccount.objects.create(organization=master_org)
    Connection.objects.create(
        master=master, child=organization, kind=Connection.Kind.ACCOUNT, created_by=user
    )
    return master


@transaction.atomic
def add_csv_connection(*, organization, user, child_name, files, master_name=""):
    """A new child account fed by CSV files (stores, products, stock, sales)."""
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
    child = Organization.objects.create(name=name, is_retailer=True)
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
        transaction.on_commit(lambda: refresh_rollups.delay(master_id))


def start_load(master, user):
    from aggregation.jobs import load_all_connections

    with transaction.atomic():
        running = LoadRun.objects.filter(
            master=master, status__in=[LoadRun.Status.QUEUED, LoadRun.Status.RUNNING]
        )
        if running.exists():
            return running.first()
        run = LoadRun.objects.create(
            master=master, total=master.connections.count() + 1, started_by=user
        )
        transaction.on_commit(lambda: load_all_connections.delay(run.pk))
    return run


@transaction.atomic
def decide_match(*, master, kind, key, action, user) -> MatchDecision:
    """Merge the products of a matching conflict into one item, or keep them apart; a new
    decision on the same conflict replaces the old one. The order plan is rebuilt with it
    once the decision is committed."""
    from aggregation.jobs import rebuild_plan

    if kind not in MatchDecision.Kind.values or action not in MatchDecision.Action.values:
        raise ValueError(f"not a matching decision: {kind!r}, {action!r}")
    decision, _ = MatchDecision.objects.update_or_create(
        master=master, kind=kind, key=key,
        defaults={"action": action, "decided_by": user, "decided_at": timezone.now()},
    )  # fmt: skip
    rebuild_plan.delay_on_commit(master.pk)
    return decision


@transaction.atomic
def undo_match(*, decision, user) -> None:
    """Forget a decision: its conflict is held again, and the plan rebuilt without it.
    The row was the record of the decision; who undid it goes to the log."""
    from aggregation.jobs import rebuild_plan

    MatchDecision.objects.filter(pk=decision.pk).delete()
    log.info(
        "match decision %s (%s %s: %s) of master %s undone by user %s",
        decision.pk, decision.kind, decision.key, decision.action, decision.master_id, user.pk,
    )  # fmt: skip
    rebuild_plan.delay_on_commit(decision.master_id)
