"""A year of the demo company, planned in plain Python: no database, no Django models.

The story is the article's (see /docs/decisions.md, "Demo data"): operations grow main account A
from 70 inquiries a month to 500+; its experienced holder (王强) wins 7 orders in his 300 month,
then none at 500+, replies late or not at all, flags the inquiries as worthless and gives the
account up; he gets a sub-account instead, and 陈静 takes main A, answers everything, and wins
more each month. Main account B and the sub-accounts carry on as an ordinary team would.

`demo_plan(now=...)` is deterministic: the same instant gives the same plan, and every instant
gives the same shape, because times are laid out inside the calendar months before `now` in the
company's time zone. Nothing after `now` is planned.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .catalogue import EURO, PRODUCTS, Product, buyer_make, eur_of, message_write, order_amount

SEED = 2026
DEMO_PASSWORD = "inquiryhub-demo-2026"  # noqa: S105 - published in the README, demo users only
COMPANY_NAME = "深圳光明照明科技有限公司"

# Months are numbered relative to the current one: -12 is a year ago, 0 is this (partial) month.
FIRST_MONTH = -12


@dataclass(frozen=True)
class Member:
    username: str
    role: str
    display_name: str
    rfq_quota: int | None = None
    joins: int = FIRST_MONTH  # month the person starts to work inquiries


TEAM = (
    Member("boss", "boss", "黄建国"),
    Member("opsmgr", "ops_manager", "林晓燕"),
    Member("ops", "ops", "李婷"),
    Member("wangqiang", "sales", "王强", 20),
    Member("chenjing", "sales", "陈静", 30, joins=-6),
    Member("lina", "sales", "李娜", 20),
    Member("liuyang", "sales", "刘洋", 30),
    Member("zhaolei", "sales", "赵磊", 20),
    Member("sunli", "sales", "孙丽", 20),
    Member("zhoujie", "sales", "周杰", 20),
    Member("wumin", "sales", "吴敏", 20),
)
SALESPEOPLE = tuple(m.username for m in TEAM if m.role == "sales")
OLD_HOLDER, NEW_HOLDER = "wangqiang", "chenjing"


@dataclass(frozen=True)
class DemoAccount:
    code: str
    name: str
    kind: str
    parent: str | None
    number: int  # in the account's inquiry numbers
    opens: int = FIRST_MONTH


MAIN_A, MAIN_B = "gmlighting", "gylamps"
ACCOUNTS = (
    DemoAccount(MAIN_A, "光明照明 主账号", "main", None, 1),
    DemoAccount("gmlighting01", "光明照明 子账号01", "sub", MAIN_A, 2),
    DemoAccount("gmlighting02", "光明照明 子账号02", "sub", MAIN_A, 3, opens=-6),
    DemoAccount(MAIN_B, "光耀灯饰 主账号", "main", None, 4),
    DemoAccount("gylamps01", "光耀灯饰 子账号01", "sub", MAIN_B, 5),
    DemoAccount("gylamps02", "光耀灯饰 子账号02", "sub", MAIN_B, 6),
)
ACCOUNT_BY_CODE = {a.code: a for a in ACCOUNTS}

# (account, holder, month, hours after the month's start): the holding history.
HOLDINGS = (
    (MAIN_A, OLD_HOLDER, FIRST_MONTH, 0),
    ("gmlighting01", "lina", FIRST_MONTH, 0),
    (MAIN_B, "liuyang", FIRST_MONTH, 0),
    ("gylamps01", "zhaolei", FIRST_MONTH, 0),
    ("gylamps02", "sunli", FIRST_MONTH, 0),
    ("gmlighting02", NEW_HOLDER, -6, 0),
    # The monthly meeting three months ago: 王强 gives main A up and takes 陈静's sub-account.
    (MAIN_A, NEW_HOLDER, -3, 9),
    ("gmlighting02", OLD_HOLDER, -3, 9),
)
HAND_OVER_MONTH = -3

# Inbound inquiries a month on main A, months -12 .. -1; the current month runs at MAIN_A_NOW.
MAIN_A_VOLUME = (70, 90, 140, 210, 300, 380, 470, 510, 520, 530, 545, 560)
MAIN_A_NOW = 570
# Orders the holder of main A wins from each month's inquiries (won in the same month).
OLD_HOLDER_WINS = {-12: 2, -11: 3, -10: 4, -9: 5, -8: 7, -7: 4, -6: 2, -5: 1, -4: 0}
# She wins more each month and, over any 90 days since, converts better than anyone on the team
# (the rules page's conversion, which weighted allocation rewards): the story's point.
NEW_HOLDER_WINS = {-3: 24, -2: 34, -1: 44, 0: 50}
# Main B's inquiries are shared out by operations.
MAIN_B_SHARE = (("liuyang", 0.6), ("zhoujie", 0.2), ("wumin", 0.2))


def account_volume(code: str, month: int) -> int:
    """Inbound inquiries a full month brings to the account."""
    step = month - FIRST_MONTH  # 0 .. 12
    if code == MAIN_A:
        return MAIN_A_VOLUME[step] if month < 0 else MAIN_A_NOW
    if code == "gmlighting01":
        return 12 + step
    if code == "gmlighting02":
        return 8 + 2 * (month + 6)
    if code == MAIN_B:
        return 44 + 2 * step
    return 8 + (step * 2) // 3


@dataclass(frozen=True)
class Habit:
    """How a salesperson works an inquiry."""

    reply: float  # share of the valid inquiries they answer at all
    delay: tuple[float, float]  # hours from allocation to first reply
    win: float  # chance a replied, valid inquiry becomes an order (off the story's account)
    ta: float  # share of their orders through Trade Assurance
    flag_good: float  # chance of calling a good inquiry poor: the excuse
    flag_bad: float  # chance of flagging an inquiry that really is poor


HABITS = {
    NEW_HOLDER: Habit(0.995, (0.2, 3), 0.05, 0.8, 0.003, 0.5),
    "lina": Habit(0.97, (0.5, 6), 0.05, 0.6, 0.01, 0.6),
    "liuyang": Habit(0.95, (1, 8), 0.045, 0.5, 0.01, 0.7),
    "zhaolei": Habit(0.90, (1, 16), 0.035, 0.3, 0.03, 0.7),
    "sunli": Habit(0.96, (0.5, 5), 0.05, 0.7, 0.01, 0.6),
    "zhoujie": Habit(0.90, (2, 20), 0.035, 0.4, 0.02, 0.6),
    "wumin": Habit(0.93, (1, 10), 0.045, 0.5, 0.01, 0.6),
    # 王强 on a sub-account, after the hand-over: no longer drowning, not keen either; he converts
    # the least of anyone, which is why weighted allocation sends him little.
    OLD_HOLDER: Habit(0.88, (3, 30), 0.01, 0.2, 0.04, 0.8),
}


def old_holder_habit(volume: int) -> Habit:
    """王强 on main A: fine while the volume is moderate, swamped at 400+."""
    if volume <= 160:
        return Habit(0.97, (0.3, 6), 0.0, 0.25, 0.01, 0.6)
    if volume <= 320:
        return Habit(0.94, (1, 14), 0.0, 0.25, 0.02, 0.7)
    if volume <= 400:
        return Habit(0.80, (4, 36), 0.0, 0.2, 0.06, 0.8)
    return Habit(0.62, (10, 80), 0.0, 0.15, 0.14, 0.9)


# RFQ quota a salesperson uses each month (share of the quota).
def rfq_usage(username: str, month: int) -> float:
    if username == OLD_HOLDER:
        if month < -8:
            return 0.75
        if month < HAND_OVER_MONTH:
            return {-8: 0.5, -7: 0.3, -6: 0.15, -5: 0.1, -4: 0.1}[month]
        return 0.5
    return {"chenjing": 0.95, "lina": 0.8, "liuyang": 0.7, "zhaolei": 0.4, "sunli": 0.85, "zhoujie": 0.6}.get(
        username, 0.75
    )


NATURES = (("good", 0.80), ("vague", 0.10), ("wrong_customer", 0.04), ("spam", 0.03), ("duplicate", 0.03))
FLAG_REASON = {"vague": "no_requirement", "wrong_customer": "wrong_customer", "spam": "spam", "duplicate": "duplicate"}
FLAG_NOTES = {
    "no_requirement": "只问价格,没有具体型号和数量",
    "wrong_customer": "个人买家/同行,不是目标客户",
    "spam": "垃圾广告",
    "duplicate": "同一客户重复询盘",
    "no_response": "回复了两次,客户没有回音",
}
EXCUSE_NOTES = ("询盘质量太差,都是问价的", "客户没诚意,不用跟", "这种询盘转化不了")
OVERTURN_NOTE = "询盘有具体产品和数量,属于有效询盘,请跟进"
CONFIRM_NOTE = "确认无效"
REPLY_NOTES = (
    "已回复,发送产品目录和价格表",
    "已回复,询问具体数量和认证要求",
    "已回复,推荐同款高性价比型号",
    "邮件回复,附规格书和测试报告",
)
QUOTE_NOTE = "正式报价 US${price}/{unit} FOB 深圳,MOQ {moq}"
LATER_NOTES = {
    "sample": "客户确认寄样,DHL 单号已发",
    "call": "电话沟通,客户确认规格和交期",
    "meeting": "视频会议,给客户看样品和工厂",
    "note": "客户在比价,下周再跟进",
    "email": "邮件跟进,发送认证证书",
    "quote": "客户要求降价,重新报价",
}
LOST_NOTES = ("价格比同行高,客户已下单给别家", "客户项目取消", "客户不再回复")
UNANSWERED_LOST = "超过两周未回复,客户已流失"
STALE_NOTE = "客户一个月没有回音,关闭"
# Share of a salesperson's planned next steps that have slipped past: the diligent one lets almost
# none slip, the one who gave the account up many.
SLIPPED = {NEW_HOLDER: 0.005, OLD_HOLDER: 0.4}
SLIPPED_USUAL = 0.125
CANCEL_NOTES = ("客户取消订单", "定金未到账,订单作废", "客户要求改款,重新下单")
ORDER_NOTES = {True: "信保订单", False: "T/T 30% 定金,70% 见提单副本"}


@dataclass
class Allocation:
    at: dt.datetime
    salesperson: str
    by: str | None
    reason: str  # manual, rule, deadline


@dataclass
class FollowUp:
    at: dt.datetime
    kind: str
    author: str
    note: str
    next_action_on: dt.date | None = None


@dataclass
class Verdict:
    at: dt.datetime
    side: str  # sales, ops
    verdict: str  # valid, invalid
    reason: str
    note: str
    by: str


@dataclass
class Order:
    at: dt.datetime
    amount_usd: Decimal
    trade_assurance: bool
    salesperson: str
    original_currency: str = ""
    original_amount: Decimal | None = None
    note: str = ""
    cancelled_at: dt.datetime | None = None
    cancel_reason: str = ""


@dataclass
class Loss:
    at: dt.datetime
    by: str
    reason: str


@dataclass
class Inquiry:
    account: str
    external_id: str
    received_at: dt.datetime
    month: int
    source: str
    nature: str
    buyer_name: str
    buyer_company: str
    buyer_email: str
    country: str
    product: str
    quantity: str
    subject: str
    message: str
    rfq: tuple[str, str] | None = None  # (salesperson, rfq_id) of the quote it answers
    allocations: list[Allocation] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    loss: Loss | None = None

    @property
    def owner(self) -> str | None:
        return self.allocations[-1].salesperson if self.allocations else None

    @property
    def first_reply_at(self) -> dt.datetime | None:
        times = [f.at for f in self.followups if f.kind in ("reply", "quote", "email", "call")]
        return min(times) if times else None

    @property
    def is_invalid(self) -> bool:
        return bool(self.verdicts) and self.verdicts[-1].verdict == "invalid"

    def clear_work(self) -> None:
        """Nothing has happened to it since it arrived."""
        self.allocations.clear()
        self.followups.clear()
        self.verdicts.clear()
        self.orders.clear()
        self.loss = None


@dataclass(frozen=True)
class Quote:
    salesperson: str
    rfq_id: str
    quoted_at: dt.datetime
    account: str
    note: str


@dataclass(frozen=True)
class HandOver:
    account: str
    to: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class Snapshot:
    account: str
    date: dt.date
    reply_rate: Decimal
    avg_reply_hours: Decimal | None


@dataclass
class DemoPlan:
    now: dt.datetime
    month_starts: dict[int, dt.datetime]
    hand_overs: list[HandOver]
    quotes: list[Quote]
    inquiries: list[Inquiry]
    snapshots: list[Snapshot]


# ---------------------------------------------------------------------------------------------


def demo_plan(*, now: dt.datetime, time_zone: str) -> DemoPlan:
    """The whole demo year up to `now`, deterministic for a given `now`."""
    tz = zoneinfo.ZoneInfo(time_zone)
    planner = _Planner(now=now, tz=tz)
    planner.plan_inbound()
    planner.plan_rfq()
    planner.make_the_present_alive()
    planner.drop_the_future()
    return DemoPlan(
        now=now,
        month_starts=planner.month_starts,
        hand_overs=planner.hand_overs(),
        quotes=planner.quotes,
        inquiries=sorted(planner.inquiries, key=lambda i: (i.received_at, i.account, i.external_id)),
        snapshots=planner.snapshots(),
    )


def _hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


def _skewed(rng: random.Random, low: float, high: float) -> float:
    """Between low and high, most often near low (people answer most things soon, a few late)."""
    return low + (high - low) * rng.random() ** 1.7


class _Planner:
    def __init__(self, *, now: dt.datetime, tz: zoneinfo.ZoneInfo):
        self.now = now
        self.tz = tz
        local = now.astimezone(tz)
        self.month_starts = {}
        for month in range(FIRST_MONTH, 2):
            year, index = divmod(local.year * 12 + local.month - 1 + month, 12)
            self.month_starts[month] = dt.datetime(year, index + 1, 1, tzinfo=tz)
        self.inquiries: list[Inquiry] = []
        self.quotes: list[Quote] = []
        # The fraction of the current month gone by: it scales this month's volume.
        start, end = self.month_starts[0], self.month_starts[1]
        self.elapsed = max((now - start) / (end - start), 0.0)

    # -- time helpers ---------------------------------------------------------------------------

    def month_span(self, month: int) -> tuple[dt.datetime, dt.datetime]:
        end = self.month_starts[month + 1] if month < 0 else self.now - dt.timedelta(minutes=10)
        return self.month_starts[month], max(end, self.month_starts[month] + dt.timedelta(minutes=1))

    def holding_start(self, month: int, hours: float) -> dt.datetime:
        return self.month_starts[month] + _hours(hours)

    def holder(self, code: str, at: dt.datetime) -> str | None:
        current = None
        for account, holder, month, hours in HOLDINGS:
            if account == code and self.holding_start(month, hours) <= at:
                current = holder
        return current

    def allocation_time(self, rng: random.Random, received: dt.datetime) -> dt.datetime:
        """Operations allocate in office hours (9:00–19:00 Shanghai): at night it waits till morning."""
        local = received.astimezone(self.tz)
        if 9 <= local.hour < 19:
            return received + dt.timedelta(minutes=rng.uniform(5, 150))
        morning = local.replace(hour=9, minute=0, second=0, microsecond=0)
        if local.hour >= 19:
            morning += dt.timedelta(days=1)
        return morning + dt.timedelta(minutes=rng.uniform(0, 90))

    # -- inbound --------------------------------------------------------------------------------

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
                earlier = rng.choice(planned)
                inquiry = Inquiry(
                    account=account.code,
                    external_id=f"{month_label}{account.number}{seq:05d}",
                    received_at=received,
                    month=month,
                    source=source,
                    nature=nature,
                    buyer_name=earlier.buyer_name,
                    buyer_company=earlier.buyer_company,
                    buyer_email=earlier.buyer_email,
                    country=earlier.country,
                    product=earlier.product,
                    quantity=earlier.quantity,
                    subject=f"Re: {earlier.subject}"[:500],
                    message="Sent you the same request a few days ago, please check and quote.",
                )
            else:
                nature = "good" if nature == "duplicate" else nature
                buyer = buyer_make(rng)
                product = rng.choice(PRODUCTS)
                text = message_write(rng, nature=nature, source=source, buyer=buyer, product=product)
                inquiry = Inquiry(
                    account=account.code,
                    external_id=f"{month_label}{account.number}{seq:05d}",
                    received_at=received,
                    month=month,
                    source=source,
                    nature=nature,
                    buyer_name=buyer.name,
                    buyer_company=buyer.company,
                    buyer_email=buyer.email,
                    country=buyer.country,
                    product=text.product,
                    quantity=text.quantity,
                    subject=text.subject,
                    message=text.message,
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
            flagged_at = allocated + _hours(_skewed(rng, 0.5, 30))
            note = FLAG_NOTES[reason] if poor else rng.choice(EXCUSE_NOTES)
            if reason == "no_response":
                # Answered first; the buyer went quiet.
                replied = allocated + _hours(_skewed(rng, *habit.delay))
                inquiry.followups.append(FollowUp(replied, "reply", owner, rng.choice(REPLY_NOTES)))
                flagged_at = replied + dt.timedelta(days=rng.uniform(5, 10))
            inquiry.verdicts.append(Verdict(flagged_at, "sales", "invalid", reason, note, owner))
            decided = flagged_at + _hours(rng.uniform(4, 72))
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
        delay = _skewed(rng, *habit.delay)
        if not replies and recent:
            replies, delay = True, delay * 2.5
        if not replies:
            if owner == OLD_HOLDER and account.code == MAIN_A and rng.random() < 0.2:
                self.reallocate_on_deadline(rng, inquiry, allocated, account)
            else:
                self.unanswered(rng, inquiry)
            return
        self.converse(rng, inquiry, owner, habit, allocated + _hours(delay), may_win=account.code != MAIN_A)

    def converse(
        self, rng: random.Random, inquiry: Inquiry, owner: str, habit: Habit, first: dt.datetime, *, may_win: bool
    ) -> None:
        """The first reply and what follows; some inquiries are won, some lost."""
        product = _product_named(inquiry.product)
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
        due = max(inquiry.received_at, allocated) + _hours(24)
        again = due + _hours(rng.uniform(1, 8))
        to = rng.choice(("zhoujie", "wumin"))
        inquiry.allocations.append(Allocation(again, to, "opsmgr", "deadline"))
        habit = HABITS[to]
        self.converse(rng, inquiry, to, habit, again + _hours(_skewed(rng, *habit.delay)), may_win=False)

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
                inquiry.followups.append(FollowUp(won - _hours(6), "quote", holder, "确认最终价格和交期"))
                self.win(rng, inquiry, holder, habit, won, _product_named(inquiry.product), cancel=False)

    # -- RFQ ------------------------------------------------------------------------------------

    def plan_rfq(self) -> None:
        for number, member in enumerate(TEAM, start=1):
            if member.role != "sales":
                continue
            for month in range(member.joins, 1):
                rng = random.Random(f"{SEED}/rfq/{member.username}/{month}")
                count = round(member.rfq_quota * rfq_usage(member.username, month))
                if month == 0:
                    count = round(count * self.elapsed)
                start, end = self.month_span(month)
                span = (end - start).total_seconds()
                label = self.month_starts[month].strftime("%Y%m")
                for n in range(1, count + 1):
                    quoted = start + dt.timedelta(seconds=rng.uniform(0, span))
                    account = self.account_of(member.username, quoted)
                    product = rng.choice(PRODUCTS)
                    price = round(rng.uniform(*product.price_usd), 2)
                    rfq_id = f"{label}{number:02d}{n:03d}"
                    note = f"{product.name}:US${price:.2f}/{product.unit} FOB 深圳"
                    self.quotes.append(Quote(member.username, rfq_id, quoted, account, note))
                    if rng.random() < 0.15:
                        self.plan_rfq_inquiry(rng, member.username, rfq_id, quoted, account, product)

    def account_of(self, username: str, at: dt.datetime) -> str:
        """The account a salesperson quotes from: the one they hold, else main account B."""
        held = [a.code for a in ACCOUNTS if self.holder(a.code, at) == username]
        return held[0] if held else MAIN_B

    def plan_rfq_inquiry(self, rng, salesperson: str, rfq_id: str, quoted: dt.datetime, account: str, product):
        received = quoted + dt.timedelta(days=rng.uniform(0.5, 6))
        buyer = buyer_make(rng)
        text = message_write(rng, nature="good", source="inquiry", buyer=buyer, product=product)
        month = max(m for m, start in self.month_starts.items() if start <= received and m <= 0)
        inquiry = Inquiry(
            account=account,
            external_id=f"RFQ{rfq_id}",
            received_at=received,
            month=month,
            source="rfq",
            nature="good",
            buyer_name=buyer.name,
            buyer_company=buyer.company,
            buyer_email=buyer.email,
            country=buyer.country,
            product=text.product,
            quantity=text.quantity,
            subject=f"Re: RFQ {product.name}",
            message=f"Thanks for your quotation. {text.message}",
            rfq=(salesperson, rfq_id),
        )
        inquiry.allocations.append(Allocation(received + dt.timedelta(minutes=5), salesperson, None, "rule"))
        base = HABITS[salesperson]
        habit = Habit(1.0, (base.delay[0] / 2, base.delay[1] / 2), 0.12, base.ta, 0.0, 0.0)
        self.converse(rng, inquiry, salesperson, habit, received + _hours(_skewed(rng, *habit.delay)), may_win=True)
        self.inquiries.append(inquiry)

    # -- the present ----------------------------------------------------------------------------

    def make_the_present_alive(self) -> None:
        """The queue, the overdue, the disputes and today's follow-ups the pages should show."""
        rng = random.Random(f"{SEED}/present")
        now = self.now
        current = [i for i in self.inquiries if i.month == 0 and i.source != "rfq"]
        current.sort(key=lambda i: i.received_at)
        screened = [i for i in current if not i.allocations]

        # Disputes: a few flags from the last days that operations have not reviewed yet.
        working = [i for i in current if i.allocations]
        settled = [i for i in working if i.received_at < now - dt.timedelta(hours=6)]
        disputes: list[Inquiry] = []
        owners: set[str] = {NEW_HOLDER}  # she answers everything; the others complain
        for inquiry in sorted(settled, key=lambda i: (i.nature == "good", -i.received_at.timestamp())):
            if inquiry.owner not in owners and len(disputes) < 4:
                disputes.append(inquiry)
                owners.add(inquiry.owner)
        if len(disputes) < 3:
            disputes += [i for i in reversed(working) if all(i is not d for d in disputes)][: 3 - len(disputes)]
        for inquiry in disputes:
            first = inquiry.allocations[0]
            span = now - inquiry.received_at
            allocated = min(first.at, inquiry.received_at + span * 0.3)
            reason = FLAG_REASON.get(inquiry.nature, "no_requirement")
            inquiry.clear_work()
            inquiry.allocations.append(Allocation(allocated, first.salesperson, first.by, first.reason))
            flagged = inquiry.received_at + span * 0.6
            inquiry.verdicts.append(Verdict(flagged, "sales", "invalid", reason, FLAG_NOTES[reason], first.salesperson))
        taken = set(map(id, disputes + screened))

        # The queue: whatever came in during the last 90 minutes, and a share of the last 2.5 days.
        queue = [
            i
            for i in current
            if id(i) not in taken
            and (
                i.received_at > now - dt.timedelta(minutes=90)
                or (i.received_at > now - dt.timedelta(hours=60) and rng.random() < 0.3)
            )
        ]
        if len(queue) < 6:
            queue = [i for i in current if id(i) not in taken][-6:]
        for inquiry in queue:
            inquiry.clear_work()
        taken |= set(map(id, queue))

        # Overdue: allocated a day or more ago, no answer yet (not main A: 陈静 answers everything).
        window = [
            i
            for i in self.inquiries
            if id(i) not in taken
            and i.source != "rfq"
            and i.account != MAIN_A
            and i.nature == "good"
            and now - dt.timedelta(hours=72) < i.received_at < now - dt.timedelta(hours=26)
            and len(i.allocations) == 1
        ]
        for inquiry in rng.sample(window, min(6, len(window))):
            allocation = inquiry.allocations[0]
            inquiry.clear_work()
            inquiry.allocations.append(allocation)
            taken.add(id(inquiry))

        # Follow-ups: the last one of each open conversation of the past weeks names its next step,
        # and a couple per salesperson fall due today.
        today = now.astimezone(self.tz).date()
        open_talks = [
            i
            for i in self.inquiries
            if id(i) not in taken
            and i.followups
            and not i.orders
            and (i.loss is None or i.loss.at >= now)  # a close still ahead is dropped with the future
            and not i.is_invalid
            and now - dt.timedelta(days=45) < i.followups[-1].at < now - dt.timedelta(hours=1)
        ]
        by_owner: dict[str, list[Inquiry]] = defaultdict(list)
        for inquiry in open_talks:
            last = inquiry.followups[-1]
            planned = last.at.astimezone(self.tz).date() + dt.timedelta(days=rng.randint(2, 7))
            # Most planned steps still lie ahead (the buyer asked for time); some have slipped past,
            # which is what the salesperson's overdue list is for: how many depends on who.
            if planned < today and rng.random() >= SLIPPED.get(last.author, SLIPPED_USUAL):
                planned = today + dt.timedelta(days=rng.randint(1, 7))
            last.next_action_on = planned
            by_owner[last.author].append(inquiry)
        for _owner, talks in sorted(by_owner.items()):
            for inquiry in rng.sample(talks, min(2, len(talks))):
                inquiry.followups[-1].next_action_on = today

    def drop_the_future(self) -> None:
        """Nothing is planned at or after `now`: later events are simply not there yet."""
        cutoff = self.now - dt.timedelta(minutes=1)
        self.inquiries = [i for i in self.inquiries if i.received_at < cutoff]
        for inquiry in self.inquiries:
            inquiry.allocations = [a for a in inquiry.allocations if a.at < cutoff]
            if not inquiry.allocations:
                inquiry.followups.clear()
                inquiry.orders.clear()
                inquiry.verdicts[:] = [v for v in inquiry.verdicts if v.side == "ops"]
            inquiry.followups = [f for f in inquiry.followups if f.at < cutoff]
            inquiry.verdicts = [v for v in inquiry.verdicts if v.at < cutoff]
            inquiry.orders = [o for o in inquiry.orders if o.at < cutoff]
            for order in inquiry.orders:
                if order.cancelled_at is not None and order.cancelled_at >= cutoff:
                    order.cancelled_at, order.cancel_reason = None, ""
            if inquiry.loss is not None and (inquiry.loss.at >= cutoff or inquiry.orders):
                inquiry.loss = None
        self.quotes = [q for q in self.quotes if q.quoted_at < cutoff]

    # -- what the plan implies ------------------------------------------------------------------

    def hand_overs(self) -> list[HandOver]:
        return [
            HandOver(account, holder, "opsmgr", self.holding_start(month, hours))
            for account, holder, month, hours in HOLDINGS
            if self.holding_start(month, hours) < self.now
        ]

    def snapshots(self) -> list[Snapshot]:
        """Alibaba's reply rate as its back office would show it each Monday: answered within 24 h
        of the inquiries of the 30 days before, and the average time to the first answer."""
        by_account: dict[str, list[Inquiry]] = defaultdict(list)
        for inquiry in self.inquiries:
            if inquiry.source != "rfq" and not (inquiry.verdicts and not inquiry.allocations):
                by_account[inquiry.account].append(inquiry)
        start = self.month_starts[FIRST_MONTH].date() + dt.timedelta(days=7)
        first_monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        today = self.now.astimezone(self.tz).date()
        snapshots = []
        for code, inquiries in sorted(by_account.items()):
            day = first_monday
            while day <= today:
                taken_at = dt.datetime.combine(day, dt.time(), tzinfo=self.tz)
                if taken_at > self.now:
                    break
                window = [i for i in inquiries if taken_at - dt.timedelta(days=30) <= i.received_at < taken_at]
                if len(window) >= 5:
                    answered = [
                        (reply - i.received_at).total_seconds() / 3600
                        for i in window
                        if (reply := i.first_reply_at) is not None and reply < taken_at
                    ]
                    fast = sum(1 for h in answered if h <= 24)
                    rate = (Decimal(fast) / Decimal(len(window))).quantize(Decimal("0.0001"))
                    average = (Decimal(sum(answered)) / len(answered)).quantize(Decimal("0.01")) if answered else None
                    snapshots.append(Snapshot(code, day, rate, average))
                day += dt.timedelta(days=7)
        return snapshots


def _product_named(name: str) -> Product | None:
    for product in PRODUCTS:
        if product.name == name:
            return product
    return None
