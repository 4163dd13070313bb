"""The access rule, written once: what a user may see, and the reads of one object behind it.

A salesperson sees only what they own; boss and operations see everything. An object that
exists but is not yours answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, AuditEvent, User

from ..models import (
    Allocation,
    FollowUp,
    Inquiry,
    InquiryState,
    Order,
    QualityVerdict,
)


def inquiries_for_user(user: User) -> QuerySet[Inquiry]:
    """All inquiries `user` may see."""
    qs = Inquiry.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        # An inquiry waiting in the public pool is no longer its owner's to work on (the pool
        # page shows it to every salesperson, without the buyer's contact details).
        return qs.filter(owner=user, pooled_at__isnull=True)
    return qs.none()


# The country filter's first block; a new country shows there within this many seconds.
COUNTRIES_CACHE_SECONDS = 600


COUNTRIES_CACHE_KEY = "inquiries:countries:all"


def countries_in_data(user: User) -> list[str]:
    """Codes of the countries the user's inquiries come from. The whole company's are cached (over a
    million rows it is a scan); a salesperson's own are few and read each time (owner index)."""
    if not user.reads_everything:
        return _countries_of(inquiries_for_user(user))
    codes = cache.get(COUNTRIES_CACHE_KEY)
    if codes is None:
        codes = _countries_of(Inquiry.objects.all())
        cache.set(COUNTRIES_CACHE_KEY, codes, COUNTRIES_CACHE_SECONDS)
    return codes


def _countries_of(qs: QuerySet[Inquiry]) -> list[str]:
    return sorted(code for code in qs.order_by().values_list("country", flat=True).distinct() if code)


def accounts_with_inquiries_of(user: User) -> QuerySet[Account]:
    """The accounts the salesperson owns at least one inquiry on: their account filter's choices."""
    owned = Inquiry.objects.filter(account=OuterRef("pk"), owner=user)
    return Account.objects.filter(Exists(owned)).order_by("code")


def open_inquiries_of_holder(account: Account, holder: User) -> QuerySet[Inquiry]:
    """The holder's inquiries on the account that are still being worked: what a hand-over may move."""
    open_states = [InquiryState.NEW, InquiryState.REPLIED, InquiryState.DISPUTED]
    return Inquiry.objects.filter(account=account, owner=holder, state__in=open_states)


def get_inquiry_for_user(user: User, pk: int, *, for_update: bool = False) -> Inquiry:
    """The inquiry `pk` if `user` may see it; 404 otherwise, whether missing or not theirs."""
    qs = inquiries_for_user(user).select_related("account", "owner", "rfq_quote")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (Inquiry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such inquiry.") from None


def orders_to_act_on(user: User) -> QuerySet[Order]:
    """Orders `user` may open and change: an order of an inquiry goes with its inquiry (whoever
    owns the inquiry now), an order without one (repeat, offline) with its salesperson."""
    qs = Order.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.is_sales:
        return qs.filter(Q(inquiry__in=inquiries_for_user(user)) | Q(inquiry__isnull=True, salesperson=user))
    return qs.none()


def get_order_for_user(user: User, pk: int) -> Order:
    """The order `pk` if `user` may open it (the same rule as its inquiry's); 404 otherwise."""
    try:
        return orders_to_act_on(user).select_related("inquiry", "account", "salesperson").get(pk=pk)
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
        return qs.filter(inquiry__owner=user, inquiry__pooled_at__isnull=True)
    return qs.none()


def get_followup_for_user(user: User, pk: int) -> FollowUp:
    """The follow-up `pk` if `user` may see it; 404 otherwise."""
    try:
        return followups_for_user(user).select_related("inquiry", "author").get(pk=pk)
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        raise Http404("No such follow-up.") from None


def home_counts(user: User) -> dict[str, int]:
    """The handful of numbers a user's home page starts with, in one aggregate query."""
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


# Audited writes on an inquiry that leave no row of their own on its timeline (an order's
# changes and cancellation, the RFQ link, a missed deadline, an import's update).
TIMELINE_AUDIT_ACTIONS = (
    "order.update",
    "order.cancel",
    "inquiry.rfq_link",
    "inquiry.overdue",
    "inquiry.import_update",
    # A return to the public pool (a claim from it is an Allocation).
    "pool.recycle",
)


def inquiry_timeline(inquiry: Inquiry) -> list[dict]:
    """Allocations, follow-ups, verdicts, orders and the other audited changes of one inquiry,
    oldest first (five queries)."""
    entries = []
    for a in Allocation.objects.filter(inquiry=inquiry).select_related("salesperson", "allocated_by"):
        entries.append({"at": a.assigned_at, "kind": "allocation", "obj": a})
    for f in FollowUp.objects.filter(inquiry=inquiry).select_related("author"):
        entries.append({"at": f.happened_at, "kind": "followup", "obj": f})
    for v in QualityVerdict.objects.filter(inquiry=inquiry).select_related("decided_by"):
        entries.append({"at": v.decided_at, "kind": "verdict", "obj": v})
    for o in Order.objects.filter(inquiry=inquiry).select_related("salesperson"):
        entries.append({"at": o.won_at, "kind": "order", "obj": o})
    audited = AuditEvent.objects.filter(inquiry=inquiry, action__in=TIMELINE_AUDIT_ACTIONS).select_related("actor")
    for event in audited:
        entries.append({"at": event.created_at, "kind": "audit", "obj": event})
    entries.append({"at": inquiry.received_at, "kind": "received", "obj": inquiry})
    if inquiry.lost_at is not None:
        entries.append({"at": inquiry.lost_at, "kind": "lost", "obj": inquiry})
    # Stable sort: at equal times the arrival comes first, as it happened first.
    entries.sort(key=lambda e: (e["at"], e["kind"] != "received"))
    return entries
