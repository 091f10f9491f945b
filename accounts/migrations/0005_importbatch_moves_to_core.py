"""The import history moves to the core app with its rows: the table is renamed, and only
the model's state leaves accounts (core's 0001_initial takes it up)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_store_location_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name='importbatch', table='core_importbatch'),
            ],
            state_operations=[
                migrations.DeleteModel(name='ImportBatch'),
            ],
        ),
    ]
