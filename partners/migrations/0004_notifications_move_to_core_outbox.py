# The outbox moves to core (core.OutboxEmail): every row is copied over with its id, its
# state and its times (a row still waiting is picked up by the outbox sweep), the
# partnership event it told of becoming kind "partnership_event" + subject_id. Then the
# partners table goes. Going back copies the rows that can live here again (partnership
# changes whose event still exists, and news carried in context) and removes them from
# core; invitation and password reset emails have no place here and stay.

from django.core.management.color import no_style
from django.db import migrations

KIND = "partnership_event"
# Columns both tables share, with the same meaning.
SHARED = ["id", "key", "context", "template", "recipient_id", "email", "status", "attempts",
          "last_error", "created_at", "claimed_at", "sent_at"]


def _tables(apps, schema_editor):
    q = schema_editor.quote_name
    return (
        q(apps.get_model("partners", "Notification")._meta.db_table),
        q(apps.get_model("core", "OutboxEmail")._meta.db_table),
        q(apps.get_model("partners", "PartnershipEvent")._meta.db_table),
        ", ".join(q(c) for c in SHARED),
    )


def _ids_start_after_the_copied_rows(schema_editor, model):
    """Rows keep their ids, so a PostgreSQL id sequence must move past them (SQLite's
    AUTOINCREMENT follows by itself)."""
    for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [model]):
        schema_editor.execute(sql)


def copy_to_core(apps, schema_editor):
    old, new, _, columns = _tables(apps, schema_editor)
    schema_editor.execute(
        f"INSERT INTO {new} ({columns}, kind, subject_id) "
        f"SELECT {columns}, CASE WHEN event_id IS NULL THEN '' ELSE %s END, event_id FROM {old}",
        params=[KIND],
    )
    _ids_start_after_the_copied_rows(schema_editor, apps.get_model("core", "OutboxEmail"))


def copy_back(apps, schema_editor):
    old, new, events, columns = _tables(apps, schema_editor)
    belongs_here = f"kind = '' OR (kind = %s AND subject_id IN (SELECT id FROM {events}))"
    schema_editor.execute(
        f"INSERT INTO {old} ({columns}, event_id) "
        f"SELECT {columns}, CASE WHEN kind = %s THEN subject_id END FROM {new} "
        f"WHERE {belongs_here}",
        params=[KIND, KIND],
    )
    schema_editor.execute(f"DELETE FROM {new} WHERE {belongs_here}", params=[KIND])
    _ids_start_after_the_copied_rows(schema_editor, apps.get_model("partners", "Notification"))


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_outboxemail'),
        ('partners', '0003_notification_context_alter_notification_event'),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back),
        migrations.DeleteModel(name='Notification'),
    ]
