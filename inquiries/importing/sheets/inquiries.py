"""The inquiries sheet: each row an inquiry, its allocation, first reply, quality and order."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account, User

from ... import services
from ...models import Inquiry, Order, Quality, QualityVerdict
from .. import bulk_sql
from .. import parsers as p
from .base import BatchOutcome, RowValues, SheetImporter, _diff, _text_key
from .inquiries_write import InquiryWriter

INQUIRY_TEXT_FIELDS = {
    "buyer_name": 200,
    "buyer_company": 200,
    "buyer_phone": 50,
    "product": 300,
    "quantity": 100,
    "subject": 500,
    "message": 20_000,
}


@dataclass(slots=True)
class StoredInquiry:
    """A stored inquiry as a row is compared with it: its own columns, its owner and first reply.

    Read as plain values (a re-imported file compares every row and usually writes none); the
    model instance is loaded only for a row that writes through the services (`_instances_for`).
    """

    pk: int
    owner_id: int | None
    owner_username: str | None
    first_reply_at: dt.datetime | None
    received_at: dt.datetime
    source: str
    buyer_name: str
    buyer_company: str
    buyer_email: str
    buyer_phone: str
    country: str
    product: str
    quantity: str
    subject: str
    message: str


# In StoredInquiry's order (a test checks it): what is read of each stored inquiry.
STORED_FIELDS = ("id", "owner_id", "owner__username", "first_reply_at", *bulk_sql.INQUIRY_COLUMNS)


def _moves_received(inquiry: Inquiry | StoredInquiry, received: dt.datetime | None) -> bool:
    return received is not None and received != inquiry.received_at


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
    inquiry: Inquiry | StoredInquiry | None = None
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


class InquiriesImporter(InquiryWriter, SheetImporter):
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
        stored = self._stored(plans)
        latest_decision = self._latest_decisions(plans, stored)
        orders = self._stored_orders(plans, stored)
        decided = []
        for plan in plans:
            # Checked before anything is compared: a repeated row must not touch the stored inquiry.
            if self.is_repeat(plan.row, _inquiry_key(plan.account.code, plan.external_id), "inquiry_id"):
                continue
            if self._decide_row(plan, stored[id(plan)], latest_decision, orders):
                self.seen[_inquiry_key(plan.account.code, plan.external_id)] = plan.row.number
                decided.append(plan)
        return decided

    def _stored(self, plans: list[InquiryPlan]) -> dict[int, StoredInquiry | None]:
        """The stored inquiry of each plan (keyed by the plan's id), None for a new one."""
        if not plans:
            return {}
        numbers_by_account: dict[int, set[str]] = {}
        for plan in plans:
            numbers_by_account.setdefault(plan.account.pk, set()).add(plan.external_id)
        # One condition per account, so that the unique (account, number) index finds each row;
        # "account in …, number in …" made PostgreSQL read every stored inquiry of those accounts.
        wanted = functools.reduce(
            operator.or_, (Q(account_id=a, external_id__in=numbers) for a, numbers in numbers_by_account.items()), Q()
        )
        existing = {
            (account_id, external_id): StoredInquiry(*values)
            for account_id, external_id, *values in Inquiry.objects.filter(wanted)
            .order_by()
            .values_list("account_id", "external_id", *STORED_FIELDS)
        }
        return {id(plan): existing.get((plan.account.pk, plan.external_id)) for plan in plans}

    @staticmethod
    def _latest_decisions(plans: list[InquiryPlan], stored: dict) -> dict[int, tuple[str, str]]:
        """The latest operations verdict and reason of each stored inquiry whose row gives a quality."""
        with_quality = [i.pk for plan in plans if plan.quality and (i := stored[id(plan)])]
        latest_decision: dict[int, tuple[str, str]] = {}
        for inquiry_id, verdict, reason in (
            QualityVerdict.objects.filter(inquiry_id__in=with_quality, side=QualityVerdict.Side.OPERATIONS)
            .order_by("decided_at", "id")
            .values_list("inquiry_id", "verdict", "reason")
        ):
            latest_decision[inquiry_id] = (verdict, reason)
        return latest_decision

    @staticmethod
    def _stored_orders(plans: list[InquiryPlan], stored: dict) -> dict[int, list[Order]]:
        """The orders of the stored inquiries whose row names an order or moves the time received."""
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
        return orders

    def _decide_row(
        self, plan: InquiryPlan, inquiry: StoredInquiry | None, latest_decision: dict, orders: dict[int, list[Order]]
    ) -> bool:
        """Decide what one row changes; False (the row rejected) when it cannot be written."""
        row = plan.row
        if inquiry is not None and _moves_received(inquiry, received := plan.fields["received_at"]):
            won_earlier = [o.won_at for o in orders.get(inquiry.pk, []) if o.won_at < received]
            if won_earlier:
                row.reject(
                    "received_at",
                    gettext_noop("An order of this inquiry was won earlier, at %(won_at)s."),
                    won_at=timezone.localtime(min(won_earlier), self.ctx.tz).strftime("%Y-%m-%d %H:%M"),
                )
                return False
        given = {k: v for k, v in plan.fields.items() if v is not None}
        if inquiry is None:
            inquiry = Inquiry(account=plan.account, external_id=plan.external_id, **given)
        else:
            plan.changes = _diff(inquiry, given)
            plan.previous_owner = inquiry.owner_username
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
            plan.record_verdict = decision != (plan.quality, reason)
        # A row that names an order is written only if its order can be.
        return plan.won_at is None or self._decide_order(plan, orders.get(inquiry.pk, []))

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
        writing = [plan for plan in plans if plan.inquiry.pk is None or plan.writes]
        if connection.vendor == "postgresql":
            self._write_set_based(writing)
        else:
            self._write_with_services(writing)
        # The one place where the ids of the inquiries this import creates are known.
        outcome.new_inquiry_ids = [inquiry.pk for inquiry in new]

        self._update_orders(plans)
        self._count(outcome, plans, new)
        self._collect(outcome, rows)
        return outcome

    @staticmethod
    def _update_orders(plans: list[InquiryPlan]) -> None:
        # Changed order terms are rare (a corrected ledger): one audited update each.
        for plan in plans:
            if plan.order_update:
                order, differ = plan.order_update
                services.order_update(order=order, by=None, **differ)

    @staticmethod
    def _count(outcome: BatchOutcome, plans: list[InquiryPlan], new: list[Inquiry]) -> None:
        created = {id(i) for i in new}
        for plan in plans:
            if id(plan.inquiry) in created:
                outcome.created += 1
            elif plan.writes:
                outcome.updated += 1
            else:
                outcome.unchanged += 1
