from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_owner_since(apps, schema_editor):
    """owner_since = when the latest allocation took effect, where the owner is that allocation's
    salesperson; any other row keeps NULL, and the report reads its owner from the history."""
    Inquiry = apps.get_model("inquiries", "Inquiry")
    Allocation = apps.get_model("inquiries", "Allocation")
    latest = Allocation.objects.filter(inquiry_id=OuterRef("pk")).order_by("-assigned_at", "-id")
    Inquiry.objects.filter(owner_id=Subquery(latest.values("salesperson_id")[:1])).update(
        owner_since=Subquery(latest.values("assigned_at")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("inquiries", "0008_import_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="inquiry",
            name="owner_since",
            field=models.DateTimeField(
                blank=True,
                help_text="When the latest allocation took effect: the owner as of any later instant is the owner.",
                null=True,
                verbose_name="owner since",
            ),
        ),
        migrations.RunPython(backfill_owner_since, migrations.RunPython.noop, elidable=True),
    ]
