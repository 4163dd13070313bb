"""The workbench's services: allocation by hand and by rules, reply deadlines, disputes, exports."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import AuditEvent, CompanySettings, Notification
from inquiries import services
from inquiries.exports import csv_safe
from inquiries.models import (
    Allocation,
    AllocationRule,
    Inquiry,
    InquiryExport,
    InquiryState,
    Order,
    Quality,
    QualityVerdict,
    Source,
)
from inquiries.selectors import allocation_rules_preview
from tests.factories import AccountFactory, InquiryFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def allocated(inquiry, salesperson, by=None, at=None):
    services.inquiry_allocate(inquiry=inquiry, salesperson=salesperson, by=by, at=at)
    inquiry.refresh_from_db()
    return inquiry


def set_rule(account, mode, members, by=None, **kw):
    return services.allocation_rule_save(
        account=account,
        mode=mode,
        same_buyer=kw.pop("same_buyer", True),
        reallocate_overdue=kw.pop("reallocate_overdue", False),
        members=[services.RuleMemberInput(m, cap) for m, cap in members],
        routes=[services.RouteInput(*r) for r in kw.pop("routes", [])],
        by=by,
    )


# ---------------------------------------------------------------------------------------------
# Allocating by hand


def test_allocating_ticked_rows_records_who_when_and_why(ops, sales_a):
    first, second = InquiryFactory.create_batch(2)
    outcome = services.inquiries_allocate_checked(
        expected_owners={first.pk: None, second.pk: None}, salesperson=sales_a, by=ops, note="按产品线"
    )
    assert sorted(i.pk for i in outcome.allocated) == sorted([first.pk, second.pk])
    assert outcome.conflicts == []
    rows = Allocation.objects.filter(inquiry__in=[first, second])
    assert [(a.salesperson, a.allocated_by, a.reason, a.note) for a in rows] == [
        (sales_a, ops, Allocation.Reason.MANUAL, "按产品线")
    ] * 2
    first.refresh_from_db()
    assert first.owner == sales_a
    assert first.reply_due_at == max(first.received_at, rows[0].assigned_at) + dt.timedelta(hours=24)
    assert AuditEvent.objects.filter(action="inquiry.allocate", actor=ops).count() == 2


def test_an_inquiry_allocated_by_someone_else_meanwhile_is_left_as_they_set_it(ops, ops_manager, sales_a, sales_b):
    taken, free = InquiryFactory.create_batch(2)
    allocated(taken, sales_b, by=ops_manager)
    outcome = services.inquiries_allocate_checked(
        expected_owners={taken.pk: None, free.pk: None}, salesperson=sales_a, by=ops, note="x"
    )
    assert [i.pk for i in outcome.allocated] == [free.pk]
    assert [(i.pk, owner) for i, owner in outcome.conflicts] == [(taken.pk, sales_b)]
    taken.refresh_from_db()
    assert taken.owner == sales_b
    assert Allocation.objects.filter(inquiry=taken).count() == 1


def test_reallocating_needs_the_owner_the_user_saw(ops, sales_a, sales_b):
    inquiry = allocated(InquiryFactory(), sales_a)
    outcome = services.inquiries_allocate_checked(
        expected_owners={inquiry.pk: sales_a.pk}, salesperson=sales_b, by=ops, note="请假"
    )
    assert [i.pk for i in outcome.allocated] == [inquiry.pk]
    inquiry.refresh_from_db()
    assert inquiry.owner == sales_b


def test_allocating_to_the_current_owner_writes_nothing(ops, sales_a):
    inquiry = allocated(InquiryFactory(), sales_a)
    outcome = services.inquiries_allocate_checked(
        expected_owners={inquiry.pk: sales_a.pk}, salesperson=sales_a, by=ops, note="x"
    )
    assert [i.pk for i in outcome.unchanged] == [inquiry.pk]
    assert Allocation.objects.filter(inquiry=inquiry).count() == 1


def test_only_an_active_salesperson_can_receive_inquiries(ops, ops_manager):
    inquiry = InquiryFactory()
    with pytest.raises(ValidationError):
        services.inquiries_allocate_checked(expected_owners={inquiry.pk: None}, salesperson=ops_manager, by=ops)
    leaver = UserFactory(username="leaver", role="sales", is_active=False)
    with pytest.raises(ValidationError):
        services.inquiries_allocate_checked(expected_owners={inquiry.pk: None}, salesperson=leaver, by=ops)
    assert not Allocation.objects.exists()


def test_the_salesperson_is_notified_once_per_allocation_not_once_per_inquiry(ops, sales_a):
    inquiries = InquiryFactory.create_batch(3)
    services.inquiries_allocate_checked(
        expected_owners={i.pk: None for i in inquiries}, salesperson=sales_a, by=ops, note="x"
    )
    note = Notification.objects.get(recipient=sales_a)
    assert note.kind == Notification.Kind.ALLOCATED
    assert "3" in note.message


def test_allocating_all_matching_skips_inquiries_allocated_after_the_page_was_seen(ops, ops_manager, sales_a, sales_b):
    account = AccountFactory()
    inquiries = InquiryFactory.create_batch(3, account=account)
    seen_at = timezone.now()
    allocated(inquiries[0], sales_b, by=ops_manager)
    outcome = services.inquiries_allocate_matching(
        queryset=Inquiry.objects.filter(account=account), seen_at=seen_at, salesperson=sales_a, by=ops, note="x"
    )
    assert sorted(i.pk for i in outcome.allocated) == sorted(i.pk for i in inquiries[1:])
    assert [(i.pk, owner) for i, owner in outcome.conflicts] == [(inquiries[0].pk, sales_b)]


def test_allocating_all_matching_refuses_more_than_the_limit(ops, sales_a):
    InquiryFactory.create_batch(3)
    with pytest.raises(ValidationError):
        services.inquiries_allocate_matching(
            queryset=Inquiry.objects.all(), seen_at=timezone.now(), salesperson=sales_a, by=ops, limit=2
        )
    assert not Allocation.objects.exists()


# ---------------------------------------------------------------------------------------------
# Allocation rules


def test_rules_allocate_new_inquiries_in_turn_with_reason_rule(sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)])
    inquiries = [
        InquiryFactory(account=account, received_at=NOW - dt.timedelta(hours=h), buyer_email=f"b{h}@x.com")
        for h in (3, 2, 1)
    ]
    outcome = services.allocation_rules_apply(inquiry_ids=[i.pk for i in inquiries])
    assert outcome.allocated == 3
    owners = [Inquiry.objects.get(pk=i.pk).owner for i in inquiries]
    assert owners == [sales_a, sales_b, sales_a]
    allocations = Allocation.objects.filter(inquiry__in=inquiries)
    assert {(a.reason, a.allocated_by_id, a.note) for a in allocations} == {
        (Allocation.Reason.RULE, None, gettext("Round robin"))
    }
    assert AllocationRule.objects.get(account=account).last_salesperson == sales_a


def test_round_robin_continues_from_one_call_to_the_next(sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)], same_buyer=False)
    first, second = InquiryFactory.create_batch(2, account=account)
    services.allocation_rules_apply(inquiry_ids=[first.pk])
    services.allocation_rules_apply(inquiry_ids=[second.pk])
    assert [Inquiry.objects.get(pk=i.pk).owner for i in (first, second)] == [sales_a, sales_b]


def test_rules_skip_allocated_rfq_invalid_missing_and_manual_inquiries(ops, sales_a, sales_b):
    account, manual_account = AccountFactory(), AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None)])
    set_rule(manual_account, AllocationRule.Mode.MANUAL, [])
    already = allocated(InquiryFactory(account=account), sales_b)
    rfq = InquiryFactory(account=account, source=Source.RFQ)
    invalid = InquiryFactory(account=account)
    services.quality_decide(inquiry=invalid, by=ops, verdict=Quality.INVALID, reason="spam")
    manual = InquiryFactory(account=manual_account)
    fresh = InquiryFactory(account=account)
    outcome = services.allocation_rules_apply(inquiry_ids=[already.pk, rfq.pk, invalid.pk, manual.pk, fresh.pk, 999999])
    assert (outcome.allocated, outcome.skipped, outcome.unplaced) == (1, 5, 0)
    assert Inquiry.objects.get(pk=fresh.pk).owner == sales_a
    assert Inquiry.objects.get(pk=already.pk).owner == sales_b
    assert Inquiry.objects.filter(pk__in=[rfq.pk, invalid.pk, manual.pk], owner__isnull=False).count() == 0


def test_rules_use_the_same_number_of_queries_for_few_or_many_inquiries(sales_a, sales_b):
    account = AccountFactory()
    set_rule(
        account,
        AllocationRule.Mode.CONVERSION,
        [(sales_a, 100), (sales_b, None)],
        routes=[("country", "DE", sales_b), ("keyword", "solar", sales_a)],
    )

    def batch(n):
        # The same mix each time: a country route, a keyword route and the weighted pool.
        return [
            InquiryFactory(account=account, country=c, product=p)
            for c, p in (("DE", "LED"), ("US", "solar panel"), ("US", "LED light"))
            for _ in range(n)
        ]

    few, many = batch(2), batch(40)
    CompanySettings.load()  # created on first use: not part of what is measured
    with CaptureQueriesContext(connection) as few_queries:
        services.allocation_rules_apply(inquiry_ids=[i.pk for i in few])
    with CaptureQueriesContext(connection) as many_queries:
        services.allocation_rules_apply(inquiry_ids=[i.pk for i in many])
    assert len(many_queries) == len(few_queries)
    assert Inquiry.objects.filter(pk__in=[i.pk for i in few + many], owner__isnull=True).count() == 0


def test_a_returning_buyer_goes_to_the_salesperson_who_had_them(sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)])
    allocated(InquiryFactory(buyer_email="Repeat@Buyer.com", received_at=NOW - dt.timedelta(days=30)), sales_b)
    again = InquiryFactory(account=account, buyer_email="repeat@buyer.com")
    services.allocation_rules_apply(inquiry_ids=[again.pk])
    allocation = Allocation.objects.get(inquiry=again)
    assert (allocation.salesperson, allocation.note) == (sales_b, gettext("Same buyer as before"))


def test_daily_capacity_counts_allocations_made_by_hand_today(ops, sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, 2), (sales_b, None)], same_buyer=False)
    for inquiry in InquiryFactory.create_batch(2):
        allocated(inquiry, sales_a, by=ops)
    new = InquiryFactory.create_batch(2, account=account)
    services.allocation_rules_apply(inquiry_ids=[i.pk for i in new])
    assert {Inquiry.objects.get(pk=i.pk).owner for i in new} == {sales_b}


def test_someone_away_gets_nothing_from_the_rules(sales_a, sales_b):
    sales_a.is_away = True
    sales_a.save()
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)])
    inquiries = InquiryFactory.create_batch(3, account=account)
    services.allocation_rules_apply(inquiry_ids=[i.pk for i in inquiries])
    assert {Inquiry.objects.get(pk=i.pk).owner for i in inquiries} == {sales_b}


def test_conversion_counts_only_the_last_90_days(ops, sales_a, sales_b):
    account = AccountFactory()
    # sales_a won 5 of 5 long ago and nothing recently; sales_b won 4 of 10 recently.
    for n in range(10):
        old = InquiryFactory(received_at=NOW - dt.timedelta(days=200))
        old = allocated(old, sales_a, at=old.received_at)
        if n < 5:
            services.order_record(by=ops, inquiry=old, won_at=old.received_at, amount_usd=100)
        recent = InquiryFactory(received_at=NOW - dt.timedelta(days=10))
        recent = allocated(recent, sales_b, at=recent.received_at)
        if n < 4:
            services.order_record(by=ops, inquiry=recent, won_at=recent.received_at, amount_usd=100)
    set_rule(account, AllocationRule.Mode.CONVERSION, [(sales_a, None), (sales_b, None)], same_buyer=False)
    new = InquiryFactory.create_batch(10, account=account)
    plan, _ = allocation_rules_preview(inquiries=Inquiry.objects.filter(pk__in=[i.pk for i in new]))
    # weights: a (0+1)/(0+20) = .05, b (4+1)/(10+20) = .167 -> b gets about 3 in 4
    counts = {sales_a.pk: 0, sales_b.pk: 0}
    for decision in plan.placed:
        counts[decision.salesperson_id] += 1
    assert counts == {sales_a.pk: 2, sales_b.pk: 8}


def test_the_preview_writes_nothing_and_applying_it_does_what_it_showed(sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)])
    inquiries = InquiryFactory.create_batch(4, account=account)
    plan, _ = allocation_rules_preview(inquiries=Inquiry.objects.filter(pk__in=[i.pk for i in inquiries]))
    assert not Allocation.objects.exists()
    outcome = services.allocation_rules_apply(inquiry_ids=[i.pk for i in inquiries], expected_digest=plan.digest)
    assert not outcome.stale
    assert {d.inquiry_id: d.salesperson_id for d in plan.decisions} == dict(
        Inquiry.objects.filter(pk__in=[i.pk for i in inquiries]).values_list("pk", "owner_id")
    )


def test_applying_a_preview_that_is_no_longer_true_writes_nothing(ops, sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)])
    inquiries = InquiryFactory.create_batch(3, account=account)
    plan, _ = allocation_rules_preview(inquiries=Inquiry.objects.filter(pk__in=[i.pk for i in inquiries]))
    allocated(inquiries[0], sales_b, by=ops)
    outcome = services.allocation_rules_apply(inquiry_ids=[i.pk for i in inquiries], expected_digest=plan.digest)
    assert outcome.stale
    assert Allocation.objects.count() == 1


def test_saving_a_rule_is_audited_with_old_and_new(ops_manager, sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None)], by=ops_manager)
    set_rule(account, AllocationRule.Mode.CONVERSION, [(sales_a, 5), (sales_b, None)], by=ops_manager)
    event = AuditEvent.objects.filter(action="rule.save").order_by("-id").first()
    assert event.actor == ops_manager
    assert event.changes["mode"] == ["round_robin", "conversion"]
    assert event.changes["members"] == [[["sales_a", None]], [["sales_a", 5], ["sales_b", None]]]


def test_an_automatic_rule_needs_salespeople(sales_a):
    with pytest.raises(ValidationError):
        set_rule(AccountFactory(), AllocationRule.Mode.ROUND_ROBIN, [])


# ---------------------------------------------------------------------------------------------
# Reply deadlines


def overdue_inquiry(salesperson, *, account=None, hours_late=2, **kw):
    inquiry = InquiryFactory(account=account or AccountFactory(), received_at=NOW - dt.timedelta(hours=30), **kw)
    return allocated(inquiry, salesperson, at=NOW - dt.timedelta(hours=24 + hours_late))


def test_an_overdue_inquiry_is_marked_and_both_sides_are_told_once(ops_manager, ops, sales_a, mailoutbox):
    sales_a.email = "a@example.com"
    sales_a.save()
    ops_manager.email = "boss-of-ops@example.com"
    ops_manager.save()
    inquiry = overdue_inquiry(sales_a)
    outcome = services.inquiries_handle_overdue()
    assert (outcome.marked, outcome.reallocated) == (1, 0)
    inquiry.refresh_from_db()
    assert inquiry.overdue_at is not None
    assert inquiry.owner == sales_a
    assert Notification.objects.get(recipient=sales_a).inquiry == inquiry
    assert Notification.objects.filter(recipient__in=[ops, ops_manager], kind="overdue").count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.com", "boss-of-ops@example.com"]
    assert AuditEvent.objects.filter(action="inquiry.overdue", inquiry=inquiry).count() == 1

    again = services.inquiries_handle_overdue()
    assert (again.marked, again.notifications, again.emails) == (0, 0, 0)
    assert Notification.objects.count() == 3
    assert len(mailoutbox) == 2


def test_inquiries_replied_not_yet_due_unassigned_or_invalid_are_not_overdue(ops, sales_a):
    replied = overdue_inquiry(sales_a)
    services.followup_log(inquiry=replied, author=sales_a, kind="reply", happened_at=NOW - dt.timedelta(hours=1))
    not_due = allocated(InquiryFactory(), sales_a)
    InquiryFactory(received_at=NOW - dt.timedelta(days=3))  # unassigned
    invalid = overdue_inquiry(sales_a)
    services.quality_decide(inquiry=invalid, by=ops, verdict=Quality.INVALID, reason="spam")
    assert services.inquiries_handle_overdue().marked == 0
    assert not Inquiry.objects.filter(pk__in=[replied.pk, not_due.pk, invalid.pk], overdue_at__isnull=False).exists()


def test_a_breach_found_long_after_its_deadline_is_marked_quietly(sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)], reallocate_overdue=True)
    # An inquiry from last year, imported today without a reply.
    old = InquiryFactory(account=account, received_at=NOW - dt.timedelta(days=300))
    old = allocated(old, sales_a, at=old.received_at)
    outcome = services.inquiries_handle_overdue()
    assert (outcome.marked, outcome.stale, outcome.reallocated, outcome.notifications) == (0, 1, 0, 0)
    old.refresh_from_db()
    assert (old.owner, old.overdue_at is not None) == (sales_a, True)
    assert not Notification.objects.exists()
    assert services.inquiries_handle_overdue().stale == 0


def test_the_rule_can_reallocate_an_overdue_inquiry_to_the_next_salesperson(sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)], reallocate_overdue=True)
    inquiry = overdue_inquiry(sales_a, account=account)
    outcome = services.inquiries_handle_overdue()
    assert (outcome.marked, outcome.reallocated) == (1, 1)
    inquiry.refresh_from_db()
    assert inquiry.owner == sales_b
    assert inquiry.reply_due_at > timezone.now() + dt.timedelta(hours=23)
    last = Allocation.objects.filter(inquiry=inquiry).order_by("-assigned_at", "-id").first()
    assert (last.reason, last.salesperson, last.allocated_by) == (Allocation.Reason.DEADLINE, sales_b, None)
    told = Notification.objects.get(recipient=sales_a)
    assert (told.kind, sales_b.label in told.message) == (Notification.Kind.OVERDUE, True)
    assert Notification.objects.filter(recipient=sales_b, kind="allocated").count() == 1
    # A rerun within the new deadline does nothing.
    assert services.inquiries_handle_overdue().marked == 0
    assert Allocation.objects.filter(inquiry=inquiry).count() == 2


def test_an_rfq_inquiry_is_never_taken_from_the_salesperson_who_quoted(sales_a, sales_b):
    account = AccountFactory()
    set_rule(account, AllocationRule.Mode.ROUND_ROBIN, [(sales_a, None), (sales_b, None)], reallocate_overdue=True)
    rfq = overdue_inquiry(sales_a, account=account, source=Source.RFQ)
    outcome = services.inquiries_handle_overdue()
    assert (outcome.marked, outcome.reallocated) == (1, 0)
    rfq.refresh_from_db()
    assert rfq.owner == sales_a


def test_a_new_deadline_setting_applies_to_later_allocations(ops, sales_a):
    settings_row = CompanySettings.load()
    settings_row.reply_deadline_hours = 4
    settings_row.save()
    inquiry = allocated(InquiryFactory(received_at=NOW - dt.timedelta(hours=1)), sales_a, by=ops)
    assert abs((inquiry.reply_due_at - inquiry.first_allocated_at) - dt.timedelta(hours=4)) < dt.timedelta(seconds=1)


# ---------------------------------------------------------------------------------------------
# Quality disputes


def flagged(salesperson, reason="no_requirement"):
    inquiry = allocated(InquiryFactory(), salesperson)
    services.quality_flag(inquiry=inquiry, by=salesperson, reason=reason, note="只问价格")
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.DISPUTED
    return inquiry


def test_confirming_a_flag_makes_the_inquiry_invalid_with_the_flags_reason(ops, sales_a):
    inquiry = flagged(sales_a)
    decision = services.dispute_resolve(inquiry=inquiry, by=ops, confirm=True, note="")
    assert (decision.side, decision.verdict, decision.reason) == ("ops", Quality.INVALID, "no_requirement")
    assert (inquiry.state, inquiry.quality) == (InquiryState.INVALID, Quality.INVALID)
    assert Notification.objects.get(recipient=sales_a).kind == Notification.Kind.DISPUTE


def test_overturning_a_flag_needs_a_note_and_makes_the_inquiry_valid(ops, sales_a):
    inquiry = flagged(sales_a)
    with pytest.raises(ValidationError):
        services.dispute_resolve(inquiry=inquiry, by=ops, confirm=False, note=" ")
    services.dispute_resolve(inquiry=inquiry, by=ops, confirm=False, note="客户有明确型号，请跟进")
    inquiry.refresh_from_db()
    assert (inquiry.state, inquiry.quality) == (InquiryState.NEW, Quality.VALID)
    assert list(QualityVerdict.objects.filter(inquiry=inquiry).values_list("side", "verdict")) == [
        ("sales", "invalid"),
        ("ops", "valid"),
    ]
    assert "客户有明确型号" in Notification.objects.get(recipient=sales_a).message


def test_a_dispute_cannot_be_decided_twice(ops, ops_manager, sales_a):
    inquiry = flagged(sales_a)
    services.dispute_resolve(inquiry=inquiry, by=ops, confirm=True)
    stale = Inquiry.objects.get(pk=inquiry.pk)
    stale.state = InquiryState.DISPUTED  # what the second person's page still shows
    with pytest.raises(ValidationError):
        services.dispute_resolve(inquiry=stale, by=ops_manager, confirm=False, note="no")
    assert QualityVerdict.objects.filter(inquiry=inquiry, side="ops").count() == 1


# ---------------------------------------------------------------------------------------------
# Exports


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-10", "'-10"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("LED 5050", "LED 5050"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_cells_that_would_run_as_formulas_are_escaped(value, written):
    assert csv_safe(value) == written


def export(user, query="", fmt="csv", settings=None):
    job = services.inquiry_export_request(user=user, query=query, format=fmt, background=False)
    return services.inquiry_export_run(export_id=job.pk)


@pytest.fixture
def exports_dir(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


def test_a_csv_export_follows_the_filter_and_escapes_formulas(exports_dir, ops, sales_a):
    account = AccountFactory(code="cnexport")
    InquiryFactory(account=account, buyer_name="=cmd|' /C calc'!A0", country="DE", external_id="E1")
    InquiryFactory(account=account, country="US", external_id="E2")
    job = export(ops, query=f"account={account.pk}&country=DE")
    assert (job.status, job.row_count) == ("done", 1)
    raw = (exports_dir / job.file_name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so that Excel reads the Chinese headers
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["询盘编号", "账号", "询盘时间"]
    assert rows[1][0] == "E1"
    assert rows[1][4] == "'=cmd|' /C calc'!A0"


def test_an_xlsx_export_stores_formula_looking_values_as_text(exports_dir, ops):
    InquiryFactory(buyer_name="=1+1", product="+86 LED", external_id="X1")
    job = export(ops, fmt="xlsx")
    sheet = openpyxl.load_workbook(exports_dir / job.file_name).active
    row = list(next(sheet.iter_rows(min_row=2, max_row=2)))
    assert row[0].value == "X1"
    assert (row[4].value, row[4].data_type, row[4].quotePrefix) == ("=1+1", "s", True)
    assert (row[8].value, row[8].data_type) == ("+86 LED", "s")


def test_a_salespersons_export_holds_only_their_own_inquiries(exports_dir, sales_a, sales_b):
    allocated(InquiryFactory(external_id="MINE"), sales_a)
    allocated(InquiryFactory(external_id="THEIRS"), sales_b)
    job = export(sales_a)
    text = (exports_dir / job.file_name).read_text(encoding="utf-8-sig")
    assert "MINE" in text
    assert "THEIRS" not in text


def test_running_a_finished_export_again_does_nothing(exports_dir, ops):
    InquiryFactory()
    job = export(ops)
    again = services.inquiry_export_run(export_id=job.pk)
    assert again.file_name == job.file_name
    assert len(list(exports_dir.iterdir())) == 1
    assert InquiryExport.objects.get(pk=job.pk).status == "done"


def test_an_xlsx_export_holds_dates_as_dates_and_the_inquirys_orders(exports_dir, ops, sales_a):
    inquiry = InquiryFactory(external_id="D1", received_at=dt.datetime(2026, 3, 5, 6, 30, tzinfo=dt.UTC))
    won = dt.datetime(2026, 3, 9, tzinfo=dt.UTC)
    Order.objects.create(
        inquiry=inquiry, account=inquiry.account, won_at=won, amount_usd=Decimal("1200.50"), trade_assurance=True
    )
    Order.objects.create(inquiry=inquiry, account=inquiry.account, won_at=won, amount_usd=Decimal("300.00"))
    Order.objects.create(
        inquiry=inquiry, account=inquiry.account, won_at=won, amount_usd=Decimal("999"), cancelled_at=won
    )
    job = export(ops, fmt="xlsx")
    sheet = openpyxl.load_workbook(exports_dir / job.file_name).active
    header, row = (list(r) for r in sheet.iter_rows(min_row=1, max_row=2))
    names = [cell.value for cell in header]
    received = row[names.index("询盘时间")]
    assert received.value == dt.datetime(2026, 3, 5, 14, 30)  # Asia/Shanghai, a real date cell
    assert received.number_format == "yyyy-mm-dd hh:mm"
    assert row[names.index("订单")].value == 2
    assert row[names.index("订单金额（美元）")].value == 1500.5
    assert row[names.index("信保订单")].value == 1


def test_a_csv_export_writes_dates_as_text_excel_reads_as_dates(exports_dir, ops):
    InquiryFactory(external_id="C1", received_at=dt.datetime(2026, 3, 5, 6, 30, tzinfo=dt.UTC))
    job = export(ops)
    rows = list(csv.reader(io.StringIO((exports_dir / job.file_name).read_text(encoding="utf-8-sig"))))
    assert rows[1][2] == "2026-03-05 14:30"
    orders, amount, trade_assurance = rows[1][-3:]
    assert (orders, Decimal(amount), trade_assurance) == ("0", 0, "0")
