"""The workbench's pages: who may open them, what they show, and how many queries they cost."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from inquiries import services
from inquiries.models import Allocation, AllocationRule, Inquiry, InquiryExport, InquiryState, Source
from inquiries.views import workbench
from tests.factories import AccountFactory, InquiryFactory

pytestmark = pytest.mark.django_db

ROLES = ["boss", "ops_manager", "ops", "sales_a", "sales_b", None]
NOW = timezone.now()


def allocated(inquiry, salesperson, at=None):
    services.inquiry_allocate(inquiry=inquiry, salesperson=salesperson, by=None, at=at)
    inquiry.refresh_from_db()
    return inquiry


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def seen_at():
    return timezone.now().isoformat()


# ---------------------------------------------------------------------------------------------
# Who may open what


def _status(role, ops_only, anonymous=302):
    if role is None:
        return anonymous
    return 200 if (not ops_only or role in ("ops", "ops_manager")) else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "ops_only"),
    [
        ("inquiries:list", False),
        ("inquiries:exports", False),
        ("inquiries:queue", True),
        ("inquiries:disputes", True),
        ("inquiries:rules", True),
        ("inquiries:rules_preview", True),
    ],
)
def test_each_page_answers_each_role_as_expected(cast, client_for, role, name, ops_only):
    response = client_for(cast.get(role)).get(reverse(name))
    assert response.status_code == _status(role, ops_only)


@pytest.mark.parametrize("role", ROLES)
def test_only_operations_edit_an_accounts_rule(cast, client_for, role):
    account = AccountFactory()
    response = client_for(cast.get(role)).get(reverse("inquiries:rule_edit", args=[account.pk]))
    assert response.status_code == _status(role, ops_only=True)


@pytest.mark.parametrize("role", ROLES)
def test_only_operations_can_allocate(cast, client_for, role):
    inquiry = InquiryFactory()
    response = client_for(cast.get(role)).post(
        reverse("inquiries:allocate"),
        {"pick": [f"{inquiry.pk}:"], "salesperson": cast["sales_a"].pk, "note": "x", "seen_at": seen_at()},
    )
    expected = {None: 302, "ops": 302, "ops_manager": 302}.get(role, 403)
    assert response.status_code == expected
    assert Allocation.objects.filter(inquiry=inquiry).exists() == (role in ("ops", "ops_manager"))


@pytest.mark.parametrize("role", ROLES)
def test_only_operations_can_reallocate_from_the_inquiry_page(cast, client_for, role):
    inquiry = allocated(InquiryFactory(), cast["sales_a"])
    response = client_for(cast.get(role)).post(
        reverse("inquiries:reassign", args=[inquiry.pk]),
        {"salesperson": cast["sales_b"].pk, "note": "请假", "expected_owner": cast["sales_a"].pk},
    )
    expected = {None: 302, "ops": 302, "ops_manager": 302}.get(role, 403)
    assert response.status_code == expected
    inquiry.refresh_from_db()
    assert inquiry.owner == (cast["sales_b"] if role in ("ops", "ops_manager") else cast["sales_a"])


@pytest.mark.parametrize("role", ROLES)
def test_only_operations_decide_disputes(cast, client_for, role):
    inquiry = allocated(InquiryFactory(), cast["sales_a"])
    services.quality_flag(inquiry=inquiry, by=cast["sales_a"], reason="spam")
    response = client_for(cast.get(role)).post(
        reverse("inquiries:decide", args=[inquiry.pk]), {"prefix": "d", "d-decision": "confirm", "d-note": ""}
    )
    expected = {None: 302, "ops": 302, "ops_manager": 302}.get(role, 403)
    assert response.status_code == expected
    inquiry.refresh_from_db()
    assert inquiry.state == (InquiryState.INVALID if role in ("ops", "ops_manager") else InquiryState.DISPUTED)


@pytest.mark.parametrize("role", ROLES)
def test_applying_the_rules_is_for_operations(cast, client_for, role):
    response = client_for(cast.get(role)).post(reverse("inquiries:rules_preview"), {"digest": "x"})
    assert response.status_code == {None: 302, "ops": 302, "ops_manager": 302}.get(role, 403)


@pytest.mark.parametrize("role", ROLES)
def test_everyone_logged_in_can_export_their_list(cast, client_for, role, settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path
    response = client_for(cast.get(role)).post(reverse("inquiries:export"), {"format": "csv", "query": ""})
    assert response.status_code == (302 if role is None else 200)


@pytest.mark.parametrize("role", ROLES)
def test_an_export_file_is_only_for_the_person_who_asked(cast, client_for, role, settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path
    job = services.inquiry_export_request(user=cast["ops"], query="", format="csv", background=False)
    services.inquiry_export_run(export_id=job.pk)
    response = client_for(cast.get(role)).get(reverse("inquiries:export_download", args=[job.pk]))
    assert response.status_code == {None: 302, "ops": 200}.get(role, 404)


# ---------------------------------------------------------------------------------------------
# The inquiry list


def test_a_salesperson_sees_only_their_own_inquiries_and_no_owner_filter(cast, client_for):
    mine = allocated(InquiryFactory(external_id="MINE-1"), cast["sales_a"])
    allocated(InquiryFactory(external_id="THEIRS-1"), cast["sales_b"])
    InquiryFactory(external_id="NOBODY-1")
    response = client_for(cast["sales_a"]).get(reverse("inquiries:list"))
    rows = list(response.context["table"].page.object_list)
    assert [r.record.pk for r in rows] == [mine.pk]
    assert "owner" not in response.context["filter"].form.fields
    assert b'name="pick"' not in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("account={account}", {"A-DE-NEW", "A-US-SOLAR"}),
        ("source=tm", {"B-TM"}),
        ("country=DE", {"A-DE-NEW"}),
        ("product=solar", {"A-US-SOLAR"}),
        ("owner=none", {"A-US-SOLAR", "B-TM"}),
        ("owner={sales_a}", {"A-DE-NEW", "B-LATE"}),
        ("state=disputed", {"B-DISPUTED"}),
        ("overdue=true", {"B-LATE"}),
        ("received_after={yesterday}", {"A-DE-NEW", "A-US-SOLAR", "B-DISPUTED", "B-TM"}),
        ("received_before={week_ago}", {"B-LATE"}),
        ("account={account}&product=SOLAR", {"A-US-SOLAR"}),
    ],
)
def test_each_filter_narrows_the_list(cast, client_for, query, expected):
    a, b = AccountFactory(), AccountFactory()
    allocated(InquiryFactory(account=a, external_id="A-DE-NEW", country="DE", product="LED panel"), cast["sales_a"])
    InquiryFactory(account=a, external_id="A-US-SOLAR", country="US", product="Solar panel 450W")
    InquiryFactory(account=b, external_id="B-TM", source=Source.TM, country="GB")
    late = InquiryFactory(account=b, external_id="B-LATE", country="GB", received_at=NOW - dt.timedelta(days=10))
    allocated(late, cast["sales_a"], at=late.received_at)
    disputed = allocated(InquiryFactory(account=b, external_id="B-DISPUTED", country="GB"), cast["sales_b"])
    services.quality_flag(inquiry=disputed, by=cast["sales_b"], reason="spam")
    local = timezone.localdate()
    url = (
        reverse("inquiries:list")
        + "?"
        + query.format(
            account=a.pk,
            sales_a=cast["sales_a"].pk,
            yesterday=(local - dt.timedelta(days=1)).isoformat(),
            week_ago=(local - dt.timedelta(days=7)).isoformat(),
        )
    )
    response = client_for(cast["ops"]).get(url)
    assert {r.record.external_id for r in response.context["table"].page.object_list} == expected
    assert response.context["count"] == len(expected)


def test_a_bad_filter_value_says_so_and_lists_nothing(cast, client_for):
    InquiryFactory()
    response = client_for(cast["ops"]).get(reverse("inquiries:list") + "?received_after=31-31-2024")
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert list(response.context["table"].page.object_list) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("received_at", ["OLD", "MID", "NEW"]),
        ("-received_at", ["NEW", "MID", "OLD"]),
        ("country", ["MID", "NEW", "OLD"]),
        ("-country", ["OLD", "NEW", "MID"]),
    ],
)
def test_columns_sort_the_list(cast, client_for, sort, expected):
    for days, eid, country in ((3, "OLD", "US"), (2, "MID", "AE"), (1, "NEW", "DE")):
        InquiryFactory(external_id=eid, country=country, received_at=NOW - dt.timedelta(days=days))
    response = client_for(cast["ops"]).get(reverse("inquiries:list") + f"?sort={sort}")
    assert [r.record.external_id for r in response.context["table"].page.object_list] == expected


def test_pages_go_forward_and_back_without_counting_the_table(cast, client_for):
    for n in range(51):
        InquiryFactory(external_id=f"P{n:03d}", received_at=NOW - dt.timedelta(minutes=n))
    client = client_for(cast["ops"])
    first = client.get(reverse("inquiries:list"))
    assert len(first.context["table"].page.object_list) == 50
    assert first.context["table"].page.has_next()
    assert "?page=2" in first.content.decode()
    second = client.get(reverse("inquiries:list") + "?page=2")
    assert [r.record.external_id for r in second.context["table"].page.object_list] == ["P050"]
    assert not second.context["table"].page.has_next()


def test_the_list_never_counts_more_rows_than_it_can_show(cast, client_for, monkeypatch):
    from inquiries.views import browse

    monkeypatch.setattr(browse, "COUNT_CAP", 5)
    InquiryFactory.create_batch(8)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(cast["ops"]).get(reverse("inquiries:list"))
    assert (response.context["count"], response.context["count_capped"]) == (5, True)
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "inquiries_inquiry" in q["sql"]]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)
    assert "超过 5 条" in response.content.decode() or "more than 5" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Query counts, pinned at 1 and at 50 rows


def _queries(client, url):
    client.get(url)  # the company's countries are read once, then for minutes from the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        # session, user, header badges, unread notifications, then the page's own:
        ("ops", "inquiries:list", 9),  # rows, capped count, accounts, salespeople (filter), salespeople (allocate)
        (
            "sales_a",
            "inquiries:list",
            8,
        ),  # rows, capped count, accounts, countries, the header counts of "My inquiries"
        ("ops", "inquiries:queue", 8),  # rows, capped count, accounts, salespeople (allocate)
        ("ops", "inquiries:disputes", 7),  # count, rows, flags
        ("ops", "inquiries:rules", 12),  # accounts, rules, members, routes, team, conversion, today, backlog
        ("ops", "inquiries:rules_preview", 12),  # backlog, rules, members, routes, available, load today, buyers, names
        ("ops", "inquiries:exports", 6),  # count, rows
    ],
)
def test_query_counts_do_not_grow_with_the_rows(cast, client_for, role, url_name, expected, settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path
    client = client_for(cast[role])
    account = AccountFactory()
    services.allocation_rule_save(
        account=account,
        mode=AllocationRule.Mode.ROUND_ROBIN,
        same_buyer=True,
        reallocate_overdue=False,
        members=[services.RuleMemberInput(cast["sales_a"], None), services.RuleMemberInput(cast["sales_b"], 5)],
        routes=[services.RouteInput("country", "DE", cast["sales_b"])],
        by=None,
    )

    def add(n):
        for _ in range(n):
            flagged = allocated(InquiryFactory(account=account), cast["sales_a"])
            services.quality_flag(inquiry=flagged, by=cast["sales_a"], reason="spam")
            InquiryFactory(account=account)  # unassigned
            job = services.inquiry_export_request(user=cast[role], query="", format="csv", background=False)
            InquiryExport.objects.filter(pk=job.pk).update(status="done")
        AccountFactory()

    url = reverse(url_name)
    add(1)
    one = _queries(client, url)
    add(49)
    fifty = _queries(client, url)
    assert (one, fifty) == (expected, expected)


def test_the_header_counts_cost_one_query_for_both_badges(cast, client_for):
    InquiryFactory.create_batch(3)
    client = client_for(cast["ops"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inquiries:exports"))
    nav = [q for q in queries if "SELECT COUNT(*) FROM (SELECT" in q["sql"] and "disputed" in q["sql"]]
    assert len(nav) == 1
    labels = {item["url"]: item.get("count") for item in response.context["nav_items"]}
    assert labels[reverse("inquiries:queue")] == 3
    assert labels[reverse("inquiries:disputes")] == 0


# ---------------------------------------------------------------------------------------------
# The queue and allocation


def test_the_queue_shows_unassigned_new_inbound_inquiries_oldest_first_with_their_age(cast, client_for):
    old = InquiryFactory(external_id="Q-OLD", received_at=NOW - dt.timedelta(days=2))
    InquiryFactory(external_id="Q-NEW", received_at=NOW - dt.timedelta(hours=1))
    allocated(InquiryFactory(external_id="Q-TAKEN"), cast["sales_a"])
    InquiryFactory(external_id="Q-RFQ", source=Source.RFQ)
    response = client_for(cast["ops"]).get(reverse("inquiries:queue"))
    assert [r.record.external_id for r in response.context["table"].page.object_list] == ["Q-OLD", "Q-NEW"]
    html = response.content.decode()
    assert 'class="age age-old"' in html
    assert f'value="{old.pk}:"' in html


def test_allocating_ticked_rows_from_the_queue(cast, client_for):
    first, second, third = InquiryFactory.create_batch(3)
    response = client_for(cast["ops"]).post(
        reverse("inquiries:allocate"),
        {
            "pick": [f"{first.pk}:", f"{second.pk}:"],
            "salesperson": cast["sales_a"].pk,
            "note": "按产品线",
            "seen_at": seen_at(),
            "view": "queue",
            "query": "country=US",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("inquiries:queue") + "?country=US"
    assert set(Inquiry.objects.filter(owner=cast["sales_a"]).values_list("pk", flat=True)) == {first.pk, second.pk}
    assert Allocation.objects.get(inquiry=first).note == "按产品线"
    assert len(messages_of(response)) == 1
    third.refresh_from_db()
    assert third.owner is None


def test_allocating_needs_a_salesperson_a_reason_and_ticks(cast, client_for):
    inquiry = InquiryFactory()
    client = client_for(cast["ops"])
    for data in (
        {"pick": [f"{inquiry.pk}:"], "note": "x", "seen_at": seen_at()},
        {"pick": [f"{inquiry.pk}:"], "salesperson": cast["sales_a"].pk, "note": "", "seen_at": seen_at()},
        {"salesperson": cast["sales_a"].pk, "note": "x", "seen_at": seen_at()},
    ):
        response = client.post(reverse("inquiries:allocate"), data)
        assert response.status_code == 302
        assert messages_of(response), data
    assert not Allocation.objects.exists()


def test_the_loser_of_a_race_is_told_who_got_the_inquiry(cast, client_for):
    inquiry = InquiryFactory(external_id="RACE-1")
    services.inquiries_allocate_checked(expected_owners={inquiry.pk: None}, salesperson=cast["sales_b"], by=None)
    response = client_for(cast["ops"]).post(
        reverse("inquiries:allocate"),
        {"pick": [f"{inquiry.pk}:"], "salesperson": cast["sales_a"].pk, "note": "x", "seen_at": seen_at()},
    )
    (message,) = messages_of(response)
    assert "RACE-1" in message
    assert cast["sales_b"].label in message
    assert Allocation.objects.filter(inquiry=inquiry).count() == 1


def test_allocating_everything_matching_the_filter(cast, client_for):
    a = AccountFactory()
    mine = InquiryFactory.create_batch(3, account=a)
    other = InquiryFactory()
    response = client_for(cast["ops"]).post(
        reverse("inquiries:allocate"),
        {
            "all_matching": "on",
            "salesperson": cast["sales_b"].pk,
            "note": "整账号分配",
            "seen_at": seen_at(),
            "seen_count": "3",
            "view": "queue",
            "query": f"account={a.pk}",
        },
    )
    assert response.status_code == 302
    assert set(Inquiry.objects.filter(owner=cast["sales_b"]).values_list("pk", flat=True)) == {i.pk for i in mine}
    other.refresh_from_db()
    assert other.owner is None


def test_reallocating_from_the_inquiry_page_reports_a_lost_race(cast, client_for):
    inquiry = allocated(InquiryFactory(), cast["sales_a"])
    client = client_for(cast["ops"])
    page = client.get(inquiry.get_absolute_url())
    assert b'id="ops-actions"' in page.content
    services.inquiries_allocate_checked(
        expected_owners={inquiry.pk: cast["sales_a"].pk}, salesperson=cast["sales_b"], by=cast["ops_manager"]
    )
    response = client.post(
        reverse("inquiries:reassign", args=[inquiry.pk]),
        {"salesperson": cast["sales_a"].pk, "note": "退回", "expected_owner": cast["sales_a"].pk},
    )
    assert response["Location"] == inquiry.get_absolute_url()
    (message,) = messages_of(response)
    assert cast["sales_b"].label in message
    inquiry.refresh_from_db()
    assert inquiry.owner == cast["sales_b"]


def test_salespeople_and_the_boss_see_no_operations_panel(cast, client_for):
    inquiry = allocated(InquiryFactory(), cast["sales_a"])
    for role in ("sales_a", "boss"):
        assert b'id="ops-actions"' not in client_for(cast[role]).get(inquiry.get_absolute_url()).content


# ---------------------------------------------------------------------------------------------
# Disputes


def test_the_dispute_queue_lists_flags_with_their_reason_and_decides_them(cast, client_for):
    inquiry = allocated(InquiryFactory(external_id="DISP-1"), cast["sales_a"])
    services.quality_flag(inquiry=inquiry, by=cast["sales_a"], reason="no_requirement", note="只问价")
    client = client_for(cast["ops"])
    page = client.get(reverse("inquiries:disputes"))
    html = page.content.decode()
    assert "DISP-1" in html
    assert "只问价" in html
    response = client.post(
        reverse("inquiries:decide", args=[inquiry.pk]),
        {"prefix": f"d{inquiry.pk}", f"d{inquiry.pk}-decision": "overturn", f"d{inquiry.pk}-note": ""},
    )
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.DISPUTED  # a note is needed to overturn
    client.post(
        reverse("inquiries:decide", args=[inquiry.pk]),
        {"prefix": f"d{inquiry.pk}", f"d{inquiry.pk}-decision": "overturn", f"d{inquiry.pk}-note": "型号明确"},
    )
    inquiry.refresh_from_db()
    assert (inquiry.state, inquiry.quality) == (InquiryState.NEW, "valid")
    assert client.get(reverse("inquiries:disputes")).context["rows"] == []
    timeline = client.get(inquiry.get_absolute_url()).content.decode()
    assert "型号明确" in timeline
    assert "只问价" in timeline


# ---------------------------------------------------------------------------------------------
# Rules


def test_an_operations_user_sets_an_accounts_rule_in_the_browser(cast, client_for):
    account = AccountFactory()
    a, b = cast["sales_a"], cast["sales_b"]
    data = {
        "mode": "round_robin",
        "same_buyer": "on",
        f"member_{a.pk}": "on",
        f"capacity_{a.pk}": "20",
        f"member_{b.pk}": "on",
        "routes-TOTAL_FORMS": "3",
        "routes-INITIAL_FORMS": "0",
        "routes-0-kind": "country",
        "routes-0-value": "de",
        "routes-0-salesperson": b.pk,
        "routes-1-kind": "keyword",
        "routes-1-value": "solar",
        "routes-1-salesperson": a.pk,
        "routes-2-kind": "",
        "routes-2-value": "",
        "routes-2-salesperson": "",
    }
    response = client_for(cast["ops"]).post(reverse("inquiries:rule_edit", args=[account.pk]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    rule = AllocationRule.objects.get(account=account)
    assert (rule.mode, rule.same_buyer, rule.reallocate_overdue) == ("round_robin", True, False)
    assert [(m.salesperson, m.daily_capacity) for m in rule.members.all()] == [(a, 20), (b, None)]
    routes = [(r.kind, r.value, r.salesperson) for r in rule.routes.all()]
    assert routes == [("country", "DE", b), ("keyword", "solar", a)]
    assert AuditEvent.objects.filter(action="rule.save", actor=cast["ops"]).exists()


def test_a_rule_form_with_a_bad_country_code_says_what_is_wrong(cast, client_for):
    account = AccountFactory()
    a = cast["sales_a"]
    response = client_for(cast["ops"]).post(
        reverse("inquiries:rule_edit", args=[account.pk]),
        {
            "mode": "round_robin",
            f"member_{a.pk}": "on",
            "routes-TOTAL_FORMS": "1",
            "routes-INITIAL_FORMS": "0",
            "routes-0-kind": "country",
            "routes-0-value": "Germany",
            "routes-0-salesperson": a.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["routes"].forms[0].errors["value"]
    assert not AllocationRule.objects.exists()


def test_an_automatic_rule_without_salespeople_is_refused_with_a_message(cast, client_for):
    account = AccountFactory()
    response = client_for(cast["ops"]).post(
        reverse("inquiries:rule_edit", args=[account.pk]),
        {"mode": "round_robin", "routes-TOTAL_FORMS": "0", "routes-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_the_preview_shows_the_plan_and_applying_it_allocates(cast, client_for):
    account = AccountFactory()
    services.allocation_rule_save(
        account=account,
        mode="round_robin",
        same_buyer=False,
        reallocate_overdue=False,
        members=[services.RuleMemberInput(cast["sales_a"], None), services.RuleMemberInput(cast["sales_b"], None)],
        routes=[],
        by=None,
    )
    inquiries = [InquiryFactory(account=account, received_at=NOW - dt.timedelta(hours=h)) for h in (3, 2, 1)]
    client = client_for(cast["ops"])
    page = client.get(reverse("inquiries:rules_preview"))
    assert [row["to"] for row in page.context["rows"]] == [cast["sales_a"], cast["sales_b"], cast["sales_a"]]
    assert not Allocation.objects.exists()
    response = client.post(reverse("inquiries:rules_preview"), {"digest": page.context["plan"].digest})
    assert response.status_code == 302
    owners = [Inquiry.objects.get(pk=i.pk).owner for i in inquiries]
    assert owners == [cast["sales_a"], cast["sales_b"], cast["sales_a"]]


def test_a_stale_preview_is_shown_again_instead_of_applied(cast, client_for):
    account = AccountFactory()
    services.allocation_rule_save(
        account=account,
        mode="round_robin",
        same_buyer=False,
        reallocate_overdue=False,
        members=[services.RuleMemberInput(cast["sales_a"], None)],
        routes=[],
        by=None,
    )
    InquiryFactory(account=account)
    response = client_for(cast["ops"]).post(reverse("inquiries:rules_preview"), {"digest": "not-the-plan"})
    assert response.status_code == 200
    assert messages_of(response)
    assert not Allocation.objects.exists()


# ---------------------------------------------------------------------------------------------
# Exports


def test_a_small_export_downloads_at_once(cast, client_for, settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path
    InquiryFactory(external_id="EXP-1", country="DE")
    InquiryFactory(external_id="EXP-2", country="US")
    response = client_for(cast["ops"]).post(reverse("inquiries:export"), {"format": "xlsx", "query": "country=DE"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Disposition"].endswith('.xlsx"')
    job = InquiryExport.objects.get()
    assert (job.status, job.row_count, job.query) == ("done", 1, "country=DE")


def test_a_large_export_goes_to_a_background_job(cast, client_for, monkeypatch, django_capture_on_commit_callbacks):
    from inquiries import tasks

    queued = []
    monkeypatch.setattr(workbench, "EXPORT_INLINE_MAX", 2)
    monkeypatch.setattr(tasks.export_inquiries, "delay", lambda pk: queued.append(pk))
    InquiryFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast["ops"]).post(reverse("inquiries:export"), {"format": "csv", "query": ""})
    assert response["Location"] == reverse("inquiries:exports")
    job = InquiryExport.objects.get()
    assert (queued, job.status) == ([job.pk], "pending")


def test_an_unknown_export_format_is_refused(cast, client_for):
    response = client_for(cast["ops"]).post(reverse("inquiries:export"), {"format": "pdf", "query": ""})
    assert response.status_code == 302
    assert messages_of(response)
    assert not InquiryExport.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_operations_can_post_an_accounts_rule(cast, client_for, role):
    account = AccountFactory()
    response = client_for(cast.get(role)).post(reverse("inquiries:rule_edit", args=[account.pk]), {})
    assert response.status_code == _status(role, ops_only=True)  # operations: the form with its errors
    assert not AllocationRule.objects.exists()


def test_the_country_filter_lists_the_countries_in_the_data_first_with_chinese_names(cast, client_for):
    InquiryFactory(country="DE")
    InquiryFactory(country="US")
    page = client_for(cast["ops"]).get(reverse("inquiries:list")).content.decode()
    select = page[page.index('name="country"') : page.index("</select>", page.index('name="country"'))]
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", select)
    assert labels[1:4] == ["德国 (DE)", "美国 (US)", "──────────"]
    assert '<option value="" disabled>──────────</option>' in select
    assert "中国 (CN)" in labels[4:]


def test_a_salespersons_account_filter_lists_only_accounts_they_have_inquiries_in(cast, client_for):
    mine = AccountFactory(code="mine01", name="光明照明 主账号")
    AccountFactory(code="other01", name="光耀灯饰 主账号")
    allocated(InquiryFactory(account=mine), cast["sales_a"])
    page = client_for(cast["sales_a"]).get(reverse("inquiries:list")).content.decode()
    select = page[page.index('name="account"') : page.index("</select>", page.index('name="account"'))]
    assert "光明照明 主账号 (mine01)" in select
    assert "other01" not in select
