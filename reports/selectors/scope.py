"""Who a report is about: the company, one account, or one salesperson."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import Account, Role, User

from ..periods import ReportParamError

REPLY_HOURS = 24  # Alibaba's reply-rate clock
ZERO_USD = Decimal("0.00")


class ScopeError(ReportParamError):
    """A scope that names no account or salesperson; the message is for the user."""


@dataclass(frozen=True)
class Scope:
    """Whose report: the company, one account (`account:CODE`) or one salesperson."""

    kind: str = "company"
    account: Account | None = None
    salesperson: User | None = None

    @property
    def key(self) -> str:
        if self.kind == "account":
            return f"account:{self.account.code}"
        if self.kind == "salesperson":
            return f"salesperson:{self.salesperson.username}"
        return "company"


def resolve_scope(scope: str) -> Scope:
    """'company', 'account:CODE' or 'salesperson:USERNAME' → Scope (one query); ScopeError if unknown."""
    kind, _sep, name = (scope or "company").partition(":")
    if kind == "company" and not name:
        return Scope()
    if kind == "account" and name:
        account = Account.objects.filter(code=name).first()
        if account is None:
            raise ScopeError(_("There is no account with the code %(code)s.") % {"code": name})
        return Scope("account", account=account)
    if kind == "salesperson" and name:
        user = User.objects.filter(username=name).first()
        if user is None:
            raise ScopeError(_("There is no team member with the username %(username)s.") % {"username": name})
        if user.role != Role.SALES:
            raise ScopeError(_("%(username)s is not a salesperson.") % {"username": name})
        return Scope("salesperson", salesperson=user)
    raise ScopeError(
        _("The scope must be company, account:CODE or salesperson:USERNAME; got %(scope)s.") % {"scope": scope}
    )
