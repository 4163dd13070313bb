"""Writing the inquiry list to xlsx or csv, safe to open in Excel.

A cell that starts with = + - @ (or a tab or carriage return) would be run as a formula by a
spreadsheet: csv cells get a leading apostrophe; xlsx cells are written as text with Excel's
"quote prefix", so the value shows exactly as typed and never runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from inquiryhub.spreadsheets import looks_like_formula, spreadsheet_safe

from .models import Inquiry, Order

# Excel shows a date cell in this format; csv cells carry the same text, which Excel reads as a date.
DATE_FORMAT, DATE_FORMAT_EXCEL = "%Y-%m-%d %H:%M", "yyyy-mm-dd hh:mm"


def csv_safe(value) -> str:
    """The value as csv text, with a formula-looking start escaped by an apostrophe."""
    if isinstance(value, dt.datetime):
        return value.strftime(DATE_FORMAT)
    text = "" if value is None else str(value)
    return spreadsheet_safe(text)


def _when(value) -> dt.datetime | None:
    """The company's local time without its zone: spreadsheets have no time zones."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _with_orders(qs):
    """The inquiries with their live (not cancelled) orders counted and summed, one subquery each."""
    live = Order.objects.filter(inquiry=OuterRef("pk"), cancelled_at__isnull=True).order_by().values("inquiry")
    count = live.annotate(n=Count("id")).values("n")
    trade_assurance = live.annotate(n=Count("id", filter=Q(trade_assurance=True))).values("n")
    amount = live.annotate(total=Sum("amount_usd")).values("total")
    money = DecimalField(max_digits=16, decimal_places=2)
    return qs.annotate(
        export_orders=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
        export_ta_orders=Coalesce(Subquery(trade_assurance, output_field=IntegerField()), Value(0)),
        export_orders_usd=Coalesce(Subquery(amount, output_field=money), Value(Decimal("0.00")), output_field=money),
    )


def export_columns():
    """(header, value of one inquiry) in the order of the file's columns; headers are the model's
    own field names, in the active language."""
    fields = {f.name: capfirst(f.verbose_name) for f in Inquiry._meta.get_fields() if hasattr(f, "verbose_name")}
    return [
        (fields["external_id"], lambda i: i.external_id),
        (fields["account"], lambda i: i.account.code),
        (fields["received_at"], lambda i: _when(i.received_at)),
        (fields["source"], lambda i: i.get_source_display()),
        (fields["buyer_name"], lambda i: i.buyer_name),
        (fields["buyer_company"], lambda i: i.buyer_company),
        (fields["buyer_email"], lambda i: i.buyer_email),
        (fields["country"], lambda i: i.country),
        (fields["product"], lambda i: i.product),
        (fields["quantity"], lambda i: i.quantity),
        (fields["subject"], lambda i: i.subject),
        (fields["owner"], lambda i: i.owner.label if i.owner_id else ""),
        (fields["state"], lambda i: i.get_state_display()),
        (fields["quality"], lambda i: i.get_quality_display()),
        (fields["first_allocated_at"], lambda i: _when(i.first_allocated_at)),
        (fields["first_reply_at"], lambda i: _when(i.first_reply_at)),
        (fields["reply_due_at"], lambda i: _when(i.reply_due_at)),
        (fields["overdue_at"], lambda i: _when(i.overdue_at)),
        (_("Orders"), lambda i: i.export_orders),
        (_("Order amount (USD)"), lambda i: i.export_orders_usd),
        (_("Trade-assurance orders"), lambda i: i.export_ta_orders),
    ]


def export_rows(qs) -> Iterator[list]:
    """The header row, then one row per inquiry, streamed from the database in chunks."""
    columns = export_columns()
    yield [header for header, _value in columns]
    rows = _with_orders(qs).select_related("account", "owner").defer("message").order_by("received_at", "id")
    for inquiry in rows.iterator(chunk_size=2000):
        yield [value(inquiry) for _header, value in columns]


def exports_root() -> Path:
    root = Path(settings.EXPORTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def write_csv(rows: Iterable[list], path: Path) -> int:
    count = -1
    # utf-8-sig: Excel on a Chinese Windows opens a BOM-less UTF-8 csv as gibberish.
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        for row in rows:
            writer.writerow([csv_safe(v) for v in row])
            count += 1
    return count


def write_xlsx(rows: Iterable[list], path: Path, *, title: str) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    count = -1
    for row in rows:
        cells = []
        for value in row:
            # Dates and numbers stay dates and numbers (sortable, summable); everything else is text.
            typed = isinstance(value, (dt.datetime, int, Decimal)) and not isinstance(value, bool)
            cell = WriteOnlyCell(sheet, value=value if typed else ("" if value is None else str(value)))
            if isinstance(value, dt.datetime):
                cell.number_format = DATE_FORMAT_EXCEL
            elif looks_like_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count


def write_export(qs, *, fmt: str, export_id: int) -> tuple[str, int]:
    """Write the file for export `export_id`; returns (file name, rows). Written under a temporary
    name and renamed, so a half-written file is never offered for download."""
    name = f"inquiries-{export_id}-{timezone.localtime():%Y%m%d-%H%M%S}.{fmt}"
    final = exports_root() / name
    partial = final.with_suffix(final.suffix + ".part")
    rows = export_rows(qs)
    count = write_xlsx(rows, partial, title=_("Inquiries")) if fmt == "xlsx" else write_csv(rows, partial)
    os.replace(partial, final)
    return name, count


def export_path(file_name: str) -> Path:
    """Where an export's file is; the name comes from our own database, never from the request."""
    return exports_root() / Path(file_name).name
