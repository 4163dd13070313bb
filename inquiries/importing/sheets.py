"""Writing the sheets of an import, one batch of rows at a time (part of the service layer).

Each importer reads a batch of rows, looks up everything the batch names in a fixed number of
queries, decides row by row what must change (a row with any problem is rejected whole and
writes nothing), then writes in bulk. An inquiry row's allocation, first reply, quality
verdict and order are written by the batch services in `inquiries.services` on SQLite and, on
PostgreSQL, set-based by `bulk_sql` under the same rules (tested to write the same rows), so
owners, first replies, states and the audit trail are exactly what the pages would have
written. A row whose data is already stored writes nothing at all: importing a file twice
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import (
    Account,
    AccountHolding,
    AccountKind,
    AlibabaName,
    AlibabaStaffMonth,
    AuditEvent,
    CompanySettings,
    ReplyRateSnapshot,
    Role,
    User,
)
from accounts.permissions import OPERATIONS
from accounts.services import account_hand_over

from .. import services
from ..buyers import buyers_plan_matches
from ..models import Allocation, Buyer, FollowUp, Inquiry, Order, Quality, QualityVerdict, RfqQuote
from . import bulk_sql
from . import parsers as p
from .readers import SheetSource

# A time up to this far ahead of the clock is taken as clock skew, not as a typing mistake.
FUTURE_SLACK = dt.timedelta(minutes=10)

INQUIRY_TEXT_FIELDS = {
    "buyer_name": 200,
    "buyer_company": 200,
    "buyer_phone": 50,
    "product": 300,
    "quantity": 100,
    "subject": 500,
    "message": 20_000,
}


@dataclass
class Problem:
    """Why a row was rejected: the column as the file spells it, a msgid with its values, the cell."""

    column: str
    message: str
    params: dict[str, Any]
    value: str

    def render(self) -> str:
        return _(self.message) % self.params


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: dict[int, list[Problem]] = field(default_factory=dict)  # row number → its problems
    new_inquiry_ids: list[int] = field(default_factory=list)


class RowValues:
    """One row's cells by column key, and the problems found while reading them."""

    __slots__ = ("number", "cells", "header", "problems", "memo")

    def __init__(self, number: int, cells: tuple, header: p.HeaderMap, memo: dict | None = None):
        self.number, self.cells, self.header = number, cells, header
        self.problems: list[Problem] = []
        # The sheet's parsed values of columns whose cells repeat (codes, names, choices), by cell.
        self.memo = memo

    def raw(self, key: str) -> Any:
        index = self.header.index.get(key)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def is_blank(self) -> bool:
        return all(p.is_blank(cell) for cell in self.cells)

    def get(self, key: str, parse, *args, required: bool = False) -> Any:
        """The parsed value of a column; None when the cell is empty or the column absent.

        A time column with a zone of its own (Alibaba's PST columns) is read in that zone, not the company's.
        """
        zone = self.header.zones.get(key)
        if zone is not None and parse in _ZONED_PARSERS:
            args = (zoneinfo.ZoneInfo(zone), *args[1:])
        index = self.header.index.get(key)
        raw = self.cells[index] if index is not None and index < len(self.cells) else None
        if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
            if required:
                self.reject(key, gettext_noop("Required, but empty."))
            return None
        memo = self.memo
        if memo is not None and key in memo and raw.__class__ is str:  # True == 1 == 1.0: text cells only
            column = memo[key]
            outcome = column.get(raw)
            if outcome is None:
                try:
                    outcome = (parse(raw, *args), None)
                except p.CellError as exc:
                    outcome = (None, exc)
                if len(column) < MEMO_LIMIT:
                    column[raw] = outcome
            value, error = outcome
            if error is not None:
                self.reject(key, error.message, **error.params)
            return value
        try:
            return parse(raw, *args)
        except p.CellError as exc:
            self.reject(key, exc.message, **exc.params)
            return None

    def reject(self, key: str, message: str, **params: Any) -> None:
        label = self.header.labels.get(key, key)
        self.problems.append(Problem(label, message, params, p.display_value(self.raw(key))))


_ZONED_PARSERS = (p.parse_time, p.parse_date)
# Distinct cells remembered per column: a sheet's codes, names and choices, never its free text.
MEMO_LIMIT = 10_000


class ImportContext:
    """What every sheet of one import shares: who imports, the clock, and the names looked up so far."""

    def __init__(self, *, by: User | None, tz: dt.tzinfo, now: dt.datetime, job_id: int | None = None):
        self.by, self.tz, self.now, self.job_id = by, tz, now, job_id
        # In the company's zone, as the parsed times: times of one zone object compare without
        # converting (four comparisons a row).
        self._latest = (now + FUTURE_SLACK).astimezone(tz)
        self._accounts: dict[str, Account | None] = {}
        self._users: dict[str, User | None] = {}

    def accounts(self, codes: Iterable[str]) -> dict[str, Account]:
        """Accounts by code, one query for the codes not seen before in this import."""
        codes = set(codes)
        missing = {c for c in codes if c and c not in self._accounts}
        if missing:
            found = {a.code: a for a in Account.objects.filter(code__in=missing)}
            for code in missing:
                self._accounts[code] = found.get(code)
        return {c: a for c in codes if c and (a := self._accounts.get(c)) is not None}

    def users(self, usernames: Iterable[str]) -> dict[str, User]:
        """Team members by username, one query for the names not seen before in this import."""
        usernames = set(usernames)
        missing = {u for u in usernames if u and u not in self._users}
        if missing:
            found = {u.username: u for u in User.objects.filter(username__in=missing)}
            for name in missing:
                self._users[name] = found.get(name)
        return {n: u for n in usernames if n and (u := self._users.get(n)) is not None}

    def people(self, names: Iterable[str]) -> dict[str, User]:
        """Team members by the name Alibaba's back office shows: a saved link, else display name, else username."""
        names = {n for n in names if n}
        if not names:
            return {}
        found = {a.name: a.person for a in AlibabaName.objects.filter(name__in=names).select_related("person")}
        rest = names - set(found)
        if rest:
            for user in User.objects.filter(Q(display_name__in=rest) | Q(username__in=rest)).order_by("id"):
                for name in (user.username, user.display_name):
                    if name in rest:
                        found.setdefault(name, user)
        return found

    def remember_account(self, account: Account) -> None:
        self._accounts[account.code] = account

    def remember_user(self, user: User) -> None:
        self._users[user.username] = user

    def in_future(self, value: dt.datetime | None) -> bool:
        return value is not None and value > self._latest


def _audit(*, action: str, target, summary: str, changes: dict, by: User | None, inquiry_id=None) -> AuditEvent:
    return AuditEvent(
        actor=by if by is not None and by.pk else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        inquiry_id=inquiry_id,
        summary=summary[:500],
        changes=changes,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (Decimal, dt.date)):
        return str(value)
    return value


def _diff(obj, values: dict[str, Any]) -> dict[str, list]:
    """Set the given values on `obj`; return {field: [old, new]} for those that changed."""
    changes = {}
    for name, value in values.items():
        if value is None:
            continue  # an empty cell never erases what is stored
        old = getattr(obj, name)
        if old != value:
            changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(obj, name, value)
    return changes


def _moves_received(inquiry: Inquiry, received: dt.datetime | None) -> bool:
    return received is not None and received != inquiry.received_at


class SheetImporter:
    """Base of the per-sheet importers: duplicate keys across the sheet, the batch protocol."""

    kind = ""
    # Who may import the sheet: the roles of the pages that make the same writes. The check is
    # here, where the rows are written, so that no caller (the upload page, a task, a command
    # run for someone) can write more than that person could on the pages.
    roles: tuple[str, ...] = OPERATIONS
    refusal = gettext_noop("Only operations can import this sheet.")

    def __init__(self, ctx: ImportContext, source: SheetSource):
        self.ctx, self.source = ctx, source
        self.seen: dict[Hashable, int] = {}  # key → row number that stored it

    def permits(self, user: User | None) -> bool:
        """Whether `user` may write this sheet's rows; None is the server's own command line."""
        return user is None or user.is_superuser or user.role in self.roles

    def import_rows(self, rows: list[RowValues]) -> BatchOutcome:
        """Write a batch if the importer's role permits this sheet; otherwise refuse every row."""
        if self.permits(self.ctx.by):
            return self.import_batch(rows)
        column = next(iter(self.source.header.index), "")
        for row in rows:
            row.reject(column, self.refusal)
        outcome = BatchOutcome()
        self._collect(outcome, rows)
        return outcome

    # Columns whose cells repeat from row to row and are parsed the same way each time.
    memo_columns: tuple[str, ...] = ()

    def row(self, number: int, cells: tuple) -> RowValues:
        return RowValues(number, cells, self.source.header, self._memo)

    @functools.cached_property
    def _memo(self) -> dict[str, dict] | None:
        return {key: {} for key in self.memo_columns} or None

    def raw_key(self, row: RowValues) -> Hashable | None:
        raise NotImplementedError

    def remember(self, row: RowValues) -> None:
        """A row stored by an earlier, interrupted run of the same job: its key is taken."""
        key = self.raw_key(row)
        if key is not None:
            self.seen.setdefault(key, row.number)

    def is_repeat(self, row: RowValues, key: Hashable, column: str) -> bool:
        """Whether an earlier row of the file stored `key`; if so the row is rejected."""
        first = self.seen.get(key)
        if first is not None and first != row.number:
            row.reject(column, gettext_noop("Appears twice in this file (first at row %(row)s)."), row=first)
            return True
        return False

    def claim(self, row: RowValues, key: Hashable, column: str) -> bool:
        """Take `key` for this row, or reject the row as a repeat of an earlier one."""
        if self.is_repeat(row, key, column):
            return False
        self.seen[key] = row.number
        return True

    def import_batch(self, rows: list[RowValues]) -> BatchOutcome:
        raise NotImplementedError

    @staticmethod
    def _collect(outcome: BatchOutcome, rows: Iterable[RowValues]) -> None:
        for row in rows:
            if row.problems:
                outcome.rejected[row.number] = row.problems


def _text_key(value: Any) -> str:
    return p._clean_text(value) if not p.is_blank(value) else ""


# ---------------------------------------------------------------------------------------------
# team


class TeamImporter(SheetImporter):
    kind = "team"
    roles = (Role.OPS_MANAGER,)  # as the team pages
    refusal = gettext_noop("Only an operations manager can import the team sheet.")
    FIELDS = ("display_name", "role", "email", "rfq_quota", "is_active")

    def raw_key(self, row):
        return _text_key(row.raw("username")) or None

    def import_batch(self, rows):
        outcome = BatchOutcome()
        by = self.ctx.by
        parsed = []
        for row in rows:
            values = {
                "username": row.get("username", p.parse_username, required=True),
                "display_name": row.get("name", p.parse_text, 100),
                "role": row.get("role", p.parse_choice, p.ROLE_CHOICES, required=True),
                "email": row.get("email", p.parse_email),
                "rfq_quota": row.get("rfq_quota", p.parse_whole_number),
                "is_active": row.get("active", p.parse_yes_no),
            }
            if not row.problems:
                parsed.append((row, values))
        existing = self.ctx.users(v["username"] for _row, v in parsed)
        creates, updates, events = [], [], []
        for row, values in parsed:
            user = existing.get(values["username"])
            if user is not None and user.is_superuser and not (by is None or by.is_superuser):
                row.reject("username", gettext_noop("An administrator cannot be changed by import."))
                continue
            if (
                user is not None
                and by is not None
                and user.pk == by.pk
                and (values["role"] != user.role or values["is_active"] is False)
            ):
                row.reject("role", gettext_noop("You cannot change your own role or deactivate yourself by import."))
                continue
            if not self.claim(row, values["username"], "username"):
                continue
            if user is None:
                user = User(
                    username=values["username"],
                    display_name=values["display_name"] or "",
                    role=values["role"],
                    email=values["email"] or "",
                    rfq_quota=values["rfq_quota"],
                    is_active=values["is_active"] if values["is_active"] is not None else True,
                    # No usable password: an administrator sets one, or the person resets it.
                    password=make_password(None),
                )
                creates.append(user)
                outcome.created += 1
                continue
            changes = _diff(user, {k: values[k] for k in self.FIELDS})
            if changes:
                updates.append(user)
                events.append(
                    _audit(
                        action="user.import_update",
                        target=user,
                        by=by,
                        summary=_("Team member %(name)s changed by import") % {"name": user.username},
                        changes=changes,
                    )
                )
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        User.objects.bulk_create(creates, batch_size=500)
        for user in creates:
            self.ctx.remember_user(user)
            events.append(
                _audit(
                    action="user.import_create",
                    target=user,
                    by=by,
                    summary=_("Team member %(name)s added by import") % {"name": user.username},
                    changes={"role": user.role, "is_active": user.is_active},
                )
            )
        User.objects.bulk_update(updates, list(self.FIELDS), batch_size=1000)
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self._collect(outcome, rows)
        return outcome


# ---------------------------------------------------------------------------------------------
# accounts


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


# ---------------------------------------------------------------------------------------------
# inquiries


@dataclass
class InquiryPlan:
    """What one good inquiry row needs written; built before anything is written."""

    row: RowValues
    account_code: str
    external_id: str
    fields: dict[str, Any]
    username: str | None
    assigned_at: dt.datetime | None
    first_reply_at: dt.datetime | None
    quality: str | None
    invalid_reason: str | None
    won_at: dt.datetime | None
    amount: Decimal | None
    trade_assurance: bool | None
    account: Account | None = None
    salesperson: User | None = None
    inquiry: Inquiry | None = None
    changes: dict[str, list] = field(default_factory=dict)
    allocate_at: dt.datetime | None = None
    log_reply: bool = False
    record_verdict: bool = False
    record_order: bool = False
    order_update: tuple[Order, dict[str, Any]] | None = None
    previous_owner: str | None = None  # username of the owner before the row
    order_id: int | None = None  # of the order the row records

    @property
    def writes(self) -> bool:
        return bool(
            self.changes
            or self.allocate_at
            or self.log_reply
            or self.record_verdict
            or self.record_order
            or self.order_update
        )


def _inquiry_key(account_code: str, external_id: str) -> str:
    """An inquiry's key among the rows seen: one string a row (a file's keys are kept to its end);
    cleaned cells hold no NUL."""
    return f"{account_code}\x00{external_id}"


class InquiriesImporter(SheetImporter):
    kind = "inquiries"
    memo_columns = ("account", "source", "country", "assigned_to", "quality", "invalid_reason", "trade_assurance")

    def raw_key(self, row):
        account, external_id = _text_key(row.raw("account")), _text_key(row.raw("inquiry_id"))
        return _inquiry_key(account, external_id) if account and external_id else None

    # -- reading ------------------------------------------------------------------------------

    def _parse(self, row: RowValues) -> InquiryPlan:
        tz = self.ctx.tz
        fields = {
            "received_at": row.get("received_at", p.parse_time, tz, required=True),
            "source": row.get("source", p.parse_choice, p.SOURCE_CHOICES),
            "buyer_email": row.get("buyer_email", p.parse_email),
            "country": row.get("country", p.parse_country),
        }
        for name, max_length in INQUIRY_TEXT_FIELDS.items():
            fields[name] = row.get(name, p.parse_text, max_length)
        plan = InquiryPlan(
            row=row,
            account_code=row.get("account", p.parse_text, 100, required=True),
            external_id=row.get("inquiry_id", p.parse_text, 100, required=True),
            fields=fields,
            username=row.get("assigned_to", p.parse_username),
            assigned_at=row.get("assigned_at", p.parse_time, tz),
            first_reply_at=row.get("first_reply_at", p.parse_time, tz),
            quality=row.get("quality", p.parse_choice, p.QUALITY_CHOICES),
            invalid_reason=row.get("invalid_reason", p.parse_choice, p.INVALID_REASON_CHOICES),
            won_at=row.get("won_at", p.parse_time, tz),
            amount=row.get("order_amount_usd", p.parse_amount),
            trade_assurance=row.get("trade_assurance", p.parse_yes_no),
        )
        received = fields["received_at"]
        if received is not None:
            if self.ctx.in_future(received):
                row.reject("received_at", gettext_noop("In the future."))
            for key in ("assigned_at", "first_reply_at", "won_at"):
                value = getattr(plan, key)
                if value is not None and value < received:
                    row.reject(key, gettext_noop("Earlier than the time the inquiry was received."))
                elif self.ctx.in_future(value):
                    row.reject(key, gettext_noop("In the future."))

        # Rules between columns, checked only where the cells themselves could be read.
        def empty(key: str) -> bool:
            return p.is_blank(row.raw(key))

        if plan.assigned_at is not None and empty("assigned_to"):
            row.reject("assigned_at", gettext_noop("A time of allocation needs the salesperson (column %(column)s)."),
                       column=p.column_hint(p.SHEETS["inquiries"], "assigned_to"))  # fmt: skip
        if plan.quality == Quality.INVALID and empty("invalid_reason"):
            row.reject("invalid_reason", gettext_noop("An invalid inquiry needs a reason."))
        if plan.invalid_reason is not None and (plan.quality == Quality.VALID or empty("quality")):
            row.reject("invalid_reason", gettext_noop("A reason is given only when the quality is invalid."))
        if plan.won_at is not None and empty("order_amount_usd"):
            row.reject("order_amount_usd", gettext_noop("A won order needs its amount."))
        if plan.amount is not None and empty("won_at"):
            row.reject("won_at", gettext_noop("An order amount needs the time the order was won."))
        if plan.trade_assurance and empty("won_at"):
            row.reject("won_at", gettext_noop("Trade assurance belongs to an order: give the time it was won."))
        return plan

    # -- deciding -----------------------------------------------------------------------------

    def _resolve(self, plans: list[InquiryPlan]) -> list[InquiryPlan]:
        """Look up account codes and usernames (of every row, to report all of a row's problems at once)."""
        accounts = self.ctx.accounts({plan.account_code for plan in plans if plan.account_code})
        users = self.ctx.users({plan.username for plan in plans if plan.username})
        good = []
        for plan in plans:
            row = plan.row
            plan.account = accounts.get(plan.account_code)
            if plan.account is None and plan.account_code:
                row.reject("account", gettext_noop("Unknown account %(code)s."), code=plan.account_code)
            if plan.username is not None:
                plan.salesperson = users.get(plan.username)
                if plan.salesperson is None:
                    row.reject("assigned_to", gettext_noop("Unknown user %(username)s."), username=plan.username)
                elif not plan.salesperson.is_sales:
                    row.reject("assigned_to", gettext_noop("%(name)s is not a salesperson."), name=plan.username)
            if not row.problems:
                good.append(plan)
        return good

    def _decide(self, plans: list[InquiryPlan]) -> list[InquiryPlan]:
        """Compare each row with what is stored; keep only the differences to write."""
        keys = {(plan.account.pk, plan.external_id) for plan in plans}
        existing = {
            (i.account_id, i.external_id): i
            for i in Inquiry.objects.filter(account_id__in={a for a, _e in keys}, external_id__in={e for _a, e in keys})
            if (i.account_id, i.external_id) in keys
        }
        # Their owners, one instance per person rather than one per row (select_related's).
        owners = User.objects.in_bulk({i.owner_id for i in existing.values() if i.owner_id})
        for inquiry in existing.values():
            if inquiry.owner_id:
                Inquiry.owner.field.set_cached_value(inquiry, owners[inquiry.owner_id])
        stored = {id(plan): existing.get((plan.account.pk, plan.external_id)) for plan in plans}
        with_quality = [i.pk for plan in plans if plan.quality and (i := stored[id(plan)])]
        latest_decision: dict[int, QualityVerdict] = {}
        for verdict in QualityVerdict.objects.filter(
            inquiry_id__in=with_quality, side=QualityVerdict.Side.OPERATIONS
        ).order_by("decided_at", "id"):
            latest_decision[verdict.inquiry_id] = verdict
        # Orders of the rows that name one, and of those that move the time received: no order may
        # end up won before its inquiry arrived (the report counts on it).
        with_order = [
            i.pk
            for plan in plans
            if (i := stored[id(plan)]) and (plan.won_at or _moves_received(i, plan.fields["received_at"]))
        ]
        orders: dict[int, list[Order]] = {}
        for order in Order.objects.filter(inquiry_id__in=with_order).order_by("won_at", "id"):
            orders.setdefault(order.inquiry_id, []).append(order)

        decided = []
        for plan in plans:
            row = plan.row
            # Checked before anything is compared: a repeated row must not touch the stored inquiry.
            if self.is_repeat(row, _inquiry_key(plan.account.code, plan.external_id), "inquiry_id"):
                continue
            inquiry = stored[id(plan)]
            if inquiry is not None and _moves_received(inquiry, received := plan.fields["received_at"]):
                won_earlier = [o.won_at for o in orders.get(inquiry.pk, []) if o.won_at < received]
                if won_earlier:
                    row.reject(
                        "received_at",
                        gettext_noop("An order of this inquiry was won earlier, at %(won_at)s."),
                        won_at=timezone.localtime(min(won_earlier), self.ctx.tz).strftime("%Y-%m-%d %H:%M"),
                    )
                    continue
            given = {k: v for k, v in plan.fields.items() if v is not None}
            if inquiry is None:
                inquiry = Inquiry(account=plan.account, external_id=plan.external_id, **given)
            else:
                plan.changes = _diff(inquiry, given)
            plan.inquiry = inquiry
            received = inquiry.received_at
            if plan.salesperson is not None and inquiry.owner_id != plan.salesperson.pk:
                # A re-allocation with no time given happens now; a first allocation at arrival.
                plan.allocate_at = plan.assigned_at or (received if inquiry.owner_id is None else self.ctx.now)
            if plan.first_reply_at is not None and (
                inquiry.first_reply_at is None or plan.first_reply_at < inquiry.first_reply_at
            ):
                plan.log_reply = True
            if plan.quality is not None:
                decision = latest_decision.get(inquiry.pk) if inquiry.pk else None
                reason = plan.invalid_reason or ""
                plan.record_verdict = decision is None or (decision.verdict, decision.reason) != (plan.quality, reason)
            if plan.won_at is not None and not self._decide_order(plan, orders.get(inquiry.pk, [])):
                continue
            self.seen[_inquiry_key(plan.account.code, plan.external_id)] = row.number
            decided.append(plan)
        return decided

    def _decide_order(self, plan: InquiryPlan, orders: list[Order]) -> bool:
        """The row describes the inquiry's order: record it, bring it in line, or say why not."""
        same_time = [o for o in orders if o.won_at == plan.won_at]
        if not orders:
            plan.record_order = True
            return True
        if len(orders) > 1 and not same_time:
            plan.row.reject("won_at", gettext_noop("This inquiry has several orders and none was won at this time."))
            return False
        order = same_time[0] if same_time else orders[0]
        wanted = {"won_at": plan.won_at, "amount_usd": plan.amount}
        if plan.trade_assurance is not None:
            wanted["trade_assurance"] = plan.trade_assurance
        differ = {k: v for k, v in wanted.items() if getattr(order, k) != v}
        if differ:
            plan.order_update = (order, differ)
        return True

    # -- writing ------------------------------------------------------------------------------

    def import_batch(self, rows):
        outcome = BatchOutcome()
        plans = self._decide(self._resolve([self._parse(row) for row in rows]))
        new = [plan.inquiry for plan in plans if plan.inquiry.pk is None]
        for plan in plans:
            # Who held the inquiry before this row (the allocation's audit entry says it).
            plan.previous_owner = plan.inquiry.owner.username if plan.inquiry.owner_id else None
        writing = [plan for plan in plans if plan.inquiry.pk is None or plan.writes]
        if connection.vendor == "postgresql":
            self._write_set_based(writing)
        else:
            self._write_with_services(writing)
        # The one place where the ids of the inquiries this import creates are known.
        outcome.new_inquiry_ids = [inquiry.pk for inquiry in new]

        # Changed order terms are rare (a corrected ledger): one audited update each.
        for plan in plans:
            if plan.order_update:
                order, differ = plan.order_update
                services.order_update(order=order, by=None, **differ)

        created = {id(i) for i in new}
        for plan in plans:
            if id(plan.inquiry) in created:
                outcome.created += 1
            elif plan.writes:
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        self._collect(outcome, rows)
        return outcome

    def _write_with_services(self, plans: list[InquiryPlan]) -> None:
        """The plain path (SQLite: the demo and the tests): the batch services, one audit row per inquiry."""
        new = [plan.inquiry for plan in plans if plan.inquiry.pk is None]
        Inquiry.objects.bulk_create(new, batch_size=500)
        changed = [plan for plan in plans if plan.changes]
        for plan in changed:
            plan.inquiry.updated_at = self.ctx.now
        if changed:
            fields = sorted({name for plan in changed for name in plan.changes} | {"updated_at"})
            Inquiry.objects.bulk_update([plan.inquiry for plan in changed], fields, batch_size=500)
        # Imported history: no person decided these allocations, replies and verdicts (by=None);
        # the import writes its own audit row per inquiry below.
        services.inquiries_allocate_many(
            requests=[
                services.AllocationRequest(plan.inquiry, plan.salesperson, plan.allocate_at)
                for plan in plans
                if plan.allocate_at
            ],
            by=None,
            reason=Allocation.Reason.IMPORT,
            audited=False,
        )
        services.followups_log_many(
            requests=[
                services.FollowUpRequest(plan.inquiry, FollowUp.Kind.REPLY, plan.first_reply_at, plan.inquiry.owner)
                for plan in plans
                if plan.log_reply
            ],
            by=None,
            audited=False,
        )
        services.quality_verdicts_record_many(
            requests=[
                services.VerdictRequest(
                    plan.inquiry, QualityVerdict.Side.OPERATIONS, plan.quality, plan.invalid_reason or ""
                )
                for plan in plans
                if plan.record_verdict
            ],
            by=None,
            audited=False,
        )
        ordering = [plan for plan in plans if plan.record_order]
        orders = services.orders_record_many(
            requests=[
                services.OrderRequest(
                    won_at=plan.won_at,
                    amount_usd=plan.amount,
                    inquiry=plan.inquiry,
                    trade_assurance=bool(plan.trade_assurance),
                )
                for plan in ordering
            ],
            by=None,
            audited=False,
        )
        for plan, order in zip(ordering, orders, strict=True):
            plan.order_id = order.pk
        AuditEvent.objects.bulk_create(
            [
                _audit(
                    action="inquiry.import",
                    target=plan.inquiry,
                    inquiry_id=plan.inquiry.pk,
                    by=self.ctx.by,
                    summary=summary,
                    changes=changes,
                )  # fmt: skip
                for plan in plans
                if (audit := self._audit_of(plan)) is not None
                for summary, changes in [audit]
            ],
            batch_size=500,
        )

    def _write_set_based(self, plans: list[InquiryPlan]) -> None:
        """PostgreSQL: the same writes as the services, staged and written set-based (bulk_sql)."""
        new = [plan.inquiry for plan in plans if plan.inquiry.pk is None]
        for inquiry, pk in zip(new, bulk_sql.reserve_ids(Inquiry._meta.db_table, len(new)), strict=True):
            inquiry.pk = pk
        ordering = [plan for plan in plans if plan.record_order]
        for plan, pk in zip(ordering, bulk_sql.reserve_ids(Order._meta.db_table, len(ordering)), strict=True):
            plan.order_id = pk
        created = {id(inquiry) for inquiry in new}
        # Buyers of the new inquiries, matched as buyers_match_inquiries would (by time received).
        buyers = buyers_plan_matches(sorted(new, key=lambda i: (i.received_at, i.pk)))
        for buyer, pk in zip(
            buyers.new_buyers, bulk_sql.reserve_ids(Buyer._meta.db_table, len(buyers.new_buyers)), strict=True
        ):
            buyer.pk = pk
        buyer_of = {id(inquiry): buyer.pk for inquiry, buyer in buyers.matched}
        staged = []
        for plan in plans:
            audit = self._audit_of(plan)
            staged.append(
                bulk_sql.StagedRow(
                    inquiry_id=plan.inquiry.pk,
                    is_new=id(plan.inquiry) in created,
                    buyer_id=buyer_of.get(id(plan.inquiry)),
                    changed=bool(plan.changes),
                    account_id=plan.account.pk,
                    external_id=plan.external_id,
                    values=plan.fields,
                    salesperson_id=plan.salesperson.pk if plan.allocate_at else None,
                    allocate_at=plan.allocate_at,
                    reply_at=plan.first_reply_at if plan.log_reply else None,
                    verdict=plan.quality if plan.record_verdict else None,
                    reason=plan.invalid_reason or "",
                    order_id=plan.order_id,
                    won_at=plan.won_at,
                    amount=plan.amount,
                    trade_assurance=bool(plan.trade_assurance),
                    audit_summary=audit[0] if audit else None,
                    audit_changes=audit[1] if audit else None,
                )
            )
        by = self.ctx.by
        bulk_sql.write_inquiry_rows(
            staged,
            buyers=buyers.new_buyers,
            buyer_keys=[(buyer.pk, kind, value) for buyer, kind, value in buyers.new_keys],
            now=timezone.now(),
            changed_at=self.ctx.now,
            reply_deadline=dt.timedelta(hours=CompanySettings.load().reply_deadline_hours),
            actor_id=by.pk if by is not None and by.pk else None,
        )

    def _audit_of(self, plan: InquiryPlan) -> tuple[str, dict] | None:
        """The inquiry's one audit row: who imported, in which job, and everything the row set."""
        texts = self._texts
        history = []  # (summary, {action, target, **changes}) in the order the services write them
        target = f"inquiries.inquiry:{plan.inquiry.pk}"
        if plan.allocate_at:
            history.append((
                texts["allocated"] % {"to": plan.salesperson.label, "why": texts["import"]},
                {"action": "inquiry.allocate", "target": target,
                 "owner": [plan.previous_owner, plan.salesperson.username], "reason": Allocation.Reason.IMPORT,
                 "note": "", "at": plan.allocate_at.isoformat()},
            ))  # fmt: skip
        if plan.log_reply:
            history.append((
                texts["logged"],
                {"action": "followup.log", "target": target, "kind": FollowUp.Kind.REPLY,
                 "at": plan.first_reply_at.isoformat(), "note": ""},
            ))  # fmt: skip
        if plan.record_verdict:
            history.append((
                texts["verdict"] % {"side": texts["ops"], "verdict": texts[plan.quality]},
                {"action": "quality.decide", "target": target, "verdict": plan.quality,
                 "reason": plan.invalid_reason or "", "note": ""},
            ))  # fmt: skip
        if plan.record_order:
            history.append((
                texts["order"] % {"amount": plan.amount},
                {"action": "order.record", "target": f"inquiries.order:{plan.order_id}",
                 "won_at": plan.won_at.isoformat(), "amount_usd": str(plan.amount),
                 "trade_assurance": bool(plan.trade_assurance)},
            ))  # fmt: skip
        if not history and not plan.changes:
            return None
        parts = [summary[:500] for summary, _entry in history]
        changes: dict[str, Any] = {"import_job": self.ctx.job_id}
        if plan.changes:
            parts.insert(0, texts["changed"] % {"fields": ", ".join(sorted(plan.changes))})
            changes["fields"] = plan.changes
        if history:
            changes["history"] = [entry for _summary, entry in history]
        return (texts["imported"] % {"what": "; ".join(parts)})[:500], changes

    @functools.cached_property
    def _texts(self) -> dict[str, str]:
        """The audit texts, translated once per import (as the services write them)."""
        return {
            "imported": _("Imported: %(what)s"),
            "changed": _("Changed: %(fields)s"),
            "allocated": _("Allocated to %(to)s (%(why)s)"),
            "import": str(Allocation.Reason.IMPORT.label),
            "logged": _("Follow-up logged: %(kind)s") % {"kind": str(FollowUp.Kind.REPLY.label)},
            "verdict": _("%(side)s: %(verdict)s"),
            "ops": str(QualityVerdict.Side.OPERATIONS.label),
            **{value: str(label) for value, label in Quality.choices},
            "order": _("Order recorded: US$%(amount)s"),
        }


# ---------------------------------------------------------------------------------------------
# RFQ quotes


class RfqQuotesImporter(SheetImporter):
    kind = "rfq_quotes"

    def raw_key(self, row):
        username, rfq_id = _text_key(row.raw("username")), _text_key(row.raw("rfq_id"))
        return (username, rfq_id) if username and rfq_id else None

    def import_batch(self, rows):
        parsed = []
        for row in rows:
            values = {
                "username": row.get("username", p.parse_username, required=True),
                "quoted_at": row.get("quoted_at", p.parse_time, self.ctx.tz, required=True),
                "rfq_id": row.get("rfq_id", p.parse_text, 100, required=True),
                "account": row.get("account", p.parse_text, 100),
            }
            if self.ctx.in_future(values["quoted_at"]):
                row.reject("quoted_at", gettext_noop("In the future."))
            if not row.problems:
                parsed.append((row, values))
        users = self.ctx.users({v["username"] for _r, v in parsed})
        accounts = self.ctx.accounts({v["account"] for _r, v in parsed if v["account"]})
        good = []
        for row, values in parsed:
            user = users.get(values["username"])
            if user is None:
                row.reject("username", gettext_noop("Unknown user %(username)s."), username=values["username"])
            elif not user.is_sales:
                row.reject("username", gettext_noop("%(name)s is not a salesperson."), name=values["username"])
            if values["account"] and values["account"] not in accounts:
                row.reject("account", gettext_noop("Unknown account %(code)s."), code=values["account"])
            if not row.problems:
                good.append((row, values, user, accounts.get(values["account"])))
        existing = {
            (q.salesperson_id, q.rfq_id): q
            for q in RfqQuote.objects.filter(
                salesperson__in={u.pk for _r, _v, u, _a in good}, rfq_id__in={v["rfq_id"] for _r, v, _u, _a in good}
            )
        }
        outcome = BatchOutcome()
        creates, updates, events = [], [], []
        for row, values, user, account in good:
            if not self.claim(row, (user.username, values["rfq_id"]), "rfq_id"):
                continue
            quote = existing.get((user.pk, values["rfq_id"]))
            if quote is None:
                creates.append(
                    RfqQuote(salesperson=user, rfq_id=values["rfq_id"], quoted_at=values["quoted_at"], account=account)
                )
                outcome.created += 1
                continue
            changes = _diff(quote, {"quoted_at": values["quoted_at"], "account": account})
            if changes:
                updates.append(quote)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        RfqQuote.objects.bulk_create(creates, batch_size=500)
        RfqQuote.objects.bulk_update(updates, ["quoted_at", "account"], batch_size=1000)
        for quote in creates:
            events.append(
                _audit(
                    action="rfq.quote",
                    target=quote,
                    by=self.ctx.by,
                    summary=_("RFQ quote %(rfq)s logged") % {"rfq": quote.rfq_id},
                    changes={"rfq_id": quote.rfq_id, "quoted_at": quote.quoted_at.isoformat(), "import": True},
                )
            )
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self._collect(outcome, rows)
        return outcome


# ---------------------------------------------------------------------------------------------
# reply rates


class ReplyRatesImporter(SheetImporter):
    kind = "reply_rates"

    def raw_key(self, row):
        account, day = _text_key(row.raw("account")), row.raw("date")
        if not account or p.is_blank(day):
            return None
        try:
            return (account, p.parse_date(day, self.ctx.tz))
        except p.CellError:
            return None

    def import_batch(self, rows):
        parsed = []
        for row in rows:
            values = {
                "account": row.get("account", p.parse_text, 100, required=True),
                "date": row.get("date", p.parse_date, self.ctx.tz, required=True),
                "reply_rate": row.get("reply_rate", p.parse_rate, required=True),
                "avg_reply_hours": row.get("avg_reply_hours", p.parse_hours),
            }
            if values["date"] is not None and values["date"] > self.ctx.now.astimezone(self.ctx.tz).date():
                row.reject("date", gettext_noop("In the future."))
            if not row.problems:
                parsed.append((row, values))
        accounts = self.ctx.accounts({v["account"] for _r, v in parsed})
        for row, values in parsed:
            if values["account"] not in accounts:
                row.reject("account", gettext_noop("Unknown account %(code)s."), code=values["account"])
        good = [(row, values, accounts[values["account"]]) for row, values in parsed if not row.problems]
        existing = {
            (s.account_id, s.date): s
            for s in ReplyRateSnapshot.objects.filter(
                account__in={a.pk for _r, _v, a in good}, date__in={v["date"] for _r, v, _a in good}
            )
        }
        outcome = BatchOutcome()
        creates, updates = [], []
        for row, values, account in good:
            if not self.claim(row, (account.code, values["date"]), "date"):
                continue
            snapshot = existing.get((account.pk, values["date"]))
            wanted = {"reply_rate": values["reply_rate"], "avg_reply_hours": values["avg_reply_hours"]}
            if snapshot is None:
                creates.append(ReplyRateSnapshot(account=account, date=values["date"], **wanted))
                outcome.created += 1
            elif _diff(snapshot, wanted):
                updates.append(snapshot)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        ReplyRateSnapshot.objects.bulk_create(creates, batch_size=500)
        ReplyRateSnapshot.objects.bulk_update(updates, ["reply_rate", "avg_reply_hours"], batch_size=1000)
        self._collect(outcome, rows)
        return outcome


# ---------------------------------------------------------------------------------------------
# Alibaba's reply detail (回复明细)


class ReplyDetailImporter(SheetImporter):
    """First replies of inquiries we have, through the ledger's rule: an earlier reply moves the first reply.

    An inquiry has one row per message sent, so the same inquiry several times is normal: the
    earliest counts. A row naming an inquiry we do not have is rejected, never turned into one.
    """

    kind = "reply_detail"

    def raw_key(self, row):
        return None

    def import_batch(self, rows):
        tz = self.ctx.tz
        parsed = []
        for row in rows:
            values = {
                "inquiry_id": row.get("inquiry_id", p.parse_text, 100, required=True),
                "account": row.get("account", p.parse_text, 100),
                "replied_at": row.get("replied_at", p.parse_time, tz, required=True),
                "replied_by": row.get("replied_by", p.parse_text, 100),
                "responsible": row.get("responsible", p.parse_text, 100),
            }
            if self.ctx.in_future(values["replied_at"]):
                row.reject("replied_at", gettext_noop("In the future."))
            if not row.problems:
                parsed.append((row, values))
        stored: dict[str, list[Inquiry]] = {}
        for inquiry in Inquiry.objects.filter(external_id__in={v["inquiry_id"] for _r, v in parsed}).select_related(
            "account", "owner"
        ):
            stored.setdefault(inquiry.external_id, []).append(inquiry)
        people = self.ctx.people({v["replied_by"] for _r, v in parsed} | {v["responsible"] for _r, v in parsed})
        earliest: dict[int, tuple[dt.datetime, Inquiry, User | None]] = {}
        outcome = BatchOutcome()
        for row, values in parsed:
            inquiry = self._inquiry(row, values, stored)
            if inquiry is None:
                continue
            if values["replied_at"] < inquiry.received_at:
                row.reject("replied_at", gettext_noop("Earlier than the time the inquiry was received."))
                continue
            author = people.get(values["replied_by"]) or people.get(values["responsible"]) or inquiry.owner
            current = earliest.get(inquiry.pk)
            if current is None or values["replied_at"] < current[0]:
                earliest[inquiry.pk] = (values["replied_at"], inquiry, author if author and author.is_sales else None)
            outcome.unchanged += 1  # a later message of the inquiry, or the first one already stored
        requests = [
            services.FollowUpRequest(inquiry, FollowUp.Kind.REPLY, at, author or inquiry.owner)
            for at, inquiry, author in earliest.values()
            if inquiry.first_reply_at is None or at < inquiry.first_reply_at
        ]
        services.followups_log_many(requests=requests, by=self.ctx.by)
        outcome.unchanged -= len(requests)
        outcome.updated += len(requests)
        self._collect(outcome, rows)
        return outcome

    @staticmethod
    def _inquiry(row: RowValues, values: dict, stored: dict[str, list[Inquiry]]) -> Inquiry | None:
        candidates = stored.get(values["inquiry_id"], [])
        if values["account"]:
            candidates = [i for i in candidates if i.account.code == values["account"]]
        if not candidates:
            row.reject(
                "inquiry_id",
                gettext_noop(
                    "InquiryHub has no inquiry %(id)s: import the inquiries first (a reply never creates one)."
                ),
                id=values["inquiry_id"],
            )
            return None
        if len(candidates) > 1:
            row.reject(
                "inquiry_id",
                gettext_noop("Inquiry %(id)s exists on several accounts: add the account column."),
                id=values["inquiry_id"],
            )
            return None
        return candidates[0]


# ---------------------------------------------------------------------------------------------
# Alibaba's staff analysis (数据管家 → 员工分析)

_MONTH_RE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})(?!\d)")


def month_from_text(text: str) -> dt.date | None:
    """The month a title or cell names: 2024-01, 2024年1月, 2024-01-01 ~ 2024-01-31 (its first month)."""
    match = _MONTH_RE.search(text or "")
    if match is None or not 1 <= int(match.group("m")) <= 12:
        return None
    return dt.date(int(match.group("y")), int(match.group("m")), 1)


def parse_month(value: Any, tz: dt.tzinfo) -> dt.date:
    if isinstance(value, dt.datetime):
        value = (value.astimezone(tz) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    month = month_from_text(str(value))
    if month is None:
        raise p.CellError(gettext_noop("Not a month. Write 2024-01 or 2024年1月."))
    return month


class StaffAnalysisImporter(SheetImporter):
    """Alibaba's own figures per salesperson and month, kept beside ours (AlibabaStaffMonth)."""

    kind = "staff_analysis"
    FIGURES = {
        "inquiries": p.parse_whole_number,
        "tm_customers": p.parse_whole_number,
        "reply_rate": p.parse_rate,
        "fast_reply_rate": p.parse_rate,
        "avg_reply_hours": p.parse_hours,
        "ta_orders": p.parse_whole_number,
        "revenue_usd": p.parse_amount,
        "rfq_reply_rate": p.parse_rate,
        "login_days": p.parse_whole_number,
    }

    def __init__(self, ctx, source):
        super().__init__(ctx, source)
        # The export states its period in a title row above the header ("统计时间：2024-01-01 ~ 2024-01-31").
        self.title_month = next(filter(None, (month_from_text(line) for line in source.preamble)), None)

    def raw_key(self, row):
        return _text_key(row.raw("name")) or None

    def import_batch(self, rows):
        by = self.ctx.by
        parsed = []
        for row in rows:
            values = {
                "name": row.get("name", p.parse_text, 100, required=True),
                "month": row.get("month", parse_month, self.ctx.tz) or self.title_month,
            }
            values.update({key: row.get(key, parse) for key, parse in self.FIGURES.items()})
            if values["month"] is None and not row.problems:
                row.reject("month", gettext_noop("No month: add a month column, or keep the export's title rows."))
            if not row.problems:
                parsed.append((row, values))
        people = self.ctx.people({v["name"] for _r, v in parsed})
        good = []
        for row, values in parsed:
            person = people.get(values["name"])
            if person is None:
                row.reject(
                    "name",
                    gettext_noop(
                        "No team member is called %(name)s: link this Alibaba name to a salesperson "
                        "(Imports → Alibaba names), then import the file again."
                    ),
                    name=values["name"],
                )
            elif not person.is_sales:
                row.reject("name", gettext_noop("%(name)s is not a salesperson."), name=values["name"])
            elif self.claim(row, (person.pk, values["month"]), "name"):
                good.append((row, values, person))
        existing = {
            (s.person_id, s.month): s
            for s in AlibabaStaffMonth.objects.filter(
                person__in={person.pk for _r, _v, person in good}, month__in={v["month"] for _r, v, _p in good}
            )
        }
        outcome = BatchOutcome()
        creates, updates, events = [], [], []
        for _row, values, person in good:
            figures = {key: values[key] for key in self.FIGURES}
            snapshot = existing.get((person.pk, values["month"]))
            if snapshot is None:
                snapshot = AlibabaStaffMonth(
                    person=person, month=values["month"], alibaba_name=values["name"], **figures
                )
                creates.append(snapshot)
                outcome.created += 1
                changes = {k: _jsonable(v) for k, v in figures.items() if v is not None}
            else:
                changes = _diff(snapshot, figures)
                if not changes:
                    outcome.unchanged += 1
                    continue
                snapshot.imported_at = self.ctx.now
                updates.append(snapshot)
                outcome.updated += 1
            events.append(
                _audit(
                    action="alibaba.staff_figures",
                    target=person,
                    by=by,
                    summary=_("Alibaba's figures of %(name)s for %(month)s imported")
                    % {"name": person.label, "month": values["month"].strftime("%Y-%m")},
                    changes={"month": values["month"].isoformat(), "import_job": self.ctx.job_id, **changes},
                )
            )
        AlibabaStaffMonth.objects.bulk_create(creates, batch_size=500)
        AlibabaStaffMonth.objects.bulk_update(updates, [*self.FIGURES, "imported_at"], batch_size=1000)
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self._collect(outcome, rows)
        return outcome


IMPORTERS: dict[str, type[SheetImporter]] = {
    cls.kind: cls
    for cls in (
        TeamImporter,
        AccountsImporter,
        InquiriesImporter,
        RfqQuotesImporter,
        ReplyRatesImporter,
        ReplyDetailImporter,
        StaffAnalysisImporter,
    )
}
