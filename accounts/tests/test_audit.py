"""The audit trail: every write that matters leaves a row (who, what, the changes), the list for
the operations manager and the boss, and the audited changes on the inquiry's timeline."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent
from inquiries import services
from inquiries.models import Quality
from inquiries.selectors import inquiry_timeline
from inquiries.tests.import_files import INQUIRY_HEADER, run_import, write_csv
from reports.services import monthly_report_get
from tests.factories import AccountFactory, InquiryFactory, usd

pytestmark = pytest.mark.django_db


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("created_at", "id")


@pytest.fixture
def owned(cast):
    inquiry = InquiryFactory(account=AccountFactory(code="cn-audit"))
    services.inquiry_allocate(inquiry=inquiry, salesperson=cast["sales_a"], by=cast["ops"], note="by hand")
    return inquiry


# ---------------------------------------------------------------------------------------------
# One row per kind of write


def test_an_allocation_is_audited_with_who_and_to_whom(cast, owned):
    event = last_event("inquiry.allocate")
    assert (event.actor, event.inquiry, event.target_id) == (cast["ops"], owned, str(owned.pk))
    assert event.changes["owner"] == [None, "sales_a"]
    assert event.changes["note"] == "by hand"


def test_a_quality_verdict_is_audited(cast, owned):
    services.quality_decide(inquiry=owned, by=cast["ops_manager"], verdict=Quality.INVALID, reason="spam")
    event = last_event("quality.decide")
    assert (event.actor, event.inquiry) == (cast["ops_manager"], owned)
    assert (event.changes["verdict"], event.changes["reason"]) == ("invalid", "spam")


def test_an_order_recorded_changed_and_cancelled_leaves_three_rows(cast, owned):
    order = services.order_record(by=cast["sales_a"], inquiry=owned, won_at=timezone.now(), amount_usd=usd(900))
    services.order_update(order=order, by=cast["sales_a"], amount_usd=usd(950))
    services.order_cancel(order=order, by=cast["sales_a"], reason="buyer withdrew")
    recorded, updated, cancelled = (last_event(a) for a in ("order.record", "order.update", "order.cancel"))
    assert {recorded.actor, updated.actor, cancelled.actor} == {cast["sales_a"]}
    assert {recorded.inquiry, updated.inquiry, cancelled.inquiry} == {owned}
    assert updated.changes == {"amount_usd": ["900.00", "950.00"]}
    assert cancelled.changes["reason"] == "buyer withdrew"


def test_an_import_is_audited_when_it_starts_and_when_it_finishes(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory(code="cn1")
    path = write_csv(tmp_path / "inquiries.csv", [INQUIRY_HEADER, ["A1", "cn1", "2024-03-05 10:00"] + [""] * 10])
    run_import(path, by=cast["ops"])
    upload, finish = last_event("import.upload"), last_event("import.finish")
    assert (upload.actor, upload.changes["file"]) == (cast["ops"], "inquiries.csv")
    assert finish.actor == cast["ops"]
    assert finish.changes["sheets"][0]["created"] == 1


def test_account_and_team_changes_are_audited(cast):
    account = AccountFactory(code="cn-team", name="Old")
    account_services.account_update(account=account, by=cast["ops_manager"], name="New")
    account_services.account_hand_over(account=account, to=cast["sales_b"], by=cast["ops_manager"])
    account_services.team_member_update(member=cast["sales_a"], by=cast["ops_manager"], rfq_quota=30)
    renamed, handed, member = (last_event(a) for a in ("account.update", "account.hand_over", "team.update"))
    assert {renamed.actor, handed.actor, member.actor} == {cast["ops_manager"]}
    assert renamed.changes == {"name": ["Old", "New"]}
    assert handed.target_id == str(account.pk)
    assert member.changes == {"rfq_quota": [20, 30]}


def test_recomputing_a_final_report_is_audited_with_who_asked(cast):
    month = dt.date(2024, 1, 1)
    monthly_report_get(month=month, by=cast["ops_manager"], store=True)
    monthly_report_get(month=month, by=cast["boss"], recompute=True, store=True)
    stored, recomputed = last_event("report.final"), last_event("report.recompute")
    assert stored.actor == cast["ops_manager"]
    assert recomputed.actor == cast["boss"]
    assert recomputed.target_id == stored.target_id
    assert recomputed.changes["window_days"] == stored.changes["window_days"]


def test_the_audit_trail_cannot_be_changed_in_the_admin(cast, client_for):
    event = AuditEvent.objects.create(action="x.y", target_type="t", summary="s")
    client = client_for(cast["ops_manager"])
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])
    client.post(change, {"summary": "rewritten"})
    client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"})
    event.refresh_from_db()
    assert event.summary == "s"


# ---------------------------------------------------------------------------------------------
# The timeline


def test_order_changes_and_cancellation_show_on_the_inquirys_timeline(cast, owned, django_assert_num_queries):
    order = services.order_record(by=cast["sales_a"], inquiry=owned, won_at=timezone.now(), amount_usd=usd(900))
    services.order_update(order=order, by=cast["sales_a"], amount_usd=usd(950))
    services.order_cancel(order=order, by=cast["sales_a"], reason="buyer withdrew")
    with django_assert_num_queries(5):
        timeline = inquiry_timeline(owned)
    audited = [(e["obj"].action, e["obj"].actor) for e in timeline if e["kind"] == "audit"]
    assert audited == [("order.update", cast["sales_a"]), ("order.cancel", cast["sales_a"])]
    page = client_page(cast, owned)
    assert "Order changed" in page or "订单已修改" in page


def client_page(cast, inquiry) -> str:
    from django.test import Client

    client = Client()
    client.force_login(cast["ops"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client.get(inquiry.get_absolute_url()).content.decode()


# ---------------------------------------------------------------------------------------------
# The list


def make_events(n: int, *, actor=None, action="order.update", start=None) -> list[AuditEvent]:
    start = start or timezone.now() - dt.timedelta(days=1)
    return AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor, action=action, target_type="inquiries.order", target_id=str(i), summary=f"event {i}",
            changes={"amount_usd": ["1.00", f"{i}.00"]}, created_at=start + dt.timedelta(minutes=i),
        )
        for i in range(n)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "status"),
    [("boss", 200), ("ops_manager", 200), ("ops", 403), ("sales_a", 403), ("sales_b", 403), (None, 302)],
)
def test_the_audit_list_is_for_the_operations_manager_and_the_boss(cast, client_for, role, status):
    assert client_for(cast.get(role)).get(reverse("accounts:audit")).status_code == status


def test_the_audit_list_is_newest_first_with_who_what_and_changes(cast, client_for):
    make_events(3, actor=cast["sales_a"])
    response = client_for(cast["boss"]).get(reverse("accounts:audit"))
    events = [e for e, _label, _changes in response.context["rows"]]
    assert [e.summary for e in events] == ["event 2", "event 1", "event 0"]
    assert response.context["rows"][0][2] == [("amount_usd", "1.00 → 2.00")]
    assert "业务A" in response.content.decode()


def test_the_audit_list_filters_by_action_actor_date_inquiry_and_object(cast, client_for, owned):
    make_events(2, actor=cast["sales_b"], start=timezone.now() - dt.timedelta(days=40))
    client = client_for(cast["ops_manager"])

    def summaries(**query):
        return [e.summary for e, _l, _c in client.get(reverse("accounts:audit"), query).context["rows"]]

    assert summaries(action="inquiry.allocate") == [f"{last_event('inquiry.allocate').summary}"]
    assert summaries(actor=cast["sales_b"].pk) == ["event 1", "event 0"]
    old = (timezone.localdate() - dt.timedelta(days=40)).isoformat()
    assert summaries(when_after=old, when_before=old) == ["event 1", "event 0"]
    assert len(summaries(inquiry=owned.pk)) == 1
    assert summaries(target="1", actor=cast["sales_b"].pk) == ["event 1"]
    assert summaries(action="no.such") == []


def test_the_audit_list_pages_by_cursor_without_counting_the_table(cast, client_for):
    make_events(51)
    client = client_for(cast["boss"])
    first = client.get(reverse("accounts:audit"))
    assert len(first.context["rows"]) == 50
    cursor = first.context["page"].next_cursor
    assert cursor
    second = client.get(reverse("accounts:audit"), {"after": cursor})
    assert [e.summary for e, _l, _c in second.context["rows"]] == ["event 0"]
    assert second.context["page"].next_cursor is None
    assert client.get(reverse("accounts:audit"), {"after": "garbage"}).context["rows"][0][0].summary == "event 50"


@pytest.mark.parametrize("rows", [1, 50])
def test_the_audit_list_costs_the_same_queries_for_1_and_50_rows(cast, client_for, django_assert_num_queries, rows):
    make_events(rows, actor=cast["sales_a"])
    client = client_for(cast["ops_manager"])
    # session, user, the events with their actors, the header's counts and unread notifications,
    # the actor choices of the filter.
    with django_assert_num_queries(6) as captured:
        assert client.get(reverse("accounts:audit")).status_code == 200
    assert not any("COUNT(" in q["sql"].upper() and "audit" in q["sql"] for q in captured.captured_queries)


def test_the_audit_trail_is_in_the_header_of_the_operations_manager_and_the_boss(cast, client_for):
    for role, shown in [("boss", True), ("ops_manager", True), ("ops", False), ("sales_a", False)]:
        page = client_for(cast[role]).get("/", follow=True).content.decode()
        assert (reverse("accounts:audit") in page) is shown, role


def test_a_new_team_member_is_audited_with_the_username_and_role(cast):
    member = account_services.team_member_create(
        username="new_sales", password="tangerine-sky-8741", role="sales", by=cast["ops_manager"], rfq_quota=10
    )
    event = last_event("team.create")
    assert (event.actor, event.target_id) == (cast["ops_manager"], str(member.pk))
    assert (event.changes["username"], event.changes["role"]) == ("new_sales", "sales")
