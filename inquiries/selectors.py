"""Reads of inquiries and what hangs off them, with the access rule written in once.

A salesperson sees only what they own; boss and operations see everything. An object that
exists but is not yours answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, TextChoices
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AuditEvent, Role, User
from inquiryhub.dates import company_month_start as company_month_start
from inquiryhub.dates import company_today as company_today

from .buyers import buyers_current_owner
from .models import (
    Allocation,
    AllocationRoute,
    AllocationRule,
    AllocationRuleMember,
    FollowUp,
    ImportJob,
    ImportRejectedRow,
    Inquiry,
    InquiryExport,
    InquiryState,
    Order,
    Quality,
    QualityVerdict,
    RfqQuote,
    Source,
)
from .rules import MODE_CONVERSION, InquiryFacts, MemberSpec, PlanContext, RouteSpec, RuleSpec, plan_allocations


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


# ---------------------------------------------------------------------------------------------
# The salesperson's workspace

# Inquiries whose story is over for the salesperson: no follow-up is due on them.
CLOSED_STATES = (InquiryState.LOST, InquiryState.INVALID)


class MySection(TextChoices):
    TO_REPLY = "new", _("To reply")
    TODAY = "today", _("Follow up today")
    OVERDUE = "overdue", _("Overdue")
    ALL = "all", _("All mine")


def _my_inquiries_base(user: User) -> QuerySet[Inquiry]:
    return inquiries_for_user(user).filter(owner=user)


def section_filters(now: dt.datetime, today: dt.date) -> dict[str, Q]:
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
    filters = section_filters(now, today)
    # "state" (never NULL) rather than "id": every column read is in inquiry_owner_work_idx, so
    # PostgreSQL counts from the index alone instead of visiting each row in the table.
    counts = _my_inquiries_base(user).aggregate(
        to_reply=Count("state", filter=filters[MySection.TO_REPLY]),
        today=Count("state", filter=filters[MySection.TODAY]),
        overdue=Count("state", filter=filters[MySection.OVERDUE]),
        to_act=Count(
            "state", filter=filters[MySection.TO_REPLY] | filters[MySection.TODAY] | filters[MySection.OVERDUE]
        ),
        all=Count("state"),
    )
    return {key: value or 0 for key, value in counts.items()}


def sales_nav_counts(user: User) -> dict[str, int]:
    """workspace_counts, remembered on the user object: the header and the page share one query."""
    cached = getattr(user, "_sales_nav_counts", None)
    if cached is None:
        cached = user._sales_nav_counts = workspace_counts(user)
    return cached


def _section_order(section: str) -> tuple:
    if section == MySection.ALL:
        return ("-received_at", "-id")
    if section == MySection.TODAY:
        return ("received_at", "id")
    return (F("reply_due_at").asc(nulls_last=True), F("next_action_on").asc(nulls_last=True), "received_at", "id")


def my_inquiries(user: User, section: str) -> QuerySet[Inquiry]:
    """One tab of "My inquiries": the most urgent first."""
    now, today = timezone.now(), company_today()
    qs = _my_inquiries_base(user).select_related("account")
    if section != MySection.ALL:
        qs = qs.filter(section_filters(now, today)[section])
    return qs.order_by(*_section_order(section))


class _CountedPaginator(Paginator):
    """A paginator told how many rows there are: the header's counts have just counted them."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def my_inquiries_page(user: User, section: str, number, *, per_page: int) -> Page:
    """One page of a tab of "My inquiries", counted by the header's counts (no COUNT of its own).

    The page's rows are picked by id in a subquery that inquiry_owner_work_idx answers alone, then
    read by primary key: sorting thousands of a salesperson's rows by urgency then touches the
    index only, not every one of those rows in the table.
    """
    count = sales_nav_counts(user)[MY_SECTION_COUNTS[section]]
    page = _CountedPaginator(my_inquiries(user, section), per_page, count=count).get_page(number)
    picked = page.object_list.values("pk")
    page.object_list = (
        Inquiry.objects.filter(pk__in=picked).select_related("account").order_by(*_section_order(section))
    )
    return page


# Which of workspace_counts' numbers is each tab's.
MY_SECTION_COUNTS = {
    MySection.TO_REPLY: "to_reply",
    MySection.TODAY: "today",
    MySection.OVERDUE: "overdue",
    MySection.ALL: "all",
}


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


def rfq_quotes_to_link(user: User) -> QuerySet[RfqQuote]:
    """The salesperson's own RFQ quotes an inquiry may be linked to, newest first."""
    return RfqQuote.objects.filter(salesperson=user).order_by("-quoted_at", "-id")


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


# The workbench: the list, the queue, the disputes, the rules


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


def allocation_backlog(*, account_id: int | None = None) -> QuerySet[Inquiry]:
    """Unassigned new inbound inquiries of accounts whose rule allocates automatically, oldest first."""
    automatic = AllocationRule.objects.exclude(mode=AllocationRule.Mode.MANUAL).values("account_id")
    qs = Inquiry.objects.filter(owner__isnull=True, state=InquiryState.NEW, account_id__in=automatic).inbound()
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.order_by("received_at", "id")


def allocation_rules_overview():
    """Every active account with its rule, members and routes (four queries)."""

    rules = AllocationRule.objects.prefetch_related(
        Prefetch("members", queryset=AllocationRuleMember.objects.select_related("salesperson")),
        Prefetch("routes", queryset=AllocationRoute.objects.select_related("salesperson")),
    )
    return (
        Account.objects.filter(is_active=True)
        .select_related("parent")
        .prefetch_related(Prefetch("allocation_rule", queryset=rules))
        .order_by("code")
    )


def salespeople_conversion(salesperson_ids, *, now=None, days: int = 90) -> dict[int, tuple[int, int]]:
    """salesperson id -> (won, valid) over their inbound inquiries received in the last `days` days."""

    ids = list(salesperson_ids)
    if not ids:
        return {}
    since = (now or timezone.now()) - dt.timedelta(days=days)
    rows = (
        Inquiry.objects.filter(owner_id__in=ids, received_at__gte=since)
        .inbound()
        .exclude(quality=Quality.INVALID)
        .values("owner_id")
        .annotate(valid=Count("id"), won=Count("id", filter=Q(state=InquiryState.WON)))
        .order_by()
    )
    return {row["owner_id"]: (row["won"], row["valid"]) for row in rows}


def allocations_today(salesperson_ids, *, now=None) -> dict[int, int]:
    """salesperson id -> allocations they received today (company time), whoever made them."""

    ids = list(salesperson_ids)
    if not ids:
        return {}
    start = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Allocation.objects.filter(salesperson_id__in=ids, assigned_at__gte=start)
        .values("salesperson_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["salesperson_id"]: row["n"] for row in rows}


def allocation_plan_inputs(inquiries, *, rules_qs=None, exclude: dict[int, set[int]] | None = None, now=None):
    """Load what the rule planner needs for `inquiries`, in a fixed number of queries.

    Returns (facts, rules, context) for `inquiries.rules.plan_allocations`. `rules_qs` lets the
    caller pass a locked queryset of AllocationRule; `exclude` maps an inquiry id to salespeople
    it must not go to (the deadline job excludes the one who let it lapse).
    """

    inquiries = list(inquiries)
    exclude = exclude or {}
    account_ids = {i.account_id for i in inquiries}
    rules_qs = AllocationRule.objects.all() if rules_qs is None else rules_qs
    rule_objs = list(
        rules_qs.filter(account_id__in=account_ids)
        .exclude(mode=AllocationRule.Mode.MANUAL)
        .prefetch_related(
            Prefetch("members", queryset=AllocationRuleMember.objects.order_by("position", "id")),
            Prefetch("routes", queryset=AllocationRoute.objects.order_by("position", "id")),
        )
    )
    rules = {
        r.account_id: RuleSpec(
            account_id=r.account_id,
            mode=r.mode,
            same_buyer=r.same_buyer,
            members=[MemberSpec(m.salesperson_id, m.daily_capacity) for m in r.members.all()],
            routes=[RouteSpec(x.kind, x.value, x.salesperson_id) for x in r.routes.all()],
            last_salesperson_id=r.last_salesperson_id,
        )
        for r in rule_objs
    }
    people = {m.salesperson_id for r in rules.values() for m in r.members} | {
        x.salesperson_id for r in rules.values() for x in r.routes
    }
    context = PlanContext(available=set())
    if rules:
        context.available = set(
            User.objects.filter(role=Role.SALES, is_active=True, is_away=False).values_list("id", flat=True)
        )
        context.allocated_today = allocations_today(people, now=now)
        converting = {m.salesperson_id for r in rules.values() if r.mode == MODE_CONVERSION for m in r.members}
        context.conversion = salespeople_conversion(converting, now=now)
        emails = {
            i.buyer_email.strip()
            for i in inquiries
            if i.buyer_email.strip() and i.account_id in rules and rules[i.account_id].same_buyer
        }
        context.previous_owner = buyers_previous_owner(emails)
        context.buyer_owner = buyers_current_owner(
            {i.buyer_id for i in inquiries if i.buyer_id and i.account_id in rules and rules[i.account_id].same_buyer}
        )
    facts = [
        InquiryFacts(
            id=i.pk,
            account_id=i.account_id,
            country=i.country,
            product=f"{i.product} {i.subject}",
            buyer_email=i.buyer_email,
            buyer_id=i.buyer_id,
            exclude=frozenset(exclude.get(i.pk, ())),
        )
        for i in inquiries
    ]
    return facts, rules, context


def buyers_previous_owner(emails) -> dict[str, int]:
    """Lower-cased buyer email -> owner of that buyer's most recent allocated inquiry.

    Compared case-insensitively (Alibaba exports and people type addresses differently), through
    the index on LOWER(buyer_email).
    """
    keys = sorted({email.strip().lower() for email in emails if email.strip()})
    result: dict[str, tuple] = {}
    for start in range(0, len(keys), 500):
        rows = (
            Inquiry.objects.annotate(email_key=Lower("buyer_email"))
            .filter(email_key__in=keys[start : start + 500], owner__isnull=False)
            .values_list("email_key", "owner_id", "received_at", "id")
            .order_by()
        )
        for key, owner_id, received_at, pk in rows:
            if key not in result or (received_at, pk) > result[key][1:]:
                result[key] = (owner_id, received_at, pk)
    return {email: value[0] for email, value in result.items()}


def allocation_rules_preview(*, inquiries) -> tuple:
    """Who the rules would give each of `inquiries` to, without writing anything.

    Returns (plan, inquiries_by_id).
    """
    # Oldest first, exactly as allocation_rules_apply orders them, so the plans agree.
    inquiries = sorted(inquiries, key=lambda i: (i.received_at, i.pk))
    facts, rules, context = allocation_plan_inputs(inquiries)
    return plan_allocations(facts, rules, context), {i.pk: i for i in inquiries}


def inquiry_exports_for_user(user: User):
    """The user's own exports, newest first."""
    return InquiryExport.objects.filter(requested_by=user).order_by("-created_at", "-id")


def import_jobs_for_user(user: User) -> QuerySet[ImportJob]:
    """Imports `user` may see: all of the company's for operations, none for anyone else."""
    qs = ImportJob.objects.select_related("created_by")
    if not user.is_authenticated or not user.is_active or not user.is_operations:
        return qs.none()
    return qs


def get_import_job_for_user(user: User, pk: int) -> ImportJob:
    """The import `pk` if `user` may see it; 404 otherwise."""
    try:
        return import_jobs_for_user(user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None


def import_jobs_worker_lost() -> QuerySet[ImportJob]:
    """Running imports whose worker has given no sign of life for IMPORT_HEARTBEAT_STALE_SECONDS."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.IMPORT_HEARTBEAT_STALE_SECONDS)
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )


def import_rejected_rows(job: ImportJob) -> QuerySet[ImportRejectedRow]:
    """The rejected rows of an import in the order of the file."""
    return job.rejected_rows.order_by("id")
