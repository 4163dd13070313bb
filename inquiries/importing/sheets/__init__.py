"""Writing the sheets of an import, one batch of rows at a time (part of the service layer).

Each importer reads a batch of rows, looks up everything the batch names in a fixed number of
queries, decides row by row what must change (a row with any problem is rejected whole and
writes nothing), then writes in bulk. An inquiry row's allocation, first reply, quality
verdict and order are written by the batch services in `inquiries.services` on SQLite and, on
PostgreSQL, set-based by `bulk_sql` under the same rules (tested to write the same rows), so
owners, first replies, states and the audit trail are exactly what the pages would have
written. A row whose data is already stored writes nothing at all: importing a file twice
changes nothing.

One module per sheet kind; this package is the public place of the importers."""

from .accounts import AccountsImporter
from .base import BatchOutcome, ImportContext, Problem, RowValues, SheetImporter
from .inquiries import InquiriesImporter, InquiryPlan
from .reply_detail import ReplyDetailImporter
from .reply_rates import ReplyRatesImporter
from .rfq import RfqQuotesImporter
from .staff_analysis import StaffAnalysisImporter, month_from_text, parse_month
from .team import TeamImporter

IMPORTERS: dict[str, type[SheetImporter]] = {
    cls.kind: cls
    for cls in (
        TeamImporter,
        AccountsImporter,
        InquiriesImporter,
        RfqQuotesImporter,
        ReplyRatesImporter,
        ReplyDetailImporter,
        StaffAnalysisImporter,
    )
}

__all__ = [
    "IMPORTERS",
    "AccountsImporter",
    "BatchOutcome",
    "ImportContext",
    "InquiriesImporter",
    "InquiryPlan",
    "Problem",
    "ReplyDetailImporter",
    "ReplyRatesImporter",
    "RfqQuotesImporter",
    "RowValues",
    "SheetImporter",
    "StaffAnalysisImporter",
    "TeamImporter",
    "month_from_text",
    "parse_month",
]
