"""Set-based writes for imports: many rows in one statement, never row by row.

On PostgreSQL rows are streamed with COPY into a temporary table and merged with
one INSERT ... ON CONFLICT DO UPDATE; elsewhere (SQLite in development) Django's
bulk_create with update_conflicts does the same job more slowly.
"""

from django.db import connection
from django.db.models import F
from django.utils import timezone
from psycopg import sql


def defaults_for(model, fields_given):
    """Values for the columns a new row needs that the file did not give."""
    now = timezone.now()
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in fields_given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now
        else:
            # The model's default, or "" for text and None for nullable fields.
            defaults[field.attname] = field.get_default()
    return defaults


def import_change(model, now, target=None) -> dict:
    """column -> SQL of what an import sets on a row it changes of a record people also edit
    on forms (core/versions.py): one more version, so a form read before the import is
    refused; and, on a record that keeps its last change in words, "an import, now".
    `target` is how the statement names the table (its alias), by default its name."""
    names = {f.attname for f in model._meta.concrete_fields}
    table = target or sql.Identifier(model._meta.db_table)
    changes = {}
    if "version" in names:
        changes["version"] = sql.SQL("{}.{} + 1").format(table, sql.Identifier("version"))
    if "changed_by_id" in names:
        changes["changed_by_id"] = sql.SQL("NULL")
        changes["changed_at"] = sql.Literal(now)
        changes["change"] = sql.Literal("")
    return changes


def _count_import_change(model, written, now):
    """import_change() after Django's upsert (SQLite), which cannot add to a column: the
    rows it wrote, whose ids the upsert returned, one statement per batch."""
    names = {f.attname for f in model._meta.concrete_fields}
    if "version" not in names:
        return
    changes = {"version": F("version") + 1}
    if "changed_by_id" in names:
        changes |= {"changed_by": None, "changed_at": now, "change": ""}
    ids = [obj.pk for obj in written]
    for start in range(0, len(ids), 2000):
        model.objects.filter(pk__in=ids[start : start + 2000]).update(**changes)


def bulk_upsert(model, rows: list[dict], *, unique_fields: list[str], update_fields: list[str]):
    """Insert rows; where one with the same unique fields exists, update `update_fields`
    (and any auto_now field, and the version of a record also edited on forms). Rows are
    dicts of attname -> value, all with the same keys."""
    if not rows:
        return
    given = set(rows[0])
    auto_now = [f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    defaults = defaults_for(model, given)
    columns = [*rows[0].keys(), *defaults.keys()]
    updates = list(dict.fromkeys([*update_fields, *auto_now]))
    if connection.vendor != "postgresql":
        written = model.objects.bulk_create(
            [model(**row, **defaults) for row in rows],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=[model._meta.get_field(f).name for f in updates],
        )
        _count_import_change(model, written, timezone.now())
        return
    changes = import_change(model, defaults[auto_now[0]] if auto_now else timezone.now())
    table = model._meta.db_table
    temp = f"import_{table}"
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    default_values = list(defaults.values())
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(temp)))
        raw.execute(
            sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} LIMIT 0").format(
                sql.Identifier(temp), column_list, sql.Identifier(table)
            )
        )
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(temp), column_list)
        with raw.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([*row.values(), *default_values])
        raw.execute(
            sql.SQL(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM {temp} "
                "ON CONFLICT ({unique}) DO UPDATE SET {assignments}"
            ).format(
                table=sql.Identifier(table),
                columns=column_list,
                temp=sql.Identifier(temp),
                unique=sql.SQL(", ").join(
                    sql.Identifier(model._meta.get_field(f).column) for f in unique_fields
                ),
                assignments=sql.SQL(", ").join(
                    [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates]
                    + [
                        sql.SQL("{} = {}").format(sql.Identifier(c), value)
                        for c, value in changes.items()
                    ]
                ),
            )
        )
        raw.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(temp)))


def in_one_parameter(field_name: str, values) -> dict:
    """A filter `field IN values` for a chunk of keys: on PostgreSQL `= ANY(%s)` with one
    array parameter (the `__any` lookup), since five thousand placeholders cost more to
    build and send than the query takes; `__in` elsewhere."""
    if connection.vendor == "postgresql":
        return {f"{field_name}__any": list(values)}
    return {f"{field_name}__in": list(values)}
