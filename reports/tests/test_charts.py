"""The report's charts: pygal SVG as data URIs, script-free, coloured by side, with Chinese labels."""

import base64
import datetime as dt

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
