"""Forms of the inquiries app: input checks only; the workflows themselves are in services/.

The public API: `common` (widgets, the one-time token, the clock check), `inquiry` (one
inquiry's page), `workbench` (allocation, disputes, rules), `pool` (the public pool, buyers).
"""

from .common import (
    CLOCK_TOLERANCE,
    DateInput,
    DateTimeLocalInput,
    NotInTheFutureMixin,
    OneTimeForm,
    company_time_help,
)
from .inquiry import (
    CURRENCY_CODES,
    FollowUpForm,
    MarkLostForm,
    OrderCancelForm,
    OrderForm,
    OrderRecordForm,
    QualityFlagForm,
    RfqLinkForm,
    RfqQuoteForm,
)
from .pool import (
    BuyerMergeForm,
    PoolAccountClockForm,
    PoolAllocateForm,
    PoolFilterForm,
    PoolSettingsForm,
)
from .workbench import (
    REASON_SUGGESTIONS,
    AllocateForm,
    AllocationRuleForm,
    DisputeDecisionForm,
    HandOverConfirmForm,
    ReassignForm,
    RouteForm,
    RouteFormSet,
    SalespersonChoiceField,
    salesperson_choices_queryset,
)

__all__ = [
    "AllocateForm",
    "AllocationRuleForm",
    "BuyerMergeForm",
    "CLOCK_TOLERANCE",
    "CURRENCY_CODES",
    "DateInput",
    "DateTimeLocalInput",
    "DisputeDecisionForm",
    "FollowUpForm",
    "HandOverConfirmForm",
    "MarkLostForm",
    "NotInTheFutureMixin",
    "OneTimeForm",
    "OrderCancelForm",
    "OrderForm",
    "OrderRecordForm",
    "PoolAccountClockForm",
    "PoolAllocateForm",
    "PoolFilterForm",
    "PoolSettingsForm",
    "QualityFlagForm",
    "REASON_SUGGESTIONS",
    "ReassignForm",
    "RfqLinkForm",
    "RfqQuoteForm",
    "RouteForm",
    "RouteFormSet",
    "SalespersonChoiceField",
    "company_time_help",
    "salesperson_choices_queryset",
]
