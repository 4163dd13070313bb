"""Noise: how sure each side's effect is (ATTRIBUTION.md §4)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

from .funnel import (
    VERDICT_THRESHOLD,
    Funnel,
    fill_undefined,
)

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
