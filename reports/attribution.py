"""The attribution mathematics of ATTRIBUTION.md, as plain functions over plain numbers.

No ORM here: the selectors count, this module divides the change between operations and
sales. Everything inside is exact (`Fraction`); numbers are rounded only when they leave for
JSON (`orders_change_json`, `revenue_change_json`), so that the effects add up to the change
and ties in the verdict are real ties.

    funnel  I inquiries → V valid → R replied → W won, Y revenue
    factors volume I, quality q = V/I, response r = R/V, conversion k = W/R, order value a = Y/W
    orders  W = I·q·r·k          (n = 4)
    revenue Y = I·q·r·k·a        (n = 5)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cached_property

ORDER_FACTORS = ("volume", "quality", "response", "conversion")
REVENUE_FACTORS = ("volume", "quality", "response", "conversion", "order_value")
OPERATIONS_FACTORS = frozenset({"volume", "quality"})
SALES_FACTORS = frozenset({"response", "conversion", "order_value"})

# A side must move orders by at least this much (in orders) before the verdict names it.
VERDICT_THRESHOLD = Fraction(1, 2)

CENT = Decimal("0.01")
# Effects and rates leave for JSON with six decimals: finer than the contract's 1e-4 floor.
EFFECT_PLACES = 6


@dataclass(frozen=True)
class Funnel:
    """One period's cohort funnel: I ⊇ V ⊇ R ⊇ W inquiries and the revenue Y of W."""

    inquiries: int = 0
    valid: int = 0
    replied: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")

    def __post_init__(self):
        if not (self.inquiries >= self.valid >= self.replied >= self.won >= 0):
            raise ValueError(f"a funnel narrows: I ≥ V ≥ R ≥ W ≥ 0, got {self}")
        if self.revenue < 0:
            raise ValueError("revenue cannot be negative")

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(
            self.inquiries + other.inquiries,
            self.valid + other.valid,
            self.replied + other.replied,
            self.won + other.won,
            Decimal(self.revenue) + Decimal(other.revenue),
        )

    def factors(self, *, revenue: bool = False) -> list[Fraction | None]:
        """[I, q, r, k] (and a with `revenue`); None where the denominator is zero."""
        return [None if pair is None else Fraction(*pair) for pair in self.factor_ratios(revenue=revenue)]

    def factor_ratios(self, *, revenue: bool = False) -> list[tuple[int, int] | None]:
        """The factors as (numerator, denominator) pairs of integers, None where undefined.

        What `decompose` works on: no `Fraction` is built (and reduced) before the effects.
        """
        values = [
            (self.inquiries, 1),
            _pair(self.valid, self.inquiries),
            _pair(self.replied, self.valid),
            _pair(self.won, self.replied),
        ]
        if revenue:
            cents = _decimal_ratio(Decimal(self.revenue))
            values.append(_pair(cents[0], self.won * cents[1]) if self.won else None)
        return values

    def rates(self) -> dict[str, Fraction | None]:
        """The factors by name, None where undefined (for display, not for the decomposition)."""
        return dict(zip(REVENUE_FACTORS, self.factors(revenue=True), strict=True))


def _pair(numerator: int, denominator: int) -> tuple[int, int] | None:
    return None if denominator == 0 else (numerator, denominator)


def _decimal_ratio(value: Decimal) -> tuple[int, int]:
    """A finite Decimal as an exact (numerator, denominator), e.g. 12.34 → (1234, 100)."""
    sign, digits, exponent = value.as_tuple()
    numerator = int("".join(map(str, digits)) or "0")
    if sign:
        numerator = -numerator
    if exponent >= 0:
        return numerator * 10**exponent, 1
    return numerator, 10**-exponent


def _ratio(numerator, denominator) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator) / Fraction(denominator)


def fill_undefined(before: Sequence, after: Sequence, *, zero=Fraction(0)) -> tuple[list, list]:
    """The contract's convention: an undefined ratio takes the other period's value; both → 0.

    An undefined ratio only follows a zero earlier in the product, so f(x⁰) and f(x¹) stay the
    real counts, and a factor that could not be observed in one period gets no effect. Works on
    Fractions, or on (numerator, denominator) pairs with `zero=(0, 1)`.
    """
    x0, x1 = [], []
    for b, a in zip(before, after, strict=True):
        if b is None and a is None:
            b = a = zero
        elif b is None:
            b = a
        elif a is None:
            a = b
        x0.append(b)
        x1.append(a)
    return x0, x1


def product(values: Sequence[Fraction]) -> Fraction:
    result = Fraction(1)
    for value in values:
        result *= value
    return result


def shapley(
    x0: Sequence[Fraction], x1: Sequence[Fraction], f: Callable[[Sequence[Fraction]], Fraction] = product
) -> list[Fraction]:
    """Shapley effects of moving each factor from x⁰ to x¹, for any number n of factors.

    φ_j = Σ_{S ⊆ N∖{j}} |S|!(n−1−|S|)!/n! · [f(z(S ∪ {j})) − f(z(S))], where z(S) takes x¹ for
    the factors in S and x⁰ for the others. Exact; the effects add up to f(x¹) − f(x⁰).
    """
    n = len(x0)
    if len(x1) != n:
        raise ValueError("both periods need the same factors")
    # f at every mixture, indexed by the bit mask of the factors taken from x¹.
    values = [f([x1[j] if mask >> j & 1 else x0[j] for j in range(n)]) for mask in range(1 << n)]
    weights = [Fraction(math.factorial(s) * math.factorial(n - 1 - s), math.factorial(n)) for s in range(n)]
    effects = []
    for j in range(n):
        bit = 1 << j
        total = Fraction(0)
        for mask in range(1 << n):
            if not mask & bit:
                total += weights[mask.bit_count()] * (values[mask | bit] - values[mask])
        effects.append(total)
    return effects


@functools.cache
def _shapley_terms(n: int) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """For each factor j: (S, S ∪ {j}, s!(n−1−s)!) over every S ⊆ N∖{j}, as bit masks. Once per n."""
    weights = [math.factorial(s) * math.factorial(n - 1 - s) for s in range(n)]
    return tuple(
        tuple((mask, mask | 1 << j, weights[mask.bit_count()]) for mask in range(1 << n) if not mask >> j & 1)
        for j in range(n)
    )


def _shapley_scaled(x0: Sequence[tuple[int, int]], x1: Sequence[tuple[int, int]]) -> tuple[list[int], int]:
    """The integer core of `shapley_product`: the effects as (numerators, common denominator).

    With x⁰_j = a_j/b_j and x¹_j = c_j/d_j, and L = Π b_j·d_j, every mixture scaled by L is an
    integer: L·f(z(S)) = Π_{j∈S} c_j·b_j · Π_{j∉S} a_j·d_j; and n!·w(s) = s!(n−1−s)! is an
    integer. So φ_j = Σ_S s!(n−1−s)!·[F(S∪{j}) − F(S)] / (n!·L).
    """
    n = len(x0)
    if len(x1) != n:
        raise ValueError("both periods need the same factors")
    scale = math.factorial(n)
    # F over every mask, built factor by factor: bit j set ⇒ the factor comes from x¹.
    scaled = [1]
    for (a, b), (c, d) in zip(x0, x1, strict=True):
        if b <= 0 or d <= 0:
            raise ValueError("denominators must be positive")
        scale *= b * d
        before, after = a * d, c * b
        scaled = [p * before for p in scaled] + [p * after for p in scaled]
    totals = [
        sum(weight * (scaled[with_j] - scaled[without]) for without, with_j, weight in terms)
        for terms in _shapley_terms(n)
    ]
    return totals, scale


def shapley_product(x0: Sequence[Fraction], x1: Sequence[Fraction]) -> list[Fraction]:
    """`shapley(x0, x1)` for f = the product, exactly, in integer arithmetic (fast).

    The subsets and their weights are enumerated once per n (`_shapley_terms`); one division
    per factor at the end (`_shapley_scaled`).
    """
    pairs0 = [(v.numerator, v.denominator) for v in map(Fraction, x0)]
    pairs1 = [(v.numerator, v.denominator) for v in map(Fraction, x1)]
    totals, scale = _shapley_scaled(pairs0, pairs1)
    return [Fraction(total, scale) for total in totals]


@dataclass(frozen=True)
class Change:
    """A decomposed change: total, one effect per factor, and the two sides."""

    total: Fraction
    effects: dict[str, Fraction]

    @cached_property
    def operations(self) -> Fraction:
        return sum((v for k, v in self.effects.items() if k in OPERATIONS_FACTORS), Fraction(0))

    @cached_property
    def sales(self) -> Fraction:
        return sum((v for k, v in self.effects.items() if k in SALES_FACTORS), Fraction(0))

    def __getitem__(self, name: str) -> Fraction:
        return self.effects[name]


def decompose(before: Funnel, after: Funnel, *, revenue: bool = False) -> Change:
    """Split W¹ − W⁰ (or Y¹ − Y⁰ with `revenue`) between the factors, Shapley-fair, exactly."""
    x0, x1 = fill_undefined(before.factor_ratios(revenue=revenue), after.factor_ratios(revenue=revenue), zero=(0, 1))
    names = REVENUE_FACTORS if revenue else ORDER_FACTORS
    totals, scale = _shapley_scaled(x0, x1)
    if revenue:
        total = Fraction(Decimal(after.revenue)) - Fraction(Decimal(before.revenue))
    else:
        total = Fraction(after.won - before.won)
    change = Change(total=total, effects={name: Fraction(t, scale) for name, t in zip(names, totals, strict=True)})
    # The sides from the integer numerators over the common denominator: two divisions, no sums
    # of fractions (the values `Change` would compute itself, filled in ahead).
    change.__dict__["operations"] = Fraction(
        sum(t for name, t in zip(names, totals, strict=True) if name in OPERATIONS_FACTORS), scale
    )
    change.__dict__["sales"] = Fraction(
        sum(t for name, t in zip(names, totals, strict=True) if name in SALES_FACTORS), scale
    )
    return change


# ---------------------------------------------------------------------------------------------
# The verdict


@dataclass(frozen=True)
class Verdict:
    kind: str  # "blame" | "credit" | "none"
    side: str | None  # "operations" | "sales" | "shared" | None


def verdict(orders: Change) -> Verdict:
    """ATTRIBUTION.md §4, on exact values: a tie is a real tie, not a rounding accident."""
    ops, sales = orders.operations, orders.sales
    if abs(ops) < VERDICT_THRESHOLD and abs(sales) < VERDICT_THRESHOLD:
        return Verdict("none", None)
    if ops == sales:
        side = "shared"
    elif orders.total <= 0:
        side = "operations" if ops < sales else "sales"
    else:
        side = "operations" if ops > sales else "sales"
    return Verdict("blame" if orders.total <= 0 else "credit", side)


def signed(value: Fraction | Decimal | int, places: int = 1) -> str:
    """+2.6 / −0.5 / 0.0: one decimal, a real minus sign, no sign on a zero."""
    rounded = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    rounded = rounded.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        return f"{abs(rounded)}"
    return f"+{rounded}" if rounded > 0 else f"−{-rounded}"


def verdict_sentence_zh(orders: Change, result: Verdict, *, baseline_label: str | None = None) -> str:
    """The verdict in Chinese, e.g. 订单比上月少 7 单：运营 +2.1（量 +2.6，质 −0.5），…。主要责任：业务。

    `baseline_label` names a baseline other than the previous month (e.g. "2026-01").
    """
    delta = int(orders.total)
    than = f"比{baseline_label}" if baseline_label else "比上月"
    if delta < 0:
        head = f"订单{than}少 {-delta} 单"
    elif delta > 0:
        head = f"订单{than}多 {delta} 单"
    else:
        head = f"订单与{baseline_label or '上月'}持平"
    sides = (
        f"运营 {signed(orders.operations)}（量 {signed(orders['volume'])}，质 {signed(orders['quality'])}），"
        f"业务 {signed(orders.sales)}（回复 {signed(orders['response'])}，转化 {signed(orders['conversion'])}）"
    )
    side_zh = {"operations": "运营", "sales": "业务"}
    if result.kind == "none":
        tail = "双方影响都不到半单，不论功过。"
    elif result.side == "shared":
        tail = "运营与业务责任相当。" if result.kind == "blame" else "运营与业务功劳相当。"
    elif result.kind == "blame":
        tail = f"主要责任：{side_zh[result.side]}。"
    else:
        tail = f"主要功劳：{side_zh[result.side]}。"
    return f"{head}：{sides}。{tail}"


def verdict_sentence_en(orders: Change, result: Verdict, *, baseline_label: str | None = None) -> str:
    """The verdict in English, with the same numbers as the Chinese sentence."""
    delta = int(orders.total)
    than = f"than {baseline_label}" if baseline_label else "than last month"
    if delta == 0:
        head = f"Orders were level with {baseline_label or 'last month'}"
    else:
        count = abs(delta)
        noun = "order" if count == 1 else "orders"
        head = f"{count} {'fewer' if delta < 0 else 'more'} {noun} {than}"
    sides = (
        f"operations {signed(orders.operations)} (volume {signed(orders['volume'])}, "
        f"quality {signed(orders['quality'])}), sales {signed(orders.sales)} "
        f"(response {signed(orders['response'])}, conversion {signed(orders['conversion'])})"
    )
    if result.kind == "none":
        tail = "Neither side moved orders by half an order or more."
    elif result.side == "shared":
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


def verdict_sentences(orders: Change, result: Verdict, *, baseline_label: str | None = None) -> dict[str, str]:
    return {code: write(orders, result, baseline_label=baseline_label) for code, write in VERDICT_SENTENCES.items()}


def sentence_language(language: str | None) -> str:
    """The verdict language for a Django language code: Chinese for any zh, else English."""
    return "zh-hans" if (language or "").lower().startswith("zh") else "en"


# ---------------------------------------------------------------------------------------------
# Leaving for JSON


def to_number(value: Fraction | Decimal | int | None, places: int = EFFECT_PLACES) -> float | int | None:
    """A JSON number rounded half away from zero to `places` decimals; None stays None (undefined).

    Integer arithmetic on the exact value, so that the only rounding is this one.
    """
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return ratio_number(*value.as_integer_ratio(), places=places)


def ratio_number(numerator: int, denominator: int, places: int = EFFECT_PLACES) -> float | None:
    """numerator / denominator as `to_number` rounds it, without building a Fraction; None for /0."""
    if denominator == 0:
        return None
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    scale = 10**places
    magnitude = (2 * abs(numerator) * scale + denominator) // (2 * denominator)
    rounded = magnitude / scale
    return -rounded if numerator < 0 and magnitude else rounded


def money(value: Fraction | Decimal | int | float) -> float:
    """Money to the cent, as a JSON number."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    return ratio_number(*value.as_integer_ratio(), places=2)


def funnel_json(funnel: Funnel) -> dict:
    return {
        "inquiries": funnel.inquiries,
        "valid": funnel.valid,
        "replied": funnel.replied,
        "won": funnel.won,
        "revenue_usd": money(funnel.revenue),
    }


def factors_json(funnel: Funnel) -> dict:
    """The funnel's own factors for display; null where the denominator is zero."""
    _, quality, response, conversion, order_value = funnel.factor_ratios(revenue=True)
    return {
        "volume": funnel.inquiries,
        "quality": None if quality is None else ratio_number(*quality),
        "response": None if response is None else ratio_number(*response),
        "conversion": None if conversion is None else ratio_number(*conversion),
        "order_value": None if order_value is None else ratio_number(*order_value, places=2),
    }


def orders_change_json(change: Change) -> dict:
    return {
        "total": int(change.total),
        **{name: to_number(change[name]) for name in ORDER_FACTORS},
        "operations": to_number(change.operations),
        "sales": to_number(change.sales),
    }


def revenue_change_json(change: Change) -> dict:
    return {
        "total": money(change.total),
        **{name: money(change[name]) for name in REVENUE_FACTORS},
        "operations": money(change.operations),
        "sales": money(change.sales),
    }
