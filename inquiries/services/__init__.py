"""Workflows that write inquiries and what hangs off them: the app's public service API.

One module per business noun; import from here (`from inquiries import services`). Each workflow
exists in a batch form (`*_many`) that the importer and bulk pages use, writing in a fixed number
of queries whatever the batch size, and a one-object form that the pages use. Every one writes its
own audit rows and keeps the inquiry row's copies (owner, first allocation, first reply, reply
deadline, quality, state) true; nothing else writes those fields (see `derived`).
"""

from .allocation import (
    MATCHING_ALLOCATION_LIMIT,
    AllocationOutcome,
    AllocationRequest,
    account_hand_over_with_inquiries,
    check_salesperson,
    inquiries_allocate_checked,
    inquiries_allocate_many,
    inquiries_allocate_matching,
    inquiry_allocate,
)
from .allocation_rules import (
    RULES_BATCH,
    RouteInput,
    RuleMemberInput,
    RulesOutcome,
    allocation_rule_save,
    allocation_rules_apply,
)
from .deadlines import (
    OVERDUE_BATCH,
    STALE_BREACH,
    OverdueOutcome,
    inquiries_handle_overdue,
    overdue_queryset,
)
from .derived import inquiries_refresh_derived
from .exports import (
    inquiry_export_request,
    inquiry_export_run,
)
from .followups import (
    FollowUpRequest,
    followup_log,
    followups_log_many,
)
from .form_tokens import (
    AlreadySubmitted,
    form_submission_claim,
    form_submissions_purge,
)
from .imports import (
    IMPORT_BATCH_ROWS,
    IMPORT_LOCK_KEY,
    IMPORT_TIME_LIMIT_ERROR,
    IMPORT_UNEXPECTED_ERROR,
    ImportResult,
    ImportTimeLimit,
    SheetReading,
    SheetSummary,
    import_job_create,
    import_job_submit,
    import_kind_of,
    workbook_import,
)
from .orders import (
    ORDER_EDITABLE_FIELDS,
    OrderRequest,
    inquiry_mark_lost,
    order_cancel,
    order_record,
    order_update,
    orders_record_many,
)
from .quality import (
    VerdictRequest,
    dispute_resolve,
    quality_decide,
    quality_flag,
    quality_verdicts_record_many,
)
from .rfq import (
    inquiry_link_rfq_quote,
    rfq_quote_log,
)

__all__ = [
    "AllocationOutcome",
    "AllocationRequest",
    "AlreadySubmitted",
    "FollowUpRequest",
    "IMPORT_BATCH_ROWS",
    "IMPORT_LOCK_KEY",
    "IMPORT_TIME_LIMIT_ERROR",
    "IMPORT_UNEXPECTED_ERROR",
    "ImportResult",
    "ImportTimeLimit",
    "MATCHING_ALLOCATION_LIMIT",
    "ORDER_EDITABLE_FIELDS",
    "OVERDUE_BATCH",
    "OrderRequest",
    "OverdueOutcome",
    "RULES_BATCH",
    "RouteInput",
    "RuleMemberInput",
    "RulesOutcome",
    "STALE_BREACH",
    "SheetReading",
    "SheetSummary",
    "VerdictRequest",
    "account_hand_over_with_inquiries",
    "allocation_rule_save",
    "allocation_rules_apply",
    "check_salesperson",
    "dispute_resolve",
    "followup_log",
    "followups_log_many",
    "form_submission_claim",
    "form_submissions_purge",
    "import_job_create",
    "import_job_submit",
    "import_kind_of",
    "inquiries_allocate_checked",
    "inquiries_allocate_many",
    "inquiries_allocate_matching",
    "inquiries_handle_overdue",
    "inquiries_refresh_derived",
    "inquiry_allocate",
    "inquiry_export_request",
    "inquiry_export_run",
    "inquiry_link_rfq_quote",
    "inquiry_mark_lost",
    "order_cancel",
    "order_record",
    "order_update",
    "orders_record_many",
    "overdue_queryset",
    "quality_decide",
    "quality_flag",
    "quality_verdicts_record_many",
    "rfq_quote_log",
    "workbook_import",
]
