"""The monthly attribution report: its payload computed, stored and read back."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import (
    Min,
    Q,
)
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import Account, CompanySettings, Role, User
from inquiries.models import Inquiry

from .. import attribution as calc
from ..attribution import Funnel
from ..models import MonthlyReport
from ..periods import ReportPeriod, add_months, iso, month_label, month_of
from .cohort import CohortPeriod, cohorts_counts
from .figures import _account_order, accounts_with_reply_rate, orders_won_in_month, rfq_quotes_in_month
from .scope import Scope
from .tallies import FunnelTally, Group, OrderTally, RfqTally, Tally

PAYLOAD_VERSION = 2


def _rate(numerator: int, denominator: int) -> float | None:
    return calc.ratio_number(numerator, denominator)


def _decomposition(
    baseline: Funnel,
    current: Funnel,
    *,
    baseline_in_data: bool,
    people: tuple[dict, dict] | None = None,
) -> dict:
    """The split of one scope or row. `people` ((replied, won) per owner, baseline and current)
    splits the conversion effect into allocation and own (company and account scopes and rows)."""
    orders = calc.decompose(baseline, current)
    revenue = calc.decompose(baseline, current, revenue=True)
    spread = calc.noise(baseline, current)
    split = None if people is None else calc.conversion_split(*people, orders["conversion"])
    result = calc.verdict(orders, spread, baseline_in_data=baseline_in_data)
    return {
        "funnel": {"current": calc.funnel_json(current), "baseline": calc.funnel_json(baseline)},
        "orders_change": calc.orders_change_json(orders, spread, split),
        "revenue_change": calc.revenue_change_json(revenue),
        "factors": {"current": calc.factors_json(current), "baseline": calc.factors_json(baseline)},
        "verdict": {"kind": result.kind, "side": result.side, "reason": result.reason},
        "_orders": orders,
        "_verdict": result,
        "_noise": spread,
    }


def _replied_won(tallies: dict) -> dict:
    """(replied, won) per owner, for the conversion split."""
    return {owner: (t.replied, t.won) for owner, t in tallies.items() if t.replied or t.won}


def data_start() -> dt.date | None:
    """The month of the company's earliest recorded inquiry (any account, any source): one query."""
    first = Inquiry.objects.aggregate(first=Min("received_at"))["first"]
    return None if first is None else month_of(first)


def _row_kpis(tally: Tally, orders: OrderTally) -> dict:
    return {
        "reply_24h_rate": _rate(tally.reply_24h, tally.valid),
        "sales_sla_rate": _rate(tally.sla_met, tally.allocated_valid),
        "ta_orders": orders.ta_orders,
        "orders_won_in_month": orders.orders,
        "ta_share": _rate(orders.ta_orders, orders.orders),
    }


@dataclass
class _Rollup:
    """The groups of both periods added up per company (the scope), account, owner, and account × owner."""

    total: Tally = field(default_factory=Tally)
    base_total: FunnelTally = field(default_factory=FunnelTally)
    by_account: dict = field(default_factory=lambda: defaultdict(Tally))
    base_by_account: dict = field(default_factory=lambda: defaultdict(FunnelTally))
    by_owner: dict = field(default_factory=lambda: defaultdict(Tally))
    base_by_owner: dict = field(default_factory=lambda: defaultdict(FunnelTally))
    rfq_by_owner: dict = field(default_factory=lambda: defaultdict(RfqTally))
    # Per account and owner, for the conversion split of the account rows.
    by_account_owner: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(FunnelTally)))
    base_by_account_owner: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(FunnelTally)))


def _roll_up(current_groups: list[Group], baseline_groups: list[Group]) -> _Rollup:
    """Roll the groups up: company, accounts, owners; RFQ groups go to the RFQ line."""
    rollup = _Rollup()
    for group in current_groups:
        if group.rfq:
            rollup.rfq_by_owner[group.owner_id].add(group)
            continue
        rollup.total.add(group)
        rollup.by_account[group.account_id].add(group)
        rollup.by_owner[group.owner_id].add(group)
        rollup.by_account_owner[group.account_id][group.owner_id].add(group)
    for group in baseline_groups:
        if not group.rfq:
            rollup.base_total.add(group)
            rollup.base_by_account[group.account_id].add(group)
            rollup.base_by_owner[group.owner_id].add(group)
            rollup.base_by_account_owner[group.account_id][group.owner_id].add(group)
    return rollup


@dataclass
class _OrdersRollup:
    total: OrderTally = field(default_factory=OrderTally)
    by_account: dict = field(default_factory=lambda: defaultdict(OrderTally))
    by_person: dict = field(default_factory=lambda: defaultdict(OrderTally))


def _roll_up_orders(won_orders: dict[tuple, OrderTally]) -> _OrdersRollup:
    rollup = _OrdersRollup()
    for (account_id, salesperson_id), tally in won_orders.items():
        rollup.total.add(tally)
        rollup.by_account[account_id].add(tally)
        rollup.by_person[salesperson_id].add(tally)
    return rollup


def _report_rows_of(
    *, scope: Scope, period: ReportPeriod, owner_ids: set, account_ids: set
) -> tuple[list[User], list[Account]]:
    """The contract's salespeople (active, or owning an inquiry of M or B) and accounts."""
    if scope.kind == "company":
        people = User.objects.filter(Q(role=Role.SALES, is_active=True) | Q(pk__in=owner_ids - {None}))
        accounts = accounts_with_reply_rate(period=period, ids=None)
    elif scope.kind == "account":
        people = User.objects.filter(pk__in=owner_ids - {None})
        accounts = accounts_with_reply_rate(period=period, ids={scope.account.pk})
    else:
        people = [scope.salesperson]
        accounts = accounts_with_reply_rate(period=period, ids=account_ids)
    return sorted(people, key=lambda u: u.username), accounts


def _salesperson_rows(
    *, scope: Scope, people: list[User], rollup: _Rollup, orders: _OrdersRollup, quotes: dict, in_data: bool
) -> list[dict]:
    rows = []
    owner_rows: list[tuple[int | None, User | None]] = [(u.pk, u) for u in people]
    if scope.kind != "salesperson":
        owner_rows.append((None, None))  # the contract's `unassigned` row
    for owner_id, user in owner_rows:
        parts = _decomposition(
            rollup.base_by_owner[owner_id].funnel, rollup.by_owner[owner_id].funnel, baseline_in_data=in_data
        )
        rfq = rollup.rfq_by_owner[owner_id]
        rows.append(
            {
                "username": user.username if user else None,
                "display_name": user.label if user else None,
                "is_active": user.is_active if user else None,
                "funnel": parts["funnel"],
                "orders_change": parts["orders_change"],
                "rfq": {
                    "quotes": quotes.get(owner_id, 0),
                    "quota": user.rfq_quota if user else None,
                    "inquiries": rfq.inquiries,
                    "won": rfq.won,
                    "revenue_usd": calc.money(rfq.revenue),
                },
                "revenue_change": parts["revenue_change"],
                "factors": parts["factors"],
                "verdict": parts["verdict"],
                "kpis": _row_kpis(rollup.by_owner[owner_id], orders.by_person[owner_id]),
            }
        )
    return rows


def _account_rows(*, accounts: list[Account], rollup: _Rollup, orders: _OrdersRollup, in_data: bool) -> list[dict]:
    rows = []
    for account in accounts:
        parts = _decomposition(
            rollup.base_by_account[account.pk].funnel,
            rollup.by_account[account.pk].funnel,
            baseline_in_data=in_data,
            people=(
                _replied_won(rollup.base_by_account_owner[account.pk]),
                _replied_won(rollup.by_account_owner[account.pk]),
            ),
        )
        kpis = _row_kpis(rollup.by_account[account.pk], orders.by_account[account.pk])
        kpis.update(_snapshot_json(account))
        rows.append(
            {
                "code": account.code,
                "kind": account.kind,
                "name": account.name,
                "display_name": str(account),
                "parent": account.parent.code if account.parent_id else None,
                "is_active": account.is_active,
                "funnel": parts["funnel"],
                "orders_change": parts["orders_change"],
                "revenue_change": parts["revenue_change"],
                "factors": parts["factors"],
                "verdict": parts["verdict"],
                "kpis": kpis,
            }
        )
    return rows


def _company_kpis(*, total: Tally, orders: OrderTally, median: dt.timedelta | None, sla_hours: int) -> dict:
    return {
        "reply_24h_rate": _rate(total.reply_24h, total.valid),
        "sales_sla_rate": _rate(total.sla_met, total.allocated_valid),
        "allocation_delay_median_hours": (
            None if median is None else calc.to_number(Fraction(median // dt.timedelta(microseconds=1), 3_600_000_000))
        ),
        "ta_orders": orders.ta_orders,
        "orders_won_in_month": orders.orders,
        "ta_share": _rate(orders.ta_orders, orders.orders),
        # Beyond the contract: the counts behind the rates.
        "valid": total.valid,
        "reply_24h": total.reply_24h,
        "sales_sla_base": total.allocated_valid,
        "sales_sla_met": total.sla_met,
        "sla_hours": sla_hours,
        "allocated": total.allocated,
        "unallocated": total.inquiries - total.allocated,
        "orders_won_in_month_usd": calc.money(orders.usd),
        "ta_orders_usd": calc.money(orders.ta_usd),
    }


def _rfq_line(rollup: _Rollup, salespeople: list[dict], quotes: dict) -> dict:
    rfq_total = RfqTally()
    for tally in rollup.rfq_by_owner.values():
        rfq_total.inquiries += tally.inquiries
        rfq_total.won += tally.won
        rfq_total.revenue += tally.revenue
    quotas = [row["rfq"]["quota"] for row in salespeople if row["rfq"]["quota"] is not None]
    return {
        "quotes": sum(quotes.values()),
        "quota": sum(quotas) if quotas else None,
        "inquiries": rfq_total.inquiries,
        "won": rfq_total.won,
        "revenue_usd": calc.money(rfq_total.revenue),
    }


def attribution_report(*, period: ReportPeriod, scope: Scope, sla_hours: int) -> dict:
    """The report of ATTRIBUTION.md §7 for `period` and `scope`, as a JSON-ready dict.

    Beyond the contract's keys it carries what the report page shows: display names, per-row
    key figures and verdicts, the factors, both verdict sentences, when the report turns final.
    """
    # Both months in one statement, each counted as of its own T.
    current, baseline = cohorts_counts(
        periods=[
            CohortPeriod(period.start, period.end, period.as_of),
            CohortPeriod(period.baseline_start, period.baseline_end, period.baseline_as_of, key_figures=False),
        ],
        window_days=period.window_days,
        sla_hours=sla_hours,
        scope=scope,
        median_of=0,
    )
    rollup = _roll_up(current.groups, baseline.groups)
    start_month = data_start()
    in_data = start_month is not None and period.baseline >= start_month
    groups = current.groups + baseline.groups
    owner_ids, account_ids = {g.owner_id for g in groups}, {g.account_id for g in groups}
    orders = _roll_up_orders(orders_won_in_month(start=period.start, end=period.end, as_of=period.as_of, scope=scope))
    quotes = rfq_quotes_in_month(start=period.start, end=period.end, as_of=period.as_of, scope=scope)

    people, accounts = _report_rows_of(scope=scope, period=period, owner_ids=owner_ids, account_ids=account_ids)
    salespeople = _salesperson_rows(
        scope=scope, people=people, rollup=rollup, orders=orders, quotes=quotes, in_data=in_data
    )
    account_rows = _account_rows(accounts=accounts, rollup=rollup, orders=orders, in_data=in_data)

    split = None if scope.kind == "salesperson" else (_replied_won(rollup.base_by_owner), _replied_won(rollup.by_owner))
    parts = _decomposition(rollup.base_total.funnel, rollup.total.funnel, baseline_in_data=in_data, people=split)
    texts = _verdict_texts(parts, period=period, in_data=in_data, start_month=start_month)
    kpis = _company_kpis(
        total=rollup.total, orders=orders.total, median=current.allocation_delay_median, sla_hours=sla_hours
    )
    if scope.kind == "account":
        kpis.update(_snapshot_json(accounts[0]))
    return {
        **_period_json(scope=scope, period=period, in_data=in_data, start_month=start_month),
        "funnel": parts["funnel"],
        "orders_change": parts["orders_change"],
        "revenue_change": parts["revenue_change"],
        "verdict": _verdict_json(parts, texts),
        "salespeople": salespeople,
        "accounts": account_rows,
        "kpis": kpis,
        # Beyond the contract, for the report page.
        "payload_version": PAYLOAD_VERSION,
        "baseline_status": period.baseline_status,
        "final_at": iso(period.final_at),
        "final_on": timezone.localtime(period.final_at).date().isoformat(),
        "time_zone": timezone.get_default_timezone_name(),
        "factors": parts["factors"],
        "rfq": _rfq_line(rollup, salespeople, quotes),
        "computed_at": iso(timezone.now()),
    }


def _period_json(*, scope: Scope, period: ReportPeriod, in_data: bool, start_month) -> dict:
    """The report's first keys: which scope and months it compares, as of when."""
    return {
        "scope": scope.key,
        "month": month_label(period.month),
        "baseline": month_label(period.baseline),
        "as_of": iso(period.as_of),
        "baseline_as_of": iso(period.baseline_as_of),
        "window_days": period.window_days,
        "status": period.status,
        "baseline_in_data": in_data,
        "data_start": month_label(start_month) if start_month else None,
    }


def _verdict_texts(parts: dict, *, period: ReportPeriod, in_data: bool, start_month) -> dict[str, str]:
    """The verdict's sentence in every language the report stores."""
    label = None if period.baseline_is_previous_month else month_label(period.baseline)
    context = calc.VerdictContext(
        spread=parts["_noise"],
        baseline_in_data=in_data,
        baseline_month=month_label(period.baseline),
        data_start=month_label(start_month) if start_month else None,
    )
    return calc.verdict_sentences(parts["_orders"], parts["_verdict"], context, baseline_label=label)


def _verdict_json(parts: dict, texts: dict[str, str]) -> dict:
    return {
        "kind": parts["verdict"]["kind"],
        "side": parts["verdict"]["side"],
        "reason": parts["verdict"]["reason"],
        "text": texts[calc.sentence_language(get_language())],
        "texts": texts,
        "delta": parts["orders_change"]["total"],
    }


def _snapshot_json(account: Account) -> dict:
    rate = getattr(account, "snapshot_rate", None)
    hours = getattr(account, "snapshot_hours", None)
    date = getattr(account, "snapshot_date", None)
    return {
        "alibaba_reply_rate": None if rate is None else calc.to_number(Decimal(rate)),
        "alibaba_reply_rate_date": date.isoformat() if date else None,
        "alibaba_avg_reply_hours": None if hours is None else calc.to_number(Decimal(hours), places=2),
    }


def monthly_report_stored(*, month: dt.date, baseline: dt.date, scope: str, window_days: int) -> MonthlyReport | None:
    """The stored report of this key, final or provisional, or None: one query."""
    return MonthlyReport.objects.filter(month=month, baseline=baseline, scope=scope, window_days=window_days).first()


def report_payload(report, *, language: str | None = None) -> dict:
    """A stored report's payload with `verdict.text` in `language` (default: the active one).

    The report keeps the sentence in every language it is written in, so a final report reads
    the same in Chinese and in English whatever language the job that froze it ran in.
    """
    payload = dict(report.payload)
    verdict = dict(payload["verdict"])
    texts = verdict.get("texts") or {}
    verdict["text"] = texts.get(calc.sentence_language(language or get_language()), verdict["text"])
    payload["verdict"] = verdict
    return payload


def report_page_accounts() -> list[Account]:
    """The accounts a report can be narrowed to, each main account before its sub-accounts: one query."""
    return sorted(Account.objects.select_related("parent"), key=_account_order)


def report_user_ids(payload: dict) -> dict[str, int]:
    """Salesperson username → id, for the links of the report's rows: one query."""
    usernames = {row["username"] for row in payload["salespeople"] if row["username"]}
    return dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))


def boss_home(*, now: dt.datetime | None = None) -> dict:
    """The boss's home page: last month's stored company report (verdict, status), if stored: two queries.

    Only a stored report: the home page never counts; the report page computes one when it is missing.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    month = add_months(dt.date(local.year, local.month, 1), -1)
    report = MonthlyReport.objects.filter(
        month=month,
        baseline=add_months(month, -1),
        scope="company",
        window_days=CompanySettings.load().attribution_window_days,
    ).first()
    return {"month": month, "report": report, "payload": report_payload(report) if report else None}
