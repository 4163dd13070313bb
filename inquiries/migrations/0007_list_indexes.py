"""Indexes the workbench's list, queue, disputes, deadline job and rules need at a million rows.

On PostgreSQL also a trigram index for the product filter (a "contains" search, which a b-tree
cannot serve); Django's icontains writes UPPER(product::text) LIKE UPPER(%s), so the index is on
that expression. Other databases skip it.
"""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


TRIGRAM_INDEX = "inquiry_product_trgm_idx"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON inquiries_inquiry "
        "USING gin (UPPER(product::text) gin_trgm_ops)"
    )
    # The planner knows an expression index's statistics only after ANALYZE; without them it
    # guesses that every product search is rare and reads all matches instead of the newest few.
    schema_editor.execute("ANALYZE inquiries_inquiry")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_initial'),
        ('inquiries', '0006_inquiry_exports'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='inquiry',
            index=models.Index(fields=['country', 'received_at'], name='inquiry_country_received_idx'),
        ),
        migrations.AddIndex(
            model_name='inquiry',
            index=models.Index(condition=models.Q(('owner__isnull', True), ('state', 'new'), models.Q(('source', 'rfq'), _negated=True)), fields=['received_at'], name='inquiry_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='inquiry',
            index=models.Index(condition=models.Q(('state', 'disputed')), fields=['received_at'], name='inquiry_disputed_idx'),
        ),
        migrations.AddIndex(
            model_name='inquiry',
            index=models.Index(condition=models.Q(('first_reply_at__isnull', True), ('overdue_at__isnull', True), ('owner__isnull', False)), fields=['reply_due_at'], name='inquiry_deadline_watch_idx'),
        ),
        migrations.AddIndex(
            model_name='inquiry',
            index=models.Index(django.db.models.functions.text.Lower('buyer_email'), name='inquiry_buyer_email_lower_idx'),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
