from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0003_sales_indexes_per_product_and_store'),
    ]

    operations = [
        migrations.AddField(
            model_name='product',
            name='case_pack',
            field=models.PositiveIntegerField(blank=True, help_text='Units in a case, as ordered from the vendor.', null=True),
        ),
        migrations.AddField(
            model_name='product',
            name='unit',
            field=models.CharField(blank=True, help_text='What one counted unit is: bottle, each, kg. Empty: each.', max_length=20),
        ),
    ]
