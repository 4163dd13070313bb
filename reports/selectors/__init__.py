"""Reads that feed the monthly attribution report and its trends: the public API.

The counting is done by the database in a fixed handful of aggregate queries, whatever the
number of inquiries, salespeople or accounts:

1. both cohorts in one statement (`cohort`; on PostgreSQL written out in `cohort_sql`, the one
   place of the report's raw SQL and planner settings): the month's as of T and the baseline's as
   of T_B, one row per (period, account, owner as of T, RFQ or not) with filtered counts, and the
   month's median allocation delay from the same pass;
2. orders won in the month, per (account, order's salesperson), with trade assurance (`figures`);
3. RFQ quotes of the month, per salesperson (`figures`);
4. the salespeople of the rows; 5. the accounts with their latest reply-rate snapshot.

Python then adds up those groups (`tallies`: at most accounts × owners rows, never inquiries)
into the company, account and salesperson funnels (`report`), and `reports.attribution` splits
the change. `trends` counts a year of months the same way; `drilldown` lists the inquiries
behind one figure.
"""

from .cohort import (
    Cohort,
    CohortPeriod,
    cohort_counts,
    cohort_groups,
    cohorts_counts,
)
from .drilldown import (
    DRILLDOWN_STAGES,
    cohort_inquiries,
)
from .figures import (
    accounts_with_reply_rate,
    orders_won_in_month,
    rfq_quotes_behind,
    rfq_quotes_in_month,
)
from .report import (
    PAYLOAD_VERSION,
    attribution_report,
    boss_home,
    data_start,
    monthly_report_stored,
    report_page_accounts,
    report_payload,
    report_user_ids,
)
from .scope import (
    REPLY_HOURS,
    ZERO_USD,
    Scope,
    ScopeError,
    resolve_scope,
)
from .tallies import (
    FunnelTally,
    Group,
    OrderTally,
    RfqTally,
    Tally,
)
from .trends import (
    monthly_trends,
)

__all__ = [
    "Cohort",
    "CohortPeriod",
    "DRILLDOWN_STAGES",
    "FunnelTally",
    "Group",
    "OrderTally",
    "PAYLOAD_VERSION",
    "REPLY_HOURS",
    "RfqTally",
    "Scope",
    "ScopeError",
    "Tally",
    "ZERO_USD",
    "accounts_with_reply_rate",
    "attribution_report",
    "boss_home",
    "cohort_counts",
    "cohort_groups",
    "cohort_inquiries",
    "cohorts_counts",
    "data_start",
    "monthly_report_stored",
    "monthly_trends",
    "orders_won_in_month",
    "report_page_accounts",
    "report_payload",
    "report_user_ids",
    "resolve_scope",
    "rfq_quotes_behind",
    "rfq_quotes_in_month",
]
