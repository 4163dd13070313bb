import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from inquiryhub.tables import BaseTable

from .importing.parsers import sheet_label
from .models import ImportJob, ImportRejectedRow, Inquiry


class InquiryTable(BaseTable):
    external_id = tables.Column(linkify=True, verbose_name=_("Inquiry"))
    account = tables.Column(accessor="account__code", verbose_name=_("Account"))
    owner = tables.Column(verbose_name=_("Salesperson"), default="—")
    state = tables.Column(verbose_name=_("State"))

    class Meta(BaseTable.Meta):
        model = Inquiry
        fields = (
            "external_id",
            "received_at",
            "account",
            "source",
            "country",
            "product",
            "buyer_name",
            "owner",
            "state",
        )
        empty_text = _("No inquiries match.")


PHONE_HIDDEN = {"th": {"class": "hide-phone"}, "td": {"class": "hide-phone"}}


class ImportJobTable(BaseTable):
    id = tables.Column(verbose_name="#", linkify=True, attrs=PHONE_HIDDEN)
    original_name = tables.Column(verbose_name=_("File"), linkify=True)
    created_at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i")
    created_by = tables.Column(verbose_name=_("By"), default=_("Command line"), attrs=PHONE_HIDDEN)
    status = tables.TemplateColumn(
        '<span class="state import-{{ record.status }}">{{ record.get_status_display }}</span>',
        verbose_name=_("Status"),
    )
    rows = tables.Column(
        verbose_name=_("Rows"),
        accessor="total_rows",
        attrs={"th": {"class": "num hide-phone"}, "td": {"class": "num hide-phone"}},
    )
    result = tables.Column(verbose_name=_("Result"), accessor="summary", orderable=False)

    class Meta(BaseTable.Meta):
        model = ImportJob
        fields = ("id", "original_name", "created_at", "created_by", "status", "rows", "result")
        empty_text = _("No imports yet.")

    def render_result(self, record):
        sheets = (record.summary or {}).get("sheets", [])
        if not sheets:
            return "—"
        totals = {k: sum(s.get(k, 0) for s in sheets) for k in ("created", "updated", "unchanged", "rejected")}
        return _("%(created)s created · %(updated)s updated · %(unchanged)s unchanged · %(rejected)s rejected") % totals


class ImportRejectedRowTable(BaseTable):
    sheet = tables.Column(verbose_name=_("Sheet"), orderable=False)
    row_number = tables.Column(
        verbose_name=_("Row"), orderable=False, attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    column = tables.Column(verbose_name=_("Column"), orderable=False, attrs={"td": {"class": "nowrap"}})
    value = tables.Column(verbose_name=_("Value"), orderable=False, attrs={"td": {"class": "cell-value"}})
    reason = tables.Column(verbose_name=_("Reason"), orderable=False, empty_values=())

    class Meta(BaseTable.Meta):
        model = ImportRejectedRow
        fields = ("sheet", "row_number", "column", "value", "reason")
        empty_text = _("No row was rejected.")

    def render_sheet(self, value):
        return sheet_label(value)

    def render_reason(self, record):
        return record.reason
