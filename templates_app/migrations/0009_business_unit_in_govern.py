"""Point templates and campaigns at the business unit's new home in govern, in state only
(the table is the same; see govern/migrations/0005_business_units.py)."""

import django.db.models.deletion
from django.db import migrations, models

STATE = [
    migrations.AlterField(
        model_name="template",
        name="business_unit",
        field=models.ForeignKey(
            on_delete=django.db.models.deletion.PROTECT,
            related_name="templates",
            to="govern.businessunit",
        ),
    ),
    migrations.AlterField(
        model_name="campaign",
        name="business_unit",
        field=models.ForeignKey(
            on_delete=django.db.models.deletion.PROTECT,
            related_name="campaigns",
            to="govern.businessunit",
        ),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0008_campaigns"),
        ("govern", "0005_business_units"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE, database_operations=[]),
    ]
