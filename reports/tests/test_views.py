"""/reports/YYYY-MM.json: the §7 object for boss and operations, 404 for salespeople, 400 for bad input."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import CompanySettings
from reports.models import MonthlyReport
from tests.factories import AccountFactory

from .builders import at, cohort
from .test_selectors import JIT_OFF_QUERIES

URL = "/reports/2025-05.json"


@pytest.fixture
def may(db, sales_a):
    shop = AccountFactory(code="shop")
    cohort(account=shop, start=at(2025, 4, 3), inquiries=300, valid=270, replied=260, won=7, revenue=56000,
           owner=sales_a)  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 3), inquiries=500, valid=430, replied=300, won=2, revenue=9000,
           owner=sales_a)  # fmt: skip
    return shop


def test_the_url_is_named_month_json():
    assert reverse("reports:month_json", args=["2025-05"]) == URL


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [("boss", 200), ("ops_manager", 200), ("ops", 200), ("sales_a", 404), ("sales_b", 404), (None, 302)],
)
def test_boss_and_operations_read_the_report_salespeople_get_404(cast, client_for, role, status):
    response = client_for(cast.get(role)).get(URL)

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")
    if status == 200:
        assert response.json()["month"] == "2025-05"


@pytest.mark.django_db
def test_the_json_is_the_worked_example_and_the_same_as_the_commands(cast, client_for, may):
    payload = client_for(cast["boss"]).get(URL).json()
    out = StringIO()
    call_command("attribution_report", "--month", "2025-05", "--format", "json", stdout=out)

    command = json.loads(out.getvalue())
    # Both counted now (nothing stored): the same report but for the instant each was computed.
    moments = ("as_of", "baseline_as_of", "computed_at")
    assert {k: v for k, v in payload.items() if k not in moments} == {
        k: v for k, v in command.items() if k not in moments
    }
    assert payload["status"] == "final"
    assert payload["orders_change"]["conversion"] == pytest.approx(-5.8375, abs=1e-4)
    assert payload["revenue_change"]["order_value"] == -16704.83
    assert (payload["verdict"]["kind"], payload["verdict"]["side"]) == ("blame", "sales")
    assert payload["verdict"]["text"].startswith("订单比上月少 5 单")


@pytest.mark.django_db
def test_the_verdict_text_follows_the_readers_language(cast, client_for, may):
    client = client_for(cast["ops"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    payload = client.get(URL).json()

    assert payload["verdict"]["text"].startswith("5 fewer orders than last month")
    assert payload["verdict"]["texts"]["zh-hans"].startswith("订单比上月少 5 单")


@pytest.mark.django_db
def test_query_string_parameters_choose_the_report(cast, client_for, may, sales_a):
    client = client_for(cast["boss"])

    account = client.get(URL, {"account": "shop", "window_days": "60", "baseline": "2025-03"}).json()
    person = client.get(URL, {"salesperson": "sales_a", "as-of": "2025-05-20T12:00:00+08:00"}).json()

    assert (account["scope"], account["window_days"], account["baseline"]) == ("account:shop", 60, "2025-03")
    assert (person["scope"], person["status"]) == ("salesperson:sales_a", "provisional")
    assert person["as_of"] == "2025-05-20T12:00:00+08:00"
    assert person["baseline_as_of"] == "2025-04-20T12:00:00+08:00"
    # Reading never stores a report, whatever the parameters.
    assert not MonthlyReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/reports/2026-13.json", {}, "month"),
        ("/reports/1969-12.json", {}, "month"),
        (URL, {"baseline": "2025-5"}, "baseline"),
        (URL, {"baseline": "2025-06"}, "__all__"),
        (URL, {"window_days": "0"}, "window_days"),
        (URL, {"window_days": "thirty"}, "window_days"),
        (URL, {"as_of": "yesterday"}, "as_of"),
        (URL, {"as_of": "2999-01-01T00:00:00+08:00"}, "__all__"),
        (URL, {"account": "nowhere"}, "account"),
        (URL, {"salesperson": "nobody"}, "salesperson"),
        (URL, {"account": "shop", "salesperson": "sales_a"}, "__all__"),
    ],
)
def test_bad_parameters_get_400_with_a_json_error_never_500(cast, client_for, url, params, field):
    AccountFactory(code="shop")
    response = client_for(cast["ops_manager"]).get(url, params)

    assert response.status_code == 400
    body = response.json()
    assert body["error"]
    assert field in body["errors"]
    assert not MonthlyReport.objects.exists()


@pytest.mark.django_db
def test_an_unknown_parameter_gets_400(cast, client_for):
    response = client_for(cast["boss"]).get(URL, {"scope": "company"})

    assert response.status_code == 400
    assert "scope" in response.json()["error"]


@pytest.mark.django_db
def test_only_get_is_allowed(cast, client_for):
    assert client_for(cast["boss"]).post(URL).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("inquiries", [1, 50])
def test_the_json_report_takes_a_fixed_number_of_queries(cast, client_for, sales_a, django_assert_num_queries,
                                                         inquiries):  # fmt: skip
    shop = AccountFactory(code="shop")
    cohort(account=shop, start=at(2025, 5, 3), inquiries=inquiries, valid=inquiries, replied=inquiries, won=1,
           revenue=10, owner=sales_a)  # fmt: skip
    CompanySettings.load()
    client = client_for(cast["boss"])

    # session, user; settings (form); settings, stored final?; 6 report queries; nothing written
    with django_assert_num_queries(11 + JIT_OFF_QUERIES):
        first = client.get(URL)
    with django_assert_num_queries(11 + JIT_OFF_QUERIES):
        second = client.get(URL)

    assert first.json()["funnel"]["current"]["inquiries"] == inquiries
    assert second.json()["funnel"] == first.json()["funnel"]
    assert not MonthlyReport.objects.exists()
    assert dt.date.fromisoformat(first.json()["final_on"]) == dt.date(2025, 7, 1)
