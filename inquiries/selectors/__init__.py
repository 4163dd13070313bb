"""Reads of inquiries and what hangs off them, with the access rule written in once: the public API.

A salesperson sees only what they own; boss and operations see everything. An object that
exists but is not yours answers 404, exactly like one that does not exist. `access` holds that
rule and the reads of one object; `workspace` the salesperson's tabs and RFQ quotes; `workbench`
operations' lists and queues; `allocation` what the allocation rules read; `transfers` the
exports and imports.
"""

from inquiryhub.dates import company_month_start, company_today

from .access import (
    COUNTRIES_CACHE_KEY,
    COUNTRIES_CACHE_SECONDS,
    TIMELINE_AUDIT_ACTIONS,
    accounts_with_inquiries_of,
    countries_in_data,
    followups_for_user,
    get_followup_for_user,
    get_inquiry_for_user,
    get_order_for_user,
    home_counts,
    inquiries_for_user,
    inquiry_timeline,
    open_inquiries_of_holder,
    orders_to_act_on,
)
from .allocation import (
    allocation_backlog,
    allocation_plan_inputs,
    allocation_rules_overview,
    allocation_rules_preview,
    allocations_today,
    buyers_previous_owner,
    salespeople_conversion,
)
from .transfers import (
    get_import_job_for_user,
    import_jobs_for_user,
    import_jobs_worker_lost,
    import_rejected_rows,
    inquiry_exports_for_user,
)
from .workbench import (
    NAV_COUNT_CAP,
    capped_count,
    disputes_queue,
    inquiry_list_rows,
    latest_sales_flag,
    mark_lost_refusal,
    operations_nav_counts,
    owner_permissions,
    quality_flag_refusal,
    unassigned_queue,
)
from .workspace import (
    CLOSED_STATES,
    MY_SECTION_COUNTS,
    MySection,
    accounts_for_rfq_quotes,
    my_inquiries,
    my_inquiries_page,
    rfq_inquiries_unlinked,
    rfq_quota_usage,
    rfq_quotes_for_salesperson,
    rfq_quotes_to_link,
    sales_nav_counts,
    section_filters,
    workspace_counts,
)

__all__ = [
    "CLOSED_STATES",
    "COUNTRIES_CACHE_KEY",
    "COUNTRIES_CACHE_SECONDS",
    "MY_SECTION_COUNTS",
    "MySection",
    "NAV_COUNT_CAP",
    "TIMELINE_AUDIT_ACTIONS",
    "accounts_for_rfq_quotes",
    "accounts_with_inquiries_of",
    "allocation_backlog",
    "allocation_plan_inputs",
    "allocation_rules_overview",
    "allocation_rules_preview",
    "allocations_today",
    "buyers_previous_owner",
    "capped_count",
    "company_month_start",
    "company_today",
    "countries_in_data",
    "disputes_queue",
    "followups_for_user",
    "get_followup_for_user",
    "get_import_job_for_user",
    "get_inquiry_for_user",
    "get_order_for_user",
    "home_counts",
    "import_jobs_for_user",
    "import_jobs_worker_lost",
    "import_rejected_rows",
    "inquiries_for_user",
    "inquiry_exports_for_user",
    "inquiry_list_rows",
    "inquiry_timeline",
    "latest_sales_flag",
    "mark_lost_refusal",
    "my_inquiries",
    "my_inquiries_page",
    "open_inquiries_of_holder",
    "operations_nav_counts",
    "orders_to_act_on",
    "owner_permissions",
    "quality_flag_refusal",
    "rfq_inquiries_unlinked",
    "rfq_quota_usage",
    "rfq_quotes_for_salesperson",
    "rfq_quotes_to_link",
    "sales_nav_counts",
    "salespeople_conversion",
    "section_filters",
    "unassigned_queue",
    "workspace_counts",
]
