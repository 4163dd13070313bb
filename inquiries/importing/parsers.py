"""Parsing an import file: the sheets and their columns, header mapping, and every cell parser.

The sheet and column specifications (`SHEETS`) and the header mapping are here; the cell
parsers are in `cells` and re-exported, so callers import everything from `parsers`.
Every parser takes what a cell holds (text from a csv; text, a number, a boolean or a
date from an xlsx cell) and returns the value to store, or raises `CellError` with an
English message id that is translated when shown. No parser raises anything else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_noop

from .cells import (  # noqa: F401 - re-exported: callers import the cell parsers from here
    ACCOUNT_KIND_CHOICES,
    COUNTRY_NAMES,
    EARLIEST_YEAR,
    INVALID_REASON_CHOICES,
    LATEST_YEAR,
    MAX_AMOUNT,
    QUALITY_CHOICES,
    ROLE_CHOICES,
    SOURCE_CHOICES,
    CellError,
    Choices,
    ImportProblem,
    display_value,
    is_blank,
    normalize_name,
    parse_amount,
    parse_choice,
    parse_country,
    parse_date,
    parse_email,
    parse_hours,
    parse_rate,
    parse_text,
    parse_time,
    parse_username,
    parse_whole_number,
    parse_yes_no,
)

# ---------------------------------------------------------------------------------------------
# Sheets and their columns


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    time: bool = False  # a moment in time, read in the file's zone

    def names(self) -> tuple[str, ...]:
        return (self.key, self.zh, *self.aliases)


@dataclass(frozen=True)
class SheetSpec:
    kind: str
    zh: str
    label: str  # English msgid for the page
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for column in self.columns:
            for name in column.names():
                self.lookup[normalize_name(name)] = column.key

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


SHEETS: dict[str, SheetSpec] = {
    spec.kind: spec
    for spec in (
        SheetSpec(
            "team",
            "团队",
            gettext_noop("Team"),
            (
                Column("username", "用户名", required=True, aliases=("登录名", "账号名")),
                Column("name", "姓名", aliases=("display_name", "名字")),
                Column("role", "角色", required=True, aliases=("岗位",)),
                Column("email", "邮箱", aliases=("电子邮箱", "e-mail")),
                Column("rfq_quota", "RFQ配额", aliases=("rfq quota", "RFQ 配额", "RFQ额度")),
                Column("active", "在职", aliases=("is_active", "是否在职")),
            ),
            aliases=("users", "员工"),
        ),
        SheetSpec(
            "accounts",
            "账号",
            gettext_noop("Accounts"),
            (
                Column("code", "账号", required=True, aliases=("account", "登录账号", "账号ID")),
                Column("name", "名称", aliases=("店铺名称", "账号名称")),
                Column("kind", "类型", required=True, aliases=("账号类型",)),
                Column("parent", "主账号", aliases=("main account", "所属主账号")),
                Column("holder", "负责人", aliases=("业务员", "持有人")),
            ),
            aliases=("账户",),
        ),
        SheetSpec(
            "inquiries",
            "询盘",
            gettext_noop("Inquiries"),
            (
                Column("inquiry_id", "询盘编号", required=True, aliases=("询盘ID", "询盘号", "inquiry no")),
                Column("account", "账号", required=True, aliases=("account code", "所属账号")),
                Column(
                    "received_at", "询盘时间", required=True, aliases=("received", "收到时间", "询盘日期"), time=True
                ),
                Column("source", "来源", aliases=("询盘来源",)),
                Column("buyer_name", "买家姓名", aliases=("买家", "客户姓名", "联系人")),
                Column("buyer_company", "买家公司", aliases=("客户公司", "公司名称")),
                Column("buyer_email", "买家邮箱", aliases=("客户邮箱",)),
                Column("buyer_phone", "买家电话", aliases=("客户电话", "联系电话", "电话", "手机")),
                Column("country", "国家", aliases=("国家/地区", "国家地区", "country/region")),
                Column("product", "产品", aliases=("产品名称",)),
                Column("quantity", "数量", aliases=("采购数量",)),
                Column("subject", "主题", aliases=("询盘主题",)),
                Column("message", "内容", aliases=("询盘内容",)),
                Column("assigned_to", "业务员", aliases=("分配给", "owner")),
                Column("assigned_at", "分配时间", time=True),
                Column("first_reply_at", "首次回复时间", aliases=("first reply", "回复时间"), time=True),
                Column("quality", "质量", aliases=("询盘质量",)),
                Column("invalid_reason", "无效原因"),
                Column("won_at", "成交时间", aliases=("成单时间",), time=True),
                Column("order_amount_usd", "成交金额", aliases=("order amount", "成交金额(美元)", "成交金额(USD)")),
                Column("trade_assurance", "信保", aliases=("信保订单", "是否信保")),
            ),
            aliases=("询盘列表", "询盘登记表", "询盘跟进表"),
        ),
        SheetSpec(
            "rfq_quotes",
            "RFQ报价",
            gettext_noop("RFQ quotes"),
            (
                Column("username", "用户名", required=True, aliases=("业务员",)),
                Column("quoted_at", "报价时间", required=True, time=True),
                Column("rfq_id", "RFQ编号", required=True, aliases=("rfq", "RFQ号")),
                Column("account", "账号"),
            ),
            aliases=("rfq", "rfq quotes"),
        ),
        SheetSpec(
            "reply_rates",
            "回复率",
            gettext_noop("Reply rates"),
            (
                Column("account", "账号", required=True),
                Column("date", "日期", required=True),
                Column("reply_rate", "回复率", required=True),
                Column("avg_reply_hours", "平均回复时长(小时)", aliases=("平均回复时长", "avg reply hours")),
            ),
            aliases=("reply rates",),
        ),
        # Alibaba back office (My Alibaba → 数据管家) exports; see docs/import.md.
        SheetSpec(
            "reply_detail",
            "回复明细",
            gettext_noop("Reply detail (Alibaba)"),
            (
                Column("inquiry_id", "询盘编号", required=True, aliases=("询盘ID", "询盘号", "inquiry no", "inquiry")),
                Column("replied_at", "发送时间", required=True,
                       aliases=("回复时间", "首次回复时间", "sent at", "sent time", "reply time", "replied at"),
                       time=True),
                Column("replied_by", "发送方姓名", aliases=("发送人", "回复人", "sender", "sender name", "replied by")),
                Column("responsible", "及时回复负责人", aliases=("负责人", "responsible")),
                Column("account", "账号", aliases=("子账号", "所属账号", "接收账号", "account code")),
                Column("reply_hours", "回复时长(小时)", aliases=("回复时长", "reply hours")),
                Column("fast_reply", "是否极速回复(5分钟)", aliases=("是否极速回复", "极速回复", "fast reply")),
            ),
            aliases=("回复明细表", "reply detail", "replies"),
        ),
        SheetSpec(
            "staff_analysis",
            "员工分析",
            gettext_noop("Staff analysis (Alibaba)"),
            (
                Column("name", "员工", required=True,
                       aliases=("员工姓名", "姓名", "员工名称", "业务员", "成员", "staff", "staff name", "name")),
                Column("month", "月份", aliases=("统计月份", "统计时间", "统计周期", "month")),
                Column("inquiries", "询盘数", required=True, aliases=("询盘个数", "inquiries")),
                Column("tm_customers", "TM咨询客户数", aliases=("TM咨询数", "tm customers")),
                Column("reply_rate", "回复率", aliases=("询盘回复率", "reply rate")),
                Column("fast_reply_rate", "5分钟回复率", aliases=("五分钟回复率", "5min回复率", "5 minute reply rate")),
                Column("avg_reply_hours", "平均回复时长",
                       aliases=("平均回复时长(小时)", "avg reply time", "avg reply hours")),
                Column("ta_orders", "实收信保订单数", aliases=("信保订单数", "ta orders")),
                Column("revenue_usd", "实收金额", aliases=("实收金额(美元)", "实收金额(USD)", "信保金额", "revenue")),
                Column("rfq_reply_rate", "RFQ回复率", aliases=("rfq reply rate",)),
                Column("login_days", "登录天数", aliases=("login days",)),
            ),
            aliases=("员工分析表", "staff analysis", "staff"),
        ),
    )
}  # fmt: skip
# Sheets are imported in this order whatever their order in the file, so that one workbook can
# set up a company from nothing: the team before the accounts they hold, both before inquiries.
SHEET_ORDER = ("team", "accounts", "inquiries", "rfq_quotes", "reply_rates", "reply_detail", "staff_analysis")
# The sheets of our own documented workbook (the template); the others are Alibaba's exports.
LEDGER_SHEETS = SHEET_ORDER[:5]

_SHEET_NAMES = {
    normalize_name(name): spec.kind for spec in SHEETS.values() for name in (spec.kind, spec.zh, *spec.aliases)
}


def sheet_kind(name: Any) -> str | None:
    """The sheet kind a sheet (or --sheet) name stands for, in English or Chinese; None if unknown."""
    if name is None:
        return None
    return _SHEET_NAMES.get(normalize_name(name))


def sheet_label(name: str) -> str:
    """A sheet's name for a page: a known sheet kind in the reader's language, else as in the file."""
    spec = SHEETS.get(name)
    return gettext(spec.label) if spec else name


def sheet_names_hint() -> str:
    return ", ".join(f"{spec.kind} / {spec.zh}" for spec in SHEETS.values())


@dataclass
class HeaderMap:
    """Which cell of a row holds which column, and how the file spells it."""

    index: dict[str, int]
    labels: dict[str, str]
    unknown: list[str]
    missing: list[str]
    duplicates: list[str]
    # Time columns read in a zone of their own (a back-office PST column), by key.
    zones: dict[str, str] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return max(self.index.values(), default=-1) + 1


def map_header(spec: SheetSpec, cells: tuple | list) -> HeaderMap:
    """Map a header row onto the sheet's columns: any order, any case, English or Chinese."""
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for position, cell in enumerate(cells):
        if cell is None:
            continue
        label = str(cell).replace("\x00", "").strip()
        if not label:
            continue
        key = spec.lookup.get(header_key(label))
        if key is None:
            unknown.append(label[:100])
        elif key in index:
            duplicates.append(label[:100])
        else:
            index[key] = position
            labels[key] = label[:100]
    missing = [c.key for c in spec.required if c.key not in index]
    zones = {key: PACIFIC for key, label in labels.items() if says_pst(label)}
    return HeaderMap(index=index, labels=labels, unknown=unknown, missing=missing, duplicates=duplicates, zones=zones)


# Alibaba's back office shows its times in US Pacific time and says so in the header: 发送时间(PST).
PACIFIC = "America/Los_Angeles"
_PST_RE = re.compile(r"[(（]\s*PST\s*[)）]|(?<![A-Za-z])PST(?![A-Za-z])", re.I)


def says_pst(label: Any) -> bool:
    return bool(_PST_RE.search(str(label)))


def header_key(label: Any) -> str:
    """A header as compared with the known names: normalised, its PST mark left out."""
    return normalize_name(_PST_RE.sub("", str(label)))


def suggest_column(spec: SheetSpec, label: Any) -> str | None:
    """The column a header probably is: a known name, else the longest known name inside it."""
    key = header_key(label)
    if not key:
        return None
    if key in spec.lookup:
        return spec.lookup[key]
    inside = [name for name in spec.lookup if len(name) >= 2 and name in key]
    return spec.lookup[max(inside, key=len)] if inside else None


def header_signature(cells: tuple | list) -> str:
    """What identifies a header row whatever its case, spacing or trailing empty cells."""
    names = [normalize_name(c) if not is_blank(c) else "" for c in cells]
    while names and not names[-1]:
        names.pop()
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:40]


def column_hint(spec: SheetSpec, key: str) -> str:
    column = spec.column(key)
    return f"{column.key} / {column.zh}"
