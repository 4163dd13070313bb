"""factory_boy factories for the object graphs tests need."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Account, AccountKind, User
from inquiries.models import Inquiry, Source


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    role = "sales"
    password = factory.django.Password("correct-horse-battery-9")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cn{n:04d}")
    name = factory.LazyAttribute(lambda o: f"Store {o.code}")
    kind = AccountKind.MAIN
    parent = None


class SubAccountFactory(AccountFactory):
    kind = AccountKind.SUB
    parent = factory.SubFactory(AccountFactory)


class InquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inquiry

    account = factory.SubFactory(AccountFactory)
    external_id = factory.Sequence(lambda n: f"INQ{n:07d}")
    received_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))
    source = Source.INQUIRY
    buyer_name = factory.Faker("name")
    buyer_company = factory.Faker("company")
    buyer_email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    country = "US"
    product = "LED panel light"
    quantity = "500 pcs"
    subject = factory.LazyAttribute(lambda o: f"Inquiry about {o.product}")
    message = "Please send your best price and MOQ."


def usd(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
