# The reply-rate snapshots now belong to accounts (accounts/migrations/0009_structure_reply_rates):
# reports forgets the model in Django's state only; the table stays where it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_report_emailed_at'),
        ('accounts', '0009_structure_reply_rates'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='ReplyRateSnapshot',
                ),
            ],
            database_operations=[],
        ),
    ]
