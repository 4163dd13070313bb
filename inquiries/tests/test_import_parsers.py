"""The cell parsers: every accepted spelling gives the right value, and no input ever raises
anything but CellError (Hypothesis throws text, numbers, dates and junk at them)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from inquiries.importing import parsers as p

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


UTC = dt.UTC

# What a cell can hold: text from a csv, or what openpyxl gives for an xlsx cell.
cells = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.text(alphabet="0123456789-/: .TZ+年月日上下午APMapm,$%万", max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(),
    st.times(),
    st.decimals(allow_nan=True, allow_infinity=True),
)


def _only_cell_errors(parse, value, *args):
    try:
        parse(value, *args)
    except p.CellError as exc:
        assert exc.render()  # the message and its values fit together


@settings(max_examples=400, deadline=None)
@given(cells)
def test_time_parser_never_raises_anything_but_a_cell_error(value):
    _only_cell_errors(p.parse_time, value, SHANGHAI)
    _only_cell_errors(p.parse_date, value, SHANGHAI)


@settings(max_examples=400, deadline=None)
@given(cells)
def test_number_parsers_never_raise_anything_but_a_cell_error(value):
    for parse in (p.parse_amount, p.parse_rate, p.parse_hours, p.parse_whole_number):
        _only_cell_errors(parse, value)


@settings(max_examples=300, deadline=None)
@given(cells)
def test_yes_no_country_choice_and_text_parsers_never_raise_anything_but_a_cell_error(value):
    _only_cell_errors(p.parse_yes_no, value)
    _only_cell_errors(p.parse_country, value)
    _only_cell_errors(p.parse_email, value)
    _only_cell_errors(p.parse_username, value)
    _only_cell_errors(p.parse_text, value, 50)
    for choices in (p.ROLE_CHOICES, p.SOURCE_CHOICES, p.QUALITY_CHOICES, p.INVALID_REASON_CHOICES):
        _only_cell_errors(p.parse_choice, value, choices)
    assert isinstance(p.display_value(value), str)


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, max_size=25), st.sampled_from(sorted(p.SHEETS)))
def test_any_header_row_maps_without_error_and_every_column_lands_somewhere(header, kind):
    mapped = p.map_header(p.SHEETS[kind], header)
    non_blank = [c for c in header if c is not None and str(c).replace("\x00", "").strip()]
    assert len(mapped.index) + len(mapped.unknown) + len(mapped.duplicates) == len(non_blank)
    assert set(mapped.missing) <= {c.key for c in p.SHEETS[kind].required}


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 12, 31)))
def test_a_written_time_reads_back_as_the_same_moment(moment):
    moment = moment.replace(microsecond=0)
    for text in (f"{moment:%Y-%m-%d %H:%M:%S}", f"{moment.year}/{moment.month}/{moment.day} {moment:%H:%M:%S}"):
        assert p.parse_time(text, SHANGHAI) == moment.replace(tzinfo=SHANGHAI)
    assert p.parse_time(moment.replace(tzinfo=UTC).isoformat(), SHANGHAI) == moment.replace(tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_an_amount_with_thousands_commas_reads_back_exactly(amount):
    assert p.parse_amount(f"{amount:,.2f}") == amount
    assert p.parse_amount(f"US${amount:,.2f}") == amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05 14:30", dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)),
        ("2024-03-05 14:30:15", dt.datetime(2024, 3, 5, 14, 30, 15, tzinfo=SHANGHAI)),
        ("2024/3/5 9:05", dt.datetime(2024, 3, 5, 9, 5, tzinfo=SHANGHAI)),
        ("2024年3月5日 14:30", dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)),
        ("2024/3/5 下午 2:30", dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)),
        ("2024/3/5 2:30 PM", dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)),
        ("２０２４－０３－０５　１４：３０", dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)),
        ("2024-03-05", dt.datetime(2024, 3, 5, tzinfo=SHANGHAI)),
        ("2024-03-05T14:30", dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)),
        ("2024-03-05T14:30+08", dt.datetime(2024, 3, 5, 6, 30, tzinfo=UTC)),  # ISO's shape, with an offset
        ("2024-03-05T14:30:00+08:00", dt.datetime(2024, 3, 5, 6, 30, tzinfo=UTC)),
        ("2024-03-31T18:00:00Z", dt.datetime(2024, 3, 31, 18, 0, tzinfo=UTC)),
        ("2024-03-05 14:30 -0500", dt.datetime(2024, 3, 5, 19, 30, tzinfo=UTC)),
        ("2024-03-05 14:30 GMT+8", dt.datetime(2024, 3, 5, 6, 30, tzinfo=UTC)),
    ],
)
def test_times_in_every_listed_format_are_read_and_no_offset_means_the_company_zone(text, expected):
    assert p.parse_time(text, SHANGHAI) == expected


def test_a_utc_time_late_on_the_last_day_is_in_the_next_month_in_shanghai():
    moment = p.parse_time("2024-03-31T18:00:00Z", SHANGHAI)
    assert moment.astimezone(SHANGHAI) == dt.datetime(2024, 4, 1, 2, 0, tzinfo=SHANGHAI)
    assert p.parse_date("2024-03-31T18:00:00Z", SHANGHAI) == dt.date(2024, 4, 1)


def test_excel_date_cells_are_company_time_and_plain_numbers_are_refused():
    assert p.parse_time(dt.datetime(2024, 3, 5, 14, 30), SHANGHAI) == dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)
    assert p.parse_time(dt.date(2024, 3, 5), SHANGHAI) == dt.datetime(2024, 3, 5, tzinfo=SHANGHAI)
    with pytest.raises(p.CellError, match="A number, not a date"):
        p.parse_time(45356.6, SHANGHAI)
    with pytest.raises(p.CellError, match="without a date"):
        p.parse_time(dt.time(14, 30), SHANGHAI)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/5/2024", "Not a date and time"),
        ("2024-02-30 10:00", "does not exist"),
        ("2024-03-05 25:00", "does not exist"),
        ("1899-12-30", "not plausible"),
        ("2024-03-05 14:30+15:00", "offset"),
        ("yesterday", "Not a date and time"),
    ],
)
def test_unreadable_times_are_refused_with_the_reason(text, message):
    with pytest.raises(p.CellError, match=message):
        p.parse_time(text, SHANGHAI)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.5", Decimal("1234.50")),
        ("1,234.50", Decimal("1234.50")),
        ("$1,234.50", Decimal("1234.50")),
        ("US$ 99", Decimal("99.00")),
        ("USD 1234", Decimal("1234.00")),
        ("1234 美元", Decimal("1234.00")),
        ("1.5万", Decimal("15000.00")),
        ("１２３４", Decimal("1234.00")),
        (12500, Decimal("12500.00")),
        (12.345, Decimal("12.35")),
        (0.1 + 0.2, Decimal("0.30")),
    ],
)
def test_amounts_in_usd_are_read_to_the_cent(value, expected):
    assert p.parse_amount(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "negative"),
        ("(5.00)", "negative"),
        ("¥100", "US dollars"),
        ("100 RMB", "US dollars"),
        ("€100", "US dollars"),
        ("1.234,50", "Not an amount"),
        ("12,34", "Not an amount"),
        ("1e5", "Not an amount"),
        ("abc", "Not an amount"),
        (True, "Not an amount"),
        (float("inf"), "Not an amount"),
        ("1000000000000", "too large"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(value, message):
    with pytest.raises(p.CellError, match=message):
        p.parse_amount(value)


@pytest.mark.parametrize("value", ["yes", "YES", "y", "true", "1", "是", "√", True, 1, 1.0])
def test_yes_in_english_chinese_and_numbers(value):
    assert p.parse_yes_no(value) is True


@pytest.mark.parametrize("value", ["no", "N", "false", "0", "否", "无", False, 0])
def test_no_in_english_chinese_and_numbers(value):
    assert p.parse_yes_no(value) is False


@pytest.mark.parametrize("value", ["maybe", "2", "是的吧"])
def test_anything_else_is_not_yes_or_no(value):
    with pytest.raises(p.CellError, match="Not yes or no"):
        p.parse_yes_no(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("US", "US"), ("us", "US"), ("USA", "US"), ("United States", "US"), ("美国", "US"),
        ("UK", "GB"), ("英国", "GB"), ("Germany", "DE"), ("德国", "DE"), ("沙特", "SA"), ("沙特阿拉伯", "SA"),
        ("阿联酋", "AE"), ("UAE", "AE"), ("Turkey", "TR"), ("土耳其", "TR"), ("Vietnam", "VN"), ("越南", "VN"),
        ("South Korea", "KR"), ("韩国", "KR"), ("大韩民国", "KR"), ("印尼", "ID"), ("澳洲", "AU"),
        ("中国香港", "HK"), ("Russia", "RU"), ("俄罗斯", "RU"), ("DEU", "DE"), ("巴西", "BR"), ("尼日利亚", "NG"),
    ],
)  # fmt: skip
def test_countries_by_code_english_or_chinese_name(value, code):
    assert p.parse_country(value) == code


@pytest.mark.parametrize("value", ["Narnia", "XX", "火星", "12"])
def test_unknown_countries_are_refused(value):
    with pytest.raises(p.CellError, match="Unknown country"):
        p.parse_country(value)


@pytest.mark.parametrize(("value", "rate"), [("93%", "0.9300"), ("0.93", "0.9300"), (0.875, "0.8750"), ("100%", "1")])
def test_reply_rates_as_fraction_or_percent(value, rate):
    assert p.parse_rate(value) == Decimal(rate)


@pytest.mark.parametrize("value", ["93", "120%", "-1%"])
def test_reply_rates_outside_0_to_100_percent_are_refused(value):
    with pytest.raises(p.CellError, match="between 0 and 1"):
        p.parse_rate(value)


@pytest.mark.parametrize(
    ("choices", "value", "expected"),
    [
        (p.ROLE_CHOICES, "业务员", "sales"),
        (p.ROLE_CHOICES, "Ops Manager", "ops_manager"),
        (p.ROLE_CHOICES, "运营主管", "ops_manager"),
        (p.ACCOUNT_KIND_CHOICES, "子账号", "sub"),
        (p.SOURCE_CHOICES, "TM咨询", "tm"),
        (p.SOURCE_CHOICES, "旺旺", "tm"),
        (p.SOURCE_CHOICES, "rfq", "rfq"),
        (p.QUALITY_CHOICES, "无效", "invalid"),
        (p.INVALID_REASON_CHOICES, "客户类型不符", "wrong_customer"),
        (p.INVALID_REASON_CHOICES, "no requirement", "no_requirement"),
    ],
)
def test_fixed_values_in_english_or_chinese(choices, value, expected):
    assert p.parse_choice(value, choices) == expected


def test_an_unknown_fixed_value_names_the_accepted_ones():
    with pytest.raises(p.CellError) as caught:
        p.parse_choice("manager", p.ROLE_CHOICES)
    assert "sales/业务员" in caught.value.render()


def test_headers_in_any_order_case_and_language_with_unknown_columns_listed():
    mapped = p.map_header(p.SHEETS["inquiries"], [" RECEIVED AT ", "询盘编号", None, "账号", "备注", "Inquiry_ID"])
    assert mapped.index == {"received_at": 0, "inquiry_id": 1, "account": 3}
    assert mapped.labels["inquiry_id"] == "询盘编号"
    assert mapped.unknown == ["备注"]
    assert mapped.duplicates == ["Inquiry_ID"]
    assert mapped.missing == []


def test_a_header_without_a_required_column_names_it():
    mapped = p.map_header(p.SHEETS["inquiries"], ["询盘编号", "账号"])
    assert mapped.missing == ["received_at"]


def test_full_width_brackets_in_chinese_headers_match():
    mapped = p.map_header(p.SHEETS["reply_rates"], ["账号", "日期", "回复率", "平均回复时长（小时）"])
    assert mapped.index["avg_reply_hours"] == 3


def test_text_is_stored_as_typed_even_when_it_looks_like_a_formula():
    assert p.parse_text('=HYPERLINK("http://evil")', 100) == '=HYPERLINK("http://evil")'
    assert p.parse_text("  +86 138 0000 0000 ", 100) == "+86 138 0000 0000"
    assert p.parse_text("a\x00b", 10) == "ab"
    assert p.parse_text(1234567890123.0, 20) == "1234567890123"
    with pytest.raises(p.CellError, match="Longer than 5"):
        p.parse_text("abcdef", 5)
