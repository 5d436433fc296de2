"""Hand the business unit and its role grants to govern, in state only: the tables stay where
they are (govern/migrations/0005_business_units.py takes them over) and every key that pointed
here now points there."""

import django.db.models.deletion
from django.db import migrations, models


def unit_key(**options):
    return models.ForeignKey(to="govern.businessunit", **options)


STATE = [
    migrations.AlterField(
        model_name="asset",
        name="business_unit",
        field=unit_key(on_delete=django.db.models.deletion.PROTECT, related_name="assets"),
    ),
    migrations.AlterField(
        model_name="criteriaruleset",
        name="business_unit",
        field=unit_key(
            blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+"
        ),
    ),
    migrations.AlterField(
        model_name="rightspolicy",
        name="business_unit",
        field=unit_key(on_delete=django.db.models.deletion.CASCADE, related_name="+"),
    ),
    migrations.DeleteModel(name="BusinessUnitGroupObjectPermission"),
    migrations.DeleteModel(name="BusinessUnitUserObjectPermission"),
    migrations.DeleteModel(name="BusinessUnit"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0012_annotations"),
        ("govern", "0005_business_units"),
        ("audit", "0004_business_unit_in_govern"),
        ("templates_app", "0009_business_unit_in_govern"),
        ("usage", "0003_business_unit_in_govern"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE, database_operations=[]),
    ]
