import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def licensees_from_payloads(apps, schema_editor):
    """Read who bought each purchase already held from its payload as delivered."""
    LicensePurchase = apps.get_model("assets", "LicensePurchase")
    for purchase in LicensePurchase.objects.only("pk", "raw").iterator(chunk_size=500):
        raw = purchase.raw if isinstance(purchase.raw, dict) else {}
        uuid, name = raw.get("licensee_uuid"), raw.get("licensee_name")
        LicensePurchase.objects.filter(pk=purchase.pk).update(
            licensee_uuid=str(uuid or "")[:100], licensee_name=str(name or "")[:200]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0013_business_unit_in_govern"),
        ("govern", "0005_business_units"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="licensepurchase",
            name="licensee_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="licensepurchase",
            name="licensee_uuid",
            field=models.CharField(blank=True, db_index=True, max_length=100),
        ),
        migrations.CreateModel(
            name="LicenseeUnit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("licensee_uuid", models.CharField(max_length=100, unique=True)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "business_unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="govern.businessunit",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "Smint.io licensee's unit",
                "ordering": ["licensee_uuid"],
            },
        ),
        migrations.RunPython(licensees_from_payloads, migrations.RunPython.noop),
    ]
