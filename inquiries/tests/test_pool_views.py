"""The pool and buyer pages: what each role sees and does, no contact details before a claim,
the settings form, the merge, the 撞单 warning, and fixed query counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from inquiries import buyers, pool, services
from inquiries.models import Buyer, Inquiry, PoolAccountRule, PoolSettings
from tests.factories import AccountFactory, InquiryFactory


def stale(owner, **fields) -> Inquiry:
    allocated = timezone.now() - dt.timedelta(days=8)
    inquiry = InquiryFactory(received_at=allocated - dt.timedelta(hours=1), **fields)
    services.inquiry_allocate(inquiry=inquiry, salesperson=owner, by=None, at=allocated)
    return inquiry


@pytest.mark.django_db
def test_the_pool_shows_no_contact_details_until_a_salesperson_claims_it(cast, client_for):
    inquiry = stale(cast["sales_a"], buyer_name="Tom Jones", buyer_email="tom@bright.com", buyer_company="Bright LLC")
    pool.pool_recycle()
    client = client_for(cast["sales_b"])
    page = client.get(reverse("inquiries:pool")).content.decode()
    assert inquiry.subject in page and "业务A" in page
    for secret in ("Tom Jones", "tom@bright.com", "Bright LLC"):
        assert secret not in page
    assert client.get(inquiry.get_absolute_url()).status_code == 404
    response = client.post(reverse("inquiries:pool_claim", args=[inquiry.pk]))
    assert response.status_code == 302 and response["Location"] == inquiry.get_absolute_url()
    detail = client.get(inquiry.get_absolute_url()).content.decode()
    assert "tom@bright.com" in detail and "Tom Jones" in detail


@pytest.mark.django_db
def test_the_loser_of_a_claim_is_told_who_won(cast, client_for):
    inquiry = stale(cast["sales_a"])
    pool.pool_recycle()
    pool.pool_claim(inquiry_id=inquiry.pk, by=cast["sales_b"])
    sales_c = type(cast["sales_a"]).objects.create(username="sales_c", role="sales", display_name="业务C")
    response = client_for(sales_c).post(reverse("inquiries:pool_claim", args=[inquiry.pk]), follow=True)
    assert "晚了一步：业务B 已先认领了这条询盘。" in response.content.decode()


@pytest.mark.django_db
def test_operations_allocate_from_the_pool_page(cast, client_for):
    inquiry = stale(cast["sales_a"])
    pool.pool_recycle()
    response = client_for(cast["ops"]).post(
        reverse("inquiries:pool_allocate"), {"inquiries": [inquiry.pk], "salesperson": cast["sales_b"].pk}
    )
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.owner, inquiry.pooled_at) == (cast["sales_b"], None)


@pytest.mark.django_db
def test_the_operations_manager_sets_the_rule_and_an_account_override(cast, client_for):
    shop = AccountFactory(code="shop")
    prefix = f"acc{shop.pk}"
    response = client_for(cast["ops_manager"]).post(
        reverse("inquiries:pool_settings"),
        {
            "enabled": "on",
            "stale_days": "5",
            "warn_hours": "12",
            "daily_claim_limit": "8",
            "cooldown_days": "2",
            f"{prefix}-override": "on",
            f"{prefix}-enabled": "",
            f"{prefix}-stale_days": "3",
            f"{prefix}-warn_hours": "0",
        },
    )
    assert response.status_code == 302
    rules = PoolSettings.load()
    assert (rules.stale_days, rules.warn_hours, rules.daily_claim_limit, rules.cooldown_days) == (5, 12, 8, 2)
    own = PoolAccountRule.objects.get(account=shop)
    assert (own.enabled, own.stale_days, own.warn_hours) == (False, 3, 0)


@pytest.mark.django_db
def test_the_inquiry_page_warns_operations_who_holds_the_buyer(cast, client_for):
    held = InquiryFactory(buyer_email="tom@bright.com")
    services.inquiry_allocate(inquiry=held, salesperson=cast["sales_a"], by=None)
    new = InquiryFactory(buyer_email="TOM@bright.com")
    buyers.buyers_match_unmatched()
    page = client_for(cast["ops"]).get(new.get_absolute_url()).content.decode()
    assert "业务A" in page and "撞单" in page


@pytest.mark.django_db
def test_operations_merge_two_buyers_from_the_buyer_page(cast, client_for):
    a, b = InquiryFactory(buyer_email="a@x.com"), InquiryFactory(buyer_email="b@y.com")
    buyers.buyers_match_unmatched()
    a.refresh_from_db()
    b.refresh_from_db()
    response = client_for(cast["ops"]).post(reverse("inquiries:buyer_merge", args=[b.buyer_id]), {"into": a.buyer_id})
    assert response.status_code == 302 and response["Location"] == reverse("inquiries:buyer_detail", args=[a.buyer_id])
    assert Buyer.objects.count() == 1


@pytest.mark.django_db
def test_my_inquiries_shows_what_goes_to_the_pool_soon(cast, client_for):
    allocated = timezone.now() - dt.timedelta(days=6, hours=1)
    inquiry = InquiryFactory(received_at=allocated, subject="Panel lights for a school")
    services.inquiry_allocate(inquiry=inquiry, salesperson=cast["sales_a"], by=None, at=allocated)
    assert pool.pool_recycle().warned == 1
    page = client_for(cast["sales_a"]).get(reverse("inquiries:mine")).content.decode()
    assert 'id="pool-due"' in page and "Panel lights for a school" in page


def _get(client, url, count_queries, n):
    with count_queries(n):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_the_pool_page_reads_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, rows):
    for _n in range(rows):
        stale(cast["sales_a"])
    pool.pool_recycle()
    # session, user, page count, pool settings, claims today, badge counts, notifications, the
    # filter's accounts, page rows
    response = _get(client_for(cast["sales_b"]), reverse("inquiries:pool"), django_assert_num_queries, 9)
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_my_buyers_and_the_buyer_page_read_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, rows):
    first = None
    for n in range(rows):
        inquiry = InquiryFactory(buyer_email=f"b{n}@x.com" if n else "same@x.com")
        services.inquiry_allocate(inquiry=inquiry, salesperson=cast["sales_a"], by=None)
        first = first or inquiry
    buyers.buyers_match_unmatched()
    client = client_for(cast["sales_a"])
    # session, user, badge counts, notifications, page count, page rows, their orders
    response = _get(client, reverse("inquiries:my_buyers"), django_assert_num_queries, 7)
    assert len(response.context["rows"]) == min(rows, 25)
    first.refresh_from_db()
    # session, user, badges, notifications, the buyer, inquiries, follow-ups, orders, owner, keys
    _get(client, reverse("inquiries:buyer_detail", args=[first.buyer_id]), django_assert_num_queries, 10)


@pytest.mark.django_db
def test_reallocating_a_held_buyers_inquiry_to_someone_else_warns_who_holds_the_buyer(cast, client_for):
    held = InquiryFactory(buyer_email="tom@bright.com")
    services.inquiry_allocate(inquiry=held, salesperson=cast["sales_a"], by=None)
    new = InquiryFactory(buyer_email="TOM@bright.com", external_id="NEW-1")
    buyers.buyers_match_unmatched()
    response = client_for(cast["ops"]).post(
        reverse("inquiries:reassign", args=[new.pk]),
        {"salesperson": cast["sales_b"].pk, "note": "product line", "expected_owner": ""},
        follow=True,
    )
    assert "NEW-1（买家由 业务A 跟进）" in response.content.decode()
    new.refresh_from_db()
    assert new.owner == cast["sales_b"]  # a warning, not a refusal


@pytest.mark.django_db
def test_the_hourly_task_recycles_through_the_service(cast):
    from inquiries.tasks import recycle_to_pool

    stale(cast["sales_a"])
    assert recycle_to_pool() == {"warned": 0, "recycled": 1}
    assert recycle_to_pool() == {"warned": 0, "recycled": 0}
