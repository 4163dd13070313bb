"""Reads of inquiries and what hangs off them, with the access rule written in once.

A salesperson sees only what they own; boss and operations see everything. An object that
exists but is not yours answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet, TextChoices
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User

from .models import FollowUp, Inquiry, InquiryState, Order, RfqQuote, Source


def inquiries_for_user(user: User) -> QuerySet[Inquiry]:
    """All inquiries `user` may see."""
    qs = Inquiry.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(owner=user)
    return qs.none()


def get_inquiry_for_user(user: User, pk: int, *, for_update: bool = False) -> Inquiry:
    """The inquiry `pk` if `user` may see it; 404 otherwise, whether missing or not theirs."""
    qs = inquiries_for_user(user).select_related("account", "owner", "rfq_quote")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (Inquiry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such inquiry.") from None


def orders_for_user(user: User) -> QuerySet[Order]:
    """Orders `user` may see: a salesperson's own (by order or by inquiry), everything for readers."""
    qs = Order.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(salesperson=user)
    return qs.none()


def get_order_for_user(user: User, pk: int) -> Order:
    """The order `pk` if `user` may see it; 404 otherwise."""
    try:
        return orders_for_user(user).select_related("inquiry", "account", "salesperson").get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404("No such order.") from None


def followups_for_user(user: User) -> QuerySet[FollowUp]:
    """Follow-ups on inquiries `user` may see."""
    qs = FollowUp.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(inquiry__owner=user)
    return qs.none()


def get_followup_for_user(user: User, pk: int) -> FollowUp:
    """The follow-up `pk` if `user` may see it; 404 otherwise."""
    try:
        return followups_for_user(user).select_related("inquiry", "author").get(pk=pk)
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        raise Http404("No such follow-up.") from None


def home_counts(user: User) -> dict[str, int]:
    """The handful of numbers a user's home page starts with, in one aggregate query."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from .models import InquiryState

    now = timezone.now()
    open_states = (InquiryState.NEW,)
    qs = inquiries_for_user(user)
    return qs.aggregate(
        total=Count("id"),
        unassigned=Count("id", filter=Q(owner__isnull=True) & ~Q(state=InquiryState.INVALID)),
        new=Count("id", filter=Q(state__in=open_states, owner__isnull=False)),
        overdue=Count("id", filter=Q(state__in=open_states, reply_due_at__lt=now)),
        disputed=Count("id", filter=Q(state=InquiryState.DISPUTED)),
        won=Count("id", filter=Q(state=InquiryState.WON)),
    )


def inquiry_timeline(inquiry: Inquiry) -> list[dict]:
    """Allocations, follow-ups, verdicts and orders of one inquiry, oldest first (four queries)."""
    from .models import Allocation, QualityVerdict

    entries = []
    for a in Allocation.objects.filter(inquiry=inquiry).select_related("salesperson", "allocated_by"):
        entries.append({"at": a.assigned_at, "kind": "allocation", "obj": a})
    for f in FollowUp.objects.filter(inquiry=inquiry).select_related("author"):
        entries.append({"at": f.happened_at, "kind": "followup", "obj": f})
    for v in QualityVerdict.objects.filter(inquiry=inquiry).select_related("decided_by"):
        entries.append({"at": v.decided_at, "kind": "verdict", "obj": v})
    for o in Order.objects.filter(inquiry=inquiry).select_related("salesperson"):
        entries.append({"at": o.won_at, "kind": "order", "obj": o})
    entries.append({"at": inquiry.received_at, "kind": "received", "obj": inquiry})
    if inquiry.lost_at is not None:
        entries.append({"at": inquiry.lost_at, "kind": "lost", "obj": inquiry})
    # Stable sort: at equal times the arrival comes first, as it happened first.
    entries.sort(key=lambda e: (e["at"], e["kind"] != "received"))
    return entries


# ---------------------------------------------------------------------------------------------
# The salesperson's workspace

# Inquiries whose story is over for the salesperson: no follow-up is due on them.
CLOSED_STATES = (InquiryState.LOST, InquiryState.INVALID)


class MySection(TextChoices):
    TO_REPLY = "new", _("To reply")
    TODAY = "today", _("Follow up today")
    OVERDUE = "overdue", _("Overdue")
    ALL = "all", _("All mine")


def company_today() -> dt.date:
    """Today's date in the company's time zone, whatever the server's own zone is."""
    return timezone.localdate(timezone.now(), zoneinfo.ZoneInfo(settings.TIME_ZONE))


def company_month_start() -> dt.datetime:
    """Midnight of the first day of this month, in the company's time zone."""
    now = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _my_inquiries_base(user: User) -> QuerySet[Inquiry]:
    return inquiries_for_user(user).filter(owner=user)


def _section_filters(now: dt.datetime, today: dt.date) -> dict[str, Q]:
    follow_up_open = ~Q(state__in=CLOSED_STATES)
    return {
        MySection.TO_REPLY: Q(state=InquiryState.NEW),
        MySection.TODAY: Q(next_action_on=today) & follow_up_open,
        MySection.OVERDUE: Q(state=InquiryState.NEW, reply_due_at__lt=now)
        | (Q(next_action_on__lt=today) & follow_up_open),
    }


def workspace_counts(user: User) -> dict[str, int]:
    """A salesperson's numbers for the header and the tabs of "My inquiries", in one query."""
    if not getattr(user, "is_sales", False):
        return {}
    now, today = timezone.now(), company_today()
    filters = _section_filters(now, today)
    counts = _my_inquiries_base(user).aggregate(
        to_reply=Count("id", filter=filters[MySection.TO_REPLY]),
        today=Count("id", filter=filters[MySection.TODAY]),
        overdue=Count("id", filter=filters[MySection.OVERDUE]),
        to_act=Count("id", filter=filters[MySection.TO_REPLY] | filters[MySection.TODAY] | filters[MySection.OVERDUE]),
        all=Count("id"),
    )
    return {key: value or 0 for key, value in counts.items()}


def sales_nav_counts(user: User) -> dict[str, int]:
    """workspace_counts, remembered on the user object: the header and the page share one query."""
    cached = getattr(user, "_sales_nav_counts", None)
    if cached is None:
        cached = user._sales_nav_counts = workspace_counts(user)
    return cached


def my_inquiries(user: User, section: str) -> QuerySet[Inquiry]:
    """One tab of "My inquiries": the most urgent first."""
    now, today = timezone.now(), company_today()
    qs = _my_inquiries_base(user).select_related("account")
    if section == MySection.ALL:
        return qs.order_by("-received_at", "-id")
    qs = qs.filter(_section_filters(now, today)[section])
    if section == MySection.TODAY:
        return qs.order_by("received_at", "id")
    return qs.order_by(
        F("reply_due_at").asc(nulls_last=True), F("next_action_on").asc(nulls_last=True), "received_at", "id"
    )


def rfq_quota_usage(user: User) -> dict:
    """This month's RFQ quotes (company time zone) against the salesperson's monthly quota."""
    used = RfqQuote.objects.filter(salesperson=user, quoted_at__gte=company_month_start()).count()
    quota = user.rfq_quota
    return {
        "used": used,
        "quota": quota,
        "left": None if quota is None else max(quota - used, 0),
        "percent": None if not quota else min(round(used * 100 / quota), 100),
        "over": quota is not None and used > quota,
    }


def rfq_quotes_for_salesperson(user: User) -> QuerySet[RfqQuote]:
    """The salesperson's own RFQ quotes, newest first, with the inquiries they brought in."""
    return (
        RfqQuote.objects.filter(salesperson=user)
        .select_related("account")
        .prefetch_related(
            Prefetch(
                "inquiries",
                queryset=inquiries_for_user(user).order_by("received_at", "id"),
                to_attr="my_inquiries",
            )
        )
        .order_by("-quoted_at", "-id")
    )


def rfq_inquiries_unlinked(user: User) -> QuerySet[Inquiry]:
    """RFQ-sourced inquiries the salesperson owns that no quote is linked to yet."""
    return (
        inquiries_for_user(user)
        .filter(owner=user, source=Source.RFQ, rfq_quote__isnull=True)
        .select_related("account")
        .order_by("-received_at", "-id")
    )


def accounts_for_rfq_quotes(user: User) -> tuple[QuerySet[Account], Account | None]:
    """The accounts a salesperson quotes from: those they hold now, else every active one;
    with the one to preselect when they hold exactly one."""
    held = list(
        Account.objects.filter(is_active=True, holdings__holder=user, holdings__ended_at__isnull=True).distinct()
    )
    if not held:
        return Account.objects.filter(is_active=True), None
    return Account.objects.filter(pk__in=[a.pk for a in held]), held[0] if len(held) == 1 else None
