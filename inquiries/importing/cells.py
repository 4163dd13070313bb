"""The cell parsers (part of `parsers`, which re-exports them): one value in, the value to store out.

Every parser takes what a cell holds (text from a csv; text, a number, a boolean or a
date from an xlsx cell) and returns the value to store, or raises `CellError` with an
English message id that is translated when shown. No parser raises anything else.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as gettext_module
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext, gettext_noop

# Times before this year or after the next are typing mistakes (an Excel 0 is 1899-12-30).
EARLIEST_YEAR = 1990
LATEST_YEAR = 2100
MAX_AMOUNT = Decimal("999999999999.99")  # Order.amount_usd: 14 digits, 2 decimal places


class ImportProblem(Exception):
    """Something the importer refuses; `message` is an English msgid with %(name)s values,
    translated when shown."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params

    def render(self) -> str:
        return gettext(self.message) % self.params

    def __str__(self) -> str:
        return self.render()


class CellError(ImportProblem):
    """A value the importer cannot take."""


def normalize_name(name: Any) -> str:
    """A header, sheet or choice name as compared: any case, full-width folded, no spaces, `_` or `-`."""
    text = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").casefold()
    return re.sub(r"[\s_\-]+", "", text)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def display_value(value: Any) -> str:
    """A cell's value as text for a rejected-row report (never evaluated, never reformatted)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).replace("\x00", "")[:300]


def _clean_text(value: Any) -> str:
    if value.__class__ is str:
        return (value.replace("\x00", "") if "\x00" in value else value).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    # PostgreSQL refuses NUL characters; an xlsx string can smuggle one in as _x0000_.
    return str(value).replace("\x00", "").strip()


def parse_text(value: Any, max_length: int) -> str:
    """Text as typed (a formula stays its text): surrounding spaces removed, length checked."""
    text = _clean_text(value)
    if len(text) > max_length:
        raise CellError(gettext_noop("Longer than %(max)s characters."), max=max_length)
    return text


_USERNAME_RE = re.compile(r"^[\w.@+-]+\Z")


def parse_username(value: Any) -> str:
    text = parse_text(value, 150)
    if not _USERNAME_RE.match(text):
        raise CellError(gettext_noop("A username may hold only letters, digits and @ . + - _ (no spaces)."))
    return text


_EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+$")


def parse_email(value: Any) -> str:
    text = parse_text(value, 254)
    if not _EMAIL_RE.match(text):
        raise CellError(gettext_noop("Not an email address."))
    return text


# ---------------------------------------------------------------------------------------------
# Times

_TIME_RE = re.compile(
    r"""^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
    (?:(?:\s*T\s*|\s+|(?<=日))
       (?P<ampm1>上午|下午|早上|晚上|中午)?\s*
       (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?
       \s*(?P<ampm2>[AaPp]\.?[Mm]\.?)?
    )?
    \s*(?P<tz>Z|(?:UTC|GMT)?\s*[+-]\s*\d{1,2}(?::?\d{2})?|UTC|GMT)?$""",
    re.X | re.I,
)
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.I)


def _check_year(value: dt.datetime | dt.date) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise CellError(
            gettext_noop("The year %(year)s is not plausible (%(first)s to %(last)s)."),
            year=value.year,
            first=EARLIEST_YEAR,
            last=LATEST_YEAR,
        )


def _offset(text: str) -> dt.tzinfo:
    if text.upper() in ("Z", "UTC", "GMT"):
        return dt.UTC
    match = _OFFSET_RE.match(text)
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        raise CellError(gettext_noop("The time zone offset %(offset)s does not exist."), offset=text)
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if sign == "-" else delta)


_TIME_HELP = gettext_noop(
    "Not a date and time. Write 2024-03-05 14:30, 2024/3/5 14:30, ISO 8601 (2024-03-05T14:30+08:00) "
    "or use an Excel date cell."
)


def _time_from_text(text: str, tz: dt.tzinfo) -> tuple[dt.datetime, bool]:
    """(the time, whether the text gave a time of day)."""
    # The shapes exports use (2024-03-05, 2024-03-05 14:30[:00]) go to the standard library's
    # ISO parser, the fast path; anything else, or anything it refuses, goes through the
    # pattern, which also says what is wrong.
    if len(text) in (10, 16, 19) and text[4] == "-" and text[7] == "-" and (len(text) == 10 or text[10] in " T"):
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is not None and value.tzinfo is None:
            _check_year(value)
            return value.replace(tzinfo=tz), len(text) > 10
    match = _TIME_RE.match(text)
    if match is None:
        raise CellError(_TIME_HELP)
    g = match.groupdict()
    hour = int(g["H"]) if g["H"] is not None else 0
    ampm = (g["ampm1"] or g["ampm2"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise CellError(_TIME_HELP)
        if ampm in ("pm", "下午", "晚上") and hour != 12:
            hour += 12
        elif ampm in ("am", "上午", "早上") and hour == 12:
            hour = 0
    fraction = (g["f"] or "")[:6].ljust(6, "0")
    try:
        value = dt.datetime(
            int(g["y"]), int(g["m"]), int(g["d"]), hour, int(g["M"] or 0), int(g["S"] or 0), int(fraction)
        )
    except ValueError:
        raise CellError(gettext_noop("This date or time does not exist.")) from None
    _check_year(value)
    zone = _offset(g["tz"].strip()) if g["tz"] else tz
    return value.replace(tzinfo=zone), g["H"] is not None


def parse_time(value: Any, tz: dt.tzinfo) -> dt.datetime:
    """A moment in time; a time written without an offset is in the company's time zone `tz`."""
    if isinstance(value, dt.datetime):
        _check_year(value)
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        _check_year(value)
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, dt.time):
        raise CellError(gettext_noop("A time of day without a date."))
    if isinstance(value, (bool, int, float, Decimal, dt.timedelta)):
        raise CellError(gettext_noop("A number, not a date: format the column as a date in Excel."))
    text = str(value)
    text = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()
    return _time_from_text(text, tz)[0]


def parse_date(value: Any, tz: dt.tzinfo) -> dt.date:
    """A calendar day; a time with an offset counts on its day in the company's time zone."""
    if isinstance(value, dt.datetime):
        _check_year(value)
        return (value.astimezone(tz) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        _check_year(value)
        return value
    if isinstance(value, (bool, int, float, Decimal, dt.time, dt.timedelta)):
        raise CellError(gettext_noop("Not a date. Write 2024-03-05 or 2024/3/5, or use an Excel date cell."))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        moment, _ = _time_from_text(text, tz)
    except CellError as exc:
        if exc.message == _TIME_HELP:
            raise CellError(
                gettext_noop("Not a date. Write 2024-03-05 or 2024/3/5, or use an Excel date cell.")
            ) from None
        raise
    return moment.astimezone(tz).date()


# ---------------------------------------------------------------------------------------------
# Numbers

_OTHER_CURRENCY_RE = re.compile(r"(¥|￥|€|£|RMB|CNY|EUR|GBP|JPY|人民币|(?<!美)元|円)", re.I)
_USD_RE = re.compile(r"^(?:US\$|USD|\$|美元|美金)\s*|\s*(?:USD|美元|美金|\$)$", re.I)
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$|^\.\d+$")


def _decimal_from_cell(value: Any, *, not_a_number: str) -> Decimal:
    """A non-negative-or-negative number from a cell; text may use thousands commas and 万."""
    if isinstance(value, bool):
        raise CellError(not_a_number)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError(not_a_number)
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellError(not_a_number)
        return value
    if not isinstance(value, str):
        raise CellError(not_a_number)
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.lstrip("-").strip("()")
    scale = Decimal(1)
    if text.endswith("万"):
        scale, text = Decimal(10000), text[:-1]
    if "," in text:
        if not _THOUSANDS_RE.match(text):
            raise CellError(not_a_number)
        text = text.replace(",", "")
    if len(text) > 30 or not _PLAIN_NUMBER_RE.match(text):
        raise CellError(not_a_number)
    number = Decimal(text) * scale
    return -number if negative else number


def parse_amount(value: Any) -> Decimal:
    """An amount in US dollars, to the cent: 1234.5, 1,234.50, $1,234.50, USD 1234, 1.5万."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if _OTHER_CURRENCY_RE.search(text):
            raise CellError(gettext_noop("Not in US dollars: convert the amount to USD."))
        value = _USD_RE.sub("", text)
    number = _decimal_from_cell(
        value, not_a_number=gettext_noop("Not an amount. Write a number such as 1234.50 or 1,234.50 (US dollars).")
    )
    if number < 0:
        raise CellError(gettext_noop("An order amount cannot be negative."))
    if number > MAX_AMOUNT:
        raise CellError(gettext_noop("The amount is too large."))
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_whole_number(value: Any) -> int:
    """A count such as an RFQ quota: a whole number, not negative."""
    number = _decimal_from_cell(value, not_a_number=gettext_noop("Not a whole number."))
    if number != number.to_integral_value():
        raise CellError(gettext_noop("Not a whole number."))
    if number < 0:
        raise CellError(gettext_noop("Cannot be negative."))
    if number > 1_000_000:
        raise CellError(gettext_noop("The number is too large."))
    return int(number)


def parse_rate(value: Any) -> Decimal:
    """A reply rate: 0.93 or 93%, stored as a fraction with four decimals."""
    percent = isinstance(value, str) and value.strip().endswith(("%", "％"))
    if percent:
        value = value.strip()[:-1]
    number = _decimal_from_cell(value, not_a_number=gettext_noop("Not a reply rate. Write 0.93 or 93%%."))
    if percent:
        number = number / 100
    if number < 0 or number > 1:
        raise CellError(gettext_noop("A reply rate is between 0 and 1 (or 0%% and 100%%)."))
    return number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


_MINUTES_RE = re.compile(r"^(.*?)\s*(?:m|min|mins|minutes?|分钟|分)$", re.I)


def parse_hours(value: Any) -> Decimal:
    """A duration in hours, such as an average reply time (Alibaba writes some in minutes: 35分钟)."""
    if isinstance(value, str):
        minutes = _MINUTES_RE.match(value.strip())
        if minutes:
            return (parse_hours(minutes.group(1)) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        value = re.sub(r"\s*(h|hours?|小时)$", "", value.strip(), flags=re.I)
    number = _decimal_from_cell(value, not_a_number=gettext_noop("Not a number of hours."))
    if number < 0:
        raise CellError(gettext_noop("Cannot be negative."))
    if number >= Decimal("1000000"):
        raise CellError(gettext_noop("The number is too large."))
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Yes/no and fixed choices

_YES = {"yes", "y", "true", "t", "1", "是", "有", "对", "√", "✓", "✔", "on", "在职"}
_NO = {"no", "n", "false", "f", "0", "否", "无", "没有", "不是", "×", "✗", "off", "离职"}


def parse_yes_no(value: Any) -> bool:
    """yes/no, 是/否, 1/0, true/false (and an Excel TRUE/FALSE cell)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(gettext_noop("Not yes or no. Write yes/no, 是/否 or 1/0."))


@dataclass(frozen=True)
class Choices:
    """A fixed set of values, each with the English and Chinese ways of writing it."""

    hint: str
    names: dict[str, str]

    @classmethod
    def of(cls, table: dict[str, tuple[str, ...]]) -> Choices:
        hint = ", ".join(f"{value}/{names[0]}" for value, names in table.items())
        return cls(hint, {normalize_name(name): value for value, names in table.items() for name in (value, *names)})


ROLE_CHOICES = Choices.of(
    {
        "sales": ("业务员", "业务", "销售", "salesperson", "sales rep"),
        "ops": ("运营", "运营专员", "operations"),
        "ops_manager": ("运营主管", "运营经理", "operations manager"),
        "boss": ("老板", "总经理", "owner"),
    }
)
ACCOUNT_KIND_CHOICES = Choices.of(
    {"main": ("主账号", "主账户", "main account"), "sub": ("子账号", "子账户", "sub-account", "sub account")}
)
SOURCE_CHOICES = Choices.of(
    {
        "inquiry": ("询盘", "store inquiry", "商品询盘", "店铺询盘"),
        "tm": ("旺旺", "TM咨询", "TM", "阿里旺旺", "TradeManager", "TradeManager chat"),
        "rfq": ("RFQ", "买家求购", "RFQ询盘"),
    }
)
QUALITY_CHOICES = Choices.of({"valid": ("有效", "有效询盘"), "invalid": ("无效", "无效询盘")})
INVALID_REASON_CHOICES = Choices.of(
    {
        "spam": ("垃圾询盘", "垃圾"),
        "no_requirement": ("无具体需求", "no concrete requirement"),
        "wrong_customer": ("客户类型不符", "wrong customer type"),
        "no_response": ("客户无回应", "buyer never answered"),
        "duplicate": ("重复", "重复询盘"),
        "other": ("其他",),
    }
)


@functools.lru_cache(maxsize=1024)
def _choice_key(text: str) -> str:
    return normalize_name(text)


def parse_choice(value: Any, choices: Choices) -> str:
    """One of a fixed set of values, in English or Chinese."""
    found = choices.names.get(_choice_key(_clean_text(value)[:100]))
    if found is None:
        raise CellError(gettext_noop("Not one of the accepted values: %(choices)s."), choices=choices.hint)
    return found


# ---------------------------------------------------------------------------------------------
# Countries

# The names Chinese exporters write for their common markets, and English names pycountry
# does not know. pycountry's own Chinese catalogue covers the rest under official names.
COUNTRY_NAMES = {
    "美国": "US", "美": "US", "英国": "GB", "德国": "DE", "法国": "FR", "意大利": "IT", "西班牙": "ES",
    "葡萄牙": "PT", "荷兰": "NL", "比利时": "BE", "瑞士": "CH", "奥地利": "AT", "瑞典": "SE",
    "挪威": "NO", "丹麦": "DK", "芬兰": "FI", "爱尔兰": "IE", "波兰": "PL", "捷克": "CZ",
    "匈牙利": "HU", "罗马尼亚": "RO", "希腊": "GR", "俄罗斯": "RU", "俄国": "RU", "乌克兰": "UA",
    "白俄罗斯": "BY", "土耳其": "TR", "以色列": "IL", "沙特": "SA", "沙特阿拉伯": "SA", "阿联酋": "AE",
    "阿拉伯联合酋长国": "AE", "迪拜": "AE", "卡塔尔": "QA", "科威特": "KW", "阿曼": "OM", "巴林": "BH",
    "伊朗": "IR", "伊拉克": "IQ", "约旦": "JO", "黎巴嫩": "LB", "叙利亚": "SY", "也门": "YE",
    "埃及": "EG", "摩洛哥": "MA", "阿尔及利亚": "DZ", "突尼斯": "TN", "利比亚": "LY", "尼日利亚": "NG",
    "南非": "ZA", "肯尼亚": "KE", "加纳": "GH", "埃塞俄比亚": "ET", "坦桑尼亚": "TZ", "乌干达": "UG",
    "安哥拉": "AO", "喀麦隆": "CM", "科特迪瓦": "CI", "塞内加尔": "SN", "印度": "IN", "巴基斯坦": "PK",
    "孟加拉": "BD", "孟加拉国": "BD", "斯里兰卡": "LK", "尼泊尔": "NP", "日本": "JP", "韩国": "KR",
    "南韩": "KR", "朝鲜": "KP", "中国": "CN", "中国大陆": "CN", "香港": "HK", "中国香港": "HK",
    "澳门": "MO", "中国澳门": "MO", "台湾": "TW", "中国台湾": "TW", "越南": "VN", "泰国": "TH",
    "马来西亚": "MY", "新加坡": "SG", "印度尼西亚": "ID", "印尼": "ID", "菲律宾": "PH", "柬埔寨": "KH",
    "缅甸": "MM", "老挝": "LA", "文莱": "BN", "澳大利亚": "AU", "澳洲": "AU", "新西兰": "NZ",
    "加拿大": "CA", "墨西哥": "MX", "巴西": "BR", "阿根廷": "AR", "智利": "CL", "秘鲁": "PE",
    "哥伦比亚": "CO", "委内瑞拉": "VE", "厄瓜多尔": "EC", "乌拉圭": "UY", "巴拉圭": "PY", "玻利维亚": "BO",
    "巴拿马": "PA", "哥斯达黎加": "CR", "多米尼加": "DO", "危地马拉": "GT", "波多黎各": "PR",
    "牙买加": "JM", "哈萨克斯坦": "KZ", "乌兹别克斯坦": "UZ", "吉尔吉斯斯坦": "KG", "塔吉克斯坦": "TJ",
    "土库曼斯坦": "TM", "蒙古": "MN", "阿塞拜疆": "AZ", "格鲁吉亚": "GE", "亚美尼亚": "AM",
    "阿富汗": "AF", "立陶宛": "LT", "拉脱维亚": "LV", "爱沙尼亚": "EE", "斯洛伐克": "SK",
    "斯洛文尼亚": "SI", "克罗地亚": "HR", "塞尔维亚": "RS", "保加利亚": "BG", "卢森堡": "LU",
    "冰岛": "IS", "马耳他": "MT", "塞浦路斯": "CY", "马尔代夫": "MV", "毛里求斯": "MU",
    "马达加斯加": "MG", "莫桑比克": "MZ", "赞比亚": "ZM", "津巴布韦": "ZW", "苏丹": "SD",
    # English names and abbreviations pycountry's lookup does not take.
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "united states of america": "US",
    "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "russia": "RU", "turkey": "TR", "holland": "NL",
    "uae": "AE", "u.a.e.": "AE", "dubai": "AE", "korea": "KR", "south korea": "KR", "north korea": "KP",
    "iran": "IR", "syria": "SY", "laos": "LA", "vietnam": "VN", "taiwan": "TW", "hong kong": "HK",
    "macau": "MO", "macao": "MO", "czech republic": "CZ", "ivory coast": "CI", "moldova": "MD",
    "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE", "brunei": "BN", "palestine": "PS",
    "kosovo": "XK", "mainland china": "CN", "prc": "CN",
}  # fmt: skip
_COUNTRY_KEYS = {normalize_name(k): v for k, v in COUNTRY_NAMES.items()}


@functools.cache
def _pycountry_chinese() -> dict[str, str]:
    """pycountry's zh_CN names (官方译名) of every country, read once."""
    import pycountry

    try:
        catalogue = gettext_module.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:
        return {}
    names = {}
    for country in pycountry.countries:
        for english in {country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)}:
            if english:
                chinese = catalogue.gettext(english)
                if chinese and chinese != english:
                    names.setdefault(normalize_name(chinese), country.alpha_2)
    return names


@functools.lru_cache(maxsize=4096)
def _country_code(text: str) -> str | None:
    import pycountry

    text = unicodedata.normalize("NFKC", text).strip()
    key = normalize_name(text)
    if key in _COUNTRY_KEYS:
        return _COUNTRY_KEYS[key]
    if len(text) == 2 and text.isascii() and text.isalpha():
        if text.upper() == "XK":
            return "XK"
        try:
            country = pycountry.countries.get(alpha_2=text.upper())
        except (LookupError, KeyError):
            country = None
        return country.alpha_2 if country else None
    try:
        return pycountry.countries.lookup(text).alpha_2
    except (LookupError, KeyError):
        pass
    return _pycountry_chinese().get(key)


def parse_country(value: Any) -> str:
    """An ISO 3166 alpha-2 code from a code, an English name or a Chinese name."""
    text = _clean_text(value)[:100]
    code = _country_code(text) if text else None
    if code is None:
        raise CellError(
            gettext_noop("Unknown country. Write an ISO code such as US, or the country's name in English or Chinese.")
        )
    return code
