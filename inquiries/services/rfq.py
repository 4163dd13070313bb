"""RFQ quotes and their link to the inquiry they became."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Account, User

from ..models import (
    Inquiry,
    RfqQuote,
    Source,
)


@transaction.atomic
def rfq_quote_log(
    *,
    salesperson: User,
    rfq_id: str,
    quoted_at: dt.datetime | None = None,
    account: Account | None = None,
    note: str = "",
    by: User | None = None,
) -> RfqQuote:
    """Log an RFQ quote against the salesperson's monthly quota."""
    rfq_id = rfq_id.strip()
    if not rfq_id:
        raise ValidationError({"rfq_id": _("Enter the RFQ number.")})
    if RfqQuote.objects.filter(salesperson=salesperson, rfq_id=rfq_id).exists():
        raise ValidationError({"rfq_id": _("You have already logged a quote on this RFQ.")})
    quote = RfqQuote.objects.create(
        salesperson=salesperson, rfq_id=rfq_id, quoted_at=quoted_at or timezone.now(), account=account, note=note
    )
    audit_record(
        actor=by or salesperson,
        action="rfq.quote",
        target=quote,
        summary=_("RFQ quote %(rfq)s logged") % {"rfq": rfq_id},
        changes={"rfq_id": rfq_id, "quoted_at": quote.quoted_at.isoformat()},
    )
    return quote


@transaction.atomic
def inquiry_link_rfq_quote(*, inquiry: Inquiry, quote: RfqQuote, by: User) -> Inquiry:
    """Tie an RFQ-sourced inquiry to the quote that brought it: the salesperson's own work."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.source != Source.RFQ:
        raise ValidationError(_("Only an inquiry that came from an RFQ can be linked to an RFQ quote."))
    if locked.owner_id is None or quote.salesperson_id != locked.owner_id:
        raise ValidationError({"quote": _("Choose one of the inquiry owner's own RFQ quotes.")})
    previous = locked.rfq_quote_id
    locked.rfq_quote = quote
    locked.save(update_fields=["rfq_quote", "updated_at"])
    audit_record(
        actor=by,
        action="inquiry.rfq_link",
        target=locked,
        inquiry=locked,
        summary=_("Linked to RFQ quote %(rfq)s") % {"rfq": quote.rfq_id},
        changes={"rfq_quote": [previous, quote.pk]},
    )
    inquiry.rfq_quote = quote
    return inquiry
