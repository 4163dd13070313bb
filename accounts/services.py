"""Workflows that change the team and the accounts."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import Account, AccountHolding, User


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
