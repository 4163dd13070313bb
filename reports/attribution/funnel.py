"""The funnel and its change, split exactly between the factors (Shapley, ATTRIBUTION.md §2)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
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
