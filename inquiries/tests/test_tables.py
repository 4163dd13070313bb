"""The inquiry list's and the queue's cells: what a row shows, written the fast way or django-tables2's."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django_tables2 import LazyPaginator, RequestConfig

from inquiries.models import Inquiry, InquiryState, Source
from inquiries.selectors import inquiry_list_rows
from inquiries.tables import InquiryTable, QueueTable
from tests.factories import AccountFactory, InquiryFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def cells_of_row(html: str, pk: int) -> list[str]:
    """The inner HTML of each cell of the list's row that links to inquiry `pk`."""
    rows = [row for row in re.findall(r"<tr [^>]*>(.*?)</tr>", html, re.S) if f'href="/inquiries/{pk}/"' in row]
    assert len(rows) == 1, rows
    return re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)


def test_a_row_shows_the_inquiry_in_chinese_and_in_the_companys_time_zone(cast, client_for):
    account = AccountFactory(code="cn-shop")
    inquiry = InquiryFactory(
        account=account,
        external_id="B-0001",
        received_at=dt.datetime(2025, 3, 1, 17, 30, tzinfo=UTC),  # 01:30 the next day in Shanghai
        source=Source.TM,
        country="DE",
        product="LED high bay 200W UFO",
        subject="Quote for <UFO> & drivers",
        buyer_name="O'Brien & Sons",
        owner=cast["sales_a"],
        state=InquiryState.WON,
    )
    html = client_for(cast["ops"]).get(reverse("inquiries:list")).content.decode()
    assert cells_of_row(html, inquiry.pk) == [
        f'<input type="checkbox" name="pick" value="{inquiry.pk}:{cast["sales_a"].pk}" aria-label="B-0001">',
        "2025-03-02 01:30",
        f'<a href="/inquiries/{inquiry.pk}/">B-0001</a><span class="sub">Quote for &lt;UFO&gt; &amp; drivers</span>',
        "cn-shop",
        "旺旺/TM咨询",
        '<span title="德国">DE</span>',
        "LED high bay 200W UFO",
        "O&#x27;Brien &amp; Sons",
        "业务A",
        '<span class="state state-won">已成交</span>',
    ]
    assert '<tr class="even">\n    <td class="pick">' in html


def test_unassigned_and_overdue_rows_say_so_and_empty_cells_show_a_dash(cast, client_for):
    now = timezone.now()
    waiting = InquiryFactory(external_id="B-WAIT", country="", product="P" * 45)
    late = InquiryFactory(
        external_id="B-LATE",
        owner=cast["sales_b"],
        state=InquiryState.NEW,
        reply_due_at=now - dt.timedelta(hours=3, minutes=10),
    )
    html = client_for(cast["ops"]).get(reverse("inquiries:list")).content.decode()
    waiting_cells = cells_of_row(html, waiting.pk)
    assert waiting_cells[5] == "—"  # no country
    assert waiting_cells[6] == f'<span title="{"P" * 45}">{"P" * 38}…</span>'
    assert waiting_cells[8:] == ['<span class="muted">未分配</span>', '<span class="state state-new">待回复</span>']
    # The deadline on hover is in the company's zone, as every time on the page (it was UTC).
    due = late.reply_due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert cells_of_row(html, late.pk)[8:] == [
        "业务B",
        f'<span class="state state-new">待回复</span> <span class="overdue" title="{due}">已超时 3\xa0小时</span>',
    ]


def test_a_salespersons_list_has_no_tick_boxes(cast, client_for):
    mine = InquiryFactory(owner=cast["sales_a"], received_at=dt.datetime(2025, 7, 1, 0, 5, tzinfo=UTC))
    cells = cells_of_row(client_for(cast["sales_a"]).get(reverse("inquiries:list")).content.decode(), mine.pk)
    assert len(cells) == 9
    assert cells[0] == "2025-07-01 08:05"


def test_the_queue_shows_each_rows_age_and_received_time(cast, client_for):
    waiting = InquiryFactory(external_id="Q-1", received_at=timezone.now() - dt.timedelta(hours=26))
    cells = cells_of_row(client_for(cast["ops"]).get(reverse("inquiries:queue")).content.decode(), waiting.pk)
    local = waiting.received_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert cells[1] == '<span class="age age-old">1\xa0日</span>'
    assert cells[2] == local
    assert len(cells) == 9


# The body as django-tables2 writes it (its row.items, one template variable per cell): the
# reference the fast body must match cell for cell.
REFERENCE = Template(
    "{% for row in table.paginated_rows %}"
    "{% for column, cell in row.items %}<td {{ column.attrs.td.as_html }}>{{ cell }}</td>{% endfor %}\n"
    "{% endfor %}"
)


def varied_inquiries(cast):
    now = timezone.now()
    account = AccountFactory(code="cn-<b>")
    InquiryFactory(account=account, owner=cast["sales_a"], state=InquiryState.REPLIED, buyer_name="<script>")
    InquiryFactory(account=account, country="", buyer_name="", product="x" * 41, subject="s" * 61)
    InquiryFactory(owner=cast["sales_b"], state=InquiryState.NEW, reply_due_at=now - dt.timedelta(days=2))
    InquiryFactory(owner=cast["sales_b"], state=InquiryState.NEW, reply_due_at=now + dt.timedelta(hours=5))
    InquiryFactory(source=Source.RFQ, state=InquiryState.DISPUTED, received_at=now - dt.timedelta(days=400))
    InquiryFactory(state=InquiryState.INVALID, country="ZZ", received_at=now - dt.timedelta(minutes=3))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("table_class", "selectable"), [(InquiryTable, True), (InquiryTable, False), (QueueTable, True)]
)
def test_the_fast_body_writes_the_cells_django_tables2_writes(cast, language, table_class, selectable):
    varied_inquiries(cast)
    with translation.override(language):
        table = table_class(inquiry_list_rows(Inquiry.objects.all()), selectable=selectable)
        RequestConfig(RequestFactory().get("/"), paginate={"paginator_class": LazyPaginator}).configure(table)
        fast = "".join(f"{cells}\n" for _, cells in table.body())
        reference = REFERENCE.render(Context({"table": table}))
    assert fast == reference
    assert fast.count("<td ") == len(table.page.object_list) * len(table.columns)
