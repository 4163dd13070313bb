"""The accounts sheet: shop accounts, their sub-accounts and holders."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, AccountHolding, AccountKind, AuditEvent, Role
from accounts.services import account_hand_over

from .. import parsers as p
from .base import BatchOutcome, SheetImporter, _audit, _diff, _text_key


class AccountsImporter(SheetImporter):
    kind = "accounts"
    roles = (Role.OPS_MANAGER,)  # as the account pages: creating, renaming and handing over
    refusal = gettext_noop("Only an operations manager can import the accounts sheet.")

    def raw_key(self, row):
        return _text_key(row.raw("code")) or None

    def import_batch(self, rows):
        parsed = self._parse(rows)
        accounts = self.ctx.accounts({v["code"] for _r, v in parsed} | {v["parent"] for _r, v in parsed})
        holders = self.ctx.users({v["holder"] for _r, v in parsed})
        self._check_holders_and_subs(parsed, accounts, holders)

        status: dict[int, str] = {}  # row number → created / updated / unchanged
        events, hand_overs = [], []
        # Main accounts first, so that a sub-account can name a main account of the same batch.
        for kind in (AccountKind.MAIN, AccountKind.SUB):
            self._write_kind(kind, parsed, accounts, holders, status=status, events=events, hand_overs=hand_overs)
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self._hand_over(hand_overs, status)

        outcome = BatchOutcome()
        for value in status.values():
            setattr(outcome, value, getattr(outcome, value) + 1)
        self._collect(outcome, rows)
        return outcome

    def _parse(self, rows) -> list[tuple]:
        parsed = []
        for row in rows:
            values = {
                "code": row.get("code", p.parse_text, 100, required=True),
                "name": row.get("name", p.parse_text, 200),
                "kind": row.get("kind", p.parse_choice, p.ACCOUNT_KIND_CHOICES, required=True),
                "parent": row.get("parent", p.parse_text, 100),
                "holder": row.get("holder", p.parse_username),
            }
            if values["kind"] == AccountKind.SUB and not values["parent"] and not row.problems:
                row.reject("parent", gettext_noop("A sub-account needs its main account."))
            if values["kind"] == AccountKind.MAIN and values["parent"]:
                row.reject("parent", gettext_noop("A main account has no main account above it."))
            if values["parent"] and values["parent"] == values["code"]:
                row.reject("parent", gettext_noop("An account cannot be its own main account."))
            if not row.problems:
                parsed.append((row, values))
        return parsed

    def _check_holders_and_subs(self, parsed: list[tuple], accounts: dict, holders: dict) -> None:
        becoming_sub = [a.pk for _r, v in parsed if (a := accounts.get(v["code"])) and a.kind != v["kind"]]
        with_subs = set(Account.objects.filter(parent_id__in=becoming_sub).values_list("parent_id", flat=True))
        for row, values in parsed:
            holder = values["holder"]
            if holder and holder not in holders:
                row.reject("holder", gettext_noop("Unknown user %(username)s."), username=holder)
            elif holder and not holders[holder].is_sales:
                row.reject("holder", gettext_noop("%(name)s is not a salesperson."), name=holder)
            account = accounts.get(values["code"])
            if account is not None and account.pk in with_subs and values["kind"] == AccountKind.SUB:
                row.reject("kind", gettext_noop("This account has sub-accounts, so it cannot become a sub-account."))

    def _parent_of(self, row, values) -> tuple[bool, Account | None]:
        """A sub-account's main account: (False, None) when the row is refused for it."""
        parent = self.ctx.accounts([values["parent"]]).get(values["parent"])
        if parent is None:
            row.reject("parent", gettext_noop("Unknown main account %(code)s."), code=values["parent"])
            return False, None
        if parent.kind != AccountKind.MAIN:
            row.reject("parent", gettext_noop("%(code)s is not a main account."), code=values["parent"])
            return False, None
        return True, parent

    def _write_kind(self, kind, parsed, accounts, holders, *, status, events, hand_overs) -> None:
        creates, updates = [], []
        for row, values in parsed:
            if values["kind"] != kind or row.problems:
                continue
            parent = None
            if kind == AccountKind.SUB:
                ok, parent = self._parent_of(row, values)
                if not ok:
                    continue
            if not self.claim(row, values["code"], "code"):
                continue
            account = accounts.get(values["code"])
            if account is None:
                account = Account(code=values["code"], name=values["name"] or "", kind=kind, parent=parent)
                creates.append(account)
                status[row.number] = "created"
            else:
                changes = self._update(account, values, kind, parent)
                status[row.number] = "updated" if changes else "unchanged"
                if changes:
                    updates.append(account)
                    events.append(
                        _audit(
                            action="account.import_update",
                            target=account,
                            by=self.ctx.by,
                            summary=_("Account %(code)s changed by import") % {"code": account.code},
                            changes=changes,
                        )
                    )
            if values["holder"]:
                hand_overs.append((row, account, holders[values["holder"]]))
        Account.objects.bulk_create(creates, batch_size=500)
        Account.objects.bulk_update(updates, ["name", "kind", "parent"], batch_size=1000)
        for account in creates:
            self.ctx.remember_account(account)
            accounts[account.code] = account
            events.append(
                _audit(
                    action="account.import_create",
                    target=account,
                    by=self.ctx.by,
                    summary=_("Account %(code)s added by import") % {"code": account.code},
                    changes={"kind": account.kind, "parent": account.parent.code if account.parent else None},
                )
            )

    @staticmethod
    def _update(account: Account, values: dict, kind: str, parent: Account | None) -> dict:
        """Apply the row to an existing account; the changes, empty when there are none."""
        old_parent = account.parent.code if account.parent_id else None
        changes = _diff(account, {"name": values["name"], "kind": kind})
        if account.parent_id != (parent.pk if parent else None):
            changes["parent"] = [old_parent, parent.code if parent else None]
            account.parent = parent
        return changes

    def _hand_over(self, hand_overs: list[tuple], status: dict[int, str]) -> None:
        """The holder: a hand-over (history kept, audited by its service) only where it differs."""
        current = dict(
            AccountHolding.objects.filter(
                account_id__in=[a.pk for _r, a, _u in hand_overs], ended_at__isnull=True
            ).values_list("account_id", "holder_id")
        )
        for row, account, holder in hand_overs:
            if current.get(account.pk) != holder.pk:
                account_hand_over(account=account, to=holder, by=self.ctx.by)
                if status[row.number] == "unchanged":
                    status[row.number] = "updated"
