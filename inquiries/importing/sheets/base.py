"""Writing the sheets of an import, one batch of rows at a time (part of the service layer).

Each importer reads a batch of rows, looks up everything the batch names in a fixed number of
queries, decides row by row what must change (a row with any problem is rejected whole and
writes nothing), then writes in bulk. An inquiry row's allocation, first reply, quality
verdict and order are written by the batch services in `inquiries.services` on SQLite and, on
PostgreSQL, set-based by `bulk_sql` under the same rules (tested to write the same rows), so
owners, first replies, states and the audit trail are exactly what the pages would have
written. A row whose data is already stored writes nothing at all: importing a file twice
changes nothing.

This module holds what every sheet shares: problems, row values, the context, the base importer.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, AlibabaName, AuditEvent, User
from accounts.permissions import OPERATIONS

from .. import parsers as p
from ..cells import _clean_text
from ..readers import SheetSource

# A time up to this far ahead of the clock is taken as clock skew, not as a typing mistake.
FUTURE_SLACK = dt.timedelta(minutes=10)


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
    return _clean_text(value) if not p.is_blank(value) else ""
