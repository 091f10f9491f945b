"""Rows from a program (the API, a store connector) through the import machinery.

The rows are written as a CSV file named after their source and go through the very
steps an upload does: the importer's clean() checks every row, the preview counts what
would change, the apply writes it in one transaction and sends `import_applied` (which
refreshes master rollups). So a row the Imports page refuses, the API refuses too, with
the same words. What differs: the columns are the importer's own field names (no
guessing), numbers are written with a decimal point and dates as YYYY-MM-DD (no reading
to decide), the rows are walked from memory, row i as line i + 2 of the file, and they
are applied at once, in the caller's request or job.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile

from core.imports.base import STORED_ERRORS, Importer
from core.imports.columns import DATE, NUMBER
from core.imports.reading import Table
from core.imports.service import _preview, confirm
from core.imports.values import ISO, POINT, ColumnReading
from core.models import ImportBatch

Status = ImportBatch.Status


@dataclass
class RowProblem:
    """One refused row: its index in the batch (0 first), the field, the value, why."""

    row: int
    field: str
    value: object
    message: str

    def as_dict(self):
        return {"row": self.row, "field": self.field, "value": self.value, "message": self.message}


class RowsRejected(Exception):
    """Nothing was written: `problems` name the rows (at most the first STORED_ERRORS),
    `count` is how many rows were refused in all; `batch` keeps the record."""

    def __init__(self, message, *, problems=(), count=0, batch=None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)
        self.count = count
        self.batch = batch


def import_rows(
    *, organization, user, importer: Importer, rows: list[dict], source: str,
    valid_only: bool = False, options: dict | None = None,
) -> ImportBatch:  # fmt: skip
    """Write `rows` (dicts keyed by the importer's field names) all or nothing, or the valid
    ones only. Returns the applied batch; raises RowsRejected, writing nothing, when a row
    is refused (all or nothing) or the rows cannot be imported at all."""
    if len(rows) > settings.IMPORT_MAX_ROWS:
        raise RowsRejected(
            f"The batch has {len(rows):,} rows; the most one batch may have is "
            f"{settings.IMPORT_MAX_ROWS:,}. Send it in smaller batches."
        )
    fields = _fields(importer, rows)
    cells = [[_text(row.get(name)) for name in fields] for row in rows]
    content = _as_csv(fields, cells, rows)
    batch = ImportBatch(
        organization=organization,
        kind=importer.kind,
        uploaded_by=user,
        file_name=source[:255],
        file_size=len(content),
        options={**(options or {}), "rows": True},
    )
    batch.file.save(f"{importer.kind}-rows.csv", ContentFile(content), save=False)
    table = RowsTable(encoding="UTF-8", delimiter=",", header=fields, header_line=1, cells=cells)
    batch.encoding, batch.delimiter = table.encoding, table.delimiter
    batch.header, batch.header_line = table.header, table.header_line
    batch.mapping = {name: index for index, name in enumerate(fields)}
    _preview(batch, importer, table, readings=_fixed_readings(importer, fields))
    if batch.status == Status.NEEDS_MAPPING:
        missing = ", ".join(c.field for c in importer.missing_required(batch.mapping))
        _refuse(batch, f"Every row needs {missing}; none has it. Nothing was written.")
    problems = [_problem(error, table.header_line, rows, importer) for error in batch.errors]
    if batch.error_count and not valid_only:
        _refuse(
            batch,
            f"{batch.error_count} of {batch.total_rows} rows were refused, so nothing was "
            "written. Fix them and send the batch again.",
            problems=problems,
        )
    batch.save()
    confirm(batch=batch, importer=importer, user=user, valid_only=valid_only, inline=True)
    batch.refresh_from_db()
    if batch.status != Status.APPLIED:
        # A row that changed between the check and the write (a product deleted meanwhile).
        raise RowsRejected(batch.message or "The rows could not be written.", batch=batch)
    return batch


def problems_of(batch: ImportBatch, rows: list[dict], importer: Importer) -> list[RowProblem]:
    """The row errors a batch of rows kept (those skipped importing valid rows only)."""
    return [_problem(error, batch.header_line, rows, importer) for error in batch.errors]


def _refuse(batch, message, problems=()):
    batch.status = Status.FAILED
    batch.message = message
    batch.staged_rows = ""  # nothing will apply them
    batch.save()
    raise RowsRejected(message, problems=problems, count=batch.error_count, batch=batch)


def _fields(importer, rows):
    """The importer's fields the rows use, in the importer's column order; a key it does
    not know refuses the batch (a typo would otherwise be a column silently dropped)."""
    known = [c.field for c in importer.columns]
    known_set = frozenset(known)
    if not rows:
        raise RowsRejected("The batch has no rows.")
    # The usual batch gives the same fields in every row: its first row says them all.
    first = rows[0].keys()
    shapes = [first] if all(row.keys() == first for row in rows) else (r.keys() for r in rows)
    used = set()
    for index, keys in enumerate(shapes):
        unknown = keys - known_set
        if unknown:
            raise RowsRejected(
                f"Row {index} has fields this kind of row does not have: "
                f"{', '.join(sorted(unknown))}. The fields are {', '.join(known)}.",
                problems=[RowProblem(index, sorted(unknown)[0], None, "unknown field")],
                count=1,
            )
        used.update(keys)
    # A field some rows give and others leave out would be empty for those, and an empty
    # on-order count is 0: a row that leaves it out would change it silently.
    # Every row's keys are among `used`: a row with fewer leaves one out.
    problems = [
        RowProblem(index, name, None, f"{name} is left out of this row but given in others: "
                   "give it in every row (null for empty) or in none")
        for index, row in enumerate(rows)
        if len(row) < len(used)
        for name in sorted(used - row.keys())
    ]  # fmt: skip
    if problems:
        raise RowsRejected(
            f"{len(problems)} rows leave out a field other rows give, so nothing was written.",
            problems=problems[:STORED_ERRORS],
            count=len(problems),
        )
    return [name for name in known if name in used]


@dataclass
class RowsTable(Table):
    """The rows as the cells the batch's file reads as, walked from memory: no reading the
    file back, and row i is line i + 2 however many line breaks its values hold (a row of
    the file may span lines). Unlike a file's blank line, a row with every value empty is
    a row, and is refused as one."""

    cells: list[list[str]] = field(default_factory=list)

    def rows(self):
        return enumerate(self.cells, start=self.header_line + 1)


def _as_csv(fields, cells, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows(cells)
    text = out.getvalue()
    try:
        content = text.encode()
    except UnicodeEncodeError:
        raise _not_text(fields, rows) from None
    if "\x00" in text:
        raise _not_text(fields, rows)
    return content


def _not_text(fields, rows) -> RowsRejected:
    """The rows whose text holds half of a UTF-16 surrogate pair alone, or a NUL character
    (JSON can escape both, "\\ud800", "\\u0000"): no file or database stores them as text,
    so the batch is refused naming them."""
    problems = []
    for index, row in enumerate(rows):
        for name in fields:
            value = row.get(name)
            if isinstance(value, str) and not value.isascii():
                try:
                    value.encode()
                except UnicodeEncodeError:
                    shown = value.encode("utf-8", "backslashreplace").decode()
                    problems.append(RowProblem(index, name, shown, "not valid Unicode text"))
                    continue
            if isinstance(value, str) and "\x00" in value:
                shown = value.replace("\x00", "\\u0000")
                problems.append(RowProblem(index, name, shown, "holds a NUL character (\\u0000)"))
    return RowsRejected(
        f"{len(problems)} values are not text that can be stored (half of a surrogate pair "
        "on its own, or a NUL character), so nothing was written.",
        problems=problems[:STORED_ERRORS],
        count=len(problems),
    )


def _text(value) -> str:
    kind = type(value)
    if kind is str:  # most cells: a store number, a SKU, a name
        return value
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # no field is a boolean: the importer refuses it
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _fixed_readings(importer, fields):
    """Numbers with a decimal point, dates as YYYY-MM-DD: what a program sends."""
    readings = {}
    for column in importer.columns:
        if column.field in fields and column.kind == NUMBER:
            readings[column.field] = ColumnReading("number", POINT, decided=True)
        elif column.field in fields and column.kind == DATE:
            readings[column.field] = ColumnReading("date", ISO, decided=True)
    return readings


def _problem(error: dict, header_line: int, rows, importer) -> RowProblem:
    """A row error of the file as a row of the batch: its index, field name and value."""
    index = error["line"] - header_line - 1
    field = next((c.field for c in importer.columns if c.label == error["column"]), "")
    value = rows[index].get(field) if field and 0 <= index < len(rows) else None
    if isinstance(value, (Decimal, datetime.date)):
        value = str(value)
    return RowProblem(index, field, value, error["message"])
