"""The report as a plain-text table, in the active language (`attribution_report --format text`)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.utils.translation import gettext as _


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    gap = " " * max(width - _width(text), 0)
    return gap + text if right else text + gap


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns sized to their widest cell; the first column left-aligned, numbers right-aligned."""
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [_pad(str(cell), widths[i], right=i > 0) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _num(value, places: int = 4) -> str:
    """Signed: +2.5473 / −5 / 0; a whole number without decimals."""
    if value is None:
        return "—"
    text = f"{abs(value):,d}" if isinstance(value, int) else f"{abs(value):,.{places}f}"
    if float(text.replace(",", "")) == 0:
        return text
    return f"−{text}" if value < 0 else f"+{text}"


def _money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _rate(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _seconds(instant: str) -> str:
    return dt.datetime.fromisoformat(instant).replace(microsecond=0).isoformat()


def _scope_label(scope: str) -> str:
    if scope == "company":
        return _("whole company")
    kind, _sep, name = scope.partition(":")
    return (_("account %(code)s") if kind == "account" else _("salesperson %(name)s")) % {"code": name, "name": name}


def _funnel_rows(funnel: dict) -> list[list[str]]:
    cur, base = funnel["current"], funnel["baseline"]
    labels = [
        ("inquiries", _("Inquiries")),
        ("valid", _("Valid")),
        ("replied", _("Replied")),
        ("won", _("Won")),
    ]
    rows = [[label, f"{cur[k]:,d}", f"{base[k]:,d}", _num(cur[k] - base[k])] for k, label in labels]
    rows.append(
        [
            _("Revenue (USD)"),
            _money(cur["revenue_usd"]),
            _money(base["revenue_usd"]),
            _num(cur["revenue_usd"] - base["revenue_usd"], 2),
        ]
    )
    return rows


def render_text(payload: dict) -> str:
    """The report of ATTRIBUTION.md §7 laid out for a terminal."""
    out = [
        *_heading(payload),
        "",
        table(["", _("This month"), _("Baseline"), _("Difference")], _funnel_rows(payload["funnel"])),
        "",
        _effects_table(payload["orders_change"], payload["revenue_change"]),
        "",
        _("Verdict: %(text)s") % {"text": payload["verdict"]["text"]},
        "",
        _kpi_table(payload["kpis"]),
    ]
    if payload["salespeople"]:
        out += ["", _people_table(payload["salespeople"])]
    if payload["accounts"]:
        out += ["", _accounts_table(payload["accounts"])]
    return "\n".join(out)


def _heading(payload: dict) -> list[str]:
    status = _("final") if payload["status"] == "final" else _("provisional")
    return [
        _("Monthly report %(month)s, %(scope)s, against %(baseline)s")
        % {"month": payload["month"], "scope": _scope_label(payload["scope"]), "baseline": payload["baseline"]},
        _("As of %(as_of)s (baseline as of %(baseline_as_of)s), window %(days)s days, %(status)s")
        % {
            "as_of": _seconds(payload["as_of"]),
            "baseline_as_of": _seconds(payload["baseline_as_of"]),
            "days": payload["window_days"],
            "status": status,
        },
    ]


def _effects_table(oc: dict, rc: dict) -> str:
    factor_labels = [
        ("volume", _("Volume")),
        ("quality", _("Quality")),
        ("response", _("Response")),
        ("conversion", _("Conversion")),
        ("order_value", _("Order value")),
        ("operations", _("Operations")),
        ("sales", _("Sales")),
        ("total", _("Total")),
    ]
    return table(
        [_("Effect"), _("Orders"), _("Revenue (USD)")],
        [[label, _num(oc[key]) if key in oc else "", _num(rc[key], 2)] for key, label in factor_labels],
    )


def _kpi_table(k: dict) -> str:
    delay = k["allocation_delay_median_hours"]
    return table(
        [_("Key figure"), _("Value")],
        [
            [_("Reply within 24 h"), _rate(k["reply_24h_rate"])],
            [_("Sales reply within SLA"), _rate(k["sales_sla_rate"])],
            [_("Allocation delay, median (hours)"), "—" if delay is None else f"{delay:.2f}"],
            [_("Orders won in the month"), f"{k['orders_won_in_month']:,d}"],
            [_("Trade-assurance orders"), f"{k['ta_orders']:,d}"],
            [_("Trade-assurance share"), _rate(k["ta_share"])],
        ],
    )


def _figure_columns() -> list[str]:
    """The columns a salesperson's row and an account's row share."""
    return [
        _("Inquiries"),
        _("Valid"),
        _("Replied"),
        _("Won"),
        _("Revenue (USD)"),
        _("Orders change"),
        _("Operations"),
        _("Sales"),
    ]


def _people_table(people: list[dict]) -> str:
    header = [_("Salesperson"), *_figure_columns(), _("RFQ quotes"), _("RFQ won")]
    return table(header, [_person_row(row) for row in people])


def _accounts_table(accounts: list[dict]) -> str:
    header = [_("Account"), _("Kind"), *_figure_columns()]
    return table(header, [_account_row(row) for row in accounts])


def _funnel_cells(row: dict) -> list[str]:
    cur = row["funnel"]["current"]
    oc = row["orders_change"]
    return [
        f"{cur['inquiries']:,d}",
        f"{cur['valid']:,d}",
        f"{cur['replied']:,d}",
        f"{cur['won']:,d}",
        _money(cur["revenue_usd"]),
        _num(oc["total"]),
        _num(oc["operations"], 2),
        _num(oc["sales"], 2),
    ]


def _person_row(row: dict) -> list[str]:
    name = row.get("display_name") or row["username"] or _("(unassigned)")
    if row["username"] and name != row["username"]:
        name = f"{name} ({row['username']})"
    rfq = row["rfq"]
    quota = "" if rfq["quota"] is None else f"/{rfq['quota']}"
    return [name, *_funnel_cells(row), f"{rfq['quotes']}{quota}", f"{rfq['won']}/{rfq['inquiries']}"]


def _account_row(row: dict) -> list[str]:
    kind = _("main") if row["kind"] == "main" else _("sub")
    return [row["code"], kind, *_funnel_cells(row)]
