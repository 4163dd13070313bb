"""What the report page, the PDF and the workbook show, built from a stored report's payload.

Plain Python over the payload (no counting here): the rows of the tables with the links to the
inquiries behind each number, the waterfall steps, the funnel, the key figures and the charts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from . import charts, formatting
from .links import UNASSIGNED, inquiry_list_url
from .models import MonthlyReport
from .periods import parse_month
from .selectors import report_payload

FUNNEL_STAGES = ("inquiries", "valid", "replied", "won")
# The inquiry list filters by today's state; "won" is the one funnel stage it can express.
STAGE_STATE = {"won": "won"}


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
) -> ReportView:
    """The report as the page shows it. `account_ids` (code → id) and `user_ids` (username → id)
    give the inquiry list's filter values for the links."""
    payload = report_payload(report, language=language)
    month, baseline = parse_month(payload["month"]), parse_month(payload["baseline"])
    scope_account = payload["scope"].partition(":")[2] if payload["scope"].startswith("account:") else None
    scope_account_id = account_ids.get(scope_account) if scope_account else None

    view = ReportView(
        report=report,
        payload=payload,
        month=month,
        baseline=baseline,
        funnel=_funnel_rows(payload["funnel"], month=month, baseline=baseline, account_id=scope_account_id),
        orders_steps=_steps(payload["orders_change"], places=1),
        revenue_steps=_steps(payload["revenue_change"], places=0),
        accounts=[
            _account_row(row, month=month, account_id=account_ids.get(row["code"])) for row in payload["accounts"]
        ],
        salespeople=[
            _salesperson_row(
                row,
                month=month,
                owner=UNASSIGNED if row["username"] is None else user_ids.get(row["username"]),
                account_id=scope_account_id,
            )
            for row in payload["salespeople"]
        ],
        kpis=payload["kpis"],
        snapshots=[
            {
                "name": row["display_name"],
                "rate": row["kpis"].get("alibaba_reply_rate"),
                "date": row["kpis"].get("alibaba_reply_rate_date"),
                "hours": row["kpis"].get("alibaba_avg_reply_hours"),
            }
            for row in payload["accounts"]
        ],
    )
    if with_charts:
        labels = {"baseline_label": payload["baseline"], "month_label": payload["month"]}
        view.charts = {
            "orders": charts.orders_waterfall(payload, **labels),
            "revenue": charts.revenue_waterfall(payload, **labels),
            "funnel": charts.funnel_chart(payload, **labels),
            "trends": charts.trend_charts(payload.get("trends") or []),
        }
    return view


def _funnel_rows(funnel: dict, *, month: dt.date, baseline: dt.date, account_id: int | None) -> list[dict]:
    labels = stage_labels()
    rows = []
    for stage in (*FUNNEL_STAGES, "revenue_usd"):
        current, base = funnel["current"][stage], funnel["baseline"][stage]
        state = STAGE_STATE.get(stage if stage != "revenue_usd" else "won")
        rows.append(
            {
                "stage": stage,
                "label": labels[stage],
                "current": current,
                "baseline": base,
                "change": current - base,
                "money": stage == "revenue_usd",
                "current_url": inquiry_list_url(month=month, account_id=account_id, state=state),
                "baseline_url": inquiry_list_url(month=baseline, account_id=account_id, state=state),
            }
        )
    return rows


def _steps(change: dict, *, places: int) -> list[dict]:
    labels = charts.factor_labels()
    steps = []
    for name in ("volume", "quality", "response", "conversion", "order_value"):
        if name in change:
            side = "operations" if name in ("volume", "quality") else "sales"
            steps.append({"name": name, "label": labels[name], "value": change[name], "side": side, "places": places})
    return {
        "factors": steps,
        "operations": change["operations"],
        "sales": change["sales"],
        "total": change["total"],
        "places": places,
    }


def _links(month: dt.date, **filters) -> dict[str, str]:
    links = {stage: inquiry_list_url(month=month, state=STAGE_STATE.get(stage), **filters) for stage in FUNNEL_STAGES}
    links["rfq"] = inquiry_list_url(month=month, source="rfq", **filters)
    return links


def _row_numbers(row: dict) -> dict:
    current = row["funnel"]["current"]
    change = row["orders_change"]
    return {
        "inquiries": current["inquiries"],
        "valid": current["valid"],
        "replied": current["replied"],
        "won": current["won"],
        "revenue_usd": current["revenue_usd"],
        "baseline_won": row["funnel"]["baseline"]["won"],
        "conversion": None if not current["replied"] else current["won"] / current["replied"],
        "orders_change": change["total"],
        "operations_effect": change["operations"],
        "sales_effect": change["sales"],
        "verdict": row["verdict"],
        "reply_24h_rate": row["kpis"].get("reply_24h_rate"),
        "sales_sla_rate": row["kpis"].get("sales_sla_rate"),
        "ta_share": row["kpis"].get("ta_share"),
        "ta_orders": row["kpis"].get("ta_orders"),
        "orders_won_in_month": row["kpis"].get("orders_won_in_month"),
    }


def _account_row(row: dict, *, month: dt.date, account_id: int | None) -> dict:
    return {
        "name": row["display_name"],
        "code": row["code"],
        "kind": row["kind"],
        "is_sub": row["kind"] == "sub",
        "alibaba_reply_rate": row["kpis"].get("alibaba_reply_rate"),
        "links": _links(month, account_id=account_id),
        **_row_numbers(row),
    }


def _salesperson_row(row: dict, *, month: dt.date, owner, account_id: int | None) -> dict:
    rfq = row["rfq"]
    return {
        "name": row["display_name"] or _("Unassigned"),
        "username": row["username"],
        "is_unassigned": row["username"] is None,
        "is_active": row["is_active"],
        "rfq": rfq,
        "rfq_quota_used": None if not rfq["quota"] else rfq["quotes"] / rfq["quota"],
        "links": _links(month, owner_id=owner, account_id=account_id),
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
    kind, side = row["verdict"]["kind"], row["verdict"]["side"]
    change = row["orders_change"]
    numbers = {
        "own": formatting.signed(change["sales"]),
        "allocation": formatting.signed(change["operations"]),
        "total": formatting.signed(change["total"], 0),
    }
    if kind == "none":
        return (
            _(
                "The report neither credits nor blames you: your replies and conversion moved your orders by "
                "%(own)s, the inquiries operations gave you by %(allocation)s."
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
