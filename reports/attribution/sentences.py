"""Rounding for display (the parts shown add up to the whole shown) and the verdict's sentences."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .funnel import (
    ORDER_FACTORS,
    Change,
)
from .noise import (
    Noise,
)
from .verdict import (
    BASELINE_BEFORE_DATA,
    Verdict,
)


def _half_away(value: Fraction, places: int) -> int:
    """round(value · 10^places), halves away from zero, as an integer number of units."""
    scaled = value * 10**places
    units = math.floor(abs(scaled) + Fraction(1, 2))
    return units if scaled >= 0 else -units


def apportion(parts: Sequence, whole, places: int = 1) -> list[Decimal]:
    """Round `parts` to `places` decimals so that they add up to `whole` rounded (largest remainder).

    Each part is floored to a unit of 10^−places; the units still missing go to the parts with the
    largest remainders (taken from the smallest when the floors overshoot). Works on exact values
    (int, Decimal, Fraction) and on the payload's floats (read as their shortest decimal).
    """
    exact = [_exact(p) for p in parts]
    target = _half_away(_exact(whole), places)
    scale = 10**places
    floors = [math.floor(p * scale) for p in exact]
    remainders = [p * scale - f for p, f in zip(exact, floors, strict=True)]
    missing = target - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: remainders[i], reverse=missing > 0)
    for i in order[: abs(missing)]:
        floors[i] += 1 if missing > 0 else -1
    quantum = Decimal(1).scaleb(-places)
    return [(Decimal(units) * quantum).quantize(quantum) for units in floors]


def _exact(value) -> Fraction:
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return Fraction(value)
    return Fraction(value)


def rounded_orders(change: Change | dict, places: int = 1) -> dict[str, Decimal]:
    """The orders change as shown: factors apportioned to the total, sides as sums of shown factors."""
    get = change.__getitem__ if isinstance(change, dict) else change.effects.__getitem__
    total = change["total"] if isinstance(change, dict) else change.total
    shown = dict(zip(ORDER_FACTORS, apportion([get(n) for n in ORDER_FACTORS], total, places), strict=True))
    shown["operations"] = shown["volume"] + shown["quality"]
    shown["sales"] = shown["response"] + shown["conversion"]
    shown["total"] = shown["operations"] + shown["sales"]
    return shown


def signed(value: Fraction | Decimal | float | int | None, places: int = 1) -> str:
    """+2.6 / −0.5 / 0.0 / +1,204: rounded half up, a real minus sign, no sign on a zero, an
    integer without decimals, None as a dash. The verdict sentence, the page and the files share it."""
    if value is None:
        return "—"
    if isinstance(value, int):
        places = 0
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):,f}"
    if rounded == 0:
        return text
    return ("+" if rounded > 0 else "−") + text


def margin(variance: float) -> Decimal:
    """1.645·se to one decimal: the ± shown beside a side's effect."""
    return (Decimal("1.645") * Decimal(repr(math.sqrt(variance)))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VerdictContext:
    """What a verdict sentence needs beyond the change: its noise, and the baseline's place in the data."""

    spread: Noise
    baseline_in_data: bool = True
    baseline_month: str = ""
    data_start: str | None = None


def verdict_sentence_zh(
    orders: Change, result: Verdict, context: VerdictContext, *, baseline_label: str | None = None
) -> str:
    """The verdict in Chinese, e.g. 订单比上月少 5 单：运营 +2.3 ± 1.6（量 +2.5，质 −0.2），…。主要责任：业务。

    `baseline_label` names a baseline other than the previous month (e.g. "2026-01").
    """
    if result.reason == BASELINE_BEFORE_DATA:
        start = context.data_start or "—"
        return (
            f"对比月份早于数据起点：{context.baseline_month} 没有任何数据（数据从 {start} 开始），无法比较，不论功过。"
        )
    delta = int(orders.total)
    than = f"比{baseline_label}" if baseline_label else "比上月"
    if delta < 0:
        head = f"订单{than}少 {-delta} 单"
    elif delta > 0:
        head = f"订单{than}多 {delta} 单"
    else:
        head = f"订单与{baseline_label or '上月'}持平"
    shown = rounded_orders(orders)
    ops = f"运营 {signed(shown['operations'])} ± {margin(context.spread.operations_var)}"
    sales = f"业务 {signed(shown['sales'])} ± {margin(context.spread.sales_var)}"
    if result.kind == "none":
        return f"{head}：双方的影响都在正常波动范围内（{ops}，{sales}），不论功过。"
    sides = (
        f"{ops}（量 {signed(shown['volume'])}，质 {signed(shown['quality'])}），"
        f"{sales}（回复 {signed(shown['response'])}，转化 {signed(shown['conversion'])}）"
    )
    side_zh = {"operations": "运营", "sales": "业务"}
    if result.side == "shared":
        tail = "运营与业务责任相当。" if result.kind == "blame" else "运营与业务功劳相当。"
    elif result.kind == "blame":
        tail = f"主要责任：{side_zh[result.side]}。"
    else:
        tail = f"主要功劳：{side_zh[result.side]}。"
    return f"{head}：{sides}。{tail}"


def verdict_sentence_en(
    orders: Change, result: Verdict, context: VerdictContext, *, baseline_label: str | None = None
) -> str:
    """The verdict in English, with the same numbers as the Chinese sentence."""
    if result.reason == BASELINE_BEFORE_DATA:
        start = context.data_start or "—"
        return (
            f"The baseline month is before the data starts: there is no data for {context.baseline_month} "
            f"(the data starts in {start}), so there is nothing to compare with and no credit or blame."
        )
    delta = int(orders.total)
    than = f"than {baseline_label}" if baseline_label else "than last month"
    if delta == 0:
        head = f"Orders were level with {baseline_label or 'last month'}"
    else:
        count = abs(delta)
        noun = "order" if count == 1 else "orders"
        head = f"{count} {'fewer' if delta < 0 else 'more'} {noun} {than}"
    shown = rounded_orders(orders)
    ops = f"operations {signed(shown['operations'])} ± {margin(context.spread.operations_var)}"
    sales = f"sales {signed(shown['sales'])} ± {margin(context.spread.sales_var)}"
    if result.kind == "none":
        return f"{head}: both sides are within normal variation ({ops}, {sales}); no credit or blame."
    sides = (
        f"{ops} (volume {signed(shown['volume'])}, quality {signed(shown['quality'])}), "
        f"{sales} (response {signed(shown['response'])}, conversion {signed(shown['conversion'])})"
    )
    if result.side == "shared":
        tail = (
            "Operations and sales share the responsibility."
            if result.kind == "blame"
            else "Operations and sales share the credit."
        )
    elif result.kind == "blame":
        tail = f"Mainly responsible: {result.side}."
    else:
        tail = f"Main credit: {result.side}."
    return f"{head}: {sides}. {tail}"


# The languages the verdict is written in; the report stores every one of them.
VERDICT_SENTENCES = {"zh-hans": verdict_sentence_zh, "en": verdict_sentence_en}


def verdict_sentences(
    orders: Change, result: Verdict, context: VerdictContext, *, baseline_label: str | None = None
) -> dict[str, str]:
    return {
        code: write(orders, result, context, baseline_label=baseline_label) for code, write in VERDICT_SENTENCES.items()
    }


def sentence_language(language: str | None) -> str:
    """The verdict language for a Django language code: Chinese for any zh, else English."""
    return "zh-hans" if (language or "").lower().startswith("zh") else "en"
