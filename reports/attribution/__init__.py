"""The attribution mathematics of ATTRIBUTION.md, as plain functions over plain numbers.

No ORM here: the selectors count, this module divides the change between operations and
sales. Everything inside is exact (`Fraction`); numbers are rounded only when they leave for
JSON (`orders_change_json`, `revenue_change_json`), so that the effects add up to the change
and ties in the verdict are real ties.

    funnel  I inquiries → V valid → R replied → W won, Y revenue
    factors volume I, quality q = V/I, response r = R/V, conversion k = W/R, order value a = Y/W
    orders  W = I·q·r·k          (n = 4)
    revenue Y = I·q·r·k·a        (n = 5)

The package: `funnel` (the funnel, Shapley, `decompose`), `noise` (standard errors),
`verdict` (the conversion split, the verdict), `sentences` (rounding for display, the verdict's
words), `payload` (leaving for JSON). Import from here.
"""

from .funnel import (
    CENT,
    EFFECT_PLACES,
    OPERATIONS_FACTORS,
    ORDER_FACTORS,
    REVENUE_FACTORS,
    SALES_FACTORS,
    VERDICT_THRESHOLD,
    Change,
    Funnel,
    decompose,
    fill_undefined,
    shapley_product,
)
from .noise import (
    Z_90,
    Noise,
    is_clear,
    noise,
)
from .payload import (
    factors_json,
    funnel_json,
    money,
    orders_change_json,
    ratio_number,
    revenue_change_json,
    to_number,
)
from .sentences import (
    VERDICT_SENTENCES,
    VerdictContext,
    apportion,
    margin,
    rounded_orders,
    sentence_language,
    signed,
    verdict_sentence_en,
    verdict_sentence_zh,
    verdict_sentences,
)
from .verdict import (
    BASELINE_BEFORE_DATA,
    WITHIN_NOISE,
    Verdict,
    conversion_split,
    verdict,
)

__all__ = [
    "BASELINE_BEFORE_DATA",
    "CENT",
    "Change",
    "EFFECT_PLACES",
    "Funnel",
    "Noise",
    "OPERATIONS_FACTORS",
    "ORDER_FACTORS",
    "REVENUE_FACTORS",
    "SALES_FACTORS",
    "VERDICT_SENTENCES",
    "VERDICT_THRESHOLD",
    "Verdict",
    "VerdictContext",
    "WITHIN_NOISE",
    "Z_90",
    "apportion",
    "conversion_split",
    "decompose",
    "factors_json",
    "fill_undefined",
    "funnel_json",
    "is_clear",
    "margin",
    "money",
    "noise",
    "orders_change_json",
    "ratio_number",
    "revenue_change_json",
    "rounded_orders",
    "sentence_language",
    "shapley_product",
    "signed",
    "to_number",
    "verdict",
    "verdict_sentence_en",
    "verdict_sentence_zh",
    "verdict_sentences",
]
