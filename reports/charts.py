"""The report's charts, drawn on the server as SVG with pygal, so that the page, the printout and
the PDF show the same picture.

Each chart comes out as a `data:image/svg+xml;base64,...` URI for an <img>: pygal's SVG carries
its own <style> and a config <script>, which the Content-Security-Policy would refuse inline; as
an image the SVG runs no script and its styles stay inside it (the script is stripped anyway).
The colours are app.css's --ops and --sales, which an image cannot read, so they are repeated here.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from . import attribution as calc

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


# What an <img> never shows: pygal's tooltip data (<desc>, and <title> on axis guides), its
# comments, and coordinates finer than a hundredth of a pixel. Dropping them halves each chart.
# (Simple patterns that start with a literal: one alternation of them took 10× longer.)
UNSHOWN_RES = (
    re.compile(r"<desc\b[^>]*>[^<]*</desc>"),
    re.compile(r"<!--.*?-->", re.DOTALL),
    re.compile(r"(?<=</text>)<title>[^<]*</title>"),
)
LONG_DECIMAL_RE = re.compile(r"\.(\d\d)\d+")
CHART_ID_RE = re.compile(r'id="chart-([0-9a-f-]{36})"')
STYLE_RE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL)
# Style rules for what only a live chart does (hover, tooltips, maps and gauges we never draw).
LIVE_ONLY = (":hover", ".tooltip", ".active", ".map-element", ".gauge-background")
# The font is set once on the chart's root; its text inherits it (pygal repeats it per rule).
REPEATED_FONT_RE = re.compile(r"font-family:[^;}]*;")


def _static_style(match: re.Match) -> str:
    rules = [rule for rule in match.group(2).split("}") if rule.strip()]
    kept = [REPEATED_FONT_RE.sub("", rule) for rule in rules if not any(key in rule for key in LIVE_ONLY)]
    return match.group(1) + "}".join(kept) + "}" + match.group(3)


def compact_svg(svg: str) -> str:
    """The same picture in fewer bytes: pygal's long chart ids (repeated in every style rule)
    shortened, and what an image never shows left out."""
    svg = SCRIPT_RE.sub("", svg)
    for pattern in UNSHOWN_RES:
        svg = pattern.sub("", svg)
    svg = STYLE_RE.sub(_static_style, LONG_DECIMAL_RE.sub(r".\1", svg))
    for n, chart_id in enumerate(dict.fromkeys(CHART_ID_RE.findall(svg))):
        svg = svg.replace(chart_id, f"c{n}")
    return svg


def svg_data_uri(svg: str) -> str:
    """pygal's SVG without its script, as a data URI an <img> can show under the CSP."""
    clean = compact_svg(svg)
    return "data:image/svg+xml;base64," + base64.b64encode(clean.encode()).decode("ascii")


@dataclass(frozen=True)
class Step:
    label: str
    value: float
    side: str  # "total", "operations" or "sales"
    shown: Decimal | None = None  # the printed value (in k for money), apportioned so the parts add up


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
        # Money labels ("+187.2k") are wider than order counts: a smaller size keeps neighbours apart.
        style=_style(value_size=12 if thousands else 14),
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
        printed = step.value / scale if step.shown is None else float(step.shown)
        text = _signed(printed, effect_places) + suffix
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
        steps=_factor_steps(change, with_order_value=False, places=1),
        end=Step(month_label, funnel["current"]["won"], "total"),
    )


def revenue_waterfall(payload: dict, *, baseline_label: str, month_label: str) -> str:
    change, funnel = payload["revenue_change"], payload["funnel"]
    return waterfall(
        title=_("Revenue (USD): %(baseline)s → %(month)s") % {"baseline": baseline_label, "month": month_label},
        start=Step(baseline_label, funnel["baseline"]["revenue_usd"], "total"),
        steps=_factor_steps(change, with_order_value=True, places=1, scale=1000),
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


def _factor_steps(change: dict, *, with_order_value: bool, places: int, scale: int = 1) -> list[Step]:
    """The factors' bars; their printed values (in units of `scale`) add up to the change printed."""
    labels = factor_labels()
    names = ["volume", "quality", "response", "conversion"] + (["order_value"] if with_order_value else [])
    exact = [Fraction(str(change[name])) / scale for name in names]
    shown = calc.apportion(exact, Fraction(str(change["total"])) / scale, places)
    return [
        Step(labels[name], change[name], "operations" if name in ("volume", "quality") else "sales", printed)
        for name, printed in zip(names, shown, strict=True)
    ]


FUNNEL_WIDTH, FUNNEL_COUNTS_HEIGHT, FUNNEL_WON_HEIGHT = 480, 250, 190


def funnel_chart(payload: dict, *, baseline_label: str, month_label: str) -> str:
    """The month's funnel beside the baseline's, stage by stage (horizontal bars, values printed).

    Two panels in one picture: inquiries, valid and replied on one scale, won orders on a scale of
    their own below, so that 2 orders stay a visible bar beside 500 inquiries (a log scale would
    draw no bar at all for 0 and make 7 look half as long as 500).
    """
    current, baseline = payload["funnel"]["current"], payload["funnel"]["baseline"]
    counts = [("inquiries", _("Inquiries")), ("valid", _("Valid")), ("replied", _("Replied"))]
    top = _funnel_panel(
        counts,
        current,
        baseline,
        title=_("Funnel: %(month)s against %(baseline)s") % {"month": month_label, "baseline": baseline_label},
        labels=(baseline_label, month_label),
        height=FUNNEL_COUNTS_HEIGHT,
    )
    won = _funnel_panel(
        [("won", _("Won"))],
        current,
        baseline,
        title=_("Won orders (a scale of their own)"),
        labels=(baseline_label, month_label),
        height=FUNNEL_WON_HEIGHT,
        show_legend=True,
    )
    return svg_data_uri(stack_svgs([top, won], width=FUNNEL_WIDTH))


def _funnel_panel(
    stages: list[tuple[str, str]],
    current: dict,
    baseline: dict,
    *,
    title: str,
    labels: tuple[str, str],
    height: int,
    show_legend: bool = False,
) -> str:
    chart = pygal.HorizontalBar(
        **_config(
            title=title,
            show_legend=show_legend,
            legend_at_bottom=True,
            legend_at_bottom_columns=2,
            print_values=True,
            width=FUNNEL_WIDTH,
            height=height,
            truncate_label=-1,
            margin_left=40,  # pygal measures Latin glyphs; Chinese stage names are wider
            include_x_axis=True,
            y_labels=whole_ticks(max(max(current[key], baseline[key]) for key, _label in stages)),
        ),
        style=_style((BASELINE_COLOUR, OPS_COLOUR)),
    )
    chart.x_labels = [label for _key, label in stages]
    chart.add(labels[0], [baseline[key] for key, _label in stages])
    chart.add(labels[1], [current[key] for key, _label in stages])
    return chart.render(is_unicode=True)


def whole_ticks(top: float, *, count: int = 4) -> list[int]:
    """Axis ticks from 0 in steps of 1, 2 or 5 times a power of ten, up to or past `top`:
    counts get no tick at 0.4 of an order, and hundreds read 0, 200, 400."""
    raw = max(top / count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return list(range(0, step * max(1, math.ceil(top / step)) + 1, step))


SVG_ROOT_RE = re.compile(r"<svg\b")


def stack_svgs(svgs: list[str], *, width: int) -> str:
    """Several pygal charts of one width, one under the other, as one SVG (each keeps its own styles)."""
    heights = [int(float(re.search(r'viewBox="0 0 [\d.]+ ([\d.]+)"', svg).group(1))) for svg in svgs]
    parts, top = [], 0
    for svg, height in zip(svgs, heights, strict=True):
        parts.append(SVG_ROOT_RE.sub(f'<svg x="0" y="{top}" width="{width}" height="{height}"', svg, count=1))
        top += height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {width} {top}" width="{width}" height="{top}">' + "".join(parts) + "</svg>"
    )


def since_first_inquiry(trends: list[dict]) -> list[dict]:
    """The trend from the scope's first month with inquiries (or orders) on: before it the account
    did not exist or the data had not started, and a 0 drawn there would be a false point."""
    first = next((i for i, t in enumerate(trends) if t["inquiries"] or t.get("orders_won_in_month")), len(trends))
    return trends[first:]


def trend_charts(trends: list[dict]) -> list[dict]:
    """One small line chart per trend (inquiries, valid share, reply within 24 h, conversion,
    orders, trade-assurance share): [{"title", "uri"}]. Each starts at the scope's first month
    with inquiries, and every y axis starts at 0, so that a share of 90 % never looks like 0."""
    trends = since_first_inquiry(trends)
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
                include_x_axis=True,
                # A share runs 0–100 %: its axis ends at 100 at most, never above.
                range=(0, 100) if percent and any(v is not None and v > 50 for v in values) else None,
                min_scale=3,
                max_scale=5,
            ),
            style=_style((OPS_COLOUR,)),
        )
        chart.x_labels = months
        chart.add(title, values)
        result.append({"key": key, "title": title, "uri": svg_data_uri(chart.render(is_unicode=True))})
    return result
