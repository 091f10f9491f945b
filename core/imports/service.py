"""Import batches through their life: upload, mapping, preview, confirm, apply."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from core.imports.base import STORED_ERRORS, Importer, set_progress
from core.imports.reading import ImportRejected, Table
from core.imports.signals import import_applied
from core.models import ImportBatch

log = logging.getLogger(__name__)
Status = ImportBatch.Status
WRITE_CHUNK = 5000
STARTED = "This import has already been started or cancelled; nothing was changed."


class ImportRefused(Exception):
    """A refused step of an import; the message is for the user."""


def read_upload(uploaded_file) -> bytes:
    limit = settings.IMPORT_MAX_BYTES
    if uploaded_file.size > limit:
        raise ImportRejected(
            f"The file is {filesizeformat(uploaded_file.size)}; the limit is "
            f"{filesizeformat(limit)}. Split it into smaller files."
        )
    return uploaded_file.read()


def start_import(
    *, organization, user, importer: Importer, uploaded_file, options: dict | None = None
) -> ImportBatch:
    """Read and check the file, guess its columns and compute the preview.

    A whole-file problem raises ImportRejected and stores nothing."""
    data = read_upload(uploaded_file)
    table = importer.read(data)
    mapping = importer.guess_mapping(table.header)
    batch = ImportBatch(
        organization=organization,
        kind=importer.kind,
        uploaded_by=user,
        file_name=uploaded_file.name[:255],
        file_size=len(data),
        encoding=table.encoding,
        delimiter=table.delimiter,
        header=table.header,
        header_line=table.header_line,
        mapping=mapping,
        options=options or {},
    )
    batch.file.save(uploaded_file.name, ContentFile(data), save=False)
    _preview(batch, importer, table)
    batch.save()
    return batch


def load_table(batch: ImportBatch, importer: Importer) -> Table:
    with batch.file.open("rb") as handle:
        return importer.read(handle.read())


def set_mapping(*, batch: ImportBatch, importer: Importer, mapping: dict[str, int]) -> None:
    batch.mapping = mapping
    _preview(batch, importer, load_table(batch, importer))
    _save_preview(batch)


def _preview(batch, importer, table):
    if importer.missing_required(batch.mapping):
        batch.status = Status.NEEDS_MAPPING
        batch.total_rows = len(table.rows)
        return
    plan = importer.plan(batch.organization, table, batch.mapping, batch.options)
    batch.status = Status.READY
    batch.total_rows = plan.total
    batch.to_create = len(plan.creates)
    batch.to_update = len(plan.updates)
    batch.unchanged = plan.unchanged + plan.repeats
    batch.error_count = len(plan.errors)
    batch.errors = [e.as_dict() for e in plan.errors[:STORED_ERRORS]]


def refresh_preview(*, batch: ImportBatch, importer: Importer) -> None:
    """Recompute the counts against the data as it is now (it may have changed)."""
    _preview(batch, importer, load_table(batch, importer))
    _save_preview(batch)


PREVIEW_FIELDS = ("mapping", "status", "total_rows", "to_create", "to_update", "unchanged",
                  "error_count", "errors")  # fmt: skip


def _save_preview(batch):
    """Save the new preview only if the batch is still open. A plain save() from a request
    that read the batch before a concurrent confirm would put a queued, running or applied
    import back to "ready" (and it could then be imported twice)."""
    saved = ImportBatch.objects.filter(pk=batch.pk, status__in=ImportBatch.OPEN).update(
        **{name: getattr(batch, name) for name in PREVIEW_FIELDS}
    )
    if not saved:
        batch.refresh_from_db()
        raise ImportRefused(STARTED)


NOT_READY = {
    Status.NEEDS_MAPPING: "Choose the file's columns first; the import cannot start without them.",
    Status.QUEUED: "This import is already running.",
    Status.APPLYING: "This import is already running.",
    Status.APPLIED: "This file has already been imported.",
    Status.FAILED: "This import failed and nothing was imported; upload the file again.",
    Status.CANCELLED: "This import was cancelled; upload the file again to import it.",
}


def confirm(
    *, batch: ImportBatch, importer: Importer, user, valid_only: bool, inline: bool | None = None
) -> bool:
    """Apply now (small files, or inline=True) or queue a job. Returns True when queued."""
    if batch.status != Status.READY:
        raise ImportRefused(NOT_READY[batch.status])
    if batch.error_count and not valid_only:
        raise ImportRefused(
            f"{batch.error_count} rows have errors, so nothing was imported. Fix the file and "
            "upload it again, or choose to import the valid rows only."
        )
    updated = ImportBatch.objects.filter(pk=batch.pk, status=Status.READY).update(
        status=Status.QUEUED, valid_only=valid_only, applied_by=user, started_at=timezone.now()
    )
    if not updated:
        raise ImportRefused("This import has already been started.")
    if inline is None:
        inline = batch.total_rows <= settings.IMPORT_INLINE_MAX_ROWS
    if inline:
        apply_batch(batch.pk)
        return False
    from core.jobs import apply_import

    set_progress(batch.pk, 0, batch.total_rows)
    apply_import.delay_on_commit(batch.pk)
    return True


def cancel(*, batch: ImportBatch) -> bool:
    return bool(
        ImportBatch.objects.filter(pk=batch.pk, status__in=ImportBatch.OPEN).update(
            status=Status.CANCELLED
        )
    )


def apply_batch(batch_id: int) -> None:
    """Write the file's rows in one transaction: all of them, or the valid ones only.

    Safe to run twice: only a QUEUED batch is taken, and taking it is one conditional
    UPDATE, so a second run finds nothing to do. Finishing is conditional too: if the
    stuck-import sweep failed the batch meanwhile, the rows written are rolled back, so
    the page's "nothing was imported" stays true."""
    from core.imports.registry import importer_for

    taken = ImportBatch.objects.filter(pk=batch_id, status=Status.QUEUED).update(
        status=Status.APPLYING, started_at=timezone.now()
    )
    if not taken:
        return
    batch = ImportBatch.objects.select_related("organization").get(pk=batch_id)
    importer = importer_for(batch.kind)
    try:
        with transaction.atomic():
            plan = importer.plan(
                batch.organization, load_table(batch, importer), batch.mapping, batch.options
            )
            if plan.errors and not batch.valid_only:
                raise ImportRefused(
                    f"{len(plan.errors)} rows have errors now, so nothing was imported."
                )
            _write_in_chunks(batch, importer, plan)
            finished = ImportBatch.objects.filter(pk=batch_id, status=Status.APPLYING).update(
                status=Status.APPLIED,
                created_count=len(plan.creates),
                updated_count=len(plan.updates),
                skipped_count=len(plan.errors),
                error_count=len(plan.errors),
                unchanged=plan.unchanged + plan.repeats,
                errors=[e.as_dict() for e in plan.errors[:STORED_ERRORS]],
                applied_at=timezone.now(),
            )
            if not finished:
                raise Abandoned
            import_applied.send(
                sender=type(importer), batch=batch,
                rows=[*plan.creates, *(values for _key, values in plan.updates)],
            )  # fmt: skip
    except Abandoned:
        log.warning("import %s was failed by the sweep while it ran; rolled back", batch_id)
    except (ImportRefused, ImportRejected) as refusal:
        _fail(batch_id, str(refusal))
    except Exception:
        log.exception("import %s failed", batch_id)
        _fail(batch_id, "The import failed on our side and nothing was written. Try again.")


class Abandoned(Exception):
    """The batch stopped being APPLYING while its rows were written (the sweep failed it)."""


def _write_in_chunks(batch, importer, plan):
    total = len(plan.creates) + len(plan.updates)
    done = 0
    set_progress(batch.pk, 0, total)
    for start in range(0, len(plan.creates), WRITE_CHUNK):
        chunk = plan.creates[start : start + WRITE_CHUNK]
        importer.write(batch.organization, chunk, [])
        done += len(chunk)
        set_progress(batch.pk, done, total)
    for start in range(0, len(plan.updates), WRITE_CHUNK):
        chunk = plan.updates[start : start + WRITE_CHUNK]
        importer.write(batch.organization, [], chunk)
        done += len(chunk)
        set_progress(batch.pk, done, total)


def _fail(batch_id, message):
    ImportBatch.objects.filter(pk=batch_id).update(status=Status.FAILED, message=message)


def fail_stuck_batches() -> int:
    """Fail imports queued or writing for longer than IMPORT_STUCK_AFTER_MINUTES: their job
    was lost or their worker died. Without this the page would say "Importing…" forever."""
    minutes = settings.IMPORT_STUCK_AFTER_MINUTES
    cutoff = timezone.now() - timedelta(minutes=minutes)
    stuck = Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff)
    return ImportBatch.objects.filter(stuck, status__in=ImportBatch.RUNNING).update(
        status=Status.FAILED,
        message=(
            f"The import had not finished after {minutes} minutes, so it was stopped. "
            "Upload the file again to try once more."
        ),
    )


def import_file(
    *, organization, user, importer: Importer, path, valid_only=False, options=None
) -> ImportBatch:
    """Import a file from disk through the same machinery as an upload (seed data, scripts)."""
    from django.core.files import File

    with open(path, "rb") as handle:
        batch = start_import(
            organization=organization,
            user=user,
            importer=importer,
            uploaded_file=File(handle, name=path.name),
            options=options,
        )
    if batch.status == Status.READY:
        confirm(batch=batch, importer=importer, user=user, valid_only=valid_only, inline=True)
        batch.refresh_from_db()
    return batch
