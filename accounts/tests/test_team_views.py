"""The operations manager's team, account and settings pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Account, AuditEvent, CompanySettings, User
from inquiries.models import Inquiry
from tests.factories import AccountFactory, InquiryFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["boss", "ops_manager", "ops", "sales_a", "sales_b", None]


def expected_status(role, ok=200):
    return {None: 302, "ops_manager": ok}.get(role, 403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url",
    [
        "/team/",
        "/team/people/new/",
        "/team/accounts/",
        "/team/accounts/new/",
        "/team/settings/",
    ],
)
def test_team_pages_are_for_the_operations_manager(cast, client_for, role, url):
    assert client_for(cast.get(role)).get(url).status_code == expected_status(role)


@pytest.mark.parametrize("role", ROLES)
def test_a_members_and_an_accounts_own_pages_are_for_the_operations_manager(cast, client_for, role):
    account = AccountFactory()
    client = client_for(cast.get(role))
    assert client.get(reverse("accounts:member_edit", args=[cast["sales_a"].pk])).status_code == expected_status(role)
    assert client.get(reverse("accounts:account_detail", args=[account.pk])).status_code == expected_status(role)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_operations_manager_switches_someone_to_away(cast, client_for, role):
    url = reverse("accounts:member_away", args=[cast["sales_a"].pk])
    response = client_for(cast.get(role)).post(url, {"away": "1"})
    assert response.status_code == expected_status(role, ok=302)
    cast["sales_a"].refresh_from_db()
    assert cast["sales_a"].is_away == (role == "ops_manager")


def test_the_team_page_shows_away_quota_and_open_inquiries(cast, client_for):
    from inquiries import services as inquiry_services

    for _ in range(2):
        inquiry_services.inquiry_allocate(inquiry=InquiryFactory(), salesperson=cast["sales_a"], by=None)
    response = client_for(cast["ops_manager"]).get("/team/")
    people = {p.username: p for p in response.context["people"]}
    assert (people["sales_a"].open_inquiries, people["sales_a"].rfq_used, people["sales_a"].rfq_quota) == (2, 0, 20)
    assert [p.role for p in response.context["people"]][:2] == ["sales", "sales"]


def test_the_operations_manager_adds_a_salesperson_and_it_is_audited(cast, client_for):
    response = client_for(cast["ops_manager"]).post(
        "/team/people/new/",
        {
            "username": "wang",
            "display_name": "王芳",
            "email": "wang@example.com",
            "role": "sales",
            "rfq_quota": "25",
            "password1": "long-enough-pass-42",
            "password2": "long-enough-pass-42",
        },
    )
    assert response.status_code == 302
    wang = User.objects.get(username="wang")
    assert (wang.role, wang.display_name, wang.rfq_quota, wang.check_password("long-enough-pass-42")) == (
        "sales",
        "王芳",
        25,
        True,
    )
    event = AuditEvent.objects.get(action="team.create")
    assert (event.actor, event.changes["username"]) == (cast["ops_manager"], "wang")


def test_a_weak_password_or_a_taken_username_is_refused_with_a_message(cast, client_for):
    client = client_for(cast["ops_manager"])
    base = {"display_name": "x", "role": "sales", "password1": "", "password2": ""}
    weak = client.post("/team/people/new/", {**base, "username": "new1", "password1": "12345", "password2": "12345"})
    assert weak.status_code == 200
    assert weak.context["form"].errors["password1"]
    taken = client.post(
        "/team/people/new/",
        {**base, "username": "SALES_A", "password1": "long-enough-pass-42", "password2": "long-enough-pass-42"},
    )
    assert taken.context["form"].errors["username"]
    assert not User.objects.filter(username="new1").exists()


def test_editing_a_salesperson_records_old_and_new_values(cast, client_for):
    response = client_for(cast["ops_manager"]).post(
        reverse("accounts:member_edit", args=[cast["sales_a"].pk]),
        {"display_name": "业务A", "email": "", "role": "sales", "rfq_quota": "30", "is_active": "on", "is_away": "on"},
    )
    assert response.status_code == 302
    cast["sales_a"].refresh_from_db()
    assert (cast["sales_a"].rfq_quota, cast["sales_a"].is_away) == (30, True)
    event = AuditEvent.objects.get(action="team.update")
    assert event.changes == {"rfq_quota": [20, 30], "is_away": [False, True]}


def test_the_operations_manager_cannot_lock_themselves_out(cast, client_for):
    me = cast["ops_manager"]
    response = client_for(me).post(
        reverse("accounts:member_edit", args=[me.pk]), {"display_name": "x", "role": "ops_manager", "is_active": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    me.refresh_from_db()
    assert me.is_active


def test_accounts_list_main_accounts_with_their_subs_and_holders(cast, client_for):
    main = AccountFactory(code="cnmain")
    sub = SubAccountFactory(code="cnmain-01", parent=main)
    AccountFactory(code="cnother")
    services.account_hand_over(account=sub, to=cast["sales_b"], by=cast["ops_manager"])
    InquiryFactory.create_batch(2, account=sub)
    response = client_for(cast["ops_manager"]).get("/team/accounts/")
    groups = response.context["groups"]
    assert [(g["main"].code, [s.code for s in g["subs"]]) for g in groups] == [
        ("cnmain", ["cnmain-01"]),
        ("cnother", []),
    ]
    assert (groups[0]["subs"][0].holder, groups[0]["subs"][0].inquiries_this_month) == (cast["sales_b"], 2)


def test_adding_a_sub_account_needs_its_main_account(cast, client_for):
    client = client_for(cast["ops_manager"])
    response = client.post("/team/accounts/new/", {"code": "cnsub", "kind": "sub"})
    assert response.status_code == 200
    assert response.context["form"].errors["parent"]
    main = AccountFactory(code="cnmain")
    response = client.post("/team/accounts/new/", {"code": "cnsub", "kind": "sub", "parent": main.pk, "name": "子1"})
    assert response.status_code == 302
    sub = Account.objects.get(code="cnsub")
    assert (sub.kind, sub.parent, sub.name) == ("sub", main, "子1")
    assert AuditEvent.objects.get(action="account.create").actor == cast["ops_manager"]


def test_company_settings_are_edited_and_audited(cast, client_for):
    client = client_for(cast["ops_manager"])
    response = client.post(
        "/team/settings/",
        {"name": "深圳光明", "reply_deadline_hours": "12", "attribution_window_days": "30", "sales_sla_hours": "24"},
    )
    assert response.status_code == 302
    current = CompanySettings.load()
    assert (current.name, current.reply_deadline_hours) == ("深圳光明", 12)
    event = AuditEvent.objects.get(action="settings.update")
    assert event.changes == {"name": ["", "深圳光明"], "reply_deadline_hours": [24, 12]}
    bad = client.post(
        "/team/settings/",
        {"name": "x", "reply_deadline_hours": "0", "attribution_window_days": "30", "sales_sla_hours": "24"},
    )
    assert bad.status_code == 200
    assert bad.context["form"].errors["reply_deadline_hours"]
    assert CompanySettings.load().reply_deadline_hours == 12


# session, user, header badges, unread notifications, and three of the page's own:
# people, open inquiries, RFQ quotes / accounts, current holders, this month's inquiries.
@pytest.mark.parametrize(("url", "expected"), [("/team/", 7), ("/team/accounts/", 7)])
def test_team_pages_cost_the_same_queries_for_one_or_fifty_rows(cast, client_for, url, expected):
    client = client_for(cast["ops_manager"])

    def add(n):
        for _ in range(n):
            UserFactory(role="sales")
            sub = SubAccountFactory()
            services.account_hand_over(account=sub, to=cast["sales_a"], by=None)
            Inquiry.objects.create(account=sub, external_id=f"X{sub.pk}", received_at=timezone.now())

    counts = []
    for n in (1, 49):
        add(n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts == [expected, expected]


@pytest.mark.parametrize("role", ROLES)
def test_only_the_operations_manager_can_post_to_the_team_pages(cast, client_for, role):
    account = AccountFactory()
    client = client_for(cast.get(role))
    urls = [
        "/team/people/new/",
        reverse("accounts:member_edit", args=[cast["sales_b"].pk]),
        "/team/accounts/new/",
        reverse("accounts:account_detail", args=[account.pk]),
        "/team/settings/",
    ]
    for url in urls:
        # An empty form: the manager gets it back with errors; anyone else is refused first.
        assert client.post(url, {}).status_code == expected_status(role), url
    assert AuditEvent.objects.count() == 0
