"""Where a child account's data comes from. A connector loads a child from its source;
"Load data from all connections" calls each child's connector, then refreshes the rollups.

    CsvConnector      the files uploaded with the connection, through the import machinery
    AccountConnector  an account already on Shelfshare: its data is already there

Inventory-system and e-commerce API connectors plug in here: a class with `kind` and
`load(connection)`, registered in CONNECTORS."""

from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from aggregation.models import Connection, SourceFile
from core.imports.registry import importer_for
from core.imports.service import import_file
from core.models import ImportBatch


class LoadFailed(Exception):
    """str(exc) says what went wrong, for the connections page."""


class Connector:
    kind = ""

    def load(self, connection: Connection, user) -> str:
        """Bring the child's data up to date; return a one-line summary or raise LoadFailed."""
        raise NotImplementedError


class CsvConnector(Connector):
    kind = Connection.Kind.CSV

    def load(self, connection, user):
        files = {f.kind: f for f in connection.files.all()}
        if not files:
            raise LoadFailed("No files are attached to this connection.")
        summary = []
        for kind in SourceFile.ORDER:
            source = files.get(kind)
            if source is None:
                continue
            try:
                path = source.file.path
            except (ValueError, NotImplementedError) as error:
                raise LoadFailed(
                    f"{source.original_name}: the file is missing ({error})."
                ) from error
            try:
                batch = import_file(
                    organization=connection.child, user=user, importer=importer_for(kind), path=_existing(path, source),
                    valid_only=True, options={"default_store": "1"} if kind == "sales" else None,
                )  # fmt: skip
            except OSError as error:
                raise LoadFailed(f"{source.original_name}: {error.strerror or error}.") from error
            if batch.status != ImportBatch.Status.APPLIED:
                reason = batch.message or "; ".join(e.get("message", "") for e in batch.errors[:3])
                raise LoadFailed(
                    f"{source.original_name} ({kind}): {reason or 'the import failed'}"
                )
            summary.append(f"{kind} {batch.created_count} new, {batch.updated_count} updated")
        return "; ".join(summary)


def _existing(path, source):
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise LoadFailed(f"{source.original_name}: the stored file is missing; upload it again.")
    return path


class AccountConnector(Connector):
    kind = Connection.Kind.ACCOUNT

    def load(self, connection, user):
        return "an account on Shelfshare: its own imports keep it up to date"


CONNECTORS = {c.kind: c() for c in (CsvConnector, AccountConnector)}


def load(connection, user):
    """Load one child; record success or the error on the connection."""
    try:
        summary = CONNECTORS[connection.kind].load(connection, user)
    except LoadFailed as error:
        Connection.objects.filter(pk=connection.pk).update(
            last_error=str(error), last_error_at=timezone.now()
        )
        raise
    except SoftTimeLimitExceeded:
        raise  # the whole load is out of time: not this child's error
    except Exception as error:
        message = f"The load failed on our side: {type(error).__name__}."
        Connection.objects.filter(pk=connection.pk).update(
            last_error=message, last_error_at=timezone.now()
        )
        raise LoadFailed(message) from error
    Connection.objects.filter(pk=connection.pk).update(last_loaded_at=timezone.now(), last_error="")
    return summary
