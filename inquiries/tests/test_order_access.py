"""An order goes with its inquiry: whoever may act on the inquiry may act on its orders (issue 13, item 8)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from inquiries import services
from inquiries.models import Order
from tests.factories import AccountFactory, InquiryFactory, usd

pytestmark = pytest.mark.django_db


@pytest.fixture
def won(cast):
    inquiry = InquiryFactory(account=AccountFactory(code="cn-orders"))
    services.inquiry_allocate(inquiry=inquiry, salesperson=cast["sales_a"], by=cast["ops"])
    order = services.order_record(by=cast["sales_a"], inquiry=inquiry, won_at=timezone.now(), amount_usd=usd(900))
    return inquiry, order


def test_a_salesperson_loses_her_order_with_its_inquiry_when_it_is_reallocated(won, cast, client_for):
    inquiry, order = won
    services.inquiry_allocate(inquiry=inquiry, salesperson=cast["sales_b"], by=cast["ops"])

    client = client_for(cast["sales_a"])
    assert client.get(reverse("inquiries:detail", args=[inquiry.pk])).status_code == 404
    for name in ("inquiries:order_edit", "inquiries:order_cancel"):
        assert client.get(reverse(name, args=[order.pk])).status_code == 404
    response = client.post(reverse("inquiries:order_edit", args=[order.pk]), {"amount_usd": "1"})
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).amount_usd == usd(900)

    new_owner = client_for(cast["sales_b"])
    assert new_owner.get(reverse("inquiries:order_edit", args=[order.pk])).status_code == 200


def test_an_order_without_an_inquiry_stays_with_its_salesperson(cast, client_for):
    order = services.order_record(
        by=cast["sales_a"], inquiry=None, salesperson=cast["sales_a"], won_at=timezone.now(), amount_usd=usd(300)
    )
    assert client_for(cast["sales_a"]).get(reverse("inquiries:order_edit", args=[order.pk])).status_code == 200
    assert client_for(cast["sales_b"]).get(reverse("inquiries:order_edit", args=[order.pk])).status_code == 404
