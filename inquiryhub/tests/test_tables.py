"""The base table's fast body and date column write what django-tables2 itself writes."""

import datetime as dt
from decimal import Decimal

import django_tables2 as tables
import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation
from django_tables2 import RequestConfig

from inquiries.models import Inquiry, InquiryState, Source
from inquiryhub.tables import BaseTable, DateTimeColumn
from tests.factories import AccountFactory, InquiryFactory, SubAccountFactory

# django-tables2's own way: row.items, one template variable per cell.
REFERENCE = Template(
    "{% load l10n %}{% for row in table.paginated_rows %}{% for column, cell in row.items %}"
    "<td {{ column.attrs.td.as_html }}>{% if column.localize == None %}{{ cell }}{% elif column.localize %}"
    "{{ cell|localize }}{% else %}{{ cell|unlocalize }}{% endif %}</td>{% endfor %}\n{% endfor %}"
)


def fast_and_reference(make_table) -> tuple[str, str]:
    """The body of a table from make_table(), and the reference's (a fresh table each: a table
    counts its rows across every pass over them)."""
    fast, reference = make_table(), make_table()
    for table in (fast, reference):
        RequestConfig(RequestFactory().get("/")).configure(table)
    return "".join(f"{cells}\n" for _, cells in fast.body()), REFERENCE.render(Context({"table": reference}))


class Everything(BaseTable):
    """A column of each kind the body treats differently."""

    external_id = tables.Column(linkify=True)  # django-tables2's own path
    kind = tables.Column(accessor="account__kind")  # a choice's label through a relation
    parent = tables.Column(accessor="account__parent__code")  # an empty relation on the way: the default
    source = tables.Column()  # a choice's label
    received_at = tables.Column()  # a datetime written by the template engine: local time, localized
    at = DateTimeColumn(format="Y-m-d H:i", accessor="received_at")
    id = tables.Column(attrs={"td": {"class": "num"}})  # a number
    url = tables.Column(accessor="get_absolute_url")  # a method: called
    lower = tables.TemplateColumn("{{ record.external_id|lower }}")
    counter = tables.Column(accessor="pk", empty_values=())
    missing = tables.Column(accessor="no_such_attribute")  # unreadable: the default
    buyer_name = tables.Column(default="(none)")

    class Meta(BaseTable.Meta):
        model = Inquiry
        fields = ()

    def render_counter(self, bound_row, value):
        return f"#{bound_row.row_counter}:{value}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_body_writes_every_kind_of_column_as_django_tables2(language):
    sub = SubAccountFactory(code="cn-<sub>")
    InquiryFactory(account=sub, external_id="A-<1>", source=Source.TM, buyer_name="")
    InquiryFactory(account=AccountFactory(), external_id="B-2", state=InquiryState.WON, buyer_name="Ann & Bob")
    with translation.override(language):
        fast, reference = fast_and_reference(lambda: Everything(Inquiry.objects.select_related("account__parent")))
    assert fast == reference
    assert "(none)" in fast and "—" in fast and "&lt;" in fast


class Plain(BaseTable):
    """A table over dictionaries (no model): every value read through the accessor."""

    name = tables.Column()
    amount = tables.Column()
    when = tables.Column()
    on = DateTimeColumn(format="Y-m-d H:i", accessor="when")
    localized = tables.Column(accessor="when", localize=True)
    unlocalized = tables.Column(accessor="when", localize=False)
    amount_as_is = tables.Column(accessor="amount", localize=False)

    def render_amount(self, value, record):
        return f"{value} {record['currency']}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_body_writes_a_table_of_dictionaries_as_django_tables2(language):
    rows = [
        {
            "name": "<b>",
            "amount": Decimal("1234.50"),
            "currency": "USD",
            "when": dt.datetime(2025, 1, 1, 20, tzinfo=dt.UTC),
        },
        {"name": None, "amount": None, "currency": "", "when": None},
        {"name": 7, "amount": 0, "currency": "CNY", "when": dt.datetime(2024, 2, 29, 23, 59, tzinfo=dt.UTC)},
    ]
    with translation.override(language):
        fast, reference = fast_and_reference(lambda: Plain(rows))
    assert fast == reference
    assert "<td >2025-01-02 04:00</td>" in fast  # 20:00 UTC is 04:00 the next day in Shanghai


def test_the_date_column_writes_what_django_tables2s_date_column_writes():
    class Theirs(BaseTable):
        when = tables.DateTimeColumn(format="Y-m-d H:i")

    class Ours(BaseTable):
        when = DateTimeColumn(format="Y-m-d H:i")

    rows = [{"when": dt.datetime(2025, 6, 30, 16, 0, tzinfo=dt.UTC)}, {"when": None}, {"when": "soon"}]
    ours, theirs = Ours(rows), Theirs(rows)
    assert [r.get_cell("when") for r in ours.rows] == [r.get_cell("when") for r in theirs.rows]
    assert [r.get_cell("when") for r in ours.rows] == ["2025-07-01 00:00", "—", "—"]
