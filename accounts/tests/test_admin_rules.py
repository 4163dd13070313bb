"""The admin applies the team page's rules and audit trail (issue 13, item 7)."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-fresh-passphrase-77"


def change_form_data(user, **changes):
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "role": user.role,
        "rfq_quota": user.rfq_quota if user.rfq_quota is not None else "",
        "is_active": "on" if user.is_active else "",
        "is_away": "on" if user.is_away else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def set_password(client, user):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    return client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"})


def test_the_operations_manager_cannot_demote_himself_in_the_admin(cast, client_for):
    manager = cast["ops_manager"]
    old_name = manager.display_name
    client = client_for(manager)
    url = reverse("admin:accounts_user_change", args=[manager.pk])
    response = client.post(url, change_form_data(manager, role="sales", is_active="", display_name="Lin"))
    assert response.status_code == 302, response.content.decode()[:3000]
    manager.refresh_from_db()
    assert (manager.role, manager.is_active, manager.display_name) == ("ops_manager", True, "Lin")
    assert AuditEvent.objects.get(action="team.update", target_id=str(manager.pk)).changes == {
        "display_name": [old_name, "Lin"]
    }


def test_a_role_change_in_the_admin_goes_through_the_team_service_and_its_audit(cast, client_for):
    member = cast["sales_b"]
    client = client_for(cast["ops_manager"])
    response = client.post(
        reverse("admin:accounts_user_change", args=[member.pk]), change_form_data(member, role="ops")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.role == "ops"
    event = AuditEvent.objects.get(action="team.update", target_id=str(member.pk))
    assert event.actor == cast["ops_manager"]
    assert event.changes["role"] == ["sales", "ops"]


def test_the_operations_manager_sets_a_salespersons_password_with_an_audit_row(cast, client_for):
    member = cast["sales_b"]
    response = set_password(client_for(cast["ops_manager"]), member)
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="team.password_set", target_id=str(member.pk))
    assert event.actor == cast["ops_manager"]
    assert event.changes == {"usable_password": True}
    assert NEW_PASSWORD not in str(event.changes) + event.summary


@pytest.mark.parametrize("target", ["boss", "ops_manager"])
def test_the_operations_manager_cannot_set_the_password_of_the_boss_or_a_manager(cast, client_for, target):
    victim = cast[target] if target == "boss" else User.objects.create_user("mgr2", role="ops_manager")
    before = User.objects.get(pk=victim.pk).password
    client = client_for(cast["ops_manager"])
    assert client.get(reverse("admin:auth_user_password_change", args=[victim.pk])).status_code == 403
    assert set_password(client, victim).status_code == 403
    assert User.objects.get(pk=victim.pk).password == before
    assert not AuditEvent.objects.filter(action="team.password_set").exists()


def test_an_administrator_sets_the_bosss_password_and_it_is_audited(cast, client_for):
    root = User.objects.create_superuser("root", "root@example.com", "x-very-long-password")
    assert set_password(client_for(root), cast["boss"]).status_code == 302
    assert AuditEvent.objects.get(action="team.password_set").actor == root


def test_adding_a_person_in_the_admin_goes_through_the_team_service(cast, client_for):
    client = client_for(cast["ops_manager"])
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"username": "newbie", "display_name": "New", "role": "sales", "password1": NEW_PASSWORD,
         "password2": NEW_PASSWORD, "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    newbie = User.objects.get(username="newbie")
    assert AuditEvent.objects.get(action="team.create", target_id=str(newbie.pk)).actor == cast["ops_manager"]
    assert newbie.check_password(NEW_PASSWORD)
