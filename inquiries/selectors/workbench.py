"""Operations' workbench: the inquiry list, the queue, the disputes, and what an owner may do."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from ..models import (
    Inquiry,
    InquiryState,
    Quality,
    QualityVerdict,
)
from .access import inquiries_for_user
from .workspace import CLOSED_STATES


def inquiry_list_rows(qs: QuerySet[Inquiry]) -> QuerySet[Inquiry]:
    """What one row of the inquiry list needs, in the page's one query (no message bodies)."""
    return qs.select_related("account", "owner").defer(
        "message", "quantity", "buyer_company", "lost_reason", "created_at", "rfq_quote_id"
    )


def unassigned_queue(user: User) -> QuerySet[Inquiry]:
    """Inbound inquiries waiting for a salesperson, oldest first: operations' first job of the day."""
    return (
        inquiries_for_user(user)
        .filter(owner__isnull=True, state=InquiryState.NEW)
        .inbound()
        .order_by("received_at", "id")
    )


def capped_count(qs: QuerySet, cap: int) -> int:
    """How many rows `qs` has, counting no further than `cap` (one cheap query on any table size)."""
    return qs.order_by()[:cap].count()


NAV_COUNT_CAP = 1000


def operations_nav_counts(user: User) -> dict[str, int]:
    """Unassigned and disputed inquiries for the header, in one query, each capped at 1,000.

    Remembered on the user object so that the two nav items of one request share the query.
    """
    cached = getattr(user, "_operations_nav_counts", None)
    if cached is not None:
        return cached

    # received_at is the column of the partial indexes these filters match (inquiry_queue_idx,
    # inquiry_disputed_idx): PostgreSQL answers from the index alone, in well under a millisecond.
    queue_sql, queue_params = (
        Inquiry.objects.filter(owner__isnull=True, state=InquiryState.NEW)
        .inbound()
        .order_by()
        .values("received_at")[:NAV_COUNT_CAP]
        .query.sql_with_params()
    )
    disputes_sql, disputes_params = (
        Inquiry.objects.filter(state=InquiryState.DISPUTED).order_by().values("received_at")[:NAV_COUNT_CAP]
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM ({queue_sql}) q), (SELECT COUNT(*) FROM ({disputes_sql}) d)",  # noqa: S608
            (*queue_params, *disputes_params),
        )
        queue, disputes = cursor.fetchone()
    counts = {"queue": queue, "disputes": disputes}
    user._operations_nav_counts = counts
    return counts


def disputes_queue() -> QuerySet[Inquiry]:
    """Inquiries a salesperson flagged invalid that operations have not yet decided, oldest first,
    each with its salespeople's flags (two queries in all)."""

    flags = QualityVerdict.objects.filter(side=QualityVerdict.Side.SALES).select_related("decided_by")
    return (
        Inquiry.objects.filter(state=InquiryState.DISPUTED)
        .select_related("account", "owner")
        .defer("message")
        .annotate(followup_count=Count("followups"))
        .prefetch_related(Prefetch("verdicts", queryset=flags, to_attr="sales_flags"))
        .order_by("received_at", "id")
    )


def quality_flag_refusal(inquiry: Inquiry) -> str | None:
    """Why a salesperson may not flag `inquiry` invalid now, or None if they may."""
    if inquiry.state == InquiryState.DISPUTED:
        return _("This inquiry is already waiting for operations to review your flag.")
    if inquiry.quality == Quality.INVALID:
        return _("Operations have already judged this inquiry invalid.")
    if inquiry.state == InquiryState.WON:
        return _("This inquiry has an order: a buyer who ordered is not an invalid inquiry.")
    return None


def mark_lost_refusal(inquiry: Inquiry) -> str | None:
    """Why `inquiry` may not be marked lost now, or None if it may."""
    if inquiry.state == InquiryState.WON:
        return _("This inquiry has an order: cancel the order before marking it lost.")
    if inquiry.lost_at is not None:
        return _("This inquiry is already marked lost.")
    return None


def owner_permissions(user: User, inquiry: Inquiry) -> dict[str, bool] | None:
    """What the owning salesperson may do on their inquiry (None for anyone else): an action the
    service would refuse is not offered."""
    if not (user.is_sales and inquiry.owner_id == user.pk):
        return None
    closed = inquiry.state in CLOSED_STATES
    return {
        "can_flag": quality_flag_refusal(inquiry) is None,
        "can_record_order": inquiry.state != InquiryState.INVALID,
        "can_mark_lost": not closed and mark_lost_refusal(inquiry) is None,
    }


def latest_sales_flag(inquiry: Inquiry):
    """The salesperson's flag that is waiting for operations' decision, if any."""
    return (
        QualityVerdict.objects.filter(inquiry=inquiry, side=QualityVerdict.Side.SALES)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )
