import pytest
from django.db import IntegrityError, transaction

from accounts.models import Account, AccountHolding, AccountKind, AuditEvent
from accounts.services import account_current_holder, account_hand_over
from tests.factories import AccountFactory


@pytest.mark.django_db
def test_database_refuses_a_sub_account_without_main_account():
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(code="sub-orphan", kind=AccountKind.SUB, parent=None)


@pytest.mark.django_db
def test_database_refuses_a_main_account_with_a_parent():
    main = AccountFactory(code="main-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(code="main-2", kind=AccountKind.MAIN, parent=main)


@pytest.mark.django_db
def test_account_codes_are_unique():
    AccountFactory(code="cnabc")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(code="cnabc", kind=AccountKind.MAIN)


@pytest.mark.django_db
def test_hand_over_closes_the_old_holding_and_audits(sales_a, sales_b, ops_manager):
    account = AccountFactory(code="main-x")
    first = account_hand_over(account=account, to=sales_a, by=ops_manager)
    second = account_hand_over(account=account, to=sales_b, by=ops_manager)

    first.refresh_from_db()
    assert first.ended_at == second.started_at
    assert account_current_holder(account) == sales_b
    assert list(AccountHolding.objects.filter(account=account).values_list("holder__username", flat=True)) == [
        "sales_b",
        "sales_a",
    ]
    assert AuditEvent.objects.filter(action="account.hand_over", target_id=str(account.pk)).count() == 2


@pytest.mark.django_db
def test_one_account_cannot_have_two_open_holdings(sales_a, sales_b):
    account = AccountFactory(code="main-y")
    AccountHolding.objects.create(account=account, holder=sales_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountHolding.objects.create(account=account, holder=sales_b)
