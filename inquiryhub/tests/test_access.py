import pytest

ROLES = ["boss", "ops_manager", "ops", "sales_a", "sales_b"]


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_from_home(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_home_page(cast, client_for, role):
    # A salesperson's home is "My inquiries", one redirect away.
    response = client_for(cast[role]).get("/", follow=True)
    assert response.status_code == 200
    assert cast[role].display_name in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"), [("boss", 200), ("ops_manager", 200), ("ops", 302), ("sales_a", 302), (None, 302)]
)
def test_admin_is_for_the_operations_manager_and_the_boss(cast, client_for, role, status):
    response = client_for(cast.get(role)).get("/admin/")
    assert response.status_code == status


@pytest.mark.django_db
def test_boss_reads_the_admin_but_cannot_change_anything(cast, client_for):
    client = client_for(cast["boss"])
    assert client.get("/admin/accounts/account/").status_code == 200
    assert client.get("/admin/accounts/account/add/").status_code == 403
    response = client.post("/admin/accounts/account/add/", {"code": "x", "kind": "main"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_operations_manager_creates_an_account_in_the_admin_and_it_is_audited(cast, client_for):
    from accounts.models import Account, AuditEvent

    client = client_for(cast["ops_manager"])
    response = client.post(
        "/admin/accounts/account/add/",
        {"code": "cn-new", "name": "New store", "kind": "main", "is_active": "on",
         "holdings-TOTAL_FORMS": "0", "holdings-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    account = Account.objects.get(code="cn-new")
    assert AuditEvent.objects.get(action="admin.add", target_id=str(account.pk)).actor == cast["ops_manager"]


@pytest.mark.django_db
def test_chinese_is_the_default_language_and_english_is_available(cast, client_for):
    client = client_for(cast["ops"])
    assert "未分配询盘" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Unassigned inquiries" in client.get("/").content.decode()


def test_every_model_of_the_product_has_an_admin():
    from django.apps import apps
    from django.contrib import admin

    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in ("accounts", "inquiries", "reports") and m not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.django_db
def test_the_operations_manager_opens_every_admin_list(cast, client_for):
    from django.contrib import admin
    from django.urls import reverse

    client = client_for(cast["ops_manager"])
    for model in admin.site._registry:
        if model._meta.app_label in ("accounts", "inquiries", "reports"):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 200, url
