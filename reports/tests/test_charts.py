"""The report's charts: pygal SVG as data URIs, script-free, coloured by side, with Chinese labels."""

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from reports import charts
from reports.links import inquiry_list_url

PAYLOAD = {
    "funnel": {
        "baseline": {"inquiries": 300, "valid": 270, "replied": 260, "won": 7, "revenue_usd": 56000.0},
        "current": {"inquiries": 500, "valid": 430, "replied": 300, "won": 2, "revenue_usd": 9000.0},
    },
    "orders_change": {
        "total": -5,
        "volume": 2.5473,
        "quality": -0.2161,
        "response": -1.4937,
        "conversion": -5.8375,
        "operations": 2.3312,
        "sales": -7.3312,
    },  # fmt: skip
    "revenue_change": {
        "total": -47000.0,
        "volume": 17047.37,
        "quality": -1415.51,
        "response": -9677.6,
        "conversion": -36249.44,
        "order_value": -16704.83,
        "operations": 15631.86,
        "sales": -62631.86,
    },  # fmt: skip
}


SVG = "{http://www.w3.org/2000/svg}"
SIGNED = re.compile(r"^[+−]?\d+(\.\d+)?k?$")


def _svg(uri: str) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :]).decode()


def test_the_orders_waterfall_colours_operations_and_sales_and_prints_the_effects():
    with translation.override("zh-hans"):
        svg = _svg(charts.orders_waterfall(PAYLOAD, baseline_label="2025-04", month_label="2025-05"))

    assert "<script" not in svg
    assert charts.OPS_COLOUR in svg and charts.SALES_COLOUR in svg
    for label in ("+2.5", "−0.2", "−1.5", "−5.8", ">7<", ">2<"):
        assert label in svg
    assert "Noto Sans CJK SC" in svg


def test_the_revenue_waterfall_writes_money_in_thousands():
    svg = _svg(charts.revenue_waterfall(PAYLOAD, baseline_label="2025-04", month_label="2025-05"))

    assert ">56k<" in svg and ">9k<" in svg and "−16.7k" in svg


def test_the_funnel_and_trend_charts_carry_chinese_labels():
    trends = [
        {"month": f"2025-{m:02d}", "inquiries": m * 10, "valid_share": 0.9, "reply_24h_rate": None,
         "conversion": 0.02, "won": m, "ta_share": 0.5}
        for m in range(1, 13)
    ]  # fmt: skip
    with translation.override("zh-hans"):
        funnel = _svg(charts.funnel_chart(PAYLOAD, baseline_label="2025-04", month_label="2025-05"))
        lines = charts.trend_charts(trends)

    assert "询盘" in funnel and ">430<" in funnel
    assert [chart["key"] for chart in lines] == [
        "inquiries", "valid_share", "reply_24h_rate", "conversion", "won", "ta_share",
    ]  # fmt: skip
    assert all("<script" not in _svg(chart["uri"]) for chart in lines)
    assert "询盘" in _svg(lines[0]["uri"])


def test_inquiry_list_links_name_the_filters_in_one_place():
    url = inquiry_list_url(month=dt.date(2025, 2, 1), account_id=3, owner_id="none", state="won")

    assert url == "/inquiries/?account=3&owner=none&received_after=2025-02-01&received_before=2025-02-28&state=won"
    assert inquiry_list_url() == "/inquiries/"


def _root(uri: str) -> ET.Element:
    return ET.fromstring(_svg(uri))  # noqa: S314 - our own chart, not outside input


def _classes(element: ET.Element) -> list[str]:
    return element.get("class", "").split()


def _axis_labels(chart: ET.Element, axis: str) -> list[str]:
    """The tick labels of one axis ("x" or "y") of a pygal chart."""
    return [
        text.text
        for group in chart.iter(f"{SVG}g")
        if {"axis", axis} <= set(_classes(group))
        for text in group.iter(f"{SVG}text")
    ]


def _printed_effects(uri: str) -> list[float]:
    """The signed values printed on a waterfall's effect bars, in the order drawn."""
    texts = [t.text for t in _root(uri).iter(f"{SVG}text") if t.text and SIGNED.match(t.text)]
    return [float(t.replace("−", "-").rstrip("k")) for t in texts if t[0] in "+−"]


def _trends(first_month_with_inquiries: int) -> list[dict]:
    """Twelve months of 2025 for an account opened in `first_month_with_inquiries`."""

    def month(m):
        empty = m < first_month_with_inquiries
        return {"month": f"2025-{m:02d}", "inquiries": 0 if empty else 300 + m, "valid_share": None if empty else 0.9,
                "reply_24h_rate": None if empty else 0.95, "conversion": None if empty else 0.02,
                "won": 0 if empty else 6, "orders_won_in_month": 0 if empty else 6,
                "ta_share": None if empty else 0.5}  # fmt: skip

    return [month(m) for m in range(1, 13)]


def test_the_waterfalls_printed_parts_add_up_to_the_whole_printed():
    # Rounded one by one, these print +0.1, 0.0, +0.2, +3.6 beside +4: the complaint.
    change = {"total": 4, "volume": 0.14, "quality": 0.04, "response": 0.24, "conversion": 3.58}
    payload = {**PAYLOAD, "orders_change": change}
    payload["funnel"] = {"baseline": {**PAYLOAD["funnel"]["baseline"], "won": 3},
                         "current": {**PAYLOAD["funnel"]["current"], "won": 7}}  # fmt: skip

    orders = _printed_effects(charts.orders_waterfall(payload, baseline_label="2025-04", month_label="2025-05"))
    revenue = _printed_effects(charts.revenue_waterfall(PAYLOAD, baseline_label="2025-04", month_label="2025-05"))

    assert round(sum(orders), 1) == 4.0 and len(orders) == 3  # one effect rounds to 0.0, printed unsigned
    assert revenue == [17.0, -1.4, -9.7, -36.2, -16.7] and round(sum(revenue), 1) == -47.0


def test_won_orders_get_a_panel_and_a_scale_of_their_own_beside_hundreds_of_inquiries():
    with translation.override("zh-hans"):
        root = _root(charts.funnel_chart(PAYLOAD, baseline_label="2025-04", month_label="2025-05"))

    counts, won = [chart for chart in root if chart.tag == f"{SVG}svg"]
    assert (won.get("y"), won.get("height")) == (counts.get("height"), str(charts.FUNNEL_WON_HEIGHT))
    assert "已成交" not in "".join(counts.itertext()) and "询盘" in "".join(counts.itertext())
    widths = sorted(float(r.get("width")) for r in won.iter(f"{SVG}rect") if "tooltip-trigger" in _classes(r))
    plot = max(float(rect.get("width")) for rect in won.iter(f"{SVG}rect") if "background" in _classes(rect)
               and float(rect.get("width")) < charts.FUNNEL_WIDTH)  # fmt: skip
    # 2 orders against 7, on their own axis: a bar over a quarter of the 7's, a fifth of the plot.
    assert len(widths) == 2
    assert widths[0] / widths[1] == pytest.approx(2 / 7, rel=0.01)
    assert widths[0] > plot / 5
    # Whole orders on the axis, from 0.
    assert _axis_labels(won, "x") == ["0", "2", "4", "6", "8"]
    assert _axis_labels(counts, "x") == ["0", "200", "400", "600"]


@pytest.mark.parametrize(
    ("top", "ticks"), [(0, [0, 1]), (2, [0, 1, 2]), (7, [0, 2, 4, 6, 8]), (698, [0, 200, 400, 600, 800])]
)
def test_count_axes_tick_in_whole_round_steps(top, ticks):
    assert charts.whole_ticks(top) == ticks


def test_share_trends_start_from_zero_and_stop_at_100():
    lines = {chart["key"]: _root(chart["uri"]) for chart in charts.trend_charts(_trends(1))}

    for key in ("valid_share", "reply_24h_rate", "conversion", "ta_share", "inquiries", "won"):
        ticks = [float(label) for label in _axis_labels(lines[key], "y")]
        assert min(ticks) == 0, key
    for key in ("valid_share", "reply_24h_rate"):  # 90 % and 95 %: the axis runs 0–100
        assert max(float(label) for label in _axis_labels(lines[key], "y")) == 100


def test_an_accounts_trends_start_in_its_first_month_with_inquiries():
    lines = charts.trend_charts(_trends(first_month_with_inquiries=7))

    for chart in lines:
        root = _root(chart["uri"])
        dots = [c for c in root.iter(f"{SVG}circle") if "dot" in _classes(c)]
        assert len(dots) == 6, chart["key"]  # July to December, no point before
        assert _axis_labels(root, "x")[0] == "25-07"
    assert charts.since_first_inquiry(_trends(13)) == []
