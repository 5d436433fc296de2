"""The permission scope moves down to the base: business units and their role grants become
govern's models in state only. Their tables keep the names they had in assets, every foreign key
to them is altered in state only (assets 0013, audit 0004, templates_app 0009, usage 0003), and
their content types are carried over, so role permissions and the grants on them still resolve."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("businessunit", "businessunituserobjectpermission", "businessunitgroupobjectpermission")


def carry_content_types(apps, schema_editor, source="assets", target="govern"):
    """Rename the moved models' content types so permissions keep pointing at them."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=source, model=model).update(app_label=target)
    ContentType.objects.clear_cache()


def carry_back(apps, schema_editor):
    carry_content_types(apps, schema_editor, source="govern", target="assets")


INDUSTRIES = [
    ("banking", "Banking"),
    ("insurance", "Insurance"),
    ("asset_management", "Asset management"),
    ("energy", "Energy"),
    ("utilities", "Utilities"),
    ("telecommunications", "Telecommunications"),
    ("healthcare", "Healthcare"),
    ("pharmaceuticals", "Pharmaceuticals"),
    ("public_sector", "Public sector"),
    ("retail", "Retail"),
    ("transport", "Transport"),
    ("media", "Media and publishing"),
    ("gambling", "Gambling"),
    ("alcohol", "Alcohol"),
    ("tobacco", "Tobacco"),
    ("politics", "Politics"),
    ("other", "Other"),
]


def unit_key():
    return models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="govern.businessunit")


def big_id():
    return models.BigAutoField(
        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
    )


STATE = [
    migrations.CreateModel(
        name="BusinessUnit",
        fields=[
            ("id", big_id()),
            ("name", models.CharField(max_length=200, unique=True)),
            ("slug", models.SlugField(max_length=100, unique=True)),
            ("industry", models.CharField(blank=True, choices=INDUSTRIES, max_length=32)),
            ("publishes_editorial", models.BooleanField(default=False)),
            ("created_at", models.DateTimeField(auto_now_add=True)),
        ],
        options={
            "db_table": "assets_businessunit",
            "ordering": ["name"],
            "permissions": [
                ("brand_manager", "Brand manager in this unit"),
                ("compliance_officer", "Compliance officer in this unit"),
                ("communication_designer", "Communication designer in this unit"),
                ("auditor", "Auditor in this unit"),
                ("integration", "Integration account in this unit"),
            ],
        },
    ),
    migrations.CreateModel(
        name="BusinessUnitGroupObjectPermission",
        fields=[
            ("id", big_id()),
            ("content_object", unit_key()),
            (
                "group",
                models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="auth.group"),
            ),
            (
                "permission",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to="auth.permission"
                ),
            ),
        ],
        options={
            "db_table": "assets_businessunitgroupobjectpermission",
            "abstract": False,
            "unique_together": {("group", "permission", "content_object")},
        },
    ),
    migrations.CreateModel(
        name="BusinessUnitUserObjectPermission",
        fields=[
            ("id", big_id()),
            ("content_object", unit_key()),
            (
                "permission",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to="auth.permission"
                ),
            ),
            (
                "user",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL
                ),
            ),
        ],
        options={
            "verbose_name": "role grant",
            "db_table": "assets_businessunituserobjectpermission",
            "abstract": False,
            "unique_together": {("user", "permission", "content_object")},
        },
    ),
    migrations.AlterField(
        model_name="apikey",
        name="units",
        field=models.ManyToManyField(related_name="api_keys", to="govern.businessunit"),
    ),
    migrations.AlterField(
        model_name="exportjob",
        name="business_unit",
        field=models.ForeignKey(
            blank=True,
            null=True,
            on_delete=django.db.models.deletion.SET_NULL,
            related_name="+",
            to="govern.businessunit",
        ),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("assets", "0012_annotations"),
        ("govern", "0004_notification_preferences"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE, database_operations=[]),
        migrations.RunPython(carry_content_types, carry_back),
    ]
