"""The month's report as a PDF (WeasyPrint, A4) and as an Excel workbook (openpyxl)."""

from __future__ import annotations

import ctypes.util
import datetime as dt
import functools
import importlib.util
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from inquiryhub import fonts
from inquiryhub.spreadsheets import spreadsheet_safe as safe_text

from . import charts, formatting
from .formatting import scope_label
from .presentation import FUNNEL_STAGES, ReportView, stage_labels

PDF_STYLESHEET = "css/report-pdf.css"


# The system libraries WeasyPrint opens when it is imported (Debian: libpango-1.0-0, libpangoft2-1.0-0,
# libharfbuzz0b, libfontconfig1).
SYSTEM_LIBRARIES = ("gobject-2.0", "pango-1.0", "pangoft2-1.0", "harfbuzz", "fontconfig")


class PdfUnavailable(Exception):
    """WeasyPrint or its system libraries are missing: the message says which."""


def _import_weasyprint():
    import weasyprint

    return weasyprint


def _probe_weasyprint() -> None:
    # Importing WeasyPrint costs ~0.7 s; the report page only needs to know that it would load.
    if importlib.util.find_spec("weasyprint") is None:
        raise ImportError("No module named 'weasyprint'")
    for name in SYSTEM_LIBRARIES:
        if ctypes.util.find_library(name) is None:
            raise OSError(f"cannot load library '{name}'")


@functools.cache
def pdf_unavailable_reason() -> str | None:
    """None when WeasyPrint and its system libraries are there; else why not (checked once a process)."""
    try:
        _probe_weasyprint()
    except (ImportError, OSError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def report_pdf(view: ReportView, *, request, context: dict) -> bytes:
    """The report page's content on A4, with the same charts (SVG) and Chinese fonts.

    Raises PdfUnavailable when WeasyPrint or its system libraries cannot be loaded.
    """
    try:
        weasyprint = _import_weasyprint()
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
    html = render_to_string(
        "reports/report_pdf.html", {**context, "view": view, "scope": scope_label(view.payload)}, request=request
    )
    # The shipped font, so that the PDF needs no Chinese font on the machine (inquiryhub/fonts.py).
    font_config = weasyprint.text.fonts.FontConfiguration()
    font_face = weasyprint.CSS(string=fonts.pdf_font_face_css(), font_config=font_config)
    stylesheet = weasyprint.CSS(filename=finders.find(PDF_STYLESHEET), font_config=font_config)
    return weasyprint.HTML(string=html, base_url=None).write_pdf(
        stylesheets=[font_face, stylesheet], font_config=font_config
    )


# The workbook's number formats: each cell gets the format of what it holds.
GENERAL = "General"
COUNT = "#,##0"
MONEY = "#,##0.00"
PERCENT = "0.0%"
HOURS = "0.0"
CHANGE = "+#,##0;-#,##0;0"  # a change in whole orders (or whole dollars, as the page shows revenue effects)
CHANGE_MONEY = "+#,##0.00;-#,##0.00;0.00"
EFFECT = "+0.0;-0.0;0.0"  # an effect in orders, to one decimal as on the page
MARGIN = '"±"0.0'
DATE_TIME = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Line:
    """A row of the summary sheet: label, value, the value's format and, for a side's effect, its ±."""

    label: str
    value: Any
    number_format: str = GENERAL
    margin: float | None = None


@dataclass(frozen=True)
class Column:
    """A column of a table sheet: its header, how a row gives its value, the cells' format."""

    header: str
    value: Callable[[dict], Any]
    number_format: str | Callable[[dict], str] = GENERAL  # or the row's format (the funnel's money row)


def report_xlsx(view: ReportView) -> bytes:
    """The report as a workbook: a summary first, then one sheet per table. Numbers are numbers,
    each formatted as what it is; effects are the values the page shows, so parts add up to the whole."""
    book = Workbook()
    summary = book.active
    summary.title = _sheet_title(_("Summary"))
    _lines(summary, summary_lines(view))

    payload = view.payload
    in_data = payload["baseline_in_data"]
    funnel = book.create_sheet(_sheet_title(_("Funnel")))
    _table(funnel, _funnel_columns(view), view.funnel)
    funnel.append([])
    funnel.append([safe_text(_won_note(payload["window_days"]))])

    if in_data:  # else no split, as on the page
        for title, steps, with_margin in (
            (_("Orders change"), view.orders_steps, True),
            (_("Revenue change"), view.revenue_steps, False),
        ):
            sheet = book.create_sheet(_sheet_title(title))
            _table(sheet, _effect_columns(steps, with_margin=with_margin), _effect_rows(steps))

    accounts = book.create_sheet(_sheet_title(_("Accounts")))
    _table(accounts, _account_columns(in_data=in_data), view.accounts)
    people = book.create_sheet(_sheet_title(_("Salespeople")))
    _table(people, _salesperson_columns(in_data=in_data), view.salespeople)

    trends = charts.since_first_inquiry(payload.get("trends") or [])
    if trends:
        sheet = book.create_sheet(_sheet_title(_("Trends")))
        _table(sheet, _trend_columns(), trends)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary_lines(view: ReportView) -> list[Line]:
    """What the summary sheet says: the verdict, what is compared with what, the split, the key figures."""
    payload, kpis = view.payload, view.kpis
    status = _("Final") if view.is_final else _("Provisional, final on %(date)s") % {"date": payload["final_on"]}
    lines = [
        Line(_("Monthly report"), payload["month"]),
        Line(_("Verdict"), payload["verdict"]["text"]),
        Line(_("Compared with"), payload["baseline"]),
        Line(_("Scope"), scope_label(payload)),
        Line(_("Status"), status),
        Line(_("As of"), _naive(view.as_of), DATE_TIME),
        Line(_("Baseline as of (same age)"), _naive(view.baseline_as_of), DATE_TIME),
        Line(_("Window (days)"), payload["window_days"], COUNT),
    ]
    if payload["baseline_in_data"]:
        steps = view.orders_steps
        lines += [
            Line(_("Orders change"), payload["orders_change"]["total"], CHANGE),
            Line(_("Operations effect"), steps["operations"], EFFECT, _margin(steps.get("operations_margin"))),
            Line(_("Sales effect"), steps["sales"], EFFECT, _margin(steps.get("sales_margin"))),
        ]
        if steps.get("conversion_allocation") is not None:
            lines += [
                Line(_("Conversion: who got the inquiries"), steps["conversion_allocation"], EFFECT),
                Line(_("Conversion: each person's own"), steps["conversion_own"], EFFECT),
            ]
    else:
        lines += [
            Line(_("Data starts"), payload.get("data_start") or "—"),
            Line(
                _("Split"),
                _("None: the baseline month is before the data starts, so there is nothing to compare with."),
            ),
        ]
    orders_won = kpis.get("orders_won_in_month")
    lines += [
        Line(_("Reply within 24 h"), kpis.get("reply_24h_rate"), PERCENT),
        Line(_("Reply within deadline"), kpis.get("sales_sla_rate"), PERCENT),
        Line(_("Allocation delay (median, hours)"), kpis.get("allocation_delay_median_hours"), HOURS),
        Line(_("Orders won in the month"), orders_won, COUNT),
        Line(_("Trade-assurance orders"), kpis.get("ta_orders"), COUNT),
        # A share of no orders is no share: empty, not 0 %.
        Line(_("Trade-assurance share"), kpis.get("ta_share") if orders_won else None, PERCENT),
    ]
    return lines


def _naive(moment: dt.datetime) -> dt.datetime:
    # Spreadsheets have no time zones: the company's local time, as the page shows it.
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def _margin(value: float | None) -> float | None:
    # The ± as the page writes it, to one decimal.
    return None if value is None else round(value, 1)


def _won_note(window_days: int) -> str:
    return _(
        "Won: this month's inquiries with an order within %(days)s days of arriving, counted at the same age as "
        "the baseline. 'Orders won in the month' on the summary counts every order dated in the month, whatever "
        "inquiry it came from, so the two differ."
    ) % {"days": window_days}


def _funnel_columns(view: ReportView) -> list[Column]:
    def count_or_money(row: dict) -> str:
        return MONEY if row["money"] else COUNT

    def change(row: dict) -> str:
        return CHANGE_MONEY if row["money"] else CHANGE

    return [
        Column(_("Stage"), lambda r: r["label"]),
        Column(view.baseline_label, lambda r: r["baseline"], count_or_money),
        Column(view.month_label, lambda r: r["current"], count_or_money),
        Column(_("Difference"), lambda r: r["change"], change),
    ]


def _effect_columns(steps: dict, *, with_margin: bool) -> list[Column]:
    # Effects in orders have one decimal; revenue effects are whole dollars, as on the page.
    effect = EFFECT if steps["places"] else CHANGE
    columns = [
        Column(pgettext("report table header", "Factor"), lambda r: r["label"]),
        Column(pgettext("report table header", "Side"), lambda r: r["side"]),
        Column(pgettext("report table header", "Effect"), lambda r: r["value"], effect),
    ]
    if with_margin:
        columns.append(Column("±", lambda r: r.get("margin"), MARGIN))
    return columns


def _effect_rows(steps: dict) -> list[dict]:
    """The factors as shown, the conversion split under conversion, then each side with its ± and the total."""
    sides = {"operations": _("Operations"), "sales": _("Sales")}
    rows = []
    for step in steps["factors"]:
        rows.append({"label": step["label"], "side": sides[step["side"]], "value": step["value"]})
        if step["name"] == "conversion" and steps.get("conversion_allocation") is not None:
            rows += [
                {"label": _("of which: who got the inquiries"), "side": sides["sales"],
                 "value": steps["conversion_allocation"]},
                {"label": _("of which: each person's own conversion"), "side": sides["sales"],
                 "value": steps["conversion_own"]},
            ]  # fmt: skip
    for side in ("operations", "sales"):
        rows.append(
            {"label": sides[side], "side": sides[side], "value": steps[side],
             "margin": _margin(steps.get(f"{side}_margin"))}
        )  # fmt: skip
    rows.append({"label": _("Total"), "side": "", "value": steps["total"]})
    return rows


def _effects(*, in_data: bool, operations: str, sales: str) -> list[Column]:
    """A row's orders change and the two sides' shown effects with their ±; empty before the data starts."""

    def shown(key: str):
        return lambda r: r[key] if in_data else None

    return [
        Column(_("Orders change"), shown("orders_change"), CHANGE),
        Column(operations, shown("operations_effect"), EFFECT),
        Column(_("Operations ±"), lambda r: _margin(r["operations_margin"]) if in_data else None, MARGIN),
        Column(sales, shown("sales_effect"), EFFECT),
        Column(_("Sales ±"), lambda r: _margin(r["sales_margin"]) if in_data else None, MARGIN),
    ]


def _funnel_counts() -> list[Column]:
    labels = stage_labels()
    return [
        *(Column(labels[stage], lambda r, stage=stage: r[stage], COUNT) for stage in FUNNEL_STAGES),
        Column(labels["revenue_usd"], lambda r: r["revenue_usd"], MONEY),
    ]


def _account_columns(*, in_data: bool) -> list[Column]:
    return [
        Column(_("Account"), lambda r: r["name"]),
        Column(_("Kind"), lambda r: _("sub-account") if r["is_sub"] else _("main account")),
        *_funnel_counts(),
        Column(_("Reply within 24 h"), lambda r: r["reply_24h_rate"], PERCENT),
        Column(_("Conversion rate"), lambda r: r["conversion"], PERCENT),
        Column(_("Orders won in the month"), lambda r: r["orders_won_in_month"], COUNT),
        Column(_("Trade-assurance share of those orders"), lambda r: r["ta_share"], PERCENT),
        Column(_("Alibaba reply rate"), lambda r: r["alibaba_reply_rate"], PERCENT),
        *_effects(in_data=in_data, operations=_("Operations effect"), sales=_("Sales effect")),
        Column(
            _("Conversion: who got the inquiries"),
            lambda r: r["conversion_allocation"] if in_data else None,
            EFFECT,
        ),
        Column(_("Conversion: each person's own"), lambda r: r["conversion_own"] if in_data else None, EFFECT),
        Column(_("Credit or blame"), lambda r: formatting.verdict_label(r["verdict"])),
    ]


def _salesperson_columns(*, in_data: bool) -> list[Column]:
    return [
        Column(_("Salesperson"), lambda r: r["name"]),
        *_funnel_counts(),
        Column(_("Reply within deadline"), lambda r: r["sales_sla_rate"], PERCENT),
        Column(_("Conversion rate"), lambda r: r["conversion"], PERCENT),
        Column(_("Orders won in the month"), lambda r: r["orders_won_in_month"], COUNT),
        Column(_("Trade-assurance share of those orders"), lambda r: r["ta_share"], PERCENT),
        Column(_("RFQ quotes"), lambda r: r["rfq"]["quotes"], COUNT),
        Column(_("RFQ quota"), lambda r: r["rfq"]["quota"], COUNT),
        Column(_("RFQ inquiries"), lambda r: r["rfq"]["inquiries"], COUNT),
        Column(_("RFQ won"), lambda r: r["rfq"]["won"], COUNT),
        Column(_("RFQ revenue (USD)"), lambda r: r["rfq"]["revenue_usd"], MONEY),
        *_effects(in_data=in_data, operations=_("Allocation (operations)"), sales=_("Own effect (sales)")),
        Column(_("Credit or blame"), lambda r: formatting.verdict_label(r["verdict"])),
    ]


def _trend_columns() -> list[Column]:
    return [
        Column(_("Month"), lambda t: t["month"]),
        Column(stage_labels()["inquiries"], lambda t: t["inquiries"], COUNT),
        Column(_("Valid share"), lambda t: t["valid_share"], PERCENT),
        Column(_("Reply within 24 h"), lambda t: t["reply_24h_rate"], PERCENT),
        Column(_("Conversion rate"), lambda t: t["conversion"], PERCENT),
        Column(_("Orders from the month's inquiries"), lambda t: t["won"], COUNT),
        Column(_("Orders won in the month"), lambda t: t.get("orders_won_in_month"), COUNT),
        Column(_("Trade-assurance share"), lambda t: t["ta_share"] if t.get("orders_won_in_month") else None, PERCENT),
    ]


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31]


def _lines(sheet, lines: list[Line]) -> None:
    for number, line in enumerate(lines, start=1):
        sheet.append([safe_text(line.label), safe_text(line.value), line.margin])
        sheet.cell(row=number, column=1).font = Font(bold=True)
        sheet.cell(row=number, column=2).number_format = line.number_format
        if line.margin is not None:
            sheet.cell(row=number, column=3).number_format = MARGIN
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 100
    sheet.column_dimensions["C"].width = 10
    verdict = sheet.cell(row=2, column=2)
    verdict.alignment = Alignment(wrap_text=True)
    verdict.font = Font(bold=True)


def _table(sheet, columns: list[Column], rows: list[dict]) -> None:
    sheet.append([safe_text(column.header) for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        sheet.append([safe_text(column.value(row)) for column in columns])
        for index, column in enumerate(columns, start=1):
            fmt = column.number_format
            sheet.cell(row=number, column=index).number_format = fmt(row) if callable(fmt) else fmt
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(str(column.header)) * 2 + 4))
    sheet.freeze_panes = "B2"
