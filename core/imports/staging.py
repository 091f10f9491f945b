"""The rows a preview read, kept so that applying them is set-based SQL (PostgreSQL).

Reading a file is the slow part of an import: every value is cleaned in Python. Without
staging, the preview reads the whole file and the apply reads it all again. With it, the
preview also writes each valid row, exactly as it would be stored, to a CSV file that
COPY reads, beside the upload; the apply streams that file into a temporary table and
merges it into the real one in a few statements:

* rows whose store or product has been deleted since the preview are refused (or, when
  importing the valid rows only, skipped and listed);
* each staged row is matched with its stored twin by the unique fields; ``UPDATE ...
  WHERE (stored) IS DISTINCT FROM (new)`` changes only the rows that differ *now*, and
  a plain INSERT adds the rest, so an import confirmed after someone else changed the
  data still leaves exactly the file's values, and its counts say what it did.

Only importers that store one row per line in one model through an upsert can be staged
(``Importer.model``); the staged file is an optimisation: without it (SQLite, a file
removed by the clean-up) the apply walks the file again, with the same result.
"""

import csv
import io
import tempfile
from operator import itemgetter

from django.core.files import File
from django.db import connection, models
from django.utils import timezone
from psycopg import sql

from core.imports.bulk import defaults_for, import_change

# Rows merged per statement: progress is reported between statements.
MERGE_LINES = 200_000
COPY_BLOCK = 1 << 20


def staging_applies(importer) -> bool:
    return importer.model is not None and connection.vendor == "postgresql"


class StagedRows:
    """Collects a preview's rows (line number and stored values) in a temporary file, as
    CSV that COPY reads: text quoted, NULL an empty unquoted field. The csv module writes
    it in C, which matters a million times."""

    def __init__(self):
        self.file = tempfile.TemporaryFile("w+b")  # noqa: SIM115 (save() or discard() closes it)
        self.text = io.TextIOWrapper(self.file, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text, quoting=csv.QUOTE_STRINGS, lineterminator="\n")
        self.columns = None
        self.count = 0
        self._values = None

    def add(self, line: int, row: dict) -> None:
        if self.columns is None:
            self.columns = list(row)
            self._values = itemgetter(*self.columns)
            self.text.write(",".join(["line", *self.columns]) + "\n")
        values = self._values(row)
        self.writer.writerow((line, *values) if len(self.columns) > 1 else (line, values))
        self.count += 1

    def save(self, storage, name: str) -> str:
        """Keep the rows in `storage`; return the stored name ("" when there were none)."""
        try:
            if not self.count:
                return ""
            self.text.flush()
            self.file.seek(0)
            return storage.save(name, File(self.file, name=name))
        finally:
            self.discard()

    def discard(self):
        self.text.close()


def _foreign_keys(model, columns):
    """(attname, related model, label) for each foreign key among the staged columns except
    the organization, which is the batch's own."""
    found = []
    for column in columns:
        field = next((f for f in model._meta.concrete_fields if f.attname == column), None)
        if isinstance(field, models.ForeignKey) and field.name != "organization":
            found.append((column, field.related_model, str(field.verbose_name).capitalize()))
    return found


def apply_staged(batch, importer, *, valid_only: bool, progress) -> dict:
    """Merge the batch's staged rows into the importer's model, inside the caller's
    transaction. Returns {"creates", "updates", "missing": [(line, label)], "touched"}.

    Each step is one set operation over the staged rows, so no plan can turn into a loop
    per row: find the stored row of each staged one (by the unique fields), update those
    that differ, insert the rest (a plain INSERT: imports of one kind into one organization
    take turns, and the unique constraint stands behind that)."""
    model = importer.model
    temp = sql.Identifier(f"staged_{model._meta.db_table}")
    with batch.staged_rows.open("rb") as staged, connection.cursor() as cursor:
        raw = cursor.cursor
        columns = staged.readline().decode().rstrip("\n").split(",")[1:]
        column_list = _names(columns)
        raw.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
        raw.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} ON COMMIT DROP AS "
                "SELECT 0 AS line, NULL::bigint AS stored_id, {} FROM {} LIMIT 0"
            ).format(temp, column_list, sql.Identifier(model._meta.db_table))
        )
        copy_sql = sql.SQL("COPY {} (line, {}) FROM STDIN (FORMAT csv)").format(temp, column_list)
        with raw.copy(copy_sql) as copy:
            while block := staged.read(COPY_BLOCK):
                copy.write(block)
        merge = _Merge(model, temp, columns, importer.unique_fields, batch.organization_id)
        # The planner learns how many rows there are (a temporary table has no statistics
        # until analyzed); the key columns are all the joins below need.
        raw.execute(sql.SQL("ANALYZE {} ({})").format(temp, _names(merge.unique)))
        missing = _drop_missing_references(raw, temp, model, columns)
        if missing and not valid_only:
            return {"creates": 0, "updates": 0, "missing": missing, "touched": []}
        raw.execute(merge.find_stored())
        raw.execute(sql.SQL("ANALYZE {} (stored_id)").format(temp))
        updates, touched = merge.grouped(raw, merge.update())
        raw.execute(sql.SQL("SELECT max(line) FROM {}").format(temp))
        last_line = raw.fetchone()[0] or 0
        progress(0)
        creates = 0
        for start in range(0, last_line, MERGE_LINES):
            created, more = merge.grouped(raw, merge.insert(start, start + MERGE_LINES))
            creates += created
            touched |= more
            progress(min(start + MERGE_LINES, last_line))
    return {
        "creates": creates,
        "updates": updates,
        "missing": missing,
        "touched": [dict(pairs) for pairs in touched if pairs],
    }


def _names(names, prefix=""):
    """Quoted column names, comma-separated, each after `prefix` ("t.")."""
    return sql.SQL(", ").join(sql.SQL(prefix + "{}").format(sql.Identifier(n)) for n in names)


class _Merge:
    """The statements that merge the staged rows into the model's table."""

    def __init__(self, model, temp, columns, unique_fields, organization_id):
        self.organization_id = organization_id
        self.temp = temp
        self.columns = columns
        self.model = model
        self.table = sql.Identifier(model._meta.db_table)
        self.pk = sql.Identifier(model._meta.pk.column)
        self.unique = [model._meta.get_field(f).column for f in unique_fields]
        self.changing = [c for c in columns if c not in self.unique]
        self.defaults = defaults_for(model, set(columns))
        self.auto_now = [
            f.column for f in model._meta.concrete_fields
            if getattr(f, "auto_now", False) and f.column not in columns
        ]  # fmt: skip
        self.touched = [c for c in TOUCHED if c in columns]
        self.now = timezone.now()

    def find_stored(self):
        """Note on each staged row the id of the stored row with its unique fields. Only
        the organization's rows are read: the table holds every organization's."""
        same = sql.SQL(" AND ").join(
            [
                *(sql.SQL("t.{0} = s.{0}").format(sql.Identifier(c)) for c in self.unique),
                sql.SQL("t.organization_id = {}").format(sql.Literal(self.organization_id)),
            ]
        )
        return sql.SQL("UPDATE {temp} s SET stored_id = t.{pk} FROM {table} t WHERE {same}").format(
            temp=self.temp, pk=self.pk, table=self.table, same=same
        )

    def update(self):
        """Change the stored rows whose values differ from the staged ones (only those:
        an unchanged row keeps its updated_at). Returns (touched..., count) groups."""
        if not self.changing:
            return None
        assignments = (
            [sql.SQL("{0} = s.{0}").format(sql.Identifier(c)) for c in self.changing]
            + [
                sql.SQL("{} = {}").format(sql.Identifier(c), sql.Literal(self.now))
                for c in self.auto_now
            ]
            + [
                sql.SQL("{} = {}").format(sql.Identifier(c), value)
                for c, value in import_change(self.model, self.now, sql.Identifier("t")).items()
            ]
        )
        return self._grouped_statement(
            sql.SQL(
                "UPDATE {table} t SET {assignments} FROM {temp} s "
                "WHERE s.stored_id IS NOT NULL AND t.{pk} = s.stored_id "
                "AND ({stored}) IS DISTINCT FROM ({staged}) "
                "RETURNING {returning}"
            ).format(
                table=self.table,
                assignments=sql.SQL(", ").join(assignments),
                temp=self.temp,
                pk=self.pk,
                stored=_names(self.changing, "t."),
                staged=_names(self.changing, "s."),
                returning=self._returning("t."),
            )
        )

    def insert(self, first, last):
        """Insert the staged rows of lines (first, last] that have no stored row."""
        values = [
            *(sql.SQL("s.{}").format(sql.Identifier(c)) for c in self.columns),
            *map(sql.Literal, self.defaults.values()),
        ]
        return self._grouped_statement(
            sql.SQL(
                "INSERT INTO {table} ({names}) SELECT {values} FROM {temp} s "
                "WHERE s.stored_id IS NULL AND s.line > {first} AND s.line <= {last} "
                "RETURNING {returning}"
            ).format(
                table=self.table,
                names=_names([*self.columns, *self.defaults]),
                values=sql.SQL(", ").join(values),
                temp=self.temp,
                first=sql.Literal(first),
                last=sql.Literal(last),
                returning=self._returning(""),
            )
        )

    def _returning(self, prefix):
        return _names(self.touched, prefix) if self.touched else sql.SQL("1")

    def _grouped_statement(self, statement):
        if not self.touched:
            return sql.SQL("WITH written AS ({}) SELECT count(*) FROM written").format(statement)
        return sql.SQL(
            "WITH written AS ({statement}) SELECT {touched}, count(*) FROM written "
            "GROUP BY {touched}"
        ).format(statement=statement, touched=_names(self.touched))

    def grouped(self, raw, statement):
        """Run a grouped statement: (rows written, {touched key pairs})."""
        if statement is None:
            return 0, set()
        raw.execute(statement)
        total, touched = 0, set()
        for *keys, count in raw.fetchall():
            total += count
            if self.touched:
                touched.add(tuple(zip(self.touched, keys, strict=True)))
        return total, touched


# What listeners (the master-account rollups) learn of the rows an import wrote.
TOUCHED = ("product_id", "sku")


def _drop_missing_references(raw, temp, model, columns):
    """Delete the staged rows whose store, product... no longer exists; return their
    (line, label) in line order."""
    missing = []
    for column, related, label in _foreign_keys(model, columns):
        raw.execute(
            sql.SQL(
                "DELETE FROM {temp} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM {related} r WHERE r.{pk} = t.{column}) RETURNING t.line"
            ).format(
                temp=temp,
                related=sql.Identifier(related._meta.db_table),
                pk=sql.Identifier(related._meta.pk.column),
                column=sql.Identifier(column),
            )
        )
        missing += [(line, label) for (line,) in raw.fetchall()]
    return sorted(missing)
