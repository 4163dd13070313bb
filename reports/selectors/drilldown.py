"""The inquiries behind one figure of a report, as a queryset for a list page."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from inquiries.models import Inquiry, Order, Quality, Source

from ..periods import ReportParamError, add_months, month_start
from .cohort import _owner_as_of

DRILLDOWN_STAGES = ("inquiries", "valid", "replied", "won")


def cohort_inquiries(
    *,
    month: dt.date,
    as_of: dt.datetime,
    window_days: int,
    stage: str = "inquiries",
    account_id: int | None = None,
    owner: int | str | None = None,
    rfq: bool = False,
) -> QuerySet:
    """The inquiries one figure of a report counts (ATTRIBUTION.md §1 and §6), as a queryset.

    The month's inquiries received by T (inbound, or the RFQ line's with `rfq`), of an account,
    of the owner as of T (a user id, "none" for unassigned, None for everyone), at a funnel
    stage: valid, replied or won as of T within the window. The same rules as the cohort
    statement, written for a list: its count is the figure.
    """
    if stage not in DRILLDOWN_STAGES:
        raise ReportParamError(_("Unknown funnel stage %(stage)s.") % {"stage": stage})
    start, end = month_start(month), month_start(add_months(month, 1))
    window = dt.timedelta(days=window_days)
    qs = Inquiry.objects.filter(received_at__gte=start, received_at__lt=end, received_at__lte=as_of)
    qs = qs.filter(source=Source.RFQ) if rfq else qs.exclude(source=Source.RFQ)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if owner is not None:
        qs = qs.alias(owner_as_of=_owner_as_of(as_of))
        qs = qs.filter(owner_as_of__isnull=True) if owner == "none" else qs.filter(owner_as_of=owner)
    counted_order = Order.objects.filter(
        inquiry_id=OuterRef("pk"),
        won_at__lte=as_of,
        won_at__lt=ExpressionWrapper(OuterRef("received_at") + window, output_field=DateTimeField()),
    ).filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of))
    won = Q(Exists(counted_order))
    valid = won | ~Q(quality=Quality.INVALID)
    replied = valid & (Q(first_reply_at__lte=as_of) | won)
    condition = {"inquiries": Q(), "valid": valid, "replied": replied, "won": won}[stage]
    return qs.filter(condition)
