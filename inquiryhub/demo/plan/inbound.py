"""The inbound inquiries of each account and month, and what their owners do with them: replies,
conversations, quality flags, orders won and lost, reallocation when the deadline passes."""

from __future__ import annotations

import datetime as dt
import random

from ..catalogue import EURO, PRODUCTS, Product, buyer_make, eur_of, message_write, order_amount
from .base import buyer_wrote, in_hours, product_named, skewed
from .records import Allocation, FollowUp, Inquiry, Loss, Order, Verdict
from .story import (
    ACCOUNTS,
    CANCEL_NOTES,
    CONFIRM_NOTE,
    EXCUSE_NOTES,
    FIRST_MONTH,
    FLAG_NOTES,
    FLAG_REASON,
    HABITS,
    LATER_NOTES,
    LOST_NOTES,
    MAIN_A,
    MAIN_B,
    MAIN_B_SHARE,
    NATURES,
    NEW_HOLDER,
    NEW_HOLDER_WINS,
    OLD_HOLDER,
    OLD_HOLDER_WINS,
    ORDER_NOTES,
    OVERTURN_NOTE,
    QUOTE_NOTE,
    REPLY_NOTES,
    SEED,
    STALE_NOTE,
    UNANSWERED_LOST,
    DemoAccount,
    Habit,
    account_volume,
    old_holder_habit,
)


class InboundPlanner:
    """Part of the planner (plan/__init__.py): the inbound inquiries, on the calendar of PlannerBase."""

    def plan_inbound(self) -> None:
        for account in ACCOUNTS:
            for month in range(max(FIRST_MONTH, account.opens), 1):
                rng = random.Random(f"{SEED}/inbound/{account.code}/{month}")
                volume = account_volume(account.code, month)
                if month == 0:
                    volume = max(round(volume * self.elapsed), 3 if account.code != MAIN_A else 12)
                self.plan_account_month(rng, account, month, volume)

    def plan_account_month(self, rng: random.Random, account: DemoAccount, month: int, volume: int) -> None:
        start, end = self.month_span(month)
        span = (end - start).total_seconds()
        times = sorted(start + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(volume))
        month_label = self.month_starts[month].strftime("%Y%m")
        planned: list[Inquiry] = []
        for seq, received in enumerate(times, start=1):
            nature = rng.choices([n for n, _ in NATURES], weights=[w for _, w in NATURES])[0]
            source = "tm" if rng.random() < 0.25 else "inquiry"
            if nature == "duplicate" and planned:
                content = _repeated(rng.choice(planned))
            else:
                nature = "good" if nature == "duplicate" else nature
                buyer = buyer_make(rng)
                product = rng.choice(PRODUCTS)
                content = buyer_wrote(
                    buyer, message_write(rng, nature=nature, source=source, buyer=buyer, product=product)
                )
            inquiry = Inquiry(
                account=account.code,
                external_id=f"{month_label}{account.number}{seq:05d}",
                received_at=received,
                month=month,
                source=source,
                nature=nature,
                **content,
            )
            planned.append(inquiry)
            self.work(rng, inquiry, account)
        if account.code == MAIN_A:
            self.plan_main_a_wins(rng, planned, month)
        self.inquiries.extend(planned)

    def owner_for(self, rng: random.Random, account: DemoAccount, at: dt.datetime) -> str | None:
        holder = self.holder(account.code, at)
        if account.code == MAIN_B:
            names, weights = zip(*MAIN_B_SHARE, strict=True)
            return rng.choices(names, weights=weights)[0]
        return holder

    def habit_for(self, salesperson: str, account: str, month: int) -> Habit:
        if salesperson == OLD_HOLDER and account == MAIN_A:
            return old_holder_habit(account_volume(MAIN_A, month))
        return HABITS[salesperson]

    def work(self, rng: random.Random, inquiry: Inquiry, account: DemoAccount) -> None:
        """Screening, allocation, flags and verdicts, replies, follow-ups, orders, losses."""
        received = inquiry.received_at
        # Operations screen out half of the obvious spam before anyone gets it.
        if inquiry.nature == "spam" and rng.random() < 0.5:
            at = received + dt.timedelta(minutes=rng.uniform(15, 120))
            who = rng.choice(("ops", "opsmgr"))
            inquiry.verdicts.append(Verdict(at, "ops", "invalid", "spam", FLAG_NOTES["spam"], who))
            return
        allocated = self.allocation_time(rng, received)
        owner = self.owner_for(rng, account, allocated)
        if owner is None:
            return
        if account.kind == "sub":
            inquiry.allocations.append(Allocation(allocated, owner, None, "rule"))
        else:
            inquiry.allocations.append(Allocation(allocated, owner, rng.choice(("ops", "ops", "opsmgr")), "manual"))
        habit = self.habit_for(owner, account.code, inquiry.month)
        self.answer(rng, inquiry, owner, habit, allocated, account)

    def answer(
        self, rng: random.Random, inquiry: Inquiry, owner: str, habit: Habit, allocated: dt.datetime, account
    ) -> None:
        # Unanswered inquiries are closed as lost 14-16 days on; younger ones still get their answer,
        # so that "past the reply deadline" shows this week's misses, not a year's.
        recent = inquiry.received_at > self.now - dt.timedelta(days=17)
        poor = inquiry.nature != "good"
        flags = rng.random() < (habit.flag_bad if poor else habit.flag_good)
        if flags:
            reason = FLAG_REASON.get(inquiry.nature) or rng.choice(("no_requirement", "wrong_customer", "no_response"))
            flagged_at = allocated + in_hours(skewed(rng, 0.5, 30))
            note = FLAG_NOTES[reason] if poor else rng.choice(EXCUSE_NOTES)
            if reason == "no_response":
                # Answered first; the buyer went quiet.
                replied = allocated + in_hours(skewed(rng, *habit.delay))
                inquiry.followups.append(FollowUp(replied, "reply", owner, rng.choice(REPLY_NOTES)))
                flagged_at = replied + dt.timedelta(days=rng.uniform(5, 10))
            inquiry.verdicts.append(Verdict(flagged_at, "sales", "invalid", reason, note, owner))
            decided = flagged_at + in_hours(rng.uniform(4, 72))
            confirm = rng.random() < (0.9 if poor else 0.15)
            decider = rng.choice(("ops", "opsmgr"))
            if confirm:
                inquiry.verdicts.append(Verdict(decided, "ops", "invalid", reason, CONFIRM_NOTE, decider))
                return
            inquiry.verdicts.append(Verdict(decided, "ops", "valid", "", OVERTURN_NOTE, decider))
            if inquiry.first_reply_at is not None:
                # Answered before the flag, and the buyer stays quiet: closed a month on.
                inquiry.loss = Loss(decided + dt.timedelta(days=rng.uniform(21, 35)), owner, STALE_NOTE)
                return
            swamped = habit.reply < 0.7
            if swamped and not recent:
                self.unanswered(rng, inquiry)
                return
            allocated = decided  # told to follow up: the clock restarts
        replies = rng.random() < (habit.reply if not poor else habit.reply * 0.75)
        delay = skewed(rng, *habit.delay)
        if not replies and recent:
            replies, delay = True, delay * 2.5
        if not replies:
            if owner == OLD_HOLDER and account.code == MAIN_A and rng.random() < 0.2:
                self.reallocate_on_deadline(rng, inquiry, allocated, account)
            else:
                self.unanswered(rng, inquiry)
            return
        self.converse(rng, inquiry, owner, habit, allocated + in_hours(delay), may_win=account.code != MAIN_A)

    def converse(
        self, rng: random.Random, inquiry: Inquiry, owner: str, habit: Habit, first: dt.datetime, *, may_win: bool
    ) -> None:
        """The first reply and what follows; some inquiries are won, some lost."""
        product = product_named(inquiry.product)
        kind = rng.choices(("reply", "quote", "email"), weights=(50, 35, 15))[0]
        inquiry.followups.append(FollowUp(first, kind, owner, self.reply_note(rng, kind, product)))
        at = first
        for chance in (0.55, 0.25):
            if rng.random() >= chance:
                break
            at = at + dt.timedelta(days=rng.uniform(1, 6))
            later = rng.choice(("sample", "call", "meeting", "note", "email", "quote"))
            inquiry.followups.append(FollowUp(at, later, owner, LATER_NOTES[later]))
        if may_win and inquiry.nature == "good" and rng.random() < habit.win:
            self.win(rng, inquiry, owner, habit, at + dt.timedelta(days=rng.uniform(2, 20)), product)
        elif rng.random() < 0.06:
            inquiry.loss = Loss(at + dt.timedelta(days=rng.uniform(5, 20)), owner, rng.choice(LOST_NOTES))
        else:
            # The buyer went quiet: a month on, the salesperson closes it, so "open" means open.
            inquiry.loss = Loss(at + dt.timedelta(days=rng.uniform(21, 35)), owner, STALE_NOTE)

    def reply_note(self, rng: random.Random, kind: str, product: Product | None) -> str:
        if kind == "quote" and product is not None:
            price = round(rng.uniform(*product.price_usd), 2)
            moq = product.quantities[0]
            return QUOTE_NOTE.format(price=f"{price:.2f}", unit=product.unit, moq=moq)
        return rng.choice(REPLY_NOTES)

    def win(
        self, rng: random.Random, inquiry: Inquiry, owner: str, habit: Habit, at: dt.datetime, product, cancel=True
    ) -> None:
        amount = order_amount(rng, product)
        ta = rng.random() < habit.ta
        order = Order(at, amount, ta, owner, note=ORDER_NOTES[ta])
        if inquiry.country in EURO and not ta and rng.random() < 0.5:
            order.original_currency, order.original_amount = "EUR", eur_of(amount)
        if cancel and rng.random() < 0.06:
            order.cancelled_at = at + dt.timedelta(days=rng.uniform(2, 15))
            order.cancel_reason = rng.choice(CANCEL_NOTES)
        inquiry.orders.append(order)

    def unanswered(self, rng: random.Random, inquiry: Inquiry) -> None:
        """Nobody answered: two weeks on, the operations manager closes it as lost."""
        inquiry.loss = Loss(inquiry.received_at + dt.timedelta(days=14 + rng.uniform(0, 2)), "opsmgr", UNANSWERED_LOST)

    def reallocate_on_deadline(self, rng: random.Random, inquiry: Inquiry, allocated: dt.datetime, account) -> None:
        due = max(inquiry.received_at, allocated) + in_hours(24)
        again = due + in_hours(rng.uniform(1, 8))
        to = rng.choice(("zhoujie", "wumin"))
        inquiry.allocations.append(Allocation(again, to, "opsmgr", "deadline"))
        habit = HABITS[to]
        self.converse(rng, inquiry, to, habit, again + in_hours(skewed(rng, *habit.delay)), may_win=False)

    def plan_main_a_wins(self, rng: random.Random, planned: list[Inquiry], month: int) -> None:
        """Exactly the story's orders: won in the month the inquiry came in."""
        _start, end = self.month_span(month)
        for holder, wins in ((OLD_HOLDER, OLD_HOLDER_WINS), (NEW_HOLDER, NEW_HOLDER_WINS)):
            count = wins.get(month, 0)
            if month == 0:
                count = int(count * self.elapsed)
            if not count:
                continue
            candidates = [
                i
                for i in planned
                if i.owner == holder
                and len(i.allocations) == 1
                and i.nature == "good"
                and not i.verdicts
                and (i.loss is None or i.loss.reason == STALE_NOTE)
                and i.first_reply_at is not None
                and i.first_reply_at + dt.timedelta(days=2.5) < end
            ]
            habit = self.habit_for(holder, MAIN_A, month)
            for inquiry in rng.sample(candidates, min(count, len(candidates))):
                latest = inquiry.followups[-1].at
                room = (end - latest).total_seconds() / 86400
                if room < 1.5:
                    latest, room = inquiry.first_reply_at, (end - inquiry.first_reply_at).total_seconds() / 86400
                inquiry.followups[:] = [f for f in inquiry.followups if f.at <= latest]
                inquiry.loss = None
                won = latest + dt.timedelta(days=rng.uniform(0.5, min(room - 0.5, 15)))
                inquiry.followups.append(FollowUp(won - in_hours(6), "quote", holder, "确认最终价格和交期"))
                self.win(rng, inquiry, holder, habit, won, product_named(inquiry.product), cancel=False)


def _repeated(earlier: Inquiry) -> dict:
    """A buyer writing again what they wrote before (the duplicate operations flag)."""
    return {
        "buyer_name": earlier.buyer_name,
        "buyer_company": earlier.buyer_company,
        "buyer_email": earlier.buyer_email,
        "country": earlier.country,
        "product": earlier.product,
        "quantity": earlier.quantity,
        "subject": f"Re: {earlier.subject}"[:500],
        "message": "Sent you the same request a few days ago, please check and quote.",
    }
