import pytest
from django.utils import timezone, translation

from inquiries import services
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import AccountFactory, InquiryFactory, usd

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_operations_manager_reads_the_audit_trail_and_filters_it(new_page, shots, cast, viewport):
    inquiry = InquiryFactory(account=AccountFactory(code="cn-e2e"))
    services.inquiry_allocate(inquiry=inquiry, salesperson=cast["sales_a"], by=cast["ops"], note="手动分配")
    order = services.order_record(by=cast["sales_a"], inquiry=inquiry, won_at=timezone.now(), amount_usd=usd(900))
    services.order_update(order=order, by=cast["sales_a"], amount_usd=usd(950))
    page = new_page(viewport=viewport)
    login(page, "opsmgr")
    page.goto("/team/audit/")
    with translation.override("zh-hans"):  # 审计日志 once the catalogue has it
        assert page.locator("h1").inner_text() == translation.gettext("Audit trail")
    assert page.locator(".audit-table tbody tr").count() == 3
    shots(page, "audit-list")
    page.select_option("#id_action", "order.update")
    with page.expect_navigation():
        page.click(".filters button[type=submit]")
    assert page.locator(".audit-table tbody tr").count() == 1
    shots(page, "audit-filtered")
    page.goto(inquiry.get_absolute_url())
    shots(page, "inquiry-timeline")
