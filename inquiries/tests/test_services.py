import datetime as dt
import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AuditEvent, CompanySettings
from inquiries import services
from inquiries.models import Allocation, FollowUp, Inquiry, InquiryState, Quality
from tests.factories import InquiryFactory, UserFactory


@pytest.mark.django_db
def test_allocation_sets_owner_first_allocation_deadline_and_audit(sales_a, ops_manager):
    received = timezone.now() - dt.timedelta(hours=3)
    inquiry = InquiryFactory(received_at=received)
    at = received + dt.timedelta(hours=1)

    allocation = services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager, note="vip", at=at)

    inquiry.refresh_from_db()
    assert allocation.reason == Allocation.Reason.MANUAL
    assert inquiry.owner == sales_a
    assert inquiry.first_allocated_at == at
    assert inquiry.reply_due_at == at + dt.timedelta(hours=CompanySettings.load().reply_deadline_hours)
    event = AuditEvent.objects.get(action="inquiry.allocate", inquiry=inquiry)
    assert event.actor == ops_manager
    assert event.changes["owner"] == [None, "sales_a"]


@pytest.mark.django_db
def test_reallocation_keeps_first_allocation_time_and_moves_the_owner(sales_a, sales_b, ops_manager):
    inquiry = InquiryFactory()
    first = timezone.now() - dt.timedelta(minutes=90)
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager, at=first)
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_b, by=None, reason=Allocation.Reason.DEADLINE)

    inquiry.refresh_from_db()
    assert inquiry.owner == sales_b
    assert inquiry.first_allocated_at == first
    assert list(inquiry.allocations.values_list("salesperson__username", "reason")) == [
        ("sales_a", "manual"),
        ("sales_b", "deadline"),
    ]


@pytest.mark.django_db
def test_only_active_salespeople_can_be_allocated(ops_manager):
    inquiry = InquiryFactory()
    with pytest.raises(ValidationError):
        services.inquiry_allocate(inquiry=inquiry, salesperson=ops_manager, by=ops_manager)
    gone = UserFactory(username="gone", role="sales", is_active=False)
    with pytest.raises(ValidationError):
        services.inquiry_allocate(inquiry=inquiry, salesperson=gone, by=ops_manager)
    assert inquiry.allocations.count() == 0


@pytest.mark.django_db
def test_first_reply_is_the_earliest_reply_kind_follow_up(sales_a):
    inquiry = InquiryFactory(owner=sales_a, received_at=timezone.now() - dt.timedelta(days=2))
    t1 = timezone.now() - dt.timedelta(hours=30)
    t0 = timezone.now() - dt.timedelta(hours=40)

    services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.NOTE, happened_at=t0)
    assert inquiry.first_reply_at is None
    services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.REPLY, happened_at=t1)
    services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.QUOTE, happened_at=timezone.now())

    inquiry.refresh_from_db()
    assert inquiry.first_reply_at == t1
    assert inquiry.state == InquiryState.REPLIED


@pytest.mark.django_db
def test_a_flag_is_disputed_until_operations_decide(sales_a, ops_manager):
    inquiry = InquiryFactory(owner=sales_a)
    services.quality_flag(inquiry=inquiry, by=sales_a, reason="spam", note="bot")
    assert (inquiry.state, inquiry.quality) == (InquiryState.DISPUTED, Quality.INVALID)

    services.quality_decide(inquiry=inquiry, by=ops_manager, verdict=Quality.VALID, note="real buyer")
    assert (inquiry.state, inquiry.quality) == (InquiryState.NEW, Quality.VALID)

    services.quality_decide(inquiry=inquiry, by=ops_manager, verdict=Quality.INVALID, reason="spam")
    assert (inquiry.state, inquiry.quality) == (InquiryState.INVALID, Quality.INVALID)


@pytest.mark.django_db
def test_an_order_makes_the_inquiry_won_and_cancelling_undoes_it(sales_a):
    inquiry = InquiryFactory(owner=sales_a)
    order = services.order_record(
        by=sales_a, inquiry=inquiry, won_at=timezone.now(), amount_usd=Decimal("1234.50"), trade_assurance=True
    )
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.WON
    assert (order.salesperson, order.account) == (sales_a, inquiry.account)

    services.order_cancel(order=order, by=sales_a, reason="buyer withdrew")
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.NEW
    assert AuditEvent.objects.filter(inquiry=inquiry, action__startswith="order.").count() == 2


@pytest.mark.django_db
def test_order_update_records_old_and_new_values(sales_a):
    order = services.order_record(by=sales_a, inquiry=InquiryFactory(owner=sales_a), won_at=timezone.now(),
                                  amount_usd=Decimal("100.00"))  # fmt: skip
    services.order_update(order=order, by=sales_a, amount_usd=Decimal("150.00"))
    event = AuditEvent.objects.get(action="order.update")
    assert event.changes == {"amount_usd": ["100.00", "150.00"]}


@pytest.mark.django_db
def test_negative_order_is_refused_before_the_database(sales_a):
    with pytest.raises(ValidationError):
        services.order_record(by=sales_a, inquiry=InquiryFactory(), won_at=timezone.now(), amount_usd=Decimal("-1"))


# ---------------------------------------------------------------------------------------------
# The salesperson's workspace: guards, RFQ links, one-time form tokens


@pytest.mark.django_db
def test_a_flag_cannot_be_sent_while_one_waits_or_after_operations_judged_invalid(sales_a, ops_manager, english):
    inquiry = InquiryFactory(owner=sales_a)
    services.quality_flag(inquiry=inquiry, by=sales_a, reason="spam")
    with pytest.raises(ValidationError, match="already waiting for operations"):
        services.quality_flag(inquiry=inquiry, by=sales_a, reason="duplicate")

    services.quality_decide(inquiry=inquiry, by=ops_manager, verdict=Quality.INVALID, reason="spam")
    with pytest.raises(ValidationError, match="already judged this inquiry invalid"):
        services.quality_flag(inquiry=inquiry, by=sales_a, reason="duplicate")
    assert inquiry.verdicts.filter(side="sales").count() == 1


@pytest.mark.django_db
def test_an_inquiry_with_an_order_cannot_be_flagged_invalid(sales_a, english):
    inquiry = InquiryFactory(owner=sales_a)
    services.order_record(by=sales_a, inquiry=inquiry, won_at=timezone.now(), amount_usd=Decimal("10"))
    with pytest.raises(ValidationError, match="has an order"):
        services.quality_flag(inquiry=inquiry, by=sales_a, reason="spam")
    assert not inquiry.verdicts.exists()


@pytest.mark.django_db
def test_a_flag_operations_overturned_can_be_raised_again_with_new_facts(sales_a, ops_manager):
    inquiry = InquiryFactory(owner=sales_a)
    services.quality_flag(inquiry=inquiry, by=sales_a, reason="no_requirement")
    services.quality_decide(inquiry=inquiry, by=ops_manager, verdict=Quality.VALID)
    assert inquiry.state == InquiryState.NEW

    services.quality_flag(inquiry=inquiry, by=sales_a, reason="no_response", note="Three mails, no answer")

    assert inquiry.state == InquiryState.DISPUTED


@pytest.mark.django_db
def test_an_inquiry_with_an_order_or_already_lost_cannot_be_marked_lost(sales_a, english):
    won = InquiryFactory(owner=sales_a)
    services.order_record(by=sales_a, inquiry=won, won_at=timezone.now(), amount_usd=Decimal("10"))
    with pytest.raises(ValidationError, match="cancel the order"):
        services.inquiry_mark_lost(inquiry=won, by=sales_a, reason="gone")

    lost = InquiryFactory(owner=sales_a)
    services.inquiry_mark_lost(inquiry=lost, by=sales_a, reason="price")
    with pytest.raises(ValidationError, match="already marked lost"):
        services.inquiry_mark_lost(inquiry=lost, by=sales_a, reason="again")
    lost.refresh_from_db()
    assert (lost.state, lost.lost_reason) == (InquiryState.LOST, "price")


@pytest.mark.django_db
def test_an_order_is_not_won_in_the_future_nor_before_its_inquiry_arrived(sales_a):
    inquiry = InquiryFactory(owner=sales_a, received_at=timezone.now() - dt.timedelta(days=1))
    for won_at in (timezone.now() + dt.timedelta(hours=1), inquiry.received_at - dt.timedelta(minutes=1)):
        with pytest.raises(ValidationError) as refused:
            services.order_record(by=sales_a, inquiry=inquiry, won_at=won_at, amount_usd=Decimal("10"))
        assert list(refused.value.message_dict) == ["won_at"]
    order = services.order_record(by=sales_a, inquiry=inquiry, won_at=timezone.now(), amount_usd=Decimal("10"))
    with pytest.raises(ValidationError):
        services.order_update(order=order, by=sales_a, won_at=timezone.now() + dt.timedelta(days=1))
    order.refresh_from_db()
    assert order.won_at <= timezone.now()


@pytest.mark.django_db
def test_an_rfq_inquiry_links_to_its_owners_quote_and_the_link_is_audited(sales_a, sales_b):
    from inquiries.models import Source

    inquiry = InquiryFactory(owner=sales_a, source=Source.RFQ)
    mine = services.rfq_quote_log(salesperson=sales_a, rfq_id="R1")
    theirs = services.rfq_quote_log(salesperson=sales_b, rfq_id="R1")

    with pytest.raises(ValidationError):
        services.inquiry_link_rfq_quote(inquiry=inquiry, quote=theirs, by=sales_a)
    services.inquiry_link_rfq_quote(inquiry=inquiry, quote=mine, by=sales_a)

    inquiry.refresh_from_db()
    assert inquiry.rfq_quote == mine
    event = AuditEvent.objects.get(action="inquiry.rfq_link")
    assert (event.actor, event.changes) == (sales_a, {"rfq_quote": [None, mine.pk]})


@pytest.mark.django_db
def test_only_an_rfq_inquiry_can_be_linked_to_a_quote(sales_a, english):
    inquiry = InquiryFactory(owner=sales_a)
    quote = services.rfq_quote_log(salesperson=sales_a, rfq_id="R1")
    with pytest.raises(ValidationError, match="came from an RFQ"):
        services.inquiry_link_rfq_quote(inquiry=inquiry, quote=quote, by=sales_a)


@pytest.mark.django_db
def test_a_form_token_is_spent_once(sales_a):
    from inquiries.models import FormSubmission

    token = uuid.uuid4()
    services.form_submission_claim(user=sales_a, token=token)
    with pytest.raises(services.AlreadySubmitted):
        services.form_submission_claim(user=sales_a, token=token)
    assert FormSubmission.objects.filter(token=token).count() == 1


@pytest.mark.django_db
def test_a_form_token_comes_back_when_the_work_it_guarded_fails(sales_a):
    token = uuid.uuid4()
    with pytest.raises(ValidationError), transaction.atomic():
        services.form_submission_claim(user=sales_a, token=token)
        raise ValidationError("the write failed")

    assert services.form_submission_claim(user=sales_a, token=token).token == token


@pytest.mark.django_db
def test_old_form_tokens_are_purged(sales_a):
    from inquiries.models import FormSubmission

    old = services.form_submission_claim(user=sales_a, token=uuid.uuid4())
    FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    services.form_submission_claim(user=sales_a, token=uuid.uuid4())

    assert services.form_submissions_purge() == 1
    assert FormSubmission.objects.count() == 1


def test_two_requests_racing_with_the_same_form_token_write_once(postgres_db, sales_a):
    """Two requests of one double-tap arrive together: the second waits on the unique index."""
    inquiry = InquiryFactory(owner=sales_a)
    token, barrier, outcomes = uuid.uuid4(), threading.Barrier(2), []

    def submit():
        try:
            barrier.wait(5)
            with transaction.atomic():
                services.form_submission_claim(user=sales_a, token=token)
                time.sleep(0.3)  # hold the token while the other request arrives
                services.followup_log(inquiry=inquiry, author=sales_a, kind=FollowUp.Kind.REPLY)
            outcomes.append("written")
        except services.AlreadySubmitted:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(outcomes) == ["already", "written"]
    assert FollowUp.objects.filter(inquiry=inquiry).count() == 1


@pytest.mark.django_db
def test_a_back_dated_allocation_is_history_and_leaves_the_current_owner(sales_a, sales_b, ops_manager):
    inquiry = InquiryFactory(received_at=timezone.now() - dt.timedelta(days=3))
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager)
    due = Inquiry.objects.get(pk=inquiry.pk).reply_due_at
    services.inquiry_allocate(
        inquiry=inquiry, salesperson=sales_b, by=None, reason=Allocation.Reason.IMPORT,
        at=timezone.now() - dt.timedelta(days=2),
    )  # fmt: skip

    inquiry.refresh_from_db()
    assert inquiry.owner == sales_a
    assert inquiry.reply_due_at == due
    assert inquiry.first_allocated_at == inquiry.allocations.get(salesperson=sales_b).assigned_at
    assert inquiry.allocations.count() == 2


@pytest.mark.django_db
def test_owner_since_is_when_the_latest_allocation_took_effect_and_a_back_dated_one_leaves_it(
    sales_a, sales_b, ops_manager
):
    inquiry = InquiryFactory(received_at=timezone.now() - dt.timedelta(days=3))
    first = timezone.now() - dt.timedelta(days=1)
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager, at=first)
    assert (inquiry.owner, inquiry.owner_since) == (sales_a, first)

    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_b, by=None, at=first - dt.timedelta(days=1))
    services.inquiries_allocate_many(
        requests=[services.AllocationRequest(Inquiry.objects.get(pk=inquiry.pk), sales_b, first)], by=ops_manager
    )

    inquiry.refresh_from_db()
    # Back-dated: history. At the same instant, the later allocation wins, as in the report.
    assert (inquiry.owner, inquiry.owner_since) == (sales_b, first)
