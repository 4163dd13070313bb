"""Who got the inquiries (the conversion effect split, §3), and the verdict (§5)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .funnel import (
    Change,
)
from .noise import (
    Noise,
    is_clear,
)


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
