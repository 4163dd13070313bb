"""The salesperson's pages: who may open them, what they write, how they refuse bad input."""

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AuditEvent
from inquiries import services
from inquiries.models import FollowUp, FormSubmission, InquiryState, Order, Quality, QualityVerdict, RfqQuote, Source
from inquiries.selectors import company_month_start
from tests.factories import AccountFactory, InquiryFactory

ROLES = ["boss", "ops_manager", "ops", "sales_a", "sales_b", None]


def allocated(salesperson, by, **fields):
    """An inquiry allocated to `salesperson` the way operations do it, with its reply deadline."""
    inquiry = InquiryFactory(**fields)
    services.inquiry_allocate(inquiry=inquiry, salesperson=salesperson, by=by)
    inquiry.refresh_from_db()
    return inquiry


def local_input(value: dt.datetime) -> str:
    """What a datetime-local field sends: the company's wall-clock time, to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def token() -> str:
    return str(uuid.uuid4())


def in_english(client):
    """The same client, reading the pages in English (the language switch's cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def in_chinese(message: str) -> str:
    """What the Chinese page shows for an English message id: its translation in the catalogue."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


@pytest.fixture
def world(cast):
    """Sales A's inquiry with an order, an RFQ inquiry and a quote; nothing of Sales B's."""
    a, manager = cast["sales_a"], cast["ops_manager"]
    inquiry = allocated(a, manager, received_at=timezone.now() - dt.timedelta(days=3))
    order = services.order_record(
        by=a, inquiry=inquiry, salesperson=a, won_at=timezone.now() - dt.timedelta(days=1), amount_usd=Decimal("900")
    )
    rfq_inquiry = allocated(a, manager, source=Source.RFQ)
    quote = services.rfq_quote_log(salesperson=a, rfq_id="RFQ-1", quoted_at=timezone.now() - dt.timedelta(days=2))
    open_inquiry = allocated(a, manager)
    return {"inquiry": inquiry, "order": order, "rfq_inquiry": rfq_inquiry, "quote": quote, "open": open_inquiry}


def _status_for(role, *, owner_only: bool, ok: int = 200) -> int:
    if role is None:
        return 302
    if role in ("boss", "ops_manager", "ops"):
        return 403
    if owner_only and role == "sales_b":
        return 404
    return ok


# ---------------------------------------------------------------------------------------------
# Who may open what


GET_PAGES = [
    ("mine", lambda w: reverse("inquiries:mine"), False),
    ("rfq", lambda w: reverse("inquiries:rfq_quotes"), False),
    ("followup", lambda w: reverse("inquiries:followup_create", args=[w["open"].pk]), True),
    ("flag", lambda w: reverse("inquiries:flag", args=[w["open"].pk]), True),
    ("order", lambda w: reverse("inquiries:order_create", args=[w["open"].pk]), True),
    ("lost", lambda w: reverse("inquiries:mark_lost", args=[w["open"].pk]), True),
    ("order_edit", lambda w: reverse("inquiries:order_edit", args=[w["order"].pk]), True),
    ("order_cancel", lambda w: reverse("inquiries:order_cancel", args=[w["order"].pk]), True),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "url", "owner_only"), GET_PAGES, ids=[p[0] for p in GET_PAGES])
def test_only_the_owning_salesperson_opens_the_workspace_pages(world, cast, client_for, role, page, url, owner_only):
    response = client_for(cast.get(role)).get(url(world))
    assert response.status_code == _status_for(role, owner_only=owner_only)
    if role is None:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_linking_an_rfq_inquiry_answers_get_with_method_not_allowed_for_its_owner(world, cast, client_for, role):
    response = client_for(cast.get(role)).get(reverse("inquiries:rfq_link", args=[world["rfq_inquiry"].pk]))
    assert response.status_code == {None: 302, "boss": 403, "ops_manager": 403, "ops": 403}.get(role, 405)


def _post_cases(w):
    now = timezone.now()
    return {
        "followup": (
            reverse("inquiries:followup_create", args=[w["open"].pk]),
            {"kind": "reply", "happened_at": local_input(now), "submission": token()},
            lambda: FollowUp.objects.filter(inquiry=w["open"]).count(),
        ),
        "flag": (
            reverse("inquiries:flag", args=[w["open"].pk]),
            {"reason": "spam", "note": "", "submission": token()},
            lambda: QualityVerdict.objects.filter(inquiry=w["open"]).count(),
        ),
        "order": (
            reverse("inquiries:order_create", args=[w["open"].pk]),
            {"won_at": local_input(now), "amount_usd": "1200.00", "trade_assurance": "on", "submission": token()},
            lambda: Order.objects.filter(inquiry=w["open"]).count(),
        ),
        "lost": (
            reverse("inquiries:mark_lost", args=[w["open"].pk]),
            {"reason": "Price too high", "submission": token()},
            lambda: int(type(w["open"]).objects.get(pk=w["open"].pk).lost_at is not None),
        ),
        "order_edit": (
            reverse("inquiries:order_edit", args=[w["order"].pk]),
            {"won_at": local_input(w["order"].won_at), "amount_usd": "950.00"},
            lambda: int(Order.objects.get(pk=w["order"].pk).amount_usd == Decimal("950.00")),
        ),
        "order_cancel": (
            reverse("inquiries:order_cancel", args=[w["order"].pk]),
            {"reason": "Buyer cancelled", "submission": token()},
            lambda: int(Order.objects.get(pk=w["order"].pk).cancelled_at is not None),
        ),
        "rfq_link": (
            reverse("inquiries:rfq_link", args=[w["rfq_inquiry"].pk]),
            {"quote": w["quote"].pk},
            lambda: int(type(w["rfq_inquiry"]).objects.get(pk=w["rfq_inquiry"].pk).rfq_quote_id is not None),
        ),
        "rfq": (
            reverse("inquiries:rfq_quotes"),
            {"rfq_id": "RFQ-NEW", "quoted_at": local_input(now), "submission": token()},
            lambda: RfqQuote.objects.filter(rfq_id="RFQ-NEW").count(),
        ),
    }


POST_NAMES = ["followup", "flag", "order", "lost", "order_edit", "order_cancel", "rfq_link", "rfq"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", POST_NAMES)
def test_only_the_owning_salesperson_writes_through_the_workspace(world, cast, client_for, role, name):
    url, data, written = _post_cases(world)[name]
    before = written()

    response = client_for(cast.get(role)).post(url, data)

    owner_only = name != "rfq"
    assert response.status_code == _status_for(role, owner_only=owner_only, ok=302)
    if role == "sales_a" or (role == "sales_b" and not owner_only):
        assert written() == before + 1
    else:
        assert written() == before


@pytest.mark.django_db
def test_a_salesperson_cannot_link_an_inquiry_to_another_salespersons_quote(world, cast, client_for):
    theirs = services.rfq_quote_log(salesperson=cast["sales_b"], rfq_id="RFQ-B")
    client = in_english(client_for(cast["sales_a"]))

    response = client.post(reverse("inquiries:rfq_link", args=[world["rfq_inquiry"].pk]), {"quote": theirs.pk})

    assert response.status_code == 302
    world["rfq_inquiry"].refresh_from_db()
    assert world["rfq_inquiry"].rfq_quote is None
    assert "Choose one of your own RFQ quotes." in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_the_salespersons_home_is_my_inquiries_and_the_others_keep_theirs(cast, client_for):
    response = client_for(cast["sales_a"]).get("/")
    assert (response.status_code, response["Location"]) == (302, reverse("inquiries:mine"))
    assert client_for(cast["ops"]).get("/").status_code == 200


@pytest.mark.django_db
def test_only_the_owner_sees_the_action_forms_on_the_inquiry_page(world, cast, client_for):
    url = world["open"].get_absolute_url()
    followup_action = reverse("inquiries:followup_create", args=[world["open"].pk])
    assert followup_action in client_for(cast["sales_a"]).get(url).content.decode()
    for role in ("boss", "ops_manager", "ops"):
        page = client_for(cast[role]).get(url)
        assert page.status_code == 200
        assert followup_action not in page.content.decode()
        assert reverse("inquiries:order_create", args=[world["open"].pk]) not in page.content.decode()
    assert client_for(cast["sales_b"]).get(url).status_code == 404


@pytest.mark.django_db
def test_the_header_counts_what_the_salesperson_must_act_on_and_turns_red_when_something_is_late(cast, client_for):
    a = cast["sales_a"]
    InquiryFactory(owner=a, reply_due_at=timezone.now() + dt.timedelta(hours=3))
    client = in_english(client_for(a))

    calm = client.get(reverse("inquiries:rfq_quotes")).content.decode()
    InquiryFactory(owner=a, reply_due_at=timezone.now() - dt.timedelta(hours=3))
    late = client.get(reverse("inquiries:rfq_quotes")).content.decode()

    assert re.search(r'My inquiries <span class="badge">1</span>', calm)
    assert re.search(r'My inquiries <span class="badge alert">2</span>', late)
    assert "badge" not in client_for(cast["ops"]).get("/").content.decode().split("</nav>")[0]


@pytest.mark.django_db
def test_my_inquiries_shows_time_left_and_marks_the_late_ones(cast, client_for):
    a = cast["sales_a"]
    late = InquiryFactory(owner=a, subject="Late one", reply_due_at=timezone.now() - dt.timedelta(hours=3, minutes=1))
    InquiryFactory(owner=a, subject="Calm one", reply_due_at=timezone.now() + dt.timedelta(hours=20, seconds=30))
    InquiryFactory(owner=cast["sales_b"], subject="Not mine")

    html = in_english(client_for(a)).get(reverse("inquiries:mine")).content.decode()

    rows = re.findall(r'<li class="inq-row( is-late)?">.*?</li>', html, flags=re.S)
    assert len(rows) == 2 and rows[0] == " is-late"
    assert late.get_absolute_url() in html and "Not mine" not in html
    assert '<span class="due due-late"' in html and "Overdue by 3\xa0hours" in html
    assert "20\xa0hours left" in html


@pytest.mark.django_db
def test_a_won_inquiry_offers_no_flag_and_no_lost_mark_but_its_orders_to_edit(world, cast, client_for):
    inquiry, order = world["inquiry"], world["order"]
    html = client_for(cast["sales_a"]).get(inquiry.get_absolute_url()).content.decode()

    assert reverse("inquiries:flag", args=[inquiry.pk]) not in html
    assert reverse("inquiries:mark_lost", args=[inquiry.pk]) not in html
    assert reverse("inquiries:order_create", args=[inquiry.pk]) in html
    assert reverse("inquiries:order_edit", args=[order.pk]) in html
    assert "US$900.00" in html


# ---------------------------------------------------------------------------------------------
# Follow-ups


@pytest.mark.django_db
def test_the_follow_up_time_starts_at_now_in_the_company_time_zone(world, cast, client_for, settings):
    page = client_for(cast["sales_a"]).get(reverse("inquiries:followup_create", args=[world["open"].pk]))

    shown = re.search(r'name="happened_at" value="([^"]+)"', page.content.decode()).group(1)
    expected = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    parsed = dt.datetime.strptime(shown, "%Y-%m-%dT%H:%M").replace(tzinfo=expected.tzinfo)
    assert abs(parsed - expected) < dt.timedelta(minutes=2)
    assert settings.TIME_ZONE in page.content.decode()


@pytest.mark.django_db
def test_logging_the_first_reply_sets_the_first_reply_time_and_leaves_the_to_reply_list(world, cast, client_for):
    inquiry = world["open"]
    replied_at = (timezone.now() - dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    client = client_for(cast["sales_a"])

    response = client.post(
        reverse("inquiries:followup_create", args=[inquiry.pk]),
        {"kind": "reply", "happened_at": local_input(replied_at), "note": "Sent price list",
         "next_action_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(), "submission": token()},
    )  # fmt: skip

    assert response.status_code == 302 and response["Location"] == inquiry.get_absolute_url()
    inquiry.refresh_from_db()
    assert (inquiry.first_reply_at, inquiry.state) == (replied_at, InquiryState.REPLIED)
    followup = inquiry.followups.get()
    assert (followup.author, followup.note) == (cast["sales_a"], "Sent price list")
    assert inquiry.pk not in [i.pk for i in client.get(reverse("inquiries:mine")).context["page"].object_list]


@pytest.mark.django_db
def test_submitting_the_same_follow_up_twice_records_it_once(world, cast, client_for):
    client = in_english(client_for(cast["sales_a"]))
    url = reverse("inquiries:followup_create", args=[world["open"].pk])
    data = {"kind": "call", "happened_at": local_input(timezone.now()), "submission": token()}

    first = client.post(url, data)
    second = client.post(url, data, follow=True)

    assert first.status_code == 302 and second.status_code == 200
    assert FollowUp.objects.filter(inquiry=world["open"]).count() == 1
    assert FormSubmission.objects.filter(user=cast["sales_a"]).count() == 1
    assert "This was already saved; it was not recorded a second time." in second.content.decode()


@pytest.mark.django_db
def test_a_refused_form_keeps_its_token_so_the_corrected_submit_is_recorded(world, cast, client_for):
    client = client_for(cast["sales_a"])
    url = reverse("inquiries:followup_create", args=[world["open"].pk])
    data = {"kind": "reply", "happened_at": local_input(timezone.now() + dt.timedelta(hours=2)), "submission": token()}

    assert client.post(url, data).status_code == 200
    data["happened_at"] = local_input(timezone.now())
    assert client.post(url, data).status_code == 302
    assert FollowUp.objects.filter(inquiry=world["open"]).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("happened_at", "future", "A follow-up cannot be in the future."),
        ("happened_at", "before", "A follow-up cannot be before the inquiry arrived."),
        ("happened_at", "", "Enter when it happened."),
        ("happened_at", "nonsense", "Enter a valid date and time."),
        ("next_action_on", "yesterday", "The next follow-up cannot be in the past."),
        ("kind", "", "Choose what you did."),
        ("submission", "", "This form is out of date. Please reload the page and try again."),
    ],
)
def test_a_wrong_follow_up_is_refused_with_a_message_in_chinese_and_english(
    world, cast, client_for, field, value, message
):
    inquiry = world["open"]
    values = {
        "future": local_input(timezone.now() + dt.timedelta(hours=1)),
        "before": local_input(inquiry.received_at - dt.timedelta(hours=1)),
        "yesterday": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
    }
    data = {"kind": "reply", "happened_at": local_input(timezone.now()), "submission": token()}
    data[field] = values.get(value, value)
    client = client_for(cast["sales_a"])
    url = reverse("inquiries:followup_create", args=[inquiry.pk])

    chinese = client.post(url, data)
    english = in_english(client).post(url, data)

    assert chinese.status_code == english.status_code == 200
    assert in_chinese(message) in chinese.content.decode()
    assert message in english.content.decode()
    assert english.context["form"].errors[field] == [message]
    assert FollowUp.objects.filter(inquiry=inquiry).count() == 0


# ---------------------------------------------------------------------------------------------
# Quality flags


@pytest.mark.django_db
def test_a_flag_shows_the_inquiry_as_disputed_and_cannot_be_sent_twice(world, cast, client_for):
    client = in_english(client_for(cast["sales_a"]))
    url = reverse("inquiries:flag", args=[world["open"].pk])

    response = client.post(url, {"reason": "wrong_customer", "note": "A student", "submission": token()})

    assert response.status_code == 302
    world["open"].refresh_from_db()
    assert (world["open"].state, world["open"].quality) == (InquiryState.DISPUTED, Quality.INVALID)
    verdict = QualityVerdict.objects.get(inquiry=world["open"])
    assert (verdict.side, verdict.reason, verdict.decided_by) == ("sales", "wrong_customer", cast["sales_a"])
    page = client.get(world["open"].get_absolute_url()).content.decode()
    assert "waiting for operations to review" in page
    assert reverse("inquiries:flag", args=[world["open"].pk]) not in page
    again = client.post(url, {"reason": "spam", "submission": token()})
    assert again.status_code == 200
    assert "This inquiry is already waiting for operations to review your flag." in again.content.decode()
    assert QualityVerdict.objects.filter(inquiry=world["open"]).count() == 1


@pytest.mark.django_db
def test_a_flag_for_another_reason_needs_a_note(world, cast, client_for):
    response = client_for(cast["sales_a"]).post(
        reverse("inquiries:flag", args=[world["open"].pk]), {"reason": "other", "note": " ", "submission": token()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert not QualityVerdict.objects.exists()


# ---------------------------------------------------------------------------------------------
# Orders and lost inquiries


@pytest.mark.django_db
def test_a_trade_assurance_order_is_recorded_with_its_original_currency(world, cast, client_for):
    won = (timezone.now() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    response = client_for(cast["sales_a"]).post(
        reverse("inquiries:order_create", args=[world["open"].pk]),
        {"won_at": local_input(won), "amount_usd": "12500.50", "trade_assurance": "on",
         "original_currency": "eur", "original_amount": "11500", "note": "40HQ", "submission": token()},
    )  # fmt: skip

    assert response.status_code == 302
    order = Order.objects.get(inquiry=world["open"])
    assert (order.won_at, order.amount_usd, order.trade_assurance) == (won, Decimal("12500.50"), True)
    assert (order.original_currency, order.original_amount) == ("EUR", Decimal("11500.00"))
    assert (order.salesperson, order.account) == (cast["sales_a"], world["open"].account)
    world["open"].refresh_from_db()
    assert world["open"].state == InquiryState.WON


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount_usd": "-5"}, "amount_usd", "The amount cannot be negative."),
        ({"amount_usd": "abc"}, "amount_usd", "Enter the amount as a number, for example 12500.00."),
        ({"amount_usd": ""}, "amount_usd", "Enter the order amount in US dollars."),
        ({"amount_usd": "1.234"}, "amount_usd", "Use at most two decimal places."),
        ({"won_at": "future"}, "won_at", "An order cannot be won in the future."),
        ({"won_at": "before"}, "won_at", "An order cannot be won before its inquiry arrived."),
        ({"original_currency": "EUR"}, "original_amount",
         "Give both the original currency and the original amount, or neither."),
        ({"original_amount": "5"}, "original_currency",
         "Give both the original currency and the original amount, or neither."),
        ({"original_currency": "XYZ", "original_amount": "5"}, "original_currency",
         "Enter a three-letter currency code such as EUR or CNY."),
        ({"original_currency": "EUR", "original_amount": "-1"}, "original_amount", "The amount cannot be negative."),
    ],
)  # fmt: skip
def test_a_wrong_order_is_refused_with_a_clear_message(world, cast, client_for, changes, field, message):
    inquiry = world["open"]
    special = {
        "future": local_input(timezone.now() + dt.timedelta(days=1)),
        "before": local_input(inquiry.received_at - dt.timedelta(days=1)),
    }
    data = {"won_at": local_input(timezone.now()), "amount_usd": "100", "submission": token()}
    data.update({k: special.get(v, v) for k, v in changes.items()})

    client = client_for(cast["sales_a"])
    chinese = client.post(reverse("inquiries:order_create", args=[inquiry.pk]), data)
    response = in_english(client).post(reverse("inquiries:order_create", args=[inquiry.pk]), data)

    assert chinese.status_code == response.status_code == 200
    assert in_chinese(message) in chinese.content.decode()
    assert response.context["form"].errors[field] == [message]
    assert not Order.objects.filter(inquiry=inquiry).exists()


@pytest.mark.django_db
def test_editing_an_order_changes_its_terms_and_keeps_the_old_ones_in_the_audit_trail(world, cast, client_for):
    order = world["order"]
    response = client_for(cast["sales_a"]).post(
        reverse("inquiries:order_edit", args=[order.pk]),
        {"won_at": local_input(order.won_at), "amount_usd": "1500.00", "trade_assurance": "on"},
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.amount_usd, order.trade_assurance) == (Decimal("1500.00"), True)
    event = AuditEvent.objects.get(action="order.update", target_id=str(order.pk))
    assert event.changes["amount_usd"] == ["900.00", "1500.00"]
    assert event.actor == cast["sales_a"]


@pytest.mark.django_db
def test_cancelling_an_order_takes_the_inquiry_back_from_won_and_a_cancelled_order_cannot_be_edited(
    world, cast, client_for
):
    order, client = world["order"], client_for(cast["sales_a"])
    world["inquiry"].refresh_from_db()
    assert world["inquiry"].state == InquiryState.WON

    response = client.post(
        reverse("inquiries:order_cancel", args=[order.pk]), {"reason": "Buyer cancelled", "submission": token()}
    )

    assert response.status_code == 302
    order.refresh_from_db()
    world["inquiry"].refresh_from_db()
    assert order.cancel_reason == "Buyer cancelled" and order.cancelled_at is not None
    assert world["inquiry"].state == InquiryState.NEW
    edit = client.post(reverse("inquiries:order_edit", args=[order.pk]), {"amount_usd": "1", "won_at": "x"})
    assert edit.status_code == 302
    order.refresh_from_db()
    assert order.amount_usd == Decimal("900.00")


@pytest.mark.django_db
def test_marking_an_inquiry_lost_needs_a_reason_and_is_refused_while_it_has_an_order(world, cast, client_for):
    client = in_english(client_for(cast["sales_a"]))
    blank = client.post(reverse("inquiries:mark_lost", args=[world["open"].pk]), {"reason": "", "submission": token()})
    assert blank.status_code == 200 and "Say why the inquiry was lost." in blank.content.decode()

    won = client.post(
        reverse("inquiries:mark_lost", args=[world["inquiry"].pk]), {"reason": "Too far", "submission": token()}
    )
    assert won.status_code == 200
    assert "This inquiry has an order: cancel the order before marking it lost." in won.content.decode()

    done = client.post(
        reverse("inquiries:mark_lost", args=[world["open"].pk]), {"reason": "Price too high", "submission": token()}
    )
    assert done.status_code == 302
    world["open"].refresh_from_db()
    assert (world["open"].state, world["open"].lost_reason) == (InquiryState.LOST, "Price too high")


# ---------------------------------------------------------------------------------------------
# RFQ quotes


@pytest.mark.django_db
def test_the_rfq_page_counts_this_months_quotes_in_the_company_time_zone(cast, client_for):
    a = cast["sales_a"]
    month_start = company_month_start()
    services.rfq_quote_log(salesperson=a, rfq_id="LAST-MONTH", quoted_at=month_start - dt.timedelta(minutes=1))
    services.rfq_quote_log(salesperson=a, rfq_id="THIS-MONTH", quoted_at=month_start + dt.timedelta(minutes=1))
    services.rfq_quote_log(salesperson=cast["sales_b"], rfq_id="THEIRS")

    response = client_for(a).get(reverse("inquiries:rfq_quotes"))

    assert response.context["usage"]["used"] == 1
    html = re.sub(r"\s+", " ", response.content.decode())
    assert '<span class="quota-used">1</span> / 20' in html
    assert "THEIRS" not in html and "LAST-MONTH" in html


@pytest.mark.django_db
def test_logging_an_rfq_quote_twice_is_refused_with_a_message(cast, client_for):
    client = client_for(cast["sales_a"])
    url = reverse("inquiries:rfq_quotes")
    assert client.post(url, {"rfq_id": " R-9 ", "quoted_at": local_input(timezone.now()), "submission": token()})[
        "Location"
    ] == (url)
    again = client.post(url, {"rfq_id": "R-9", "quoted_at": local_input(timezone.now()), "submission": token()})
    assert again.status_code == 200
    assert again.context["form"].errors["rfq_id"]
    assert list(RfqQuote.objects.values_list("rfq_id", flat=True)) == ["R-9"]


@pytest.mark.django_db
def test_the_rfq_page_shows_each_quotes_inquiries_and_links_an_unlinked_one(world, cast, client_for):
    client = client_for(cast["sales_a"])
    page = client.get(reverse("inquiries:rfq_quotes"))
    assert [i.pk for i in page.context["unlinked"]] == [world["rfq_inquiry"].pk]

    response = client.post(
        reverse("inquiries:rfq_link", args=[world["rfq_inquiry"].pk]), {"quote": world["quote"].pk, "back": "rfq"}
    )

    assert response["Location"] == reverse("inquiries:rfq_quotes")
    page = client.get(reverse("inquiries:rfq_quotes"))
    assert page.context["unlinked"] == []
    (quote,) = page.context["page"].object_list
    assert [i.pk for i in quote.my_inquiries] == [world["rfq_inquiry"].pk]


@pytest.mark.django_db
def test_the_account_of_a_quote_defaults_to_the_one_the_salesperson_holds(cast, client_for):
    from accounts.models import AccountHolding

    sub = AccountFactory(code="cn-sub-a")
    AccountFactory(code="cn-other")
    AccountHolding.objects.create(account=sub, holder=cast["sales_a"])

    form = client_for(cast["sales_a"]).get(reverse("inquiries:rfq_quotes")).context["form"]

    assert form.initial["account"] == sub
    assert list(form.fields["account"].queryset) == [sub]


# ---------------------------------------------------------------------------------------------
# Query counts


def _page_of(client, url, count_queries, n):
    with count_queries(n):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("tab", ["new", "today", "overdue", "all"])
def test_my_inquiries_reads_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, rows, tab):
    a = cast["sales_a"]
    today = timezone.localdate()
    for n in range(rows):
        inquiry = InquiryFactory(owner=a, reply_due_at=timezone.now() - dt.timedelta(hours=n % 3))
        due = {"today": today, "overdue": today - dt.timedelta(days=1)}.get(tab)
        if due:
            services.followup_log(inquiry=inquiry, author=a, kind="note", next_action_on=due)
    client = client_for(a)
    # session, user, badge counts (one query, also the page count), notifications, page rows, pool warnings
    response = _page_of(client, f"{reverse('inquiries:mine')}?tab={tab}", django_assert_num_queries, 6)
    assert len(response.context["page"].object_list) == min(rows, 25)
    assert response.context["page"].paginator.count == rows


@pytest.mark.django_db
def test_my_inquiries_pages_through_a_tab_in_its_order(cast, client_for):
    a = cast["sales_a"]
    now = timezone.now()
    made = [InquiryFactory(owner=a, reply_due_at=now - dt.timedelta(hours=n)) for n in range(30)]
    InquiryFactory(owner=cast["sales_b"], reply_due_at=now)  # another's: counted nowhere
    client = client_for(a)
    first = client.get(f"{reverse('inquiries:mine')}?tab=new")
    second = client.get(f"{reverse('inquiries:mine')}?tab=new&page=2")
    beyond = client.get(f"{reverse('inquiries:mine')}?tab=new&page=9")
    most_urgent_first = [i.pk for i in reversed(made)]  # the earliest reply deadline first
    assert [i.pk for i in first.context["page"].object_list] == most_urgent_first[:25]
    assert [i.pk for i in second.context["page"].object_list] == most_urgent_first[25:]
    assert [i.pk for i in beyond.context["page"].object_list] == most_urgent_first[25:]
    assert second.context["page"].paginator.num_pages == 2
    assert {t["key"]: t["count"] for t in first.context["tabs"]}["new"] == 30


@pytest.mark.django_db
@pytest.mark.parametrize("entries", [1, 50])
def test_the_inquiry_page_reads_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, entries):
    a = cast["sales_a"]
    inquiry = allocated(a, cast["ops_manager"], received_at=timezone.now() - dt.timedelta(days=10))
    for n in range(entries - 1):
        at = timezone.now() - dt.timedelta(hours=n)
        services.followup_log(inquiry=inquiry, author=a, kind="email", note=f"mail {n}", happened_at=at)
    client = client_for(a)
    # session, user, badge counts, notifications, inquiry, 5 timeline reads (the last: audited changes)
    response = _page_of(client, inquiry.get_absolute_url(), django_assert_num_queries, 10)
    assert len([e for e in response.context["timeline"] if e["kind"] in ("allocation", "followup")]) == entries


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_the_rfq_page_reads_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, rows):
    a = cast["sales_a"]
    for n in range(rows):
        quote = services.rfq_quote_log(salesperson=a, rfq_id=f"R{n}")
        InquiryFactory(owner=a, source=Source.RFQ, rfq_quote=quote)
        InquiryFactory(owner=a, source=Source.RFQ)
    client = client_for(a)
    # session, user, badges, notifications, held accounts, the account choices, usage, unlinked,
    # my quotes (for the link selects), quotes count, quotes page, their inquiries
    response = _page_of(client, reverse("inquiries:rfq_quotes"), django_assert_num_queries, 12)
    assert len(response.context["page"].object_list) == min(rows, 25)
