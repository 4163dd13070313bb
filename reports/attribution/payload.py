"""Leaving for JSON: numbers rounded only here, so the effects add up to the change."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from .funnel import (
    EFFECT_PLACES,
    ORDER_FACTORS,
    REVENUE_FACTORS,
    Change,
    Funnel,
)
from .noise import (
    Noise,
)


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
