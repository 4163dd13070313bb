"""What the report page, the PDF and the workbook show, built from a stored report's payload.

Plain Python over the payload (no counting here): the rows of the tables with the links to the
inquiries behind each number, the waterfall steps, the funnel, the key figures and the charts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from . import attribution as calc
from . import charts, formatting
from .links import UNASSIGNED, drilldown_url
from .models import MonthlyReport
from .periods import parse_month
from .selectors import report_payload

FUNNEL_STAGES = ("inquiries", "valid", "replied", "won")
OPERATIONS_FACTORS = ("volume", "quality")


def stage_labels() -> dict[str, str]:
    return {
        "inquiries": _("Inquiries"),
        "valid": _("Valid"),
        "replied": _("Replied"),
        "won": _("Won"),
        "revenue_usd": _("Revenue (USD)"),
    }


@dataclass
class ReportView:
    """A stored report, ready to show."""

    report: MonthlyReport
    payload: dict
    month: dt.date
    baseline: dt.date
    funnel: list[dict]
    orders_steps: list[dict]
    revenue_steps: list[dict]
    accounts: list[dict]
    salespeople: list[dict]
    kpis: dict
    snapshots: list[dict]
    charts: dict = field(default_factory=dict)

    @property
    def verdict(self) -> dict:
        return self.payload["verdict"]

    @property
    def is_final(self) -> bool:
        return self.payload["status"] == MonthlyReport.Status.FINAL

    @property
    def final_on(self) -> dt.date:
        return dt.date.fromisoformat(self.payload["final_on"])

    @property
    def as_of(self) -> dt.datetime:
        return timezone.localtime(dt.datetime.fromisoformat(self.payload["as_of"]))

    @property
    def baseline_as_of(self) -> dt.datetime:
        return timezone.localtime(dt.datetime.fromisoformat(self.payload["baseline_as_of"]))

    @property
    def waterfalls(self) -> list[tuple[str, dict, str | None]]:
        """(title, steps, chart) of the orders change and the revenue change."""
        return [
            (_("Orders change"), self.orders_steps, self.charts.get("orders")),
            (_("Revenue change (USD)"), self.revenue_steps, self.charts.get("revenue")),
        ]

    @property
    def month_label(self) -> str:
        return self.payload["month"]

    @property
    def baseline_label(self) -> str:
        return self.payload["baseline"]


def report_view(
    report: MonthlyReport,
    *,
    account_ids: dict[str, int],
    user_ids: dict[str, int],
    language: str | None = None,
    with_charts: bool = True,
    with_rows: bool = True,
) -> ReportView:
    """The report as the page shows it. `account_ids` (code → id) and `user_ids` (username → id)
    give the drill-down links' filter values. Without `with_rows`, only the verdict and the
    payload (for a page whose body comes from the cache): no tables, no links, no charts."""
    payload = report_payload(report, language=language)
    if not with_rows:
        month, baseline = parse_month(payload["month"]), parse_month(payload["baseline"])
        return ReportView(report, payload, month, baseline, [], {}, {}, [], [], payload["kpis"], [])
    month, baseline = parse_month(payload["month"]), parse_month(payload["baseline"])
    kind, _sep, name = payload["scope"].partition(":")
    scope_filters = {
        "account_id": account_ids.get(name) if kind == "account" else None,
        "owner_id": user_ids.get(name) if kind == "salesperson" else None,
    }
    current = Cohort(month, payload["as_of"], payload["window_days"])
    base = Cohort(baseline, payload["baseline_as_of"], payload["window_days"])

    view = ReportView(
        report=report,
        payload=payload,
        month=month,
        baseline=baseline,
        funnel=_funnel_rows(payload["funnel"], current=current, baseline=base, filters=scope_filters),
        orders_steps=_steps(payload["orders_change"], places=1),
        revenue_steps=_steps(payload["revenue_change"], places=0),
        accounts=[
            _account_row(row, cohort=current, account_id=account_ids.get(row["code"])) for row in payload["accounts"]
        ],
        salespeople=[
            _salesperson_row(
                row,
                cohort=current,
                owner=UNASSIGNED if row["username"] is None else user_ids.get(row["username"]),
                account_id=scope_filters["account_id"],
            )
            for row in payload["salespeople"]
        ],
        kpis=payload["kpis"],
        snapshots=_snapshots(payload["accounts"]),
    )
    if with_charts:
        view.charts = _charts(payload)
    return view


def _snapshots(accounts: list[dict]) -> list[dict]:
    """Each account's latest Alibaba reply-rate snapshot, for the table under the KPIs."""
    return [
        {
            "name": row["display_name"],
            "rate": row["kpis"].get("alibaba_reply_rate"),
            "date": row["kpis"].get("alibaba_reply_rate_date"),
            "hours": row["kpis"].get("alibaba_avg_reply_hours"),
        }
        for row in accounts
    ]


def _charts(payload: dict) -> dict:
    labels = {"baseline_label": payload["baseline"], "month_label": payload["month"]}
    return {
        "orders": charts.orders_waterfall(payload, **labels),
        "revenue": charts.revenue_waterfall(payload, **labels),
        "funnel": charts.funnel_chart(payload, **labels),
        "trends": charts.trend_charts(payload.get("trends") or []),
    }


@dataclass(frozen=True)
class Cohort:
    """A month's inquiries as the report counts them: as of T, orders within the window."""

    month: dt.date
    as_of: str
    window_days: int

    def url(self, **filters) -> str:
        return drilldown_url(month=self.month, as_of=self.as_of, window_days=self.window_days, **filters)


def _funnel_rows(funnel: dict, *, current: Cohort, baseline: Cohort, filters: dict) -> list[dict]:
    labels = stage_labels()
    rows = []
    for stage in (*FUNNEL_STAGES, "revenue_usd"):
        now, base = funnel["current"][stage], funnel["baseline"][stage]
        money = stage == "revenue_usd"  # a sum, not a count: the won stage's link has the inquiries
        rows.append(
            {
                "stage": stage,
                "label": labels[stage],
                "current": now,
                "baseline": base,
                "change": now - base,
                "money": money,
                "current_url": None if money else current.url(stage=stage, **filters),
                "baseline_url": None if money else baseline.url(stage=stage, **filters),
            }
        )
    return rows


def _steps(change: dict, *, places: int) -> dict:
    """The factors of a change as shown: rounded so that the parts add up to the whole shown
    (largest remainder), the sides as the sums of their shown factors; for orders, each side's
    ± (1.645·se) and the conversion effect's split between allocation and own."""
    labels = charts.factor_labels()
    names = [n for n in ("volume", "quality", "response", "conversion", "order_value") if n in change]
    shown = dict(zip(names, calc.apportion([change[n] for n in names], change["total"], places), strict=True))
    operations = sum((v for n, v in shown.items() if n in OPERATIONS_FACTORS), Decimal(0))
    sales = sum((v for n, v in shown.items() if n not in OPERATIONS_FACTORS), Decimal(0))
    steps = {
        "factors": [
            {
                "name": name,
                "label": labels[name],
                "value": float(shown[name]),
                "side": "operations" if name in OPERATIONS_FACTORS else "sales",
                "places": places,
            }
            for name in names
        ],
        "operations": float(operations),
        "sales": float(sales),
        "total": float(operations + sales),
        "places": places,
    }
    if "operations_se" in change:
        steps["operations_margin"] = margin(change["operations_se"])
        steps["sales_margin"] = margin(change["sales_se"])
    if "conversion_allocation" in change:
        allocation, own = calc.apportion(
            [change["conversion_allocation"], change["conversion_own"]], shown["conversion"], places
        )
        steps["conversion_allocation"], steps["conversion_own"] = float(allocation), float(own)
    return steps


def margin(se: float | None) -> float | None:
    """The ± shown beside a side's effect: 1.645·se (90 %), one decimal."""
    return None if se is None else float(calc.Z_90) * se


def _links(cohort: Cohort, **filters) -> dict[str, str]:
    links = {stage: cohort.url(stage=stage, **filters) for stage in FUNNEL_STAGES}
    links["rfq"] = cohort.url(rfq=True, **filters)
    links["rfq_won"] = cohort.url(rfq=True, stage="won", **filters)
    links["quotes"] = cohort.url(kind="quotes", **filters)
    return links


def _row_numbers(row: dict) -> dict:
    current = row["funnel"]["current"]
    change = row["orders_change"]
    steps = _steps(change, places=1)
    orders_won = row["kpis"].get("orders_won_in_month")
    return {
        "inquiries": current["inquiries"],
        "valid": current["valid"],
        "replied": current["replied"],
        "won": current["won"],
        "revenue_usd": current["revenue_usd"],
        "baseline_won": row["funnel"]["baseline"]["won"],
        "conversion": None if not current["replied"] else current["won"] / current["replied"],
        "orders_change": change["total"],
        "operations_effect": steps["operations"],
        "sales_effect": steps["sales"],
        "operations_margin": steps.get("operations_margin"),
        "sales_margin": steps.get("sales_margin"),
        "conversion_allocation": steps.get("conversion_allocation"),
        "conversion_own": steps.get("conversion_own"),
        "verdict": row["verdict"],
        "reply_24h_rate": row["kpis"].get("reply_24h_rate"),
        "sales_sla_rate": row["kpis"].get("sales_sla_rate"),
        # A share of no orders is no share: empty, not 0 %.
        "ta_share": row["kpis"].get("ta_share") if orders_won else None,
        "ta_orders": row["kpis"].get("ta_orders"),
        "orders_won_in_month": orders_won,
    }


def _account_row(row: dict, *, cohort: Cohort, account_id: int | None) -> dict:
    return {
        "name": row["display_name"],
        "code": row["code"],
        "kind": row["kind"],
        "is_sub": row["kind"] == "sub",
        "alibaba_reply_rate": row["kpis"].get("alibaba_reply_rate"),
        "links": _links(cohort, account_id=account_id),
        **_row_numbers(row),
    }


def _salesperson_row(row: dict, *, cohort: Cohort, owner, account_id: int | None) -> dict:
    rfq = row["rfq"]
    return {
        "name": row["display_name"] or _("Unassigned"),
        "username": row["username"],
        "is_unassigned": row["username"] is None,
        "is_active": row["is_active"],
        "rfq": rfq,
        "rfq_quota_used": None if not rfq["quota"] else rfq["quotes"] / rfq["quota"],
        "links": _links(cohort, owner_id=owner, account_id=account_id),
        "factors": row["orders_change"],
        "funnel_baseline": row["funnel"]["baseline"],
        **_row_numbers(row),
    }


def salesperson_month(payload: dict, *, username: str) -> dict | None:
    """A salesperson's row of the company report, told to them: None when they have no row."""
    row = next((r for r in payload["salespeople"] if r["username"] == username), None)
    if row is None:
        return None
    labels = stage_labels()
    funnel = [
        {
            "stage": stage,
            "label": labels[stage],
            "current": row["funnel"]["current"][stage],
            "baseline": row["funnel"]["baseline"][stage],
            "change": row["funnel"]["current"][stage] - row["funnel"]["baseline"][stage],
        }
        for stage in (*FUNNEL_STAGES, "revenue_usd")
    ]
    rfq = row["rfq"]
    return {
        "row": row,
        "funnel": funnel,
        "steps": _steps(row["orders_change"], places=1),
        "rfq": rfq,
        "rfq_quota_used": None if not rfq["quota"] else rfq["quotes"] / rfq["quota"],
        "kpis": row["kpis"],
        "verdict": row["verdict"],
        "sentence": _personal_verdict(row),
        "status": payload["status"],
        "final_on": dt.date.fromisoformat(payload["final_on"]),
        "month_label": payload["month"],
        "baseline_label": payload["baseline"],
    }


def _personal_verdict(row: dict) -> str:
    """What the report says about the salesperson, in the second person."""
    kind, side, reason = row["verdict"]["kind"], row["verdict"]["side"], row["verdict"].get("reason")
    steps = _steps(row["orders_change"], places=1)
    numbers = {
        "own": formatting.signed(steps["sales"]),
        "allocation": formatting.signed(steps["operations"]),
        "own_margin": formatting.number(steps.get("sales_margin"), 1),
        "allocation_margin": formatting.number(steps.get("operations_margin"), 1),
        "total": formatting.signed(row["orders_change"]["total"], 0),
    }
    if reason == "baseline_before_data":
        return _("The baseline month is before the data starts: there is nothing to compare with, no credit or blame.")
    if kind == "none":
        return (
            _(
                "The report neither credits nor blames you: both effects are within normal variation (your replies "
                "and conversion %(own)s ± %(own_margin)s, the inquiries operations gave you %(allocation)s ± "
                "%(allocation_margin)s)."
            )
            % numbers
        )
    if side == "shared":
        return _("Your orders changed by %(total)s; the report shares it equally between you and operations.") % numbers
    if side == "sales":
        if kind == "credit":
            return _("The report credits you: your replies and conversion changed your orders by %(own)s.") % numbers
        return _("The report blames you: your replies and conversion changed your orders by %(own)s.") % numbers
    if kind == "credit":
        return (
            _("The report credits operations: the inquiries allocated to you changed your orders by %(allocation)s.")
            % numbers
        )
    return (
        _("The report blames operations: the inquiries allocated to you changed your orders by %(allocation)s.")
        % numbers
    )
