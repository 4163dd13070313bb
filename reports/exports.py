"""The month's report as a PDF (WeasyPrint, A4) and as an Excel workbook (openpyxl)."""

from __future__ import annotations

import ctypes.util
import functools
import importlib.util
import io

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from inquiryhub import fonts

from . import formatting
from .presentation import ReportView, stage_labels

PDF_STYLESHEET = "css/report-pdf.css"
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
    html = render_to_string("reports/report_pdf.html", {**context, "view": view}, request=request)
    # The shipped font, so that the PDF needs no Chinese font on the machine (inquiryhub/fonts.py).
    font_config = weasyprint.text.fonts.FontConfiguration()
    font_face = weasyprint.CSS(string=fonts.pdf_font_face_css(), font_config=font_config)
    stylesheet = weasyprint.CSS(filename=finders.find(PDF_STYLESHEET), font_config=font_config)
    return weasyprint.HTML(string=html, base_url=None).write_pdf(
        stylesheets=[font_face, stylesheet], font_config=font_config
    )


def safe_text(value):
    """A string a spreadsheet will not run as a formula (OWASP's CSV-injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def report_xlsx(view: ReportView) -> bytes:
    """One sheet per table, numbers as numbers (rates as fractions formatted as %), a summary first."""
    book = Workbook()
    summary = book.active
    summary.title = _sheet_title(_("Summary"))
    payload = view.payload
    status = _("Final") if view.is_final else _("Provisional, final on %(date)s") % {"date": payload["final_on"]}
    kpis = view.kpis
    _rows(
        summary,
        [
            [_("Monthly report"), payload["month"]],
            [_("Verdict"), payload["verdict"]["text"]],
            [_("Compared with"), payload["baseline"]],
            [_("Scope"), payload["scope"]],
            [_("Status"), status],
            [_("As of"), timezone.localtime(view.as_of).strftime("%Y-%m-%d %H:%M")],
            [_("Window (days)"), payload["window_days"]],
            [_("Orders change"), payload["orders_change"]["total"]],
            [_("Operations effect"), payload["orders_change"]["operations"]],
            [_("Sales effect"), payload["orders_change"]["sales"]],
            [_("Reply within 24 h"), kpis.get("reply_24h_rate")],
            [_("Reply within deadline"), kpis.get("sales_sla_rate")],
            [_("Allocation delay (median, hours)"), kpis.get("allocation_delay_median_hours")],
            [_("Orders won in the month"), kpis.get("orders_won_in_month")],
            [_("Trade-assurance share"), kpis.get("ta_share")],
        ],
        percent_rows={10, 11, 14},
    )
    summary.column_dimensions["A"].width = 30
    summary.column_dimensions["B"].width = 100
    summary["B2"].alignment = Alignment(wrap_text=True)
    summary["B2"].font = Font(bold=True)

    labels = stage_labels()
    funnel = book.create_sheet(_sheet_title(_("Funnel")))
    _table(
        funnel,
        [_("Stage"), payload["baseline"], payload["month"], _("Difference")],
        [[row["label"], row["baseline"], row["current"], row["change"]] for row in view.funnel],
    )

    for title, steps in ((_("Orders change"), view.orders_steps), (_("Revenue change"), view.revenue_steps)):
        sheet = book.create_sheet(_sheet_title(title))
        rows = [
            [s["label"], _("Operations") if s["side"] == "operations" else _("Sales"), s["value"]]
            for s in steps["factors"]
        ]
        rows += [
            [_("Operations"), _("Operations"), steps["operations"]],
            [_("Sales"), _("Sales"), steps["sales"]],
            [_("Total"), "", steps["total"]],
        ]
        _table(sheet, [_("Factor"), _("Side"), _("Effect")], rows)

    accounts = book.create_sheet(_sheet_title(_("Accounts")))
    _table(
        accounts,
        [_("Account"), _("Kind"), labels["inquiries"], labels["valid"], labels["replied"], labels["won"],
         labels["revenue_usd"], _("Reply within 24 h"), _("Conversion"), _("Trade-assurance share"),
         _("Alibaba reply rate"), _("Orders change"), _("Operations effect"), _("Sales effect"), _("Credit or blame")],
        [[r["name"], _("sub-account") if r["is_sub"] else _("main account"), r["inquiries"], r["valid"], r["replied"],
          r["won"], r["revenue_usd"], r["reply_24h_rate"], r["conversion"], r["ta_share"],
          r["alibaba_reply_rate"], r["orders_change"], r["operations_effect"], r["sales_effect"],
          formatting.verdict_label(r["verdict"])] for r in view.accounts],
        percent_columns={8, 9, 10, 11},
    )  # fmt: skip

    people = book.create_sheet(_sheet_title(_("Salespeople")))
    _table(
        people,
        [_("Salesperson"), labels["inquiries"], labels["valid"], labels["replied"], labels["won"],
         labels["revenue_usd"], _("Reply within deadline"), _("Conversion"), _("Trade-assurance share"),
         _("RFQ quotes"), _("RFQ quota"), _("RFQ inquiries"), _("RFQ won"), _("RFQ revenue (USD)"),
         _("Orders change"), _("Allocation (operations)"), _("Own effect (sales)"), _("Credit or blame")],
        [[r["name"], r["inquiries"], r["valid"], r["replied"], r["won"], r["revenue_usd"], r["sales_sla_rate"],
          r["conversion"], r["ta_share"], r["rfq"]["quotes"], r["rfq"]["quota"], r["rfq"]["inquiries"],
          r["rfq"]["won"], r["rfq"]["revenue_usd"], r["orders_change"], r["operations_effect"], r["sales_effect"],
          formatting.verdict_label(r["verdict"])] for r in view.salespeople],
        percent_columns={7, 8, 9},
    )  # fmt: skip

    trends = payload.get("trends") or []
    if trends:
        sheet = book.create_sheet(_sheet_title(_("Trends")))
        _table(
            sheet,
            [_("Month"), labels["inquiries"], _("Valid share"), _("Reply within 24 h"), _("Conversion"),
             _("Orders"), _("Trade-assurance share")],
            [[t["month"], t["inquiries"], t["valid_share"], t["reply_24h_rate"], t["conversion"],
              t["won"], t["ta_share"]] for t in trends],
            percent_columns={3, 4, 5, 7},
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31]


def _rows(sheet, rows: list[list], *, percent_rows: set[int] = frozenset()) -> None:
    for row in rows:
        sheet.append([safe_text(v) for v in row])
    for index in percent_rows:
        sheet.cell(row=index, column=2).number_format = "0.0%"
    for cell in sheet["A"]:
        cell.font = Font(bold=True)


def _table(sheet, header: list[str], rows: list[list], *, percent_columns: set[int] = frozenset()) -> None:
    sheet.append([safe_text(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_text(v) for v in row])
    for column in percent_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "0.0%"
    for index, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(str(title)) * 2 + 4))
    sheet.freeze_panes = "B2"
