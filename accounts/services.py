"""Workflows that change the team and the accounts."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import Account, AccountHolding, AccountKind, CompanySettings, Role, User


@transaction.atomic
def account_hand_over(
    *, account: Account, to: User | None, by: User | None, at: dt.datetime | None = None
) -> AccountHolding | None:
    """Close the account's current holding and open one for `to` (None leaves it unheld)."""
    at = at or timezone.now()
    account = Account.objects.select_for_update().get(pk=account.pk)
    current = AccountHolding.objects.filter(account=account, ended_at__isnull=True).select_related("holder").first()
    if current is not None and to is not None and current.holder_id == to.pk:
        return current
    if current is not None:
        if at < current.started_at:
            raise ValidationError(_("The hand-over cannot be earlier than the current holding's start."))
        current.ended_at = at
        current.save(update_fields=["ended_at"])
    holding = None
    if to is not None:
        if not to.is_sales:
            raise ValidationError(_("%(name)s is not a salesperson.") % {"name": to.label})
        holding = AccountHolding.objects.create(account=account, holder=to, started_at=at, assigned_by=by)
    audit_record(
        actor=by,
        action="account.hand_over",
        target=account,
        summary=_("%(account)s handed over to %(to)s")
        % {"account": account.code, "to": to.label if to else _("nobody")},
        changes={
            "holder": [current.holder.username if current else None, to.username if to else None],
            "at": at.isoformat(),
        },
    )
    return holding


def account_current_holder(account: Account) -> User | None:
    """The salesperson holding the account now, if any."""
    holding = account.holdings.filter(ended_at__isnull=True).select_related("holder").first()
    return holding.holder if holding else None


# ---------------------------------------------------------------------------------------------
# The team, the accounts and the company settings, as the operations manager edits them


def _changes(obj, fields: dict) -> dict:
    """Apply `fields` to `obj`; return {field: [old, new]} for those that changed."""
    changes = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [old.pk if hasattr(old, "pk") else old, value.pk if hasattr(value, "pk") else value]
            setattr(obj, name, value)
    return changes


def _save_changed(obj, changes: dict, *, by: User | None, action: str, summary: str) -> None:
    """Save the fields `_changes` changed and audit them; nothing at all when none changed."""
    if changes:
        obj.save(update_fields=list(changes))
        audit_record(actor=by, action=action, target=obj, summary=summary, changes=changes)


TEAM_MEMBER_FIELDS = ("display_name", "email", "role", "is_active", "is_away", "rfq_quota")


@transaction.atomic
def team_member_create(
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    email: str = "",
    rfq_quota: int | None = None,
    by: User | None,
) -> User:
    """Add a person to the team with a first password (checked by the password validators)."""
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    member = User(username=username, role=role, display_name=display_name.strip(), email=email.strip())
    member.rfq_quota = rfq_quota if role == Role.SALES else None
    validate_password(password, member)
    member.set_password(password)
    member.save()
    audit_record(
        actor=by,
        action="team.create",
        target=member,
        summary=_("Team member %(name)s added as %(role)s") % {"name": member.label, "role": member.get_role_display()},
        changes={"username": member.username, "role": role, "email": member.email, "rfq_quota": member.rfq_quota},
    )
    return member


@transaction.atomic
def team_member_update(*, member: User, by: User | None, **fields) -> User:
    """Change a team member's name, email, role, active and away switches or RFQ quota."""
    unknown = set(fields) - set(TEAM_MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    locked = User.objects.select_for_update().get(pk=member.pk)
    if (
        by is not None
        and locked.pk == by.pk
        and (fields.get("is_active") is False or fields.get("role", locked.role) != locked.role)
    ):
        raise ValidationError(_("You cannot deactivate yourself or change your own role."))
    changes = _changes(locked, fields)
    _save_changed(
        locked, changes, by=by, action="team.update", summary=_("Team member %(name)s changed") % {"name": locked.label}
    )
    for name in fields:
        setattr(member, name, getattr(locked, name))
    return locked


def team_member_may_set_password(*, member: User, by: User) -> bool:
    """Whether `by` may set `member`'s password for them: an administrator anyone's; an operations
    manager only the people he manages (operations and sales). A boss, another manager or an
    administrator sets their own, or resets it by e-mail: nobody takes over a login above his own."""
    if by.is_superuser:
        return True
    return by.is_ops_manager and not member.is_superuser and member.role in (Role.OPS, Role.SALES)


@transaction.atomic
def team_member_set_password(*, member: User, by: User, password: str | None) -> User:
    """Set a team member's password (None: no password login at all), audited; it ends their sessions."""
    if not team_member_may_set_password(member=member, by=by):
        raise PermissionDenied
    locked = User.objects.select_for_update().get(pk=member.pk)
    if password is None:
        locked.set_unusable_password()
    else:
        validate_password(password, locked)
        locked.set_password(password)
    locked.save(update_fields=["password"])
    audit_record(
        actor=by,
        action="team.password_set",
        target=locked,
        # Never the password or its hash: only that it was set, and whether it can be used.
        summary=_("Password of %(name)s set by %(by)s") % {"name": locked.label, "by": by.label},
        changes={"usable_password": password is not None},
    )
    member.password = locked.password
    return locked


@transaction.atomic
def account_create(
    *, code: str, name: str = "", kind: str = AccountKind.MAIN, parent: Account | None = None, by: User | None
) -> Account:
    """Add an Alibaba.com account: a main account, or a sub-account under one."""
    code = code.strip()
    if Account.objects.filter(code__iexact=code).exists():
        raise ValidationError({"code": _("An account with this code exists already.")})
    if kind == AccountKind.SUB and (parent is None or parent.kind != AccountKind.MAIN):
        raise ValidationError({"parent": _("A sub-account needs its main account.")})
    account = Account.objects.create(
        code=code, name=name.strip(), kind=kind, parent=parent if kind == AccountKind.SUB else None
    )
    audit_record(
        actor=by,
        action="account.create",
        target=account,
        summary=_("Account %(code)s added") % {"code": code},
        changes={"code": code, "name": account.name, "kind": kind, "parent": parent.code if parent else None},
    )
    return account


@transaction.atomic
def account_update(*, account: Account, by: User | None, **fields) -> Account:
    """Rename an account or switch it on or off."""
    unknown = set(fields) - {"name", "is_active"}
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    locked = Account.objects.select_for_update().get(pk=account.pk)
    changes = _changes(locked, fields)
    _save_changed(
        locked, changes, by=by, action="account.update", summary=_("Account %(code)s changed") % {"code": locked.code}
    )
    return locked


COMPANY_SETTINGS_FIELDS = ("name", "reply_deadline_hours", "attribution_window_days", "sales_sla_hours")


@transaction.atomic
def company_settings_update(*, by: User | None, **fields) -> CompanySettings:
    """Change the company's settings; a new reply deadline applies to inquiries allocated from now on."""
    unknown = set(fields) - set(COMPANY_SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    CompanySettings.load()
    current = CompanySettings.objects.select_for_update().get(pk=1)
    changes = _changes(current, fields)
    _save_changed(current, changes, by=by, action="settings.update", summary=_("Company settings changed"))
    return current
