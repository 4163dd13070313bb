"""Handing an account over: confirmed on its own page, with the previous holder's open inquiries
moved to the new holder or left with them in the same step."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AccountHolding, AuditEvent
from inquiries import services
from inquiries.models import Allocation, Inquiry, InquiryState
from tests.factories import AccountFactory, InquiryFactory

pytestmark = pytest.mark.django_db


def allocated(inquiry, salesperson):
    services.inquiry_allocate(inquiry=inquiry, salesperson=salesperson, by=None)
    inquiry.refresh_from_db()
    return inquiry


@pytest.fixture
def held(cast):
    """An account sales_a has held for 90 days, with two open inquiries and one won."""
    account = AccountFactory(code="gmlighting", name="光明照明 主账号")
    account_services.account_hand_over(
        account=account, to=cast["sales_a"], by=cast["ops_manager"], at=timezone.now() - dt.timedelta(days=90)
    )
    for _ in range(2):
        allocated(InquiryFactory(account=account), cast["sales_a"])
    won = allocated(InquiryFactory(account=account), cast["sales_a"])
    Inquiry.objects.filter(pk=won.pk).update(state=InquiryState.WON)
    return account


def url(account):
    return reverse("inquiries:account_hand_over", args=[account.pk])


def test_the_hand_over_asks_for_confirmation_and_counts_the_open_inquiries(cast, client_for, held):
    response = client_for(cast["ops_manager"]).post(url(held), {"hand-to": cast["sales_b"].pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "业务A 在此账号有 2 条未结询盘" in page
    assert 'name="hand-open_inquiries"' in page
    assert not response.context["form"].errors  # asked, not yet refused
    assert AccountHolding.objects.filter(account=held, ended_at__isnull=True).get().holder == cast["sales_a"]


def test_confirming_without_choosing_what_happens_to_the_open_inquiries_is_refused(cast, client_for, held):
    response = client_for(cast["ops_manager"]).post(url(held), {"hand-to": cast["sales_b"].pk, "confirm": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors["open_inquiries"]
    assert AccountHolding.objects.filter(account=held).count() == 1


def test_confirming_with_move_hands_over_and_moves_only_the_open_inquiries(cast, client_for, held):
    response = client_for(cast["ops_manager"]).post(
        url(held), {"hand-to": cast["sales_b"].pk, "hand-open_inquiries": "move", "confirm": "1"}
    )
    assert response.status_code == 302
    holdings = list(AccountHolding.objects.filter(account=held).order_by("started_at"))
    assert [(h.holder, h.ended_at is None) for h in holdings] == [(cast["sales_a"], False), (cast["sales_b"], True)]
    owners = sorted((i.state, i.owner.username) for i in Inquiry.objects.filter(account=held))
    assert owners == [("new", "sales_b"), ("new", "sales_b"), ("won", "sales_a")]
    assert Allocation.objects.filter(reason=Allocation.Reason.HAND_OVER, salesperson=cast["sales_b"]).count() == 2
    assert AuditEvent.objects.filter(action="account.hand_over").count() == 2
    assert AuditEvent.objects.filter(action="inquiry.allocate", actor=cast["ops_manager"]).count() == 2
    assert any("2 条未结询盘已一并转交" in str(m) for m in get_messages(response.wsgi_request))


def test_confirming_with_keep_leaves_the_open_inquiries_with_the_previous_holder(cast, client_for, held):
    response = client_for(cast["ops_manager"]).post(
        url(held), {"hand-to": cast["sales_b"].pk, "hand-open_inquiries": "keep", "confirm": "1"}
    )
    assert response.status_code == 302
    assert AccountHolding.objects.get(account=held, ended_at__isnull=True).holder == cast["sales_b"]
    assert set(Inquiry.objects.filter(account=held).values_list("owner__username", flat=True)) == {"sales_a"}


def test_a_hand_over_in_the_future_is_refused(cast, client_for):
    account = AccountFactory()
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(cast["ops_manager"]).post(
        url(account), {"hand-to": cast["sales_b"].pk, "hand-at": future, "confirm": "1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["at"]
    assert not AccountHolding.objects.exists()


def test_handing_over_to_the_current_holder_changes_nothing(cast, client_for, held):
    response = client_for(cast["ops_manager"]).post(url(held), {"hand-to": cast["sales_a"].pk, "confirm": "1"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)]
    assert AccountHolding.objects.filter(account=held).count() == 1


def test_the_account_page_sends_its_hand_over_form_to_the_confirmation(cast, client_for, held):
    page = client_for(cast["ops_manager"]).get(reverse("accounts:account_detail", args=[held.pk])).content.decode()
    assert f'action="{url(held)}"' in page
