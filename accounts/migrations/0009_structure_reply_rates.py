# The reply-rate snapshots move from reports to accounts (the accounts they measure): in Django's
# state only. The table keeps its name (Meta.db_table), so no row moves and nothing is locked.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_notify_event_pool_warning'),
        ('reports', '0002_report_emailed_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ReplyRateSnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('reply_rate', models.DecimalField(decimal_places=4, max_digits=5, verbose_name='reply rate')),
                        ('avg_reply_hours', models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True, verbose_name='average reply time (hours)')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reply_rates', to='accounts.account', verbose_name='account')),
                    ],
                    options={
                        'verbose_name': 'reply-rate snapshot',
                        'verbose_name_plural': 'reply-rate snapshots',
                        'db_table': 'reports_replyratesnapshot',
                        'ordering': ['account', '-date'],
                        'constraints': [models.UniqueConstraint(fields=('account', 'date'), name='reply_rate_one_per_account_day'), models.CheckConstraint(condition=models.Q(('reply_rate__gte', 0), ('reply_rate__lte', 1)), name='reply_rate_between_0_and_1'), models.CheckConstraint(condition=models.Q(('avg_reply_hours__isnull', True), ('avg_reply_hours__gte', 0), _connector='OR'), name='reply_rate_hours_not_negative')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
