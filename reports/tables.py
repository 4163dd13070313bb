"""The report's tables: one row per account, one per salesperson (with the unassigned row).

Rows are the plain dicts of reports.presentation; every count links to the inquiries behind it.
"""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from inquiryhub.tables import BaseTable

from . import formatting

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


class CountColumn(tables.Column):
    """A count that links to the inquiry list filtered to the row (record["links"][link])."""

    def __init__(self, *args, link_to: str, **kwargs):
        self.link_to = link_to
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        return format_html('<a href="{}">{}</a>', record["links"][self.link_to], formatting.number(value))


class EffectColumn(tables.Column):
    """A signed effect in orders, coloured by its sign."""

    def __init__(self, *args, places: int = 1, margin: str | None = None, **kwargs):
        self.places = places
        self.margin = margin  # the record's key of the ± shown beside the effect
        kwargs.setdefault("attrs", NUM)
        kwargs.setdefault("default", "—")
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        effect = format_html(
            '<span class="{}">{}</span>',
            formatting.sign_class(value, self.places),
            formatting.signed(value, self.places),
        )
        margin = record.get(self.margin) if self.margin else None
        if margin is None:
            return effect
        return format_html('{} <span class="margin muted small">±&nbsp;{}</span>', effect, formatting.number(margin, 1))


class RateColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return formatting.percent(value)

    def value(self, value):
        return value


class MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return formatting.number(value)


class VerdictColumn(tables.Column):
    def render(self, value):
        return format_html(
            '<span class="{}">{}</span>', formatting.verdict_class(value), formatting.verdict_label(value)
        )


class ReportTable(BaseTable):
    """No sorting and no pages: a report's tables are short and in a fixed order."""

    class Meta(BaseTable.Meta):
        orderable = False
        attrs = {"class": "table report-table"}


class AccountReportTable(ReportTable):
    name = tables.Column(verbose_name=_("Account"), attrs={"td": {"class": "name"}})
    inquiries = CountColumn(verbose_name=_("Inquiries"), link_to="inquiries")
    valid = CountColumn(verbose_name=_("Valid"), link_to="valid")
    replied = CountColumn(verbose_name=_("Replied"), link_to="replied")
    won = CountColumn(verbose_name=_("Won"), link_to="won")
    revenue_usd = MoneyColumn(verbose_name=_("Revenue (USD)"))
    reply_24h_rate = RateColumn(verbose_name=_("Reply within 24 h"))
    conversion = RateColumn(verbose_name=_("Conversion"))
    orders_won_in_month = tables.Column(verbose_name=_("Orders won in the month"), attrs=NUM)
    ta_share = RateColumn(verbose_name=_("Trade-assurance share of those orders"))
    alibaba_reply_rate = RateColumn(verbose_name=_("Alibaba reply rate"))
    orders_change = EffectColumn(verbose_name=_("Orders change"), places=0)
    operations_effect = EffectColumn(verbose_name=_("Operations effect"), margin="operations_margin")
    sales_effect = EffectColumn(verbose_name=_("Sales effect"), margin="sales_margin")
    verdict = VerdictColumn(verbose_name=_("Credit or blame"))

    class Meta(ReportTable.Meta):
        empty_text = _("No account had inquiries in these months.")
        row_attrs = {"class": lambda record: "sub-account" if record["is_sub"] else "main-account"}

    def render_name(self, value, record):
        kind = _("sub-account") if record["is_sub"] else _("main account")
        return format_html('{} <span class="muted small">{}</span>', value, kind)


class SalespersonReportTable(ReportTable):
    name = tables.Column(verbose_name=_("Salesperson"), attrs={"td": {"class": "name"}})
    inquiries = CountColumn(verbose_name=_("Inquiries"), link_to="inquiries")
    valid = CountColumn(verbose_name=_("Valid"), link_to="valid")
    replied = CountColumn(verbose_name=_("Replied"), link_to="replied")
    won = CountColumn(verbose_name=_("Won"), link_to="won")
    sales_sla_rate = RateColumn(verbose_name=_("Reply within deadline"))
    conversion = RateColumn(verbose_name=_("Conversion"))
    orders_won_in_month = tables.Column(verbose_name=_("Orders won in the month"), attrs=NUM)
    ta_share = RateColumn(verbose_name=_("Trade-assurance share of those orders"))
    rfq = tables.Column(verbose_name=_("RFQ quotes / quota"), attrs=NUM)
    orders_change = EffectColumn(verbose_name=_("Orders change"), places=0)
    operations_effect = EffectColumn(verbose_name=_("Allocation (operations)"), margin="operations_margin")
    sales_effect = EffectColumn(verbose_name=_("Own effect (sales)"), margin="sales_margin")
    verdict = VerdictColumn(verbose_name=_("Credit or blame"))

    class Meta(ReportTable.Meta):
        empty_text = _("No salesperson had inquiries in these months.")
        row_attrs = {"class": lambda record: "unassigned" if record["is_unassigned"] else ""}

    def render_name(self, value, record):
        if record["is_unassigned"]:
            return format_html('<span class="negative">{}</span>', value)
        if not record["is_active"]:
            return format_html('{} <span class="muted small">{}</span>', value, _("left"))
        return value

    def render_rfq(self, value, record):
        if value["quota"] is None:
            return format_html('<a href="{}">{}</a>', record["links"]["quotes"], value["quotes"])
        return format_html('<a href="{}">{} / {}</a>', record["links"]["quotes"], value["quotes"], value["quota"])


class RfqQuoteReportTable(ReportTable):
    """The RFQ quotes behind a report's count."""

    quoted_at = tables.DateTimeColumn(verbose_name=_("Quoted"), format="Y-m-d H:i")
    rfq_id = tables.Column(verbose_name=_("RFQ number"))
    salesperson = tables.Column(verbose_name=_("Salesperson"), accessor="salesperson__label")
    account = tables.Column(verbose_name=_("Account"), default="—")
    note = tables.Column(verbose_name=_("Note"), default="")

    class Meta(ReportTable.Meta):
        empty_text = _("No RFQ quote was logged.")
