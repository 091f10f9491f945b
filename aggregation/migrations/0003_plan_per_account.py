import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forget_plan_rows(apps, schema_editor):
    """Plan rows are rebuilt from the rollups by the next refresh; the old ones have no
    item key and would collide on the new unique (master, item)."""
    apps.get_model("aggregation", "PlanRow").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('aggregation', '0002_plan_rows'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forget_plan_rows, migrations.RunPython.noop),
        migrations.CreateModel(
            name='ItemOverride',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('item', models.CharField(max_length=80, verbose_name='item key')),
                ('manual_daily', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='manual forecast (units a day)')),
                ('exclude_from', models.DateField(blank=True, null=True)),
                ('exclude_to', models.DateField(blank=True, null=True)),
                ('note', models.CharField(blank=True, max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name='ReplenishmentRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('vendor_name', models.CharField(blank=True, help_text='Every product of this vendor (as the files name it).', max_length=200)),
                ('sku', models.CharField(blank=True, help_text='One item of the plan (its normalized SKU).', max_length=64, verbose_name='SKU')),
                ('lead_time_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='lead time (days)')),
                ('minimum_order', models.PositiveIntegerField(blank=True, null=True, verbose_name='minimum order (MOQ)')),
                ('case_pack', models.PositiveIntegerField(blank=True, null=True)),
            ],
            options={
                'ordering': ['vendor_name', 'sku'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='planrow',
            name='plan_row_unique',
        ),
        migrations.AddField(
            model_name='connection',
            name='stock_pool',
            field=models.CharField(blank=True, help_text="Accounts with the same pool name share their stock (one warehouse): their needs are planned together. Empty: this account's stock is its own.", max_length=60),
        ),
        migrations.AddField(
            model_name='masteraccount',
            name='case_pack',
            field=models.PositiveIntegerField(default=1, help_text="Orders are rounded up to whole cases of this many units, unless a vendor's or a product's own case pack says otherwise."),
        ),
        migrations.AddField(
            model_name='masteraccount',
            name='draft_settings',
            field=models.JSONField(blank=True, default=dict, help_text='Settings being previewed, not yet applied.'),
        ),
        migrations.AddField(
            model_name='masteraccount',
            name='draft_summary',
            field=models.JSONField(blank=True, default=dict, help_text='What the draft settings would change in the plan.'),
        ),
        migrations.AddField(
            model_name='masteraccount',
            name='minimum_order',
            field=models.PositiveIntegerField(default=0, help_text='The least an order of an item may be, in units; 0 for no minimum.', verbose_name='minimum order quantity (MOQ)'),
        ),
        migrations.AddField(
            model_name='masteraccount',
            name='plan_computed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='masteraccount',
            name='plan_settings',
            field=models.JSONField(blank=True, default=dict, help_text='The settings the live plan was computed with.'),
        ),
        migrations.AddField(
            model_name='planrow',
            name='account_ids',
            field=models.CharField(default='', help_text='The accounts selling or stocking the item: |id|id|.', max_length=500),
        ),
        migrations.AddField(
            model_name='planrow',
            name='accounts',
            field=models.CharField(default='', help_text='Their names, for the page.', max_length=500),
        ),
        migrations.AddField(
            model_name='planrow',
            name='bias',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='planrow',
            name='category',
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name='planrow',
            name='days_used',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='planrow',
            name='history_from',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='planrow',
            name='history_to',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='planrow',
            name='item',
            field=models.CharField(default='', max_length=80, verbose_name='item key'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='planrow',
            name='naive_bias',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='planrow',
            name='naive_wape',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='planrow',
            name='order_up_to',
            field=models.FloatField(default=0),
        ),
        migrations.AddField(
            model_name='planrow',
            name='parts',
            field=models.JSONField(default=list, help_text="Each account's (or stock pool's) plan, worked out."),
        ),
        migrations.AddField(
            model_name='planrow',
            name='unit',
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name='planrow',
            name='vendor',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='planrow',
            name='wape',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='planrow',
            name='worse_than_naive',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='rollupsales',
            name='demand',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name='rollupsales',
            name='returned',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name='rollupsales',
            name='unpriced',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AlterField(
            model_name='masteraccount',
            name='history_days',
            field=models.PositiveSmallIntegerField(default=180, help_text="Days of sales history the forecast reads, ending on each account's last sales date."),
        ),
        migrations.AlterField(
            model_name='planrow',
            name='short',
            field=models.BooleanField(help_text='On hand plus on order is below the forecast demand over the lead time.'),
        ),
        migrations.AddConstraint(
            model_name='planrow',
            constraint=models.UniqueConstraint(fields=('master', 'item'), name='plan_row_unique'),
        ),
        migrations.AddField(
            model_name='itemoverride',
            name='created_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='itemoverride',
            name='master',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='overrides', to='aggregation.masteraccount'),
        ),
        migrations.AddField(
            model_name='replenishmentrule',
            name='master',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rules', to='aggregation.masteraccount'),
        ),
        migrations.AddConstraint(
            model_name='itemoverride',
            constraint=models.UniqueConstraint(fields=('master', 'item'), name='item_override_unique'),
        ),
        migrations.AddConstraint(
            model_name='replenishmentrule',
            constraint=models.UniqueConstraint(fields=('master', 'vendor_name', 'sku'), name='replenishment_rule_unique'),
        ),
        migrations.AddConstraint(
            model_name='replenishmentrule',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('vendor_name', ''), models.Q(('sku', ''), _negated=True)), models.Q(models.Q(('vendor_name', ''), _negated=True), ('sku', '')), _connector='OR'), name='replenishment_rule_vendor_or_sku'),
        ),
    ]
