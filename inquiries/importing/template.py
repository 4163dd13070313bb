"""The template workbook offered on the import page: every sheet, its headers, one example row."""

import datetime as dt
import io
from decimal import Decimal

from .parsers import LEDGER_SHEETS, SHEETS

# One example row per sheet, by column; times are real Excel date cells.
EXAMPLES = {
    "team": {"username": "wang.wei", "name": "王伟", "role": "业务员", "email": "wang.wei@example.com",
             "rfq_quota": 20, "active": "是"},
    "accounts": {"code": "cnled2019", "name": "主店铺", "kind": "主账号", "parent": None, "holder": "wang.wei"},
    "inquiries": {
        "inquiry_id": "2024030512345", "account": "cnled2019", "received_at": dt.datetime(2024, 3, 5, 14, 30),
        "source": "询盘", "buyer_name": "John Smith", "buyer_company": "ABC Trading LLC",
        "buyer_email": "john@abctrading.example", "country": "美国", "product": "LED panel light 600x600",
        "quantity": "500 pcs", "subject": "Price for LED panel light",
        "message": "Please send your best price and MOQ.",
        "assigned_to": "wang.wei", "assigned_at": dt.datetime(2024, 3, 5, 15, 0),
        "first_reply_at": dt.datetime(2024, 3, 5, 16, 10), "quality": "有效", "invalid_reason": None,
        "won_at": dt.datetime(2024, 3, 28, 10, 0), "order_amount_usd": Decimal("12500.00"), "trade_assurance": "是",
    },
    "rfq_quotes": {"username": "wang.wei", "quoted_at": dt.datetime(2024, 3, 6, 9, 0), "rfq_id": "RFQ88001234",
                   "account": "cnled2019"},
    "reply_rates": {"account": "cnled2019", "date": dt.date(2024, 3, 31), "reply_rate": "93%", "avg_reply_hours": 5.5},
}  # fmt: skip


def workbook_template(*, chinese: bool) -> bytes:
    """The template as xlsx bytes, with Chinese or English sheet names and headers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for kind in LEDGER_SHEETS:
        spec = SHEETS[kind]
        sheet = book.create_sheet(spec.zh if chinese else spec.kind)
        sheet.append([c.zh if chinese else c.key for c in spec.columns])
        sheet.append([EXAMPLES[kind].get(c.key) for c in spec.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=2, column=index)
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            letter = cell.column_letter
            sheet.column_dimensions[letter].width = max(12, len(column.zh if chinese else column.key) * 2 + 4)
        sheet.freeze_panes = "A2"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
