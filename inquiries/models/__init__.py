"""Inquiries and everything that happens to them, one module per business noun:

- `choices`: the sources, states, quality verdicts and reasons an inquiry's fields take;
- `inquiry`: the inquiry itself (and the copies services keep on its row);
- `allocation`: who has an inquiry, and the rules that allocate without anyone clicking;
- `followup`, `quality`, `order`, `rfq`: what salespeople and operations do about it;
- `buyer`: one record per real buyer; `pool`: the public pool (公海);
- `form_token`, `export`, `imports`: one-time form tokens, list exports, workbook imports.

`from inquiries.models import X` is the way in; the modules are how it is read.
"""

from .allocation import Allocation, AllocationRoute, AllocationRule, AllocationRuleMember
from .buyer import Buyer, BuyerKey
from .choices import InquiryState, InvalidReason, Quality, Source
from .export import InquiryExport
from .followup import FollowUp
from .form_token import FormSubmission
from .imports import ColumnMapping, ImportJob, ImportRejectedRow, import_upload_to
from .inquiry import Inquiry, InquiryQuerySet
from .order import Order
from .pool import PoolAccountRule, PoolEvent, PoolSettings
from .quality import QualityVerdict
from .rfq import RfqQuote

__all__ = [
    "Allocation",
    "AllocationRoute",
    "AllocationRule",
    "AllocationRuleMember",
    "Buyer",
    "BuyerKey",
    "ColumnMapping",
    "FollowUp",
    "FormSubmission",
    "ImportJob",
    "ImportRejectedRow",
    "Inquiry",
    "InquiryExport",
    "InquiryQuerySet",
    "InquiryState",
    "InvalidReason",
    "Order",
    "PoolAccountRule",
    "PoolEvent",
    "PoolSettings",
    "Quality",
    "QualityVerdict",
    "RfqQuote",
    "Source",
    "import_upload_to",
]
