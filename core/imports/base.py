"""The import machinery every upload uses: upload → preview → confirm → apply.

An ``Importer`` knows one kind of row (stores now; products, stock, sales and
connections later): its columns, how to clean a row, how to find existing rows
and how to write new and changed ones in bulk. This module does the rest the
same way for every kind: reading, mapping, the preview's counts and row errors,
all-or-nothing or valid-rows-only, progress, history.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from core.imports.columns import Column, guess_mapping, header_score
from core.imports.reading import Table, read_table

FORMULA_STARTS = ("=", "@")
# "+cmd|' /C calc'!A0", "-2+3+cmd|...", "+SUM(A1:A9)": a sign then a pipe, a bang or
# a function call. "+1 555 0100" and "-94.07" stay ordinary values.
FORMULA_AFTER_SIGN = re.compile(r"[|!]|[A-Za-z]\w*\(")
STORED_ERRORS = 1000  # the preview lists this many; the count covers all


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self):
        return {"line": self.line, "column": self.column, "message": self.message}


class RowInvalid(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class Plan:
    """What applying the file would do."""

    creates: list[dict] = field(default_factory=list)
    updates: list[tuple[object, dict]] = field(default_factory=list)  # (existing key, new values)
    unchanged: int = 0
    repeats: int = 0  # identical repeated lines, where the importer allows them
    errors: list[RowError] = field(default_factory=list)
    error_lines: set[int] = field(default_factory=set)
    total: int = 0


class Importer:
    kind = ""
    label = ""  # "Stores"
    noun = "row"  # "store"
    columns: tuple[Column, ...] = ()
    key_field = ""
    # Files such as sales exports repeat the same product on many lines: identical
    # repeats are fine, conflicting ones are row errors.
    repeats_allowed = False
    # With repeats allowed, the fields that must agree between repeats (None: all of them);
    # the first line's other values are kept.
    repeat_fields: tuple[str, ...] | None = None
    # Extra fields on the upload form, kept in the batch's options (e.g. a default store).
    option_fields: dict = {}

    # -- what each kind of import provides ---------------------------------------------
    def clean(self, values: dict[str, str]) -> dict:
        """Turn one row's raw strings into field values. Raise RowInvalid for a bad value."""
        raise NotImplementedError

    def existing(self, organization, keys: Iterable) -> dict:
        """key -> current values (a dict over the same fields) for rows already there."""
        raise NotImplementedError

    def write(self, organization, creates: list[dict], updates: list[tuple[object, dict]]) -> None:
        """Create and update rows in bulk (called inside the import's transaction)."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------
    @property
    def required_fields(self):
        return [c.field for c in self.columns if c.required]

    def column(self, field_name) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    def read(self, data: bytes) -> Table:
        return read_table(
            data,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_line_length=settings.IMPORT_MAX_LINE_LENGTH,
            header_score=header_score(self.columns),
        )

    def guess_mapping(self, header):
        return guess_mapping(header, self.columns)

    def missing_required(self, mapping):
        return [self.column(f) for f in self.required_fields if f not in mapping]

    def key(self, row):
        return row[self.key_field]

    def prepare(self, organization, options):
        """Load what clean() needs (lookups of stores, products...) once per plan."""
        self.organization = organization
        self.options = options or {}

    def plan(self, organization, table: Table, mapping: dict[str, int], options=None) -> Plan:
        self.prepare(organization, options)
        plan = Plan()
        cleaned: list[tuple[int, dict]] = []
        first_line_of_key: dict = {}
        first_row_of_key: dict = {}
        width = len(table.header)
        for line, cells in table.rows:
            plan.total += 1
            values = {f: (cells[i] if i < len(cells) else "") for f, i in mapping.items()}
            extra = [c for c in cells[width:] if c.strip()]
            if extra:
                self._error(plan, line, "", f"has {len(cells)} columns but the header has {width}")
                continue
            try:
                self._reject_formulas(values)
                row = self.clean(values)
            except RowInvalid as invalid:
                self._error(plan, line, invalid.column, invalid.message)
                continue
            key = self.key(row)
            if key in first_line_of_key:
                if self.repeats_allowed and self._same(row, first_row_of_key[key]):
                    plan.repeats += 1
                    continue
                label = self.column(self.key_field).label
                what = "conflicting values for" if self.repeats_allowed else "duplicate"
                self._error(
                    plan,
                    line,
                    label,
                    f"{what} {label.lower()} {row[self.key_field]} in the file "
                    f"(first on line {first_line_of_key[key]})",
                )
                continue
            first_line_of_key[key] = line
            first_row_of_key[key] = row
            cleaned.append((line, row))

        current = self.existing(organization, first_line_of_key.keys())
        for _line, row in cleaned:
            before = current.get(self.key(row))
            if before is None:
                plan.creates.append(row)
            elif any(before.get(f) != v for f, v in row.items()):
                plan.updates.append((self.key(row), row))
            else:
                plan.unchanged += 1
        return plan

    def _same(self, row, first):
        fields = self.repeat_fields or row.keys()
        return all(row.get(f) == first.get(f) for f in fields)

    def _error(self, plan, line, column, message):
        plan.error_lines.add(line)
        plan.errors.append(RowError(line, column, message))

    def _reject_formulas(self, values):
        for field_name, value in values.items():
            text = value.strip()
            if text.startswith(FORMULA_STARTS) or (
                text[:1] in "+-" and FORMULA_AFTER_SIGN.search(text[1:])
            ):
                raise RowInvalid(
                    self.column(field_name).label,
                    f"starts with {text[:1]!r}, which spreadsheets run as a formula; "
                    "such values are not accepted",
                )


def progress_key(batch_id):
    return f"import-progress:{batch_id}"


def set_progress(batch_id, done, total):
    cache.set(progress_key(batch_id), {"done": done, "total": total}, timeout=3600)


def get_progress(batch_id):
    return cache.get(progress_key(batch_id)) or {"done": 0, "total": 0}
