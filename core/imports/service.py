"""Import batches through their life: upload, mapping, preview, confirm, apply."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from core.imports.base import STORED_ERRORS, Importer, RowError, set_progress
from core.imports.reading import ImportRejected, Table
from core.imports.signals import import_applied
from core.imports.staging import TOUCHED, StagedRows, apply_staged, staging_applies
from core.imports.values import ColumnReading
from core.models import ImportBatch

log = logging.getLogger(__name__)
Status = ImportBatch.Status
WRITE_CHUNK = 5000
STARTED = "This import has already been started or cancelled; nothing was changed."


class ImportRefused(Exception):
    """A refused step of an import; the message is for the user."""


def read_upload(uploaded_file) -> bytes:
    _check_size(uploaded_file.size)
    return uploaded_file.read()


def start_import(
    *, organization, user, importer: Importer, uploaded_file, options: dict | None = None
) -> ImportBatch:
    """Keep the file, check it, guess its columns and compute the preview.

    A whole-file problem raises ImportRejected and keeps nothing."""
    _check_size(uploaded_file.size)
    batch = ImportBatch(
        organization=organization,
        kind=importer.kind,
        uploaded_by=user,
        file_name=uploaded_file.name[:255],
        file_size=uploaded_file.size,
        options=options or {},
    )
    batch.file.save(uploaded_file.name, uploaded_file, save=False)
    try:
        table = importer.read(opener(batch))
        batch.encoding = table.encoding
        batch.delimiter = table.delimiter
        batch.header = table.header
        batch.header_line = table.header_line
        batch.mapping = importer.guess_mapping(table.header)
        _preview(batch, importer, table)
    except ImportRejected:
        batch.file.delete(save=False)
        raise
    batch.save()
    return batch


def _check_size(size):
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ImportRejected(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(limit)}. "
            "Split it into smaller files."
        )


def opener(batch: ImportBatch):
    """Opens the batch's kept file afresh for each pass over its rows."""
    return lambda: batch.file.storage.open(batch.file.name, "rb")


def load_table(batch: ImportBatch, importer: Importer) -> Table:
    return importer.read(opener(batch))


def set_mapping(*, batch: ImportBatch, importer: Importer, mapping: dict[str, int]) -> None:
    batch.mapping = mapping
    _preview(batch, importer, load_table(batch, importer))
    _save_preview(batch)


def set_reading(*, batch: ImportBatch, importer: Importer, field: str, choice: str) -> None:
    """The user's choice of how a column's numbers or dates are written."""
    readings = dict(batch.options.get("readings", {}))
    readings[field] = choice
    batch.options = {**batch.options, "readings": readings}
    _preview(batch, importer, load_table(batch, importer))
    _save_preview(batch)


def _preview(batch, importer, table, readings=None):
    """Compute the preview into `batch` (unsaved). On PostgreSQL the rows to be stored are
    staged too; the caller saves the batch and forgets the rows it staged before."""
    batch.staged_rows = ""
    if importer.missing_required(batch.mapping):
        batch.status = Status.NEEDS_MAPPING
        batch.total_rows = sum(1 for _ in table.rows())
        batch.details = {}
        return
    stage = StagedRows() if staging_applies(importer) else None
    try:
        preview = importer.preview(
            batch.organization, table, batch.mapping, batch.options, stage=stage,
            readings=readings,
        )  # fmt: skip
    except BaseException:
        if stage is not None:
            stage.discard()
        raise
    if stage is not None:
        batch.staged_rows = stage.save(batch.file.storage, _staged_name(batch))
    batch.status = Status.READY
    batch.total_rows = preview.total
    batch.to_create = preview.creates
    batch.to_update = preview.updates
    batch.unchanged = preview.unchanged
    batch.error_count = preview.error_count
    batch.errors = [e.as_dict() for e in preview.errors[:STORED_ERRORS]]
    batch.details = _details(importer, table, batch.mapping, preview)


def _details(importer, table, mapping, preview):
    """What the preview page shows beyond the counts: each column with samples as read,
    how numbers and dates are read, the changes per field, notes."""
    readings = importer.readings
    columns = []
    for field_name, index in sorted(mapping.items(), key=lambda item: item[1]):
        reading = readings.get(field_name)
        samples = preview.samples.get(field_name, [])
        if reading and reading.kind == "date" and reading.ambiguous:
            # Not yet a date: which one depends on the user's choice above.
            samples = [[raw, "(choose how dates are written)"] for raw, _stored in samples]
        columns.append(
            {
                "field": field_name,
                "label": importer.label_of(field_name),
                "header": table.header[index] if index < len(table.header) else "",
                "samples": samples,
                "reading": reading.as_dict() if reading else None,
            }
        )
    notes = [importer.notes[key].format(count=count) for key, count in preview.notes.items()]
    if table.encoding_note:
        notes.insert(0, table.encoding_note)
    return {
        "repeats": preview.repeats,
        "columns": columns,
        "changed_fields": dict(preview.changed_fields.most_common()),
        "changed_rows": preview.changed_rows,
        "notes": notes,
        "ambiguous_dates": [f for f, r in readings.items() if r.kind == "date" and r.ambiguous],
    }


def refresh_preview(*, batch: ImportBatch, importer: Importer) -> None:
    """Recompute the counts against the data as it is now (it may have changed)."""
    _preview(batch, importer, load_table(batch, importer))
    _save_preview(batch)


PREVIEW_FIELDS = ("mapping", "status", "total_rows", "to_create", "to_update", "unchanged",
                  "error_count", "errors", "details", "options", "staged_rows")  # fmt: skip


def _save_preview(batch):
    """Save the new preview only if the batch is still open. A plain save() from a request
    that read the batch before a concurrent confirm would put a queued, running or applied
    import back to "ready" (and it could then be imported twice). The rows the previous
    preview staged are forgotten; if the batch was taken meanwhile, the new ones are."""
    with transaction.atomic():
        before = (
            ImportBatch.objects.select_for_update()
            .filter(pk=batch.pk, status__in=ImportBatch.OPEN)
            .values_list("staged_rows", flat=True)
            .first()
        )
        saved = before is not None and ImportBatch.objects.filter(pk=batch.pk).update(
            **{name: getattr(batch, name) for name in PREVIEW_FIELDS}
        )
    if not saved:
        _forget_staged_name(batch.staged_rows.name)
        batch.refresh_from_db()
        raise ImportRefused(STARTED)
    if before and before != batch.staged_rows.name:
        _forget_staged_name(before)


def _staged_name(batch):
    return f"imports/staged/{Path(batch.file.name).stem}.rows"


def _forget_staged_name(name):
    if name:
        ImportBatch._meta.get_field("staged_rows").storage.delete(name)


def forget_staged(batch_id):
    """Delete a finished or cancelled batch's staged rows: they are of no use any more."""
    names = ImportBatch.objects.filter(pk=batch_id).exclude(staged_rows="")
    for name in names.values_list("staged_rows", flat=True):
        _forget_staged_name(name)
    names.update(staged_rows="")


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
    ambiguous = (batch.details or {}).get("ambiguous_dates") or []
    if ambiguous:
        importer_labels = ", ".join(importer.label_of(f) for f in ambiguous)
        raise ImportRefused(
            f"Choose how the dates in {importer_labels} are written (day first or month first) "
            "before importing: the file does not say, and the two readings give other dates."
        )
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
    from core.queue import enqueue_recorded_on_commit

    set_progress(batch.pk, 0, batch.total_rows)
    # The batch is the record: with the broker down the request still answers, and the
    # sweep sends a queued batch whose job the broker never took (send_unsent_batches).
    enqueue_recorded_on_commit(apply_import, batch.pk, sent=ImportBatch.objects.filter(pk=batch.pk))
    return True


def cancel(*, batch: ImportBatch) -> bool:
    cancelled = ImportBatch.objects.filter(pk=batch.pk, status__in=ImportBatch.OPEN).update(
        status=Status.CANCELLED
    )
    if cancelled:
        forget_staged(batch.pk)
    return bool(cancelled)


def apply_batch(batch_id: int) -> None:
    """Write the file's rows in one transaction: all of them, or the valid ones only.

    Safe to run twice: a QUEUED batch is taken with one conditional UPDATE, so a second run
    finds nothing to do; an APPLYING one only once its worker is known dead (_take).
    Finishing is conditional too: if the stuck-import sweep failed the batch meanwhile, the
    rows written are rolled back, so the page's "nothing was imported" stays true. Work
    after the commit (the rollup refresh a child's import asks for) is not the import's: if
    it fails, the batch still says what was written."""
    from core.imports.registry import importer_for

    if not _take(batch_id):
        return
    batch = ImportBatch.objects.select_related("organization").get(pk=batch_id)
    importer = importer_for(batch.kind)
    importer.applied_by = batch.applied_by
    try:
        with transaction.atomic():
            _take_turns(batch)
            if batch.staged_rows and staging_applies(importer):
                counts = _apply_staged(batch, importer)
            else:
                counts = _apply_rows(batch, importer)
            finished = ImportBatch.objects.filter(pk=batch_id, status=Status.APPLYING).update(
                status=Status.APPLIED,
                created_count=counts.creates,
                updated_count=counts.updates,
                skipped_count=counts.error_count,
                error_count=counts.error_count,
                unchanged=counts.unchanged,
                errors=counts.errors,
                applied_at=timezone.now(),
            )
            if not finished:
                raise Abandoned
            import_applied.send(sender=type(importer), batch=batch, rows=counts.touched)
    except Abandoned:
        log.warning("import %s was failed by the sweep while it ran; rolled back", batch_id)
    except (ImportRefused, ImportRejected) as refusal:
        _fail(batch_id, str(refusal))
    except SoftTimeLimitExceeded:
        minutes = round(settings.LONG_JOB_SOFT_TIME_LIMIT / 60)
        _fail(batch_id, f"The import took longer than {minutes} minutes, so it was stopped and "
                        "nothing was written. Split the file and upload the parts.")  # fmt: skip
        forget_staged(batch_id)
        raise  # the job that called this is out of time too (a load of every connection)
    except Exception:
        if ImportBatch.objects.filter(pk=batch_id, status=Status.APPLIED).exists():
            # Raised by work run on commit, after the rows were written: not the import's.
            log.exception("import %s was applied; work after its commit failed", batch_id)
        else:
            log.exception("import %s failed", batch_id)
            _fail(batch_id, "The import failed on our side and nothing was written. Try again.")
    forget_staged(batch_id)


def _take(batch_id) -> bool:
    """Take a QUEUED batch, or one left APPLYING by a worker that died: the job cannot run
    longer than its hard time limit, and a dead worker's transaction was rolled back with
    its connection, so after that long the batch is written by no one."""
    now = timezone.now()
    batches = ImportBatch.objects.filter(pk=batch_id)
    if batches.filter(status=Status.QUEUED).update(status=Status.APPLYING, started_at=now):
        return True
    lease = timedelta(seconds=settings.LONG_JOB_TIME_LIMIT)
    taken = batches.filter(status=Status.APPLYING, started_at__lt=now - lease).update(
        started_at=now
    )
    if taken:
        log.warning("import %s: its worker was lost while writing; writing it again", batch_id)
    return bool(taken)


def _take_turns(batch):
    """Two imports of one kind into one organization are written one after the other
    (PostgreSQL): their upserts of the same rows would otherwise wait on each other, and
    could deadlock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"import:{batch.organization_id}:{batch.kind}"],
            )


@dataclass
class _Applied:
    creates: int = 0
    updates: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)
    touched: list = field(default_factory=list)


def _apply_rows(batch, importer):
    """Walk the file again and write its new and changed rows a chunk at a time, inside
    the caller's transaction: a row that has become an error since the preview stops an
    all-or-nothing import before anything is kept."""
    counts = _Applied()
    creates, updates = [], []
    touched = set()
    done = 0
    set_progress(batch.pk, 0, batch.total_rows)

    def flush():
        importer.write(batch.organization, creates, updates)
        creates.clear()
        updates.clear()
        set_progress(batch.pk, done, batch.total_rows)

    table = load_table(batch, importer)
    readings = _readings_of(batch)
    for step in importer.walk(
        batch.organization, table, batch.mapping, batch.options, readings=readings
    ):
        done += 1
        if step.action == "error":
            if not batch.valid_only:
                raise ImportRefused(
                    f"Line {step.line} has an error now ({step.error.column}: "
                    f"{step.error.message}), so nothing was imported."
                )
            counts.error_count += 1
            if len(counts.errors) < STORED_ERRORS:
                counts.errors.append(step.error)
            continue
        if step.action in ("unchanged", "repeat"):
            counts.unchanged += 1
            continue
        if step.action == "create":
            counts.creates += 1
            creates.append(step.row)
        else:
            counts.updates += 1
            updates.append((importer.key(step.row), step.row))
        touched.add(tuple((k, step.row[k]) for k in TOUCHED if k in step.row))
        if len(creates) + len(updates) >= WRITE_CHUNK:
            flush()
    flush()
    _analyze(importer.written_models, counts.creates)
    counts.errors = [e.as_dict() for e in counts.errors]
    counts.touched = [dict(pairs) for pairs in touched]
    return counts


ANALYZE_AFTER_ROWS = 5000
# A table is analyzed once it has grown by this share since its last ANALYZE, this import's
# new rows with them (autovacuum_analyze_scale_factor's value).
ANALYZE_SHARE = 0.1


def _apply_staged(batch, importer):
    """Write the rows the preview staged with set-based SQL (core/imports/staging.py), in
    the caller's transaction. A row whose store or product was deleted since the preview
    stops an all-or-nothing import; importing the valid rows only, it is skipped."""
    set_progress(batch.pk, 0, batch.total_rows)
    merged = apply_staged(
        batch,
        importer,
        valid_only=batch.valid_only,
        progress=lambda done: set_progress(batch.pk, min(done, batch.total_rows), batch.total_rows),
    )
    missing = merged["missing"]
    if missing and not batch.valid_only:
        line, label = missing[0]
        raise ImportRefused(
            f"Line {line} names a {label.lower()} that was deleted after the preview"
            + (f" (and {len(missing) - 1} more lines)" if len(missing) > 1 else "")
            + ", so nothing was imported. Upload the file again."
        )
    errors = list(batch.errors) + [
        RowError(line, label, f"this {label.lower()} was deleted after the preview").as_dict()
        for line, label in missing
    ]
    counts = _Applied(
        creates=merged["creates"],
        updates=merged["updates"],
        error_count=batch.error_count + len(missing),
        errors=sorted(errors, key=lambda e: e["line"])[:STORED_ERRORS],
        touched=merged["touched"],
    )
    counts.unchanged = batch.total_rows - counts.error_count - counts.creates - counts.updates
    _analyze(importer.written_models, counts.creates)
    return counts


def _readings_of(batch):
    """How the preview read each number and date column (the same file reads the same
    way), so applying does not read every value a third time; None if it was not kept."""
    columns = (batch.details or {}).get("columns")
    if columns is None:
        return None
    return {
        column["field"]: ColumnReading(**column["reading"])
        for column in columns
        if column.get("reading")
    }


def _analyze(models, created):
    """PostgreSQL plans from table statistics, and a table just filled in bulk has none
    yet (autovacuum comes later, if at all): the rollup refresh that follows an import, and
    the next page, would be planned as if the table were empty. So an import that created
    at least ANALYZE_AFTER_ROWS rows ANALYZEs each table it wrote once the table has grown
    by ANALYZE_SHARE since its last ANALYZE, these rows included.

    Rows updated in place do not count: they change neither how many rows a table has nor
    which stores and products they join, which is what the plans rest on, and sampling the
    table again costs about as much as writing 10,000 rows (a batch of updates every few
    seconds would pay it each time). Their new values are sampled by autovacuum, whose
    rule counts updates too."""
    if connection.vendor != "postgresql" or created < ANALYZE_AFTER_ROWS:
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            # reltuples: the rows at the last ANALYZE (or VACUUM), -1 if never; n_live_tup:
            # the rows now, as counted by committed inserts and deletes since.
            cursor.execute(
                "SELECT c.reltuples, coalesce(s.n_live_tup, 0) FROM pg_class c "
                "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = %s::regclass",
                [connection.ops.quote_name(table)],
            )
            estimated, live = cursor.fetchone()
            grown = max(live - estimated, 0) + created
            if estimated < 0 or grown >= ANALYZE_SHARE * estimated:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


class Abandoned(Exception):
    """The batch stopped being APPLYING while its rows were written (the sweep failed it)."""


def _fail(batch_id, message):
    """Fail a batch still running. An applied batch stays applied whatever fails after its
    commit: its rows were written, and the page must not say "nothing was written"."""
    ImportBatch.objects.filter(pk=batch_id, status__in=ImportBatch.RUNNING).update(
        status=Status.FAILED, message=message
    )


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


def send_unsent_batches() -> int:
    """Send again the job of each import confirmed (queued) whose job the broker never took:
    the broker was down at its confirm, or the process died between the commit and the
    publish. One queued for longer than IMPORT_STUCK_AFTER_MINUTES is failed instead
    (fail_stuck_batches, run first). Returns how many the broker took."""
    from core.jobs import apply_import
    from core.queue import RESEND_UNSENT_AFTER, send_unsent

    unsent = ImportBatch.objects.filter(
        status=Status.QUEUED,
        job_sent_at__isnull=True,
        started_at__lt=timezone.now() - RESEND_UNSENT_AFTER,
    )
    sent = send_unsent(apply_import, unsent)
    if sent:
        log.warning("%s queued imports were never sent to a worker; sent now", sent)
    return sent


def forget_stale_staged_rows() -> int:
    """Delete staged rows nothing will use: those of imports that ended without deleting
    them (a worker died) and those of previews left unconfirmed for a day. Such a preview
    can still be imported: applying then reads the file again."""
    cutoff = timezone.now() - timedelta(days=1)
    stale = ImportBatch.objects.exclude(staged_rows="").filter(
        Q(status__in=[Status.APPLIED, Status.FAILED, Status.CANCELLED])
        | Q(status__in=ImportBatch.OPEN, created_at__lt=cutoff)
    )
    ids = list(stale.values_list("pk", flat=True))
    for batch_id in ids:
        forget_staged(batch_id)
    return len(ids)


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
