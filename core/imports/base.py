"""The import machinery every upload uses: upload → preview → confirm → apply.

An ``Importer`` knows one kind of row (stores, products, stock, sales, store lists): its
columns, how to clean a row, how to find existing rows and how to write new and changed
ones in bulk. This module does the rest the same way for every kind: how each column's
numbers and dates are written (decided from all its values), mapping, the preview's
counts, samples, changes and row errors, all-or-nothing or valid-rows-only, progress.

The rows are walked, never held: a pass reads the file from storage and compares each
chunk of rows with what is stored, so a file of a million lines is planned and applied
in bounded memory.
"""

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.core.cache import cache

from core.imports import values as read
from core.imports.bulk import bulk_upsert
from core.imports.columns import DATE, NUMBER, Column, guess_mapping, header_score
from core.imports.reading import REPLACEMENT, Table, read_table

FORMULA_STARTS = ("=", "@")
# "+cmd|' /C calc'!A0", "-2+3+cmd|...", "+SUM(A1:A9)": a sign then a pipe, a bang or
# a function call. "+1 555 0100" and "-94.07" stay ordinary values.
FORMULA_AFTER_SIGN = re.compile(r"[|!]|[A-Za-z]\w*\(")
# Our CSV exports put an apostrophe before a value a spreadsheet would run as a formula
# (core/exports.py); a file exported here and imported back drops it again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A value starting with none of these needs no formula check (spaces: "  =x" is one too).
SUSPECT_STARTS = frozenset("'=+-@\t\r \n")
STORED_ERRORS = 1000  # the preview lists this many; the count covers all
SAMPLES = 5
SAMPLE_ROWS = 10_000
CHANGED_ROWS_SHOWN = 50
CHUNK = 5000
# Distinct values a column's readings count before feeding them to its evidence (memory).
DISTINCT_VALUES = 100_000


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self):
        return {"line": self.line, "column": self.column, "message": self.message}


def too_long(text: str, limit: int) -> str:
    """A row error's words for text longer than its column: its start and its length, so
    the line can be found and fixed (never cut: an import changes no value silently)."""
    shown = text if len(text) <= 40 else text[:40] + "…"
    return f"{shown!r} is longer than {limit} characters ({len(text):,})"


class RowInvalid(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class Step:
    """One row of the file as the walk found it."""

    action: str  # "create", "update", "unchanged", "repeat", "error"
    line: int
    row: dict | None = None
    before: dict | None = None
    error: RowError | None = None
    raw: dict | None = None
    changed: list | None = None  # an update's fields whose values differ from `before`


# The Preview count each kind of step adds to.
COUNTERS = {"create": "creates", "update": "updates", "unchanged": "unchanged", "repeat": "repeats"}


@dataclass
class Preview:
    """What applying the file would do, and how its values were read."""

    total: int = 0
    creates: int = 0
    updates: int = 0
    unchanged: int = 0
    repeats: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    samples: dict[str, list] = field(default_factory=dict)
    changed_fields: Counter = field(default_factory=Counter)
    changed_rows: list[dict] = field(default_factory=list)
    notes: Counter = field(default_factory=Counter)

    def add_error(self, error):
        self.error_count += 1
        if len(self.errors) < STORED_ERRORS:
            self.errors.append(error)


class Importer:
    kind = ""
    label = ""  # "Stores"
    noun = "row"  # "store"
    columns: tuple[Column, ...] = ()
    key_field = ""
    # Identical repeats of a key are fine (sales exports repeat a product on many lines);
    # a repeat that differs in `repeat_fields` (None: every field) is a row error naming
    # the fields and both lines. The first line's other values are kept.
    repeat_fields: tuple[str, ...] | None = None
    # False where the key is unique by construction (sales number their repeated lines),
    # so the walk need not remember every key of a million-line file.
    tracks_repeats = True
    # Extra fields on the upload form, kept in the batch's options (e.g. a default store).
    option_fields: dict = {}
    # What the preview says of each note an importer makes (`self.note(key)`).
    notes: dict[str, str] = {}
    # Where each row is stored, when it is one row of one model, and the fields that
    # identify it there: such an importer gets write() as one upsert, and on PostgreSQL
    # its preview keeps the rows it read so the apply need not read the file again
    # (core/imports/staging.py). None where writing is more than that (store lists).
    model = None
    unique_fields: tuple[str, ...] = ()
    # The models write() fills in bulk: their statistics are refreshed after a large import.
    written_models: tuple = ()
    # A one-column file whose first line is none of our column names is a bare list of
    # values under this header name (store lists: a column of numbers); "" for none.
    bare_column = ""
    # Offered on the Imports page (store lists are uploaded from their region or partnership).
    listed = True
    # False where a row is only ever added or already there (store lists): the preview
    # and the result show no "updated" count.
    updates_rows = True
    create_label = "Will be created"
    created_label = "New"
    unchanged_label = "Unchanged"

    # -- what each kind of import provides ---------------------------------------------
    def clean(self, values: dict[str, str]) -> dict:
        """Turn one row's raw strings into field values. Raise RowInvalid for a bad value."""
        raise NotImplementedError

    def existing(self, organization, keys: Iterable) -> dict:
        """key -> current values (a dict over the same fields) for those of `keys` already
        stored. Called once per chunk of rows."""
        raise NotImplementedError

    def write(self, organization, creates: list[dict], updates: list[tuple[object, dict]]) -> None:
        """Create and update rows in bulk (called inside the import's transaction). By
        default one upsert of the stored rows into `model`."""
        rows = [self.stored(organization, row) for row in creates]
        rows += [self.stored(organization, row) for _key, row in updates]
        if rows:
            unique = {self.model._meta.get_field(f).attname for f in self.unique_fields}
            bulk_upsert(
                self.model, rows, unique_fields=list(self.unique_fields),
                update_fields=[f for f in rows[0] if f not in unique],
            )  # fmt: skip

    def stored_rows(self, organization):
        """The organization's rows of `model`."""
        return self.model.objects.filter(organization=organization)

    def stored(self, organization, row: dict) -> dict:
        """A cleaned row as `model` stores it (attname -> value): the same keys, in the
        same order, for every row of a file."""
        return {"organization_id": organization.pk, **row}

    def describe_key(self, row) -> str:
        return str(row.get(self.key_field, ""))

    def back_link(self, batch):
        """(url, text) of the page this kind of import is made from, if not Imports."""
        return None

    # -- shared ------------------------------------------------------------------------
    @property
    def required_fields(self):
        return [c.field for c in self.columns if c.required]

    def column(self, field_name) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    def label_of(self, field_name) -> str:
        label = self._labels.get(field_name)
        return label if label is not None else field_name.replace("_", " ").capitalize()

    @cached_property
    def _labels(self):
        """field -> label of its first column (asked for every changed cell of a file)."""
        labels = {}
        for c in self.columns:
            labels.setdefault(c.field, c.label)
        return labels

    def read(self, source) -> Table:
        return read_table(
            source,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_line_length=settings.IMPORT_MAX_LINE_LENGTH,
            header_score=header_score(self.columns),
            bare_column=self.bare_column,
        )

    def guess_mapping(self, header):
        return guess_mapping(header, self.columns)

    def missing_required(self, mapping):
        return [self.column(f) for f in self.required_fields if f not in mapping]

    def key(self, row):
        return row[self.key_field]

    def prepare(self, organization, options):
        """Load what clean() needs (lookups of stores, products...) once per walk."""
        self.organization = organization
        self.options = options or {}
        self._notes = Counter()

    def note(self, key):
        self._notes[key] += 1

    # -- reading numbers and dates -------------------------------------------------------
    def decide_readings(self, table: Table, mapping: dict[str, int], chosen: dict) -> dict:
        """field -> ColumnReading for each mapped number and date column, from every value
        of the column. `chosen` holds the user's choices, which win. A number column with
        no deciding value follows the file's other number columns, else the delimiter (a
        semicolon file is a decimal-comma file)."""
        kinds = {c.field: c.kind for c in self.columns}
        limits = {c.field: c.limit for c in self.columns}
        evidence = {
            f: (read.NumberEvidence(limits[f]) if kinds[f] == NUMBER else read.DateEvidence())
            for f in mapping
            if kinds.get(f) in (NUMBER, DATE)
        }
        if not evidence:
            return {}
        # A million-line file repeats its dates and quantities: each column counts its
        # distinct values and feeds each to its evidence once, with its count (a vote per
        # line, as before). Counts are kept in first-seen order, so the example a column
        # shows is still its first ambiguous value, and fed early past DISTINCT_VALUES.
        columns = [(mapping[f], e, {}) for f, e in evidence.items()]
        for _line, cells in table.rows():
            width = len(cells)
            for i, e, counts in columns:
                if i < width:
                    text = cells[i]
                    seen = counts.get(text, 0)
                    counts[text] = seen + 1
                    if not seen and len(counts) >= DISTINCT_VALUES:
                        _feed(e, counts)
        for _i, e, counts in columns:
            _feed(e, counts)
        styles = [
            e.decided_style for e in evidence.values()
            if isinstance(e, read.NumberEvidence) and e.decided_style
        ]  # fmt: skip
        fallback = styles[0] if styles else (read.COMMA if table.delimiter == ";" else read.POINT)
        readings = {
            f: e.reading(fallback) if isinstance(e, read.NumberEvidence) else e.reading()
            for f, e in evidence.items()
        }
        for f, choice in (chosen or {}).items():
            if f in readings and choice in _choices(readings[f].kind):
                readings[f].chosen = choice
                readings[f].by_user = True
        return readings

    def number(
        self, values, field_name, *, required=False, minimum=None, maximum=None, whole=False,
        places=2,
    ):  # fmt: skip
        """The number a cell writes, read the way its column is written; None if empty.
        Money keeps its cents; a value with more decimals than `places`, or a fraction
        where `whole`, is refused rather than rounded, and one outside `minimum` to
        `maximum` (core/limits.py) is refused too. (On the hot path of a million-line
        file, which repeats its quantities and prices: each outcome, number or error, is
        remembered for the walk, a bounded number of them.)"""
        text = values.get(field_name, "")
        key = (field_name, text, required, minimum, maximum, whole, places)
        found = self._numbers.get(key, _UNREAD)
        if found is _UNREAD:
            found = self._read_number(field_name, text, required, minimum, maximum, whole, places)
            _remember(self._numbers, key, found)
        if type(found) is RowInvalid:
            raise RowInvalid(found.column, found.message)
        return found

    def _read_number(self, field_name, text, required, minimum, maximum, whole, places):
        """number()'s outcome: the number (or None), else the RowInvalid to raise."""
        reading = self.readings.get(field_name)
        try:
            number = read.read_number(text, reading.chosen if reading else read.POINT)
        except read.ValueInvalid as invalid:
            return RowInvalid(self.label_of(field_name), str(invalid))
        if number is None:
            if required:
                label = self.label_of(field_name)
                return RowInvalid(label, f"the {label.lower()} is missing")
            return None
        problem = _number_problem(number, text, minimum, maximum, whole, places)
        if problem:
            return RowInvalid(self.label_of(field_name), problem)
        return number

    def date(self, values, field_name):
        """The date a cell writes, read in its column's order; remembered like numbers."""
        text = values.get(field_name, "")
        key = (field_name, text)
        found = self._dates.get(key)
        if found is None:
            found = self._read_date(field_name, text)
            _remember(self._dates, key, found)
        if type(found) is RowInvalid:
            raise RowInvalid(found.column, found.message)
        return found

    def _read_date(self, field_name, text):
        """date()'s outcome: the date, else the RowInvalid to raise."""
        reading = self.readings.get(field_name)
        order = reading.chosen if reading else read.MDY
        try:
            day = read.read_date(text, order)
        except read.ValueInvalid as invalid:
            return RowInvalid(self.label_of(field_name), str(invalid))
        if day is None:
            label = self.label_of(field_name)
            return RowInvalid(label, f"the {label.lower()} is missing")
        return day

    # -- the walk ------------------------------------------------------------------------
    def walk(
        self, organization, table: Table, mapping, options=None, readings=None
    ) -> Iterator[Step]:
        """Every row of the file, cleaned and compared with what is stored, in file order."""
        self.prepare(organization, options)
        self.readings = readings if readings is not None else self.decide_readings(
            table, mapping, (options or {}).get("readings", {})
        )  # fmt: skip
        # What number() and date() read, remembered for these readings only.
        self._numbers, self._dates = {}, {}
        # An organization's first import of a kind finds nothing stored: no need to ask
        # for each chunk of rows (a million-line sales file asks 200 times).
        self._none_stored = self.model is not None and not self.stored_rows(organization).exists()
        first_of_key: dict = {}
        width = len(table.header)
        bad_lines = set(table.bad_lines)
        # Only a file with broken UTF-8 lines, or in a legacy encoding, can hold U+FFFD.
        may_have_bad_bytes = bool(bad_lines) or table.codec not in ("utf-8", "utf-8-sig")
        chunk: list[tuple[int, dict, dict]] = []
        fields = list(mapping.items())
        span = max(mapping.values(), default=-1) + 1  # a row this long has every mapped cell
        for line, cells in table.rows():
            if len(cells) >= span:
                raw = {f: cells[i] for f, i in fields}
            else:
                raw = {f: (cells[i] if i < len(cells) else "") for f, i in fields}
            try:
                if len(cells) > width and [c for c in cells[width:] if c.strip()]:
                    raise RowInvalid("", f"has {len(cells)} columns but the header has {width}")
                if may_have_bad_bytes and (
                    line in bad_lines or any(REPLACEMENT in v for v in raw.values())
                ):
                    self._reject_bad_bytes(raw)
                values = self._unescape(raw)
                row = self.clean(values)
            except RowInvalid as invalid:
                yield Step(
                    "error", line, error=RowError(line, invalid.column, invalid.message), raw=raw
                )
                continue
            if self.tracks_repeats:
                key = self.key(row)
                first = first_of_key.get(key)
                if first is not None:
                    first_line, first_row = first
                    differing = self._differing(row, first_row)
                    if not differing:
                        yield Step("repeat", line, row=row, raw=raw)
                        continue
                    yield Step(
                        "error",
                        line,
                        raw=raw,
                        error=self._conflict(line, row, first_line, first_row, differing),
                    )
                    continue
                first_of_key[key] = (line, row)
            chunk.append((line, row, raw))
            if len(chunk) >= CHUNK:
                yield from self._compare(organization, chunk)
                chunk = []
        if chunk:
            yield from self._compare(organization, chunk)

    def _compare(self, organization, chunk):
        keys = [self.key(row) for _line, row, _raw in chunk]
        current = {} if self._none_stored else self.existing(organization, keys)
        for (line, row, raw), key in zip(chunk, keys, strict=True):
            before = current.get(key)
            if before is None:
                yield Step("create", line, row=row, raw=raw)
                continue
            changed = [f for f, v in row.items() if f in before and before[f] != v]
            if changed:
                yield Step("update", line, row=row, before=before, raw=raw, changed=changed)
            else:
                yield Step("unchanged", line, row=row, before=before, raw=raw)

    def preview(
        self, organization, table, mapping, options=None, stage=None, readings=None
    ) -> Preview:
        """Walk the file once for the preview: counts, samples, changes, errors. With a
        `stage` (core/imports/staging.py), every row to be stored is kept there as stored,
        so that applying does not walk the file again. `readings` fixes how numbers and
        dates are read (rows from the API), instead of deciding it from the values."""
        preview = Preview()
        sampling = True
        for step in self.walk(organization, table, mapping, options, readings=readings):
            preview.total += 1
            if step.action == "error":
                preview.add_error(step.error)
                continue
            if stage is not None and step.action != "repeat":
                stage.add(step.line, self.stored(organization, step.row))
            counter = COUNTERS[step.action]
            setattr(preview, counter, getattr(preview, counter) + 1)
            if step.action != "repeat" and sampling:
                # Samples come from the first rows; a column empty that long shows none.
                sampling = self._sample(preview, step) and preview.total < SAMPLE_ROWS
            if step.action == "update":
                self._record_change(preview, step)
        preview.notes = self._notes
        return preview

    def _sample(self, preview, step):
        """Keep the first values of each column; False once every column has its share."""
        wanting = False
        for f, raw in step.raw.items():
            samples = preview.samples.setdefault(f, [])
            if len(samples) >= SAMPLES:
                continue
            wanting = True
            if raw.strip():
                samples.append([raw, _display(self.stored_value(f, raw, step.row))])
        return wanting

    def stored_value(self, field_name, raw, row):
        """What a raw cell became, for the preview's samples."""
        if field_name in row:
            return row[field_name]
        reading = self.readings.get(field_name)
        try:
            if reading and reading.kind == "number":
                return read.read_number(raw, reading.chosen)
            if reading and reading.kind == "date":
                return read.read_date(raw, reading.chosen)
        except read.ValueInvalid:
            return None
        return raw.strip()

    def _record_change(self, preview, step):
        """Count each changed field; show the values of the first CHANGED_ROWS_SHOWN rows
        (only those are written out, so only those are formatted)."""
        before = step.before
        changed = step.changed
        for f in changed:
            preview.changed_fields[self.label_of(f)] += 1
        if len(preview.changed_rows) < CHANGED_ROWS_SHOWN:
            changes = [
                [self.label_of(f), _display(before[f]), _display(step.row[f])] for f in changed
            ]
            preview.changed_rows.append(
                {"line": step.line, "key": self.describe_key(step.row), "changes": changes}
            )

    def _differing(self, row, first):
        fields = self.repeat_fields or row.keys()
        return [f for f in fields if row.get(f) != first.get(f)]

    def _conflict(self, line, row, first_line, first_row, differing):
        key_label = self.label_of(self.key_field)
        shown = "; ".join(
            f"{self.label_of(f)} is {_display(first_row.get(f))!r} there and {_display(row.get(f))!r} here"
            for f in differing[:3]
        )
        return RowError(
            line,
            self.label_of(differing[0]),
            f"{key_label.lower()} {self.describe_key(row)} is also on line {first_line} with other "
            f"values: {shown}",
        )

    def _reject_bad_bytes(self, raw):
        for f, value in raw.items():
            if REPLACEMENT in value:
                raise RowInvalid(
                    self.label_of(f),
                    f"has bytes that are not valid UTF-8 ({value.strip()!r}): fix the file's "
                    "encoding for this line",
                )

    def _unescape(self, raw):
        """Drop the apostrophe our exports put before formula-like values; reject any other
        value a spreadsheet would run as a formula."""
        for value in raw.values():
            if value and value[0] in SUSPECT_STARTS:
                break
        else:
            return raw  # the common case: no value starts with a suspect character (clean()
            # reads a row's values, never changes them)
        values = {}
        for field_name, value in raw.items():
            if not value or value[0] not in SUSPECT_STARTS:
                values[field_name] = value  # the common case, decided by one character
                continue
            text = value.strip(" \n")
            if text.startswith("'") and text.lstrip("'").startswith(FORMULA_TRIGGERS):
                values[field_name] = text[1:]
                continue
            text = text.strip()
            if text.startswith(FORMULA_STARTS) or (
                text[:1] in "+-" and FORMULA_AFTER_SIGN.search(text[1:])
            ):
                raise RowInvalid(
                    self.label_of(field_name),
                    f"starts with {text[:1]!r}, which spreadsheets run as a formula; "
                    "such values are not accepted",
                )
            values[field_name] = value
        return values


def _number_problem(number, text, minimum, maximum, whole, places):
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or abs(number) >= 10**10:
        return f"{text.strip()} is out of range"
    if minimum is not None and number < minimum:
        return f"{text.strip()} is below {minimum}"
    if maximum is not None and number > maximum:
        return f"{text.strip()} is more than {maximum:,}, the most Shelfshare stores"
    if whole and number != number.to_integral_value():
        return f"{text.strip()} is not a whole number of units"
    if (
        places is not None
        and -exponent > places
        and -number.normalize().as_tuple().exponent > places
    ):
        return f"{text.strip()} has more than {places} decimals; it would have to be rounded"
    return ""


_UNREAD = object()  # not remembered yet (None is an empty cell's number)
REMEMBERED = 50_000  # cells' outcomes number() and date() remember per walk


def remembered(memory: dict, key, read):
    """`read(key)`'s outcome, remembered in `memory` for the walk (a bounded number of
    them, as number() and date() do): its value, or the RowInvalid it raised, raised again.
    For cells a file repeats, such as its few store numbers and its products' SKUs."""
    found = memory.get(key, _UNREAD)
    if found is _UNREAD:
        try:
            found = read(key)
        except RowInvalid as invalid:
            found = invalid
        _remember(memory, key, found)
    if type(found) is RowInvalid:
        raise RowInvalid(found.column, found.message)
    return found


def _remember(memory, key, outcome):
    if len(memory) >= REMEMBERED:
        memory.clear()
    memory[key] = outcome


def _feed(evidence, counts):
    """Give a column's evidence each value counted so far, blank cells aside, and forget
    the counts."""
    for text, count in counts.items():
        if text.strip():
            evidence.add(text, count)
    counts.clear()


def _choices(kind):
    return read.NUMBER_STYLES if kind == "number" else read.DATE_ORDERS


def _display(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def progress_key(batch_id):
    return f"import-progress:{batch_id}"


def set_progress(batch_id, done, total):
    cache.set(progress_key(batch_id), {"done": done, "total": total}, timeout=3600)


def get_progress(batch_id):
    return cache.get(progress_key(batch_id)) or {"done": 0, "total": 0}
