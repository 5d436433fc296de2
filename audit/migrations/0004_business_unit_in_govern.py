"""Point the audit event's unit at the business unit's new home in govern, in state only (the
table is the same; see govern/migrations/0005_business_units.py)."""

import django.db.models.deletion
from django.db import migrations, models

STATE = [
    migrations.AlterField(
        model_name="auditevent",
        name="business_unit",
        field=models.ForeignKey(
            blank=True,
            db_constraint=False,
            null=True,
            on_delete=django.db.models.deletion.DO_NOTHING,
            related_name="+",
            to="govern.businessunit",
        ),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_installation_events"),
        ("govern", "0005_business_units"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE, database_operations=[]),
    ]
