import pytest

from tests.e2e.conftest import PHONE, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_salesperson_logs_in_and_sees_a_chinese_home_page(new_page, shots, sales_a):
    page = new_page()
    page.goto("/")
    assert "/accounts/login/" in page.url
    shots(page, "login")
    login(page, "sales_a")
    # A salesperson starts on "My inquiries".
    assert page.url.endswith("/inquiries/mine/")
    assert page.locator("h1").inner_text() == "我的询盘"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shots(page, "home")


def test_the_header_menu_opens_on_a_phone(new_page, shots, ops_manager):
    page = new_page(viewport=PHONE)
    login(page, "opsmgr")
    nav = page.locator("nav.nav")
    assert not nav.is_visible()
    page.click("label.nav-toggle-label")
    assert nav.is_visible()
    shots(page, "phone-menu")
