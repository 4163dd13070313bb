"""The inquiry tables: the list everyone shares and operations' unassigned queue."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from inquiryhub.tables import BaseTable, DateTimeColumn

from .filters import country_name
from .importing.parsers import sheet_label
from .models import ImportJob, ImportRejectedRow, Inquiry, InquiryState

# Where the inquiry's id goes in its page's address, reversed once a page (a number no id reaches).
ID_MARK = 987654321987654321

# Columns a phone can do without; the table scrolls sideways for the rest.
WIDE = {"th": {"class": "wide-only"}, "td": {"class": "wide-only"}}


class PickColumn(tables.Column):
    """A checkbox per row whose value carries the owner the user saw, for the concurrency check."""

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", "")
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("attrs", {"th": {"class": "pick"}, "td": {"class": "pick"}})
        super().__init__(**kwargs)

    @property
    def header(self):
        return format_html(
            '<input type="checkbox" class="pick-all" aria-label="{}" title="{}">',
            gettext("Select all on this page"),
            gettext("Select all on this page"),
        )

    def render(self, record):
        return format_html(
            '<input type="checkbox" name="pick" value="{}:{}" aria-label="{}">',
            record.pk,
            record.owner_id or "",
            record.external_id,
        )


class InquiryTable(BaseTable):
    pick = PickColumn()
    received_at = DateTimeColumn(
        format="Y-m-d H:i",
        verbose_name=_("Received"),
        order_by=("received_at", "id"),
        attrs={"td": {"class": "nowrap"}},
    )
    external_id = tables.Column(verbose_name=_("Inquiry"), orderable=False)
    account = tables.Column(verbose_name=_("Account"), accessor="account__code", order_by=("account_id", "received_at"))
    source = tables.Column(verbose_name=_("Source"), orderable=False, attrs=WIDE)
    country = tables.Column(verbose_name=_("Country"), order_by=("country", "received_at"))
    product = tables.Column(verbose_name=_("Product"), orderable=False)
    buyer_name = tables.Column(verbose_name=_("Buyer"), orderable=False, attrs=WIDE)
    owner = tables.Column(verbose_name=_("Salesperson"), order_by=("owner_id", "received_at"), empty_values=())
    state = tables.Column(verbose_name=_("State"), order_by=("state", "received_at"))

    class Meta(BaseTable.Meta):
        model = Inquiry
        fields = ()
        sequence = (
            "pick",
            "received_at",
            "external_id",
            "account",
            "source",
            "country",
            "product",
            "buyer_name",
            "owner",
            "state",
        )
        order_by = ("-received_at",)
        empty_text = _("No inquiries match.")

    def __init__(self, *args, selectable: bool = False, **kwargs):
        if not selectable:
            kwargs.setdefault("exclude", ("pick",))
        super().__init__(*args, **kwargs)
        self.now = timezone.now()

    def render_external_id(self, record, value):
        subject = record.subject or ""
        if len(subject) > 60:
            subject = subject[:58] + "…"
        url = self.inquiry_url(record.pk)
        return format_html('<a href="{}">{}</a><span class="sub">{}</span>', url, value, subject)

    def inquiry_url(self, pk: int) -> str:
        """The inquiry's page, as its get_absolute_url gives it, with the URL reversed once a page."""
        return self._inquiry_url_pattern.replace(str(ID_MARK), str(pk))

    @cached_property
    def _inquiry_url_pattern(self) -> str:
        return reverse("inquiries:detail", args=[ID_MARK])

    def render_country(self, value):
        return format_html('<span title="{}">{}</span>', country_name(value), value)

    def render_product(self, value):
        if len(value) > 40:
            return format_html('<span title="{}">{}…</span>', value, value[:38])
        return value

    def render_owner(self, record):
        if record.owner_id is None:
            return self._unassigned
        return record.owner.label

    @cached_property
    def _unassigned(self) -> str:
        return format_html('<span class="muted">{}</span>', gettext("Unassigned"))

    def value_owner(self, record):
        return record.owner.label if record.owner_id else ""

    def render_state(self, record, value):
        # value: the state's label, as django-tables2 reads a field with choices
        badge = format_html('<span class="state state-{}">{}</span>', record.state, value)
        if (
            record.state == InquiryState.NEW
            and record.owner_id
            and record.first_reply_at is None
            and record.reply_due_at is not None
        ):
            if record.reply_due_at < self.now:
                late = timesince(record.reply_due_at, self.now, depth=1)
                return format_html(
                    '{} <span class="overdue" title="{}">{}</span>',
                    badge,
                    timezone.localtime(record.reply_due_at).strftime("%Y-%m-%d %H:%M"),  # the company's zone
                    gettext("%(time)s late") % {"time": late},
                )
            left = timesince(self.now, record.reply_due_at, depth=1)
            return format_html('{} <span class="muted">{}</span>', badge, gettext("%(time)s left") % {"time": left})
        return badge


class QueueTable(InquiryTable):
    """The unassigned queue: oldest first, each row's age in the queue."""

    age = tables.Column(
        verbose_name=pgettext_lazy("time since arrival", "Waiting"),
        accessor="received_at",
        orderable=False,
        empty_values=(),
    )

    received_at = DateTimeColumn(
        format="Y-m-d H:i",
        verbose_name=_("Received"),
        order_by=("received_at", "id"),
        attrs={"th": {"class": "wide-only"}, "td": {"class": "nowrap wide-only"}},
    )

    class Meta(InquiryTable.Meta):
        sequence = (
            "pick",
            "age",
            "received_at",
            "external_id",
            "account",
            "source",
            "country",
            "product",
            "buyer_name",
        )
        exclude = ("owner", "state")
        order_by = ("received_at",)
        empty_text = _("Nothing waiting: every inquiry has a salesperson.")

    def render_age(self, record):
        hours = (self.now - record.received_at).total_seconds() / 3600
        css = "age-old" if hours >= 24 else ("age-mid" if hours >= 4 else "age-new")
        return format_html('<span class="age {}">{}</span>', css, timesince(record.received_at, self.now, depth=1))


PHONE_HIDDEN = {"th": {"class": "hide-phone"}, "td": {"class": "hide-phone"}}


class ImportJobTable(BaseTable):
    id = tables.Column(verbose_name="#", linkify=True, attrs=PHONE_HIDDEN)
    original_name = tables.Column(verbose_name=_("File"), linkify=True)
    created_at = DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i")
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
