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
from collections.abc import Sequence
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
    """The Shapley effects for f = the product, exactly, in integer arithmetic (fast).

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
# Noise: how sure each side's effect is (ATTRIBUTION.md §4)

# 90 %, two-sided: a side's effect is clear when it is at least this many standard errors.
Z_90 = Fraction(1645, 1000)


@dataclass(frozen=True)
class Noise:
    """The variances of the two sides' order effects (se = √variance)."""

    operations_var: float
    sales_var: float

    @property
    def operations_se(self) -> float:
        return math.sqrt(self.operations_var)

    @property
    def sales_se(self) -> float:
        return math.sqrt(self.sales_var)


@functools.cache
def _side_coefficients(n: int = 4) -> dict[str, tuple[float, ...]]:
    """A side's effect as Σ over masks of coef[mask]·f(z(mask)), for f the product of n factors.

    φ_j = Σ_{S∌j} w(|S|)·[f(S ∪ {j}) − f(S)]: f(T) enters φ_j with +w(|T| − 1) when j ∈ T and
    −w(|T|) when j ∉ T. Summed over the side's factors, once per n.
    """
    weights = [math.factorial(s) * math.factorial(n - 1 - s) / math.factorial(n) for s in range(n)]
    sides = {"operations": (0, 1), "sales": tuple(range(2, n))}
    result = {}
    for side, members in sides.items():
        coefficients = []
        for mask in range(1 << n):
            size = mask.bit_count()
            total = 0.0
            for j in members:
                if mask >> j & 1:
                    total += weights[size - 1]
                elif size < n:
                    total -= weights[size]
            coefficients.append(total)
        result[side] = tuple(coefficients)
    return result


def _factor_variances(funnel: Funnel) -> list[float | None]:
    """Var(I) = max(I, 1) (Poisson); Var(p) of a ratio x/n by Agresti–Coull; None where undefined."""

    def ratio(x: int, n: int) -> float | None:
        if n == 0:
            return None
        p = (x + 2) / (n + 4)
        return p * (1 - p) / (n + 4)

    return [
        float(max(funnel.inquiries, 1)),
        ratio(funnel.valid, funnel.inquiries),
        ratio(funnel.replied, funnel.valid),
        ratio(funnel.won, funnel.replied),
    ]


def noise(before: Funnel, after: Funnel) -> Noise:
    """The delta method over the eight observed factors [I, q, r, k] of both periods (independent).

    Each side's effect is Σ_mask coef[mask]·Π_i z_i(mask), multilinear in the factors, so its
    derivative by an observed factor is the same sum with that factor's place left out of the
    product, over the masks that take it there. A ratio undefined in one period takes the other
    period's value (§3): its observed twin then stands in both places, and has no variance of
    its own.
    """
    observed = [before.factors(), after.factors()]
    filled = [[float(v) for v in period] for period in fill_undefined(*observed)]
    variances = [_factor_variances(before), _factor_variances(after)]
    coefficients = _side_coefficients(4)
    ops_var = sales_var = 0.0
    for period in (0, 1):
        for k in range(4):
            variance = variances[period][k]
            if variance is None:
                continue
            # The periods from which this observed value feeds factor k.
            places = (period,) if observed[1 - period][k] is not None else (0, 1)
            d_ops = d_sales = 0.0
            for mask in range(16):
                if (mask >> k & 1) not in places:
                    continue
                rest = 1.0
                for i in range(4):
                    if i != k:
                        rest *= filled[mask >> i & 1][i]
                d_ops += coefficients["operations"][mask] * rest
                d_sales += coefficients["sales"][mask] * rest
            ops_var += d_ops * d_ops * variance
            sales_var += d_sales * d_sales * variance
    return Noise(ops_var, sales_var)


def is_clear(effect: Fraction, variance: float) -> bool:
    """|E| ≥ 0.5 and |E| ≥ 1.645·se (compared squared)."""
    return abs(effect) >= VERDICT_THRESHOLD and float(effect) ** 2 >= float(Z_90) ** 2 * variance


# ---------------------------------------------------------------------------------------------
# Who got the inquiries: the conversion effect split (§3)


def conversion_split(before: dict, after: dict, conversion_effect: Fraction) -> tuple[Fraction, Fraction]:
    """(allocation, own) parts of the conversion effect φ_k.

    `before` and `after` map each salesperson (any key; `None` for unassigned) to (replied, won)
    in the scope. k = Σ s_p·k_p with s_p = R_p/R; mix = Σ Δs_p·k̄_p, rate = Σ Δk_p·s̄_p and
    mix + rate = k¹ − k⁰; φ_k is split in that proportion. Both 0 when either period has no
    replied inquiry, when φ_k = 0 or when mix + rate = 0.
    """
    zero = Fraction(0)
    r0 = sum(replied for replied, _won in before.values())
    r1 = sum(replied for replied, _won in after.values())
    if r0 == 0 or r1 == 0 or conversion_effect == 0:
        return zero, zero
    mix = rate = zero
    for person in before.keys() | after.keys():
        rp0, wp0 = before.get(person, (0, 0))
        rp1, wp1 = after.get(person, (0, 0))
        k0 = Fraction(wp0, rp0) if rp0 else None
        k1 = Fraction(wp1, rp1) if rp1 else None
        if k0 is None and k1 is None:
            continue
        k0 = k1 if k0 is None else k0
        k1 = k0 if k1 is None else k1
        s0, s1 = Fraction(rp0, r0), Fraction(rp1, r1)
        mix += (s1 - s0) * (k0 + k1) / 2
        rate += (k1 - k0) * (s0 + s1) / 2
    if mix + rate == 0:
        return zero, zero
    allocation = conversion_effect * mix / (mix + rate)
    return allocation, conversion_effect - allocation


# ---------------------------------------------------------------------------------------------
# The verdict (§5)


@dataclass(frozen=True)
class Verdict:
    kind: str  # "blame" | "credit" | "none"
    side: str | None  # "operations" | "sales" | "shared" | None
    reason: str | None = None  # "within_noise" | "baseline_before_data" | None


WITHIN_NOISE = "within_noise"
BASELINE_BEFORE_DATA = "baseline_before_data"


def verdict(orders: Change, spread: Noise | None = None, *, baseline_in_data: bool = True) -> Verdict:
    """ATTRIBUTION.md §5, on exact values: a tie is a real tie, not a rounding accident.

    Without `spread` every effect counts as certain (only the half-order floor applies).
    """
    if not baseline_in_data:
        return Verdict("none", None, BASELINE_BEFORE_DATA)
    spread = spread or Noise(0.0, 0.0)
    ops, sales = orders.operations, orders.sales
    clear = {"operations": is_clear(ops, spread.operations_var), "sales": is_clear(sales, spread.sales_var)}
    kind = "blame" if orders.total <= 0 else "credit"
    if ops == sales:
        if clear["operations"] and clear["sales"]:
            return Verdict(kind, "shared")
        return Verdict("none", None, WITHIN_NOISE)
    if kind == "blame":
        candidate = "operations" if ops < sales else "sales"
    else:
        candidate = "operations" if ops > sales else "sales"
    if not clear[candidate]:
        return Verdict("none", None, WITHIN_NOISE)
    return Verdict(kind, candidate)


# ---------------------------------------------------------------------------------------------
# Rounding for display: the parts shown add up to the whole shown


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


def orders_change_json(change: Change, spread: Noise, split: tuple[Fraction, Fraction] | None = None) -> dict:
    """The orders change with each side's standard error; with `split` (company and account
    scopes and rows) the conversion effect's allocation and own parts."""
    result = {
        "total": int(change.total),
        **{name: to_number(change[name]) for name in ORDER_FACTORS},
        "operations": to_number(change.operations),
        "sales": to_number(change.sales),
        "operations_se": round(spread.operations_se, EFFECT_PLACES),
        "sales_se": round(spread.sales_se, EFFECT_PLACES),
    }
    if split is not None:
        result["conversion_allocation"] = to_number(split[0])
        result["conversion_own"] = to_number(split[1])
    return result


def revenue_change_json(change: Change) -> dict:
    return {
        "total": money(change.total),
        **{name: money(change[name]) for name in REVENUE_FACTORS},
        "operations": money(change.operations),
        "sales": money(change.sales),
    }
