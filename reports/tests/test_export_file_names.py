"""The report's download names the month it was compared with when that is not the month before."""

import pytest

from tests.factories import AccountFactory

from .builders import at, cohort


@pytest.fixture
def months(db, sales_a):
    shop = AccountFactory(code="shop", name="光明照明 主账号")
    for month in (3, 4, 5):
        cohort(account=shop, start=at(2025, month, 3), inquiries=50, valid=45, replied=40, won=2, revenue=5000,
               owner=sales_a)  # fmt: skip
    return shop


@pytest.mark.django_db
def test_a_workbook_compared_with_a_chosen_month_names_both_months(cast, client_for, months):
    response = client_for(cast["boss"]).get("/reports/2025-05/report.xlsx", {"compare": "month", "baseline": "2025-03"})
    assert response.status_code == 200
    assert 'filename="inquiryhub-report-2025-05-vs-2025-03-company.xlsx"' in response["Content-Disposition"]


@pytest.mark.django_db
def test_a_workbook_compared_with_the_month_before_keeps_the_short_name(cast, client_for, months):
    response = client_for(cast["boss"]).get("/reports/2025-05/report.xlsx")
    assert 'filename="inquiryhub-report-2025-05-company.xlsx"' in response["Content-Disposition"]
