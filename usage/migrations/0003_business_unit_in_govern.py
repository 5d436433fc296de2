"""Point runs, records and exceptions at the business unit's new home in govern, in state only
(the table is the same; see govern/migrations/0005_business_units.py)."""

import django.db.models.deletion
from django.db import migrations, models

STATE = [
    migrations.AlterField(
        model_name="productionrun",
        name="business_unit",
        field=models.ForeignKey(
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="govern.businessunit",
        ),
    ),
    migrations.AlterField(
        model_name="usagerecord",
        name="business_unit",
        field=models.ForeignKey(
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="govern.businessunit",
        ),
    ),
    migrations.AlterField(
        model_name="usageexception",
        name="business_unit",
        field=models.ForeignKey(
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="govern.businessunit",
        ),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0002_limit_keys"),
        ("govern", "0005_business_units"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE, database_operations=[]),
    ]
