"""The demo company's story in figures and words: the team, the accounts and who holds them,
how many inquiries arrive, how each salesperson works, the notes they write."""

from __future__ import annotations

from dataclasses import dataclass

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
