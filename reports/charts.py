"""The report's charts, drawn on the server as SVG with pygal, so that the page, the printout and
the PDF show the same picture.

Each chart comes out as a `data:image/svg+xml;base64,...` URI for an <img>: pygal's SVG carries
its own <style> and a config <script>, which the Content-Security-Policy would refuse inline; as
an image the SVG runs no script and its styles stay inside it (the script is stripped anyway).
The colours are app.css's --ops and --sales, which an image cannot read, so they are repeated here.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

OPS_COLOUR = "#1d6fd8"  # app.css --ops
SALES_COLOUR = "#d9480f"  # app.css --sales
TOTAL_COLOUR = "#52606d"
BASELINE_COLOUR = "#adb5bd"
FONT = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", '
    '"InquiryHub CJK", sans-serif'
)
SCRIPT_RE = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _style(colours: tuple[str, ...] = (TOTAL_COLOUR,), *, value_size: int = 17) -> Style:
    return Style(
        font_family=FONT,
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#e3e7ec",
        colors=colours,
        title_font_size=22,
        label_font_size=17,
        major_label_font_size=17,
        value_font_size=value_size,
        value_label_font_size=value_size,
        legend_font_size=17,
        opacity="1",
        opacity_hover="1",
        transition="0s",
    )


def _config(**overrides) -> dict:
    config = {
        "disable_xml_declaration": True,
        "js": [],
        "tooltip_fancy_mode": False,
        "show_legend": False,
        # Drawn small and scaled up: on a 375 px phone the labels stay about 11 px high.
        "width": 480,
        "height": 330,
        "margin": 12,
        "explicit_size": False,
    }
    config.update(overrides)
    return config


def svg_data_uri(svg: str) -> str:
    """pygal's SVG without its script, as a data URI an <img> can show under the CSP."""
    clean = SCRIPT_RE.sub("", svg)
    return "data:image/svg+xml;base64," + base64.b64encode(clean.encode()).decode("ascii")


@dataclass(frozen=True)
class Step:
    label: str
    value: float
    side: str  # "total", "operations" or "sales"


def _signed(value: float, places: int) -> str:
    text = f"{abs(value):,.{places}f}"
    if float(text.replace(",", "")) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def _label_width(labels: list[str]) -> int:
    # Chinese characters are about twice as wide as Latin ones.
    return sum(2 if ord(ch) > 0x2E80 else 1 for label in labels for ch in label)


def waterfall(
    *, title: str, start: Step, steps: list[Step], end: Step, places: int = 1, thousands: bool = False
) -> str:
    """A waterfall from the baseline's total through each factor's effect to the month's total.

    Drawn as stacked bars: an invisible base lifts each effect to where the running total stood.
    `thousands` writes the values in k (money), so that the labels of thin bars do not collide.
    """
    labels = [start.label, *(s.label for s in steps), end.label]
    scale = 1000 if thousands else 1
    suffix = "k" if thousands else ""
    chart = pygal.StackedBar(
        **_config(
            title=title,
            print_values=False,
            print_labels=True,
            print_values_position="top",
            truncate_label=-1,
            x_label_rotation=30 if _label_width(labels) > 36 else 0,
            value_formatter=lambda value: f"{value / scale:,.0f}{suffix}",
        ),
        style=_style(value_size=14),
    )
    chart.x_labels = labels
    bases, bars = [], []
    whole = float(start.value).is_integer() and float(end.value).is_integer()
    total_places = 0 if whole or thousands else places
    effect_places = 1 if thousands else places

    def total_bar(step: Step):
        bases.append({"value": 0, "label": "", "color": "transparent"})
        text = _signed(step.value / scale, total_places).lstrip("+") + suffix
        bars.append({"value": step.value, "label": text, "color": TOTAL_COLOUR})

    total_bar(start)
    running = start.value
    for step in steps:
        low, high = sorted((running, running + step.value))
        low = max(low, 0)  # a running total below zero cannot happen with counts; never draw under the axis
        bases.append({"value": low, "label": "", "color": "transparent"})
        colour = OPS_COLOUR if step.side == "operations" else SALES_COLOUR
        text = _signed(step.value / scale, effect_places) + suffix
        bars.append({"value": max(high - low, 0), "label": text, "color": colour})
        running += step.value
    total_bar(end)
    chart.add("", bases)
    chart.add("", bars)
    return svg_data_uri(chart.render(is_unicode=True))


def orders_waterfall(payload: dict, *, baseline_label: str, month_label: str) -> str:
    change, funnel = payload["orders_change"], payload["funnel"]
    return waterfall(
        title=_("Orders: %(baseline)s → %(month)s") % {"baseline": baseline_label, "month": month_label},
        start=Step(baseline_label, funnel["baseline"]["won"], "total"),
        steps=_factor_steps(change, with_order_value=False),
        end=Step(month_label, funnel["current"]["won"], "total"),
    )


def revenue_waterfall(payload: dict, *, baseline_label: str, month_label: str) -> str:
    change, funnel = payload["revenue_change"], payload["funnel"]
    return waterfall(
        title=_("Revenue (USD): %(baseline)s → %(month)s") % {"baseline": baseline_label, "month": month_label},
        start=Step(baseline_label, funnel["baseline"]["revenue_usd"], "total"),
        steps=_factor_steps(change, with_order_value=True),
        end=Step(month_label, funnel["current"]["revenue_usd"], "total"),
        places=0,
        thousands=True,
    )


def factor_labels() -> dict[str, str]:
    return {
        "volume": _("Volume"),
        "quality": _("Quality"),
        "response": _("Response"),
        "conversion": _("Conversion"),
        "order_value": _("Order value"),
    }


def _factor_steps(change: dict, *, with_order_value: bool) -> list[Step]:
    labels = factor_labels()
    names = ["volume", "quality", "response", "conversion"] + (["order_value"] if with_order_value else [])
    return [
        Step(labels[name], change[name], "operations" if name in ("volume", "quality") else "sales") for name in names
    ]


def funnel_chart(payload: dict, *, baseline_label: str, month_label: str) -> str:
    """The month's funnel beside the baseline's, stage by stage (horizontal bars, values printed)."""
    current, baseline = payload["funnel"]["current"], payload["funnel"]["baseline"]
    stages = [("inquiries", _("Inquiries")), ("valid", _("Valid")), ("replied", _("Replied")), ("won", _("Won"))]
    chart = pygal.HorizontalBar(
        **_config(
            title=_("Funnel: %(month)s against %(baseline)s") % {"month": month_label, "baseline": baseline_label},
            show_legend=True,
            legend_at_bottom=True,
            legend_at_bottom_columns=2,
            print_values=True,
            height=360,
            truncate_label=-1,
            margin_left=40,  # pygal measures Latin glyphs; Chinese stage names are wider
        ),
        style=_style((BASELINE_COLOUR, OPS_COLOUR)),
    )
    chart.x_labels = [label for _key, label in stages]
    chart.add(baseline_label, [baseline[key] for key, _label in stages])
    chart.add(month_label, [current[key] for key, _label in stages])
    return svg_data_uri(chart.render(is_unicode=True))


def trend_charts(trends: list[dict]) -> list[dict]:
    """One small line chart per trend (inquiries, valid share, reply within 24 h, conversion,
    orders, trade-assurance share): [{"title", "uri"}]."""
    months = [entry["month"][2:] for entry in trends]  # "26-05": short enough for a phone
    lines = [
        ("inquiries", _("Inquiries"), False),
        ("valid_share", _("Valid share"), True),
        ("reply_24h_rate", _("Reply within 24 h"), True),
        ("conversion", _("Conversion"), True),
        ("won", _("Orders"), False),
        ("ta_share", _("Trade-assurance share"), True),
    ]
    result = []
    for key, title, percent in lines:
        values = [entry[key] for entry in trends]
        if percent:
            values = [None if v is None else round(v * 100, 1) for v in values]
        chart = pygal.Line(
            **_config(
                title=title + (" (%)" if percent else ""),
                width=420,
                height=280,
                x_labels_major_every=3,
                show_minor_x_labels=False,
                truncate_label=-1,
                dots_size=4,
                stroke_style={"width": 3},
                allow_interruptions=True,
                min_scale=3,
                max_scale=5,
            ),
            style=_style((OPS_COLOUR,)),
        )
        chart.x_labels = months
        chart.add(title, values)
        result.append({"key": key, "title": title, "uri": svg_data_uri(chart.render(is_unicode=True))})
    return result
