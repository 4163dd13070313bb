"""Buyers: the keys that recognise one, matching inquiries (imports included), merging, the
"same buyer" rule going by the buyer, and the buyer's history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from inquiries import buyer_keys, buyers, pool, services
from inquiries.models import AllocationRule, AllocationRuleMember, Buyer, BuyerKey, Inquiry
from inquiries.tests.import_files import run_import, write_csv
from tests.factories import AccountFactory, InquiryFactory


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme Lighting Co., Ltd.", "acmelighting"),
        ("ACME  LIGHTING CO LTD", "acmelighting"),
        ("acme lighting company limited", "acmelighting"),
        ("Müller Licht GmbH", "müllerlicht"),
        ("Müller Licht GmbH & Co. KG", "müllerlicht"),
        ("Bright Star LLC", "brightstar"),
        ("Bright Star, Inc.", "brightstar"),
        ("Sol Iluminación S.A.", "soliluminación"),
        ("Lumière S.A.R.L.", "lumière"),
        ("深圳市光明照明有限公司", "深圳市光明照明"),
        ("ＡＣＭＥ Ｌｉｇｈｔｉｎｇ", "acmelighting"),  # full-width letters, as typed on a Chinese keyboard
        ("Co., Ltd.", "co"),  # nothing but suffixes: the last one is kept rather than nothing
        ("", ""),
    ],
)
def test_company_names_lose_case_punctuation_spacing_and_legal_suffixes(name, key):
    assert buyer_keys.company_name_key(name) == key


def test_emails_are_case_folded_and_phones_reduced_to_digits():
    assert buyer_keys.email_key("  John.Smith@ACME.com ") == "john.smith@acme.com"
    assert buyer_keys.email_key("not an address") == ""
    assert buyer_keys.phone_key("+1 (415) 555-0100") == buyer_keys.phone_key("001 415 555 0100") == "4155550100"
    assert buyer_keys.phone_key("12-34") == ""
    assert buyer_keys.company_key("Acme Ltd", "us") == "US|acme"


def match(*inquiries):
    buyers.buyers_match_inquiries(inquiry_ids=[i.pk for i in inquiries])
    for inquiry in inquiries:
        inquiry.refresh_from_db()


@pytest.mark.django_db
def test_inquiries_match_on_email_else_phone_else_company_with_country():
    a = InquiryFactory(buyer_email="John@Acme.com", buyer_phone="", buyer_company="Acme Ltd", country="US")
    b = InquiryFactory(buyer_email="john@acme.COM", buyer_phone="+1 415 555 0100", buyer_company="Other", country="US")
    c = InquiryFactory(buyer_email="sales@acme.com", buyer_phone="001-415-555-0100", buyer_company="", country="US")
    d = InquiryFactory(buyer_email="", buyer_phone="", buyer_company="ACME LIMITED", country="US")
    e = InquiryFactory(buyer_email="", buyer_phone="", buyer_company="Acme Ltd", country="DE")
    f = InquiryFactory(buyer_email="", buyer_phone="", buyer_company="", buyer_name="nobody", country="")
    match(a, b, c, d, e, f)
    assert a.buyer_id == b.buyer_id == c.buyer_id == d.buyer_id  # email, phone, company+country
    assert e.buyer_id not in (None, a.buyer_id)  # the same name in another country
    assert f.buyer_id is None
    assert Buyer.objects.count() == 2
    assert set(BuyerKey.objects.filter(buyer_id=a.buyer_id).values_list("kind", "value")) == {
        ("email", "john@acme.com"),
        ("email", "sales@acme.com"),
        ("phone", "4155550100"),
        ("company", "US|acme"),
        ("company", "US|other"),
    }


@pytest.mark.django_db
def test_matching_again_changes_nothing():
    inquiry = InquiryFactory(buyer_email="x@y.com")
    match(inquiry)
    first = inquiry.buyer_id
    assert buyers.buyers_match_inquiries(inquiry_ids=[inquiry.pk]) == 0
    inquiry.refresh_from_db()
    assert inquiry.buyer_id == first and Buyer.objects.count() == 1


@pytest.mark.django_db
def test_an_import_in_gb18030_fills_the_buyers(tmp_path):
    AccountFactory(code="cn1")
    header = ["询盘编号", "账号", "询盘时间", "买家姓名", "买家公司", "买家邮箱", "买家电话", "国家"]
    rows = [
        ["A1", "cn1", "2024-03-05 14:30", "张伟", "上海明亮贸易有限公司", "", "", "中国"],
        ["A2", "cn1", "2024-04-05 14:30", "张伟", "上海明亮贸易 有限公司", "", "13800138000", "中国"],
        ["A3", "cn1", "2024-05-05 14:30", "王芳", "", "wang@example.cn", "+86 138 0013 8000", "中国"],
    ]
    result = run_import(write_csv(tmp_path / "inquiries.csv", [header, *rows], encoding="gb18030"))
    assert result.ok
    found = {i.external_id: i.buyer for i in Inquiry.objects.select_related("buyer")}
    assert found["A1"] == found["A2"] == found["A3"]
    assert (found["A1"].company, found["A1"].name, found["A1"].country) == ("上海明亮贸易有限公司", "张伟", "CN")


@pytest.mark.django_db
def test_operations_merge_a_buyer_the_match_missed(ops):
    kept = InquiryFactory(buyer_email="a@acme.com", buyer_company="Acme", country="US")
    other = InquiryFactory(
        buyer_email="b@gmail.com", buyer_company="Acme Industries", country="US", buyer_phone="5550100777"
    )
    match(kept, other)
    source = other.buyer
    assert source != kept.buyer
    buyers.buyer_merge(source=source, target=kept.buyer, by=ops)
    other.refresh_from_db()
    assert other.buyer_id == kept.buyer_id
    assert not Buyer.objects.filter(pk=source.pk).exists()
    kept.buyer.refresh_from_db()
    assert kept.buyer.phone == "5550100777"  # a blank field filled from the merged record
    # Its keys came along: the next inquiry from b@gmail.com finds the kept buyer.
    later = InquiryFactory(buyer_email="B@gmail.com", buyer_company="", country="US")
    match(later)
    assert later.buyer_id == kept.buyer_id
    assert AuditEvent.objects.get(action="buyer.merge").changes["source"] == source.pk
    with pytest.raises(ValidationError):
        buyers.buyer_merge(source=kept.buyer, target=kept.buyer, by=ops)


@pytest.mark.django_db
def test_the_same_buyer_rule_follows_the_buyer_across_emails_and_accounts(sales_a, sales_b, english):
    """No 撞单: a buyer who belongs to A writes to another account from another address."""
    one, two = AccountFactory(code="one"), AccountFactory(code="two")
    rule = AllocationRule.objects.create(account=two, mode=AllocationRule.Mode.ROUND_ROBIN)
    AllocationRuleMember.objects.create(rule=rule, salesperson=sales_b)
    old = InquiryFactory(account=one, buyer_email="tom@bright.com", buyer_company="Bright Star LLC", country="US")
    services.inquiry_allocate(inquiry=old, salesperson=sales_a, by=None)
    new = InquiryFactory(account=two, buyer_email="tom.b@gmail.com", buyer_company="BRIGHT STAR, INC.", country="US")
    match(old, new)
    assert old.buyer_id == new.buyer_id
    services.allocation_rules_apply(inquiry_ids=[new.pk])
    new.refresh_from_db()
    assert new.owner == sales_a
    assert new.allocations.get().note == "Same buyer as before"


@pytest.mark.django_db
def test_a_buyer_held_only_through_the_pool_belongs_to_nobody(sales_a, sales_b):
    old = InquiryFactory(buyer_email="tom@bright.com", received_at=timezone.now() - dt.timedelta(days=20))
    services.inquiry_allocate(inquiry=old, salesperson=sales_a, by=None, at=timezone.now() - dt.timedelta(days=19))
    match(old)
    assert buyers.buyer_holder(old.buyer_id) == sales_a
    pool.pool_recycle()
    assert buyers.buyer_holder(old.buyer_id) is None


@pytest.mark.django_db
def test_the_buyer_history_has_every_inquiry_follow_up_and_order_with_totals(sales_a, sales_b):
    t0 = timezone.now() - dt.timedelta(days=30)
    first = InquiryFactory(buyer_email="tom@bright.com", received_at=t0)
    second = InquiryFactory(buyer_email="TOM@bright.com", received_at=t0 + dt.timedelta(days=10))
    services.inquiry_allocate(inquiry=first, salesperson=sales_a, by=None, at=t0)
    services.inquiry_allocate(inquiry=second, salesperson=sales_b, by=None, at=t0 + dt.timedelta(days=10))
    services.followup_log(inquiry=first, author=sales_a, kind="email", happened_at=t0 + dt.timedelta(hours=1))
    services.order_record(by=sales_a, inquiry=first, won_at=t0 + dt.timedelta(days=2), amount_usd=Decimal("1200.50"))
    cancelled = services.order_record(by=sales_b, inquiry=second, won_at=t0 + dt.timedelta(days=11), amount_usd=99)
    services.order_cancel(order=cancelled, by=sales_b)
    match(first, second)
    history = buyers.buyer_history(first.buyer)
    assert [i.pk for i in history["inquiries"]] == [second.pk, first.pk]
    assert len(history["followups"]) == 1 and len(history["orders"]) == 2
    assert (history["order_count"], history["revenue"]) == (1, Decimal("1200.50"))
    assert history["first_contact"] == t0
    assert history["last_contact"] == t0 + dt.timedelta(days=10)
    assert history["owner"] == sales_b  # the latest inquiry's


@pytest.mark.django_db
def test_a_salesperson_opens_only_buyers_they_hold_an_inquiry_of(sales_a, sales_b):
    inquiry = InquiryFactory(buyer_email="tom@bright.com")
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=None)
    match(inquiry)
    assert list(buyers.buyers_for_user(sales_a)) == [inquiry.buyer]
    assert list(buyers.buyers_for_user(sales_b)) == []
    mine = list(buyers.my_buyers(sales_a))
    assert [(b.pk, b.my_inquiries) for b in mine] == [(inquiry.buyer_id, 1)]


@pytest.mark.django_db
def test_merge_candidates_share_a_name_a_company_or_a_company_mail_domain():
    a = InquiryFactory(buyer_email="tom@bright.com", buyer_name="Tom", buyer_company="Bright Star LLC", country="US")
    b = InquiryFactory(buyer_email="ann@bright.com", buyer_name="Ann", buyer_company="", country="GB")
    c = InquiryFactory(buyer_email="x@gmail.com", buyer_name="Bob", buyer_company="Bright Star Inc", country="CA")
    d = InquiryFactory(buyer_email="y@gmail.com", buyer_name="Zed", buyer_company="Other", country="US")
    match(a, b, c, d)
    assert {x.pk for x in buyers.buyer_merge_candidates(a.buyer)} == {b.buyer_id, c.buyer_id}


@pytest.mark.django_db
def test_the_data_migration_matches_existing_inquiries():
    """Run through the migration's own function on today's models (the shapes are the same)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("inquiries.migrations.0016_match_existing_inquiries_to_buyers")
    a = InquiryFactory(buyer_email="Tom@Bright.com", buyer_company="Bright", country="US")
    b = InquiryFactory(buyer_email="tom@bright.com", buyer_company="", country="US")
    c = InquiryFactory(buyer_email="", buyer_company="Bright Co., Ltd.", country="US")
    migration.match_existing(apps, None)
    for inquiry in (a, b, c):
        inquiry.refresh_from_db()
    assert a.buyer_id == b.buyer_id == c.buyer_id is not None
    assert set(BuyerKey.objects.values_list("kind", "value")) == {("email", "tom@bright.com"), ("company", "US|bright")}
    assert Buyer.objects.count() == 1
