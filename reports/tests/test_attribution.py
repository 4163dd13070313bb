"""The mathematics of ATTRIBUTION.md, checked by hand-computed cases and by properties."""

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.attribution import (
    Funnel,
    Noise,
    VerdictContext,
    apportion,
    conversion_split,
    decompose,
    fill_undefined,
    noise,
    orders_change_json,
    revenue_change_json,
    rounded_orders,
    shapley_product,
    signed,
    verdict,
    verdict_sentence_en,
    verdict_sentence_zh,
)


# The reference Shapley value, straight from its definition: the oracle the fast one is checked against.
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


CERTAIN = VerdictContext(spread=Noise(Fraction(0), Fraction(0)))

EXAMPLE_1_B = Funnel(300, 270, 260, 7, Decimal("56000"))
EXAMPLE_1_M = Funnel(500, 430, 300, 2, Decimal("9000"))


# ---------------------------------------------------------------------------------------------
# The contract's worked examples


def test_worked_example_1_orders_split_to_four_decimals():
    change = decompose(EXAMPLE_1_B, EXAMPLE_1_M)

    assert change.total == -5
    assert float(change["volume"]) == pytest.approx(2.5473, abs=1e-4)
    assert float(change["quality"]) == pytest.approx(-0.2161, abs=1e-4)
    assert float(change["response"]) == pytest.approx(-1.4937, abs=1e-4)
    assert float(change["conversion"]) == pytest.approx(-5.8375, abs=1e-4)
    assert float(change.operations) == pytest.approx(2.3312, abs=1e-4)
    assert float(change.sales) == pytest.approx(-7.3312, abs=1e-4)
    assert sum(change.effects.values()) == -5


def test_worked_example_1_revenue_split_to_the_cent():
    change = revenue_change_json(decompose(EXAMPLE_1_B, EXAMPLE_1_M, revenue=True))

    assert change == {
        "total": -47000.0,
        "volume": 17047.37,
        "quality": -1415.51,
        "response": -9677.60,
        "conversion": -36249.44,
        "order_value": -16704.83,
        "operations": 15631.86,
        "sales": -62631.86,
    }


def test_worked_example_1_blames_sales_clearly_with_the_numbers_and_their_noise():
    change = decompose(EXAMPLE_1_B, EXAMPLE_1_M)
    spread = noise(EXAMPLE_1_B, EXAMPLE_1_M)
    result = verdict(change, spread)

    assert spread.operations_se == pytest.approx(0.9706, abs=1e-4)
    assert spread.sales_se == pytest.approx(4.0246, abs=1e-4)
    assert (result.kind, result.side, result.reason) == ("blame", "sales", None)
    context = VerdictContext(spread=spread)
    assert verdict_sentence_zh(change, result, context) == (
        "订单比上月少 5 单：运营 +2.3 ± 1.6（量 +2.5，质 −0.2），"
        "业务 −7.3 ± 6.6（回复 −1.5，转化 −5.8）。主要责任：业务。"
    )
    assert verdict_sentence_en(change, result, context) == (
        "5 fewer orders than last month: operations +2.3 ± 1.6 (volume +2.5, quality −0.2), "
        "sales −7.3 ± 6.6 (response −1.5, conversion −5.8). Mainly responsible: sales."
    )


def test_worked_example_1_json_keeps_six_decimals():
    change = decompose(EXAMPLE_1_B, EXAMPLE_1_M)
    assert orders_change_json(change, noise(EXAMPLE_1_B, EXAMPLE_1_M)) == {
        "total": -5,
        "volume": 2.547336,
        "quality": -0.216103,
        "response": -1.493711,
        "conversion": -5.837522,
        "operations": 2.331232,
        "sales": -7.331232,
        "operations_se": 0.970646,
        "sales_se": 4.024584,
    }


def test_worked_example_2_two_orders_from_thirty_inquiries_are_within_noise():
    new = Funnel(30, 28, 20, 2, Decimal("7000"))
    change, spread = decompose(Funnel(), new), noise(Funnel(), new)

    assert spread.operations_se == pytest.approx(1.5872, abs=1e-4)
    assert spread.sales_se == pytest.approx(0, abs=1e-9)
    assert verdict(change, spread) == verdict(change, spread)  # a value object
    assert (verdict(change, spread).kind, verdict(change, spread).reason) == ("none", "within_noise")


def test_example_3_one_order_less_is_within_noise_and_the_sentence_says_so():
    before, after = Funnel(500, 450, 420, 3), Funnel(520, 470, 430, 2)
    change, spread = decompose(before, after), noise(before, after)

    assert float(change.operations) == pytest.approx(0.1090, abs=1e-4)
    assert spread.operations_se == pytest.approx(0.1776, abs=1e-4)
    assert float(change.sales) == pytest.approx(-1.1090, abs=1e-4)
    assert spread.sales_se == pytest.approx(2.9654, abs=1e-4)
    result = verdict(change, spread)
    assert (result.kind, result.side, result.reason) == ("none", None, "within_noise")
    assert verdict_sentence_zh(change, result, VerdictContext(spread=spread)) == (
        "订单比上月少 1 单：双方的影响都在正常波动范围内（运营 +0.1 ± 0.3，业务 −1.1 ± 4.9），不论功过。"
    )
    assert verdict_sentence_en(change, result, VerdictContext(spread=spread)) == (
        "1 fewer order than last month: both sides are within normal variation "
        "(operations +0.1 ± 0.3, sales −1.1 ± 4.9); no credit or blame."
    )


def test_a_baseline_before_the_data_gets_no_verdict_and_says_why():
    change = decompose(Funnel(), Funnel(300, 280, 250, 12, Decimal(1200)))
    spread = noise(Funnel(), Funnel(300, 280, 250, 12, Decimal(1200)))
    result = verdict(change, spread, baseline_in_data=False)

    assert (result.kind, result.side, result.reason) == ("none", None, "baseline_before_data")
    context = VerdictContext(spread=spread, baseline_in_data=False, baseline_month="2025-11", data_start="2025-12")
    assert verdict_sentence_zh(change, result, context) == (
        "对比月份早于数据起点：2025-11 没有任何数据（数据从 2025-12 开始），无法比较，不论功过。"
    )
    assert "before the data starts" in verdict_sentence_en(change, result, context)


def test_the_allocation_example_puts_the_whole_conversion_effect_on_who_got_the_inquiries():
    before = {"a": (200, 6), "b": (100, 1)}
    after = {"a": (100, 3), "b": (200, 2)}

    assert conversion_split(before, after, Fraction(-1)) == (-1, 0)


def test_the_conversion_split_adds_up_and_is_zero_without_replies_on_one_side():
    before = {"a": (100, 5), "b": (50, 1), None: (10, 0)}
    after = {"a": (80, 2), "b": (90, 4), "c": (30, 3)}
    allocation, own = conversion_split(before, after, Fraction(-7, 3))

    assert allocation + own == Fraction(-7, 3)
    assert allocation != 0 and own != 0
    assert conversion_split({}, after, Fraction(2)) == (0, 0)
    assert conversion_split(before, after, Fraction(0)) == (0, 0)


def test_mix_plus_rate_is_the_change_in_conversion_when_a_person_is_new():
    # b had no replied inquiry in B: k_b takes M's value, the split still adds up.
    before = {"a": (100, 10)}
    after = {"a": (50, 5), "b": (50, 1)}
    allocation, own = conversion_split(before, after, Fraction(-2))
    # k0 = 0.10, k1 = 0.06. Nobody's own conversion moved (b's k follows M's value): mix = −0.5·0.1 + 0.5·0.02
    # = −0.04 = k1 − k0, rate = 0, so the whole effect is allocation.
    assert allocation == Fraction(-2)
    assert own == 0


def test_worked_example_2_a_new_sub_account_credits_volume_only():
    new = Funnel(30, 28, 20, 2, Decimal("7000"))

    orders = decompose(Funnel(), new)
    revenue = decompose(Funnel(), new, revenue=True)

    assert orders.effects == {"volume": 2, "quality": 0, "response": 0, "conversion": 0}
    assert revenue.effects == {"volume": 7000, "quality": 0, "response": 0, "conversion": 0, "order_value": 0}
    # Certain (no noise given), volume +2 would be credited; with its noise it is not (above).
    assert (verdict(orders).kind, verdict(orders).side) == ("credit", "operations")


# ---------------------------------------------------------------------------------------------
# The undefined-ratio convention


def test_an_undefined_ratio_takes_the_other_periods_value_and_zero_when_both_are_undefined():
    x0, x1 = fill_undefined([Fraction(3), None, None], [Fraction(5), Fraction(1, 2), None])

    assert x0 == [3, Fraction(1, 2), 0]
    assert x1 == [5, Fraction(1, 2), 0]


def test_a_month_where_every_inquiry_is_invalid_blames_quality_not_sales():
    # B: 2 inquiries, both valid and replied, 1 won for $100. M: 4 inquiries, none valid.
    # r and k are undefined in M, so they take B's values (1 and 1/2) and get no effect.
    # φ_I = ½[(4−2)·1 + (4−2)·0]·½ = 0.5 ; φ_q = ½[2·(0−1) + 4·(0−1)]·½ = −1.5
    change = decompose(Funnel(2, 2, 2, 1, Decimal(100)), Funnel(4, 0, 0, 0, Decimal(0)))

    assert change.effects == {"volume": Fraction(1, 2), "quality": Fraction(-3, 2), "response": 0, "conversion": 0}
    assert (change.operations, change.sales) == (-1, 0)
    assert (verdict(change).kind, verdict(change).side) == ("blame", "operations")


def test_f_of_the_filled_factors_is_still_the_real_count():
    before, after = Funnel(10, 0, 0, 0), Funnel(0, 0, 0, 0)
    x0, x1 = fill_undefined(before.factors(), after.factors())

    assert (product(x0), product(x1)) == (0, 0)


# ---------------------------------------------------------------------------------------------
# The verdict


def change_with(ops_volume, sales_conversion, total):
    from reports.attribution import Change

    return Change(
        total=Fraction(total),
        effects={"volume": Fraction(ops_volume), "quality": Fraction(0), "response": Fraction(0),
                 "conversion": Fraction(sales_conversion)},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("ops", "sales", "total", "expected"),
    [
        (Fraction(49, 100), Fraction(-49, 100), 0, ("none", None)),
        (Fraction(-1, 2), Fraction(-1, 2), -1, ("blame", "shared")),
        (Fraction(-49, 100), Fraction(-49, 100), Fraction(-98, 100), ("none", None)),
        (Fraction(1, 2), Fraction(-1, 2), 0, ("blame", "sales")),
        (Fraction(3), Fraction(-3), 0, ("blame", "sales")),
        (Fraction(-2), Fraction(1), -1, ("blame", "operations")),
        (Fraction(-1), Fraction(-1), -2, ("blame", "shared")),
        (Fraction(1), Fraction(1), 2, ("credit", "shared")),
        (Fraction(3), Fraction(-1), 2, ("credit", "operations")),
        (Fraction(-1), Fraction(3), 2, ("credit", "sales")),
        (Fraction(2), Fraction(-2), 0, ("blame", "sales")),
    ],
)
def test_verdict_follows_the_contracts_rules(ops, sales, total, expected):
    result = verdict(change_with(ops, sales, total))

    assert (result.kind, result.side) == expected


def test_a_clear_effect_needs_half_an_order_and_more_than_its_noise():
    change = change_with(Fraction(-3), Fraction(1), -2)
    # ops −3: clear at se 1.8 (1.645·1.8 = 2.96), not at se 1.9 (3.13).
    assert verdict(change, Noise(Fraction(18, 10) ** 2, Fraction(0))).side == "operations"
    assert verdict(change, Noise(Fraction(19, 10) ** 2, Fraction(0))).reason == "within_noise"
    # A tie is shared only when both sides are clear.
    tie = change_with(Fraction(-2), Fraction(-2), -4)
    assert verdict(tie, Noise(Fraction(1), Fraction(1))).side == "shared"
    assert verdict(tie, Noise(Fraction(1), Fraction(2))).reason == "within_noise"


def test_verdict_sentences_for_credit_shared_none_and_another_baseline():
    credit = change_with(3, -1, 2)
    assert verdict_sentence_zh(credit, verdict(credit), CERTAIN).endswith("主要功劳：运营。")
    assert verdict_sentence_en(credit, verdict(credit), CERTAIN).startswith("2 more orders than last month")

    shared = change_with(-1, -1, -2)
    assert verdict_sentence_zh(shared, verdict(shared), CERTAIN).endswith("运营与业务责任相当。")
    assert verdict_sentence_en(shared, verdict(shared), CERTAIN).endswith(
        "Operations and sales share the responsibility."
    )

    small = change_with(Fraction(1, 5), Fraction(-1, 5), 0)
    assert verdict_sentence_zh(small, verdict(small), CERTAIN) == (
        "订单与上月持平：双方的影响都在正常波动范围内（运营 +0.2 ± 0.0，业务 −0.2 ± 0.0），不论功过。"
    )
    one = change_with(-1, 0, -1)
    assert verdict_sentence_en(one, verdict(one), CERTAIN, baseline_label="2025-01").startswith(
        "1 fewer order than 2025-01:"
    )
    assert verdict_sentence_zh(one, verdict(one), CERTAIN, baseline_label="2025-01").startswith("订单比2025-01少 1 单")


def test_shown_parts_add_up_to_the_shown_whole():
    # The case: +0.1 + 0.0 + 0.2 + 3.8 beside +4.
    # 1.4 + 0.4 + 2.4 + 35.8 tenths: floors 1 + 0 + 2 + 35 = 38, two tenths to the largest remainders
    # (0.8, then the first of the tied 0.4s).
    assert apportion([0.14, 0.04, 0.24, 3.58], 4) == [Decimal("0.2"), Decimal("0.0"), Decimal("0.2"), Decimal("3.6")]
    assert sum(apportion([0.14, 0.04, 0.24, 3.58], 4)) == 4
    shown = rounded_orders(decompose(EXAMPLE_1_B, EXAMPLE_1_M))
    assert shown["operations"] + shown["sales"] == shown["total"] == -5
    assert (shown["volume"], shown["quality"], shown["response"], shown["conversion"]) == (
        Decimal("2.5"), Decimal("-0.2"), Decimal("-1.5"), Decimal("-5.8")
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.fractions(min_value=-30, max_value=30, max_denominator=997), min_size=1, max_size=6))
def test_apportioned_parts_always_add_up_and_move_each_part_less_than_one_unit(parts):
    whole = sum(parts, Fraction(0))
    shown = apportion(parts, whole, 1)

    units = math.floor(abs(whole) * 10 + Fraction(1, 2))  # the whole, rounded half away from zero
    assert sum(shown) == Decimal(units if whole >= 0 else -units) / 10
    assert all(abs(Fraction(s) - p) < Fraction(1, 10) for s, p in zip(shown, parts, strict=True))


def test_signed_numbers_use_a_real_minus_and_no_sign_on_zero():
    assert [signed(Fraction(x)) for x in ("2.55", "-0.04", "0", "-5.8375")] == ["+2.6", "0.0", "0.0", "−5.8"]


# ---------------------------------------------------------------------------------------------
# Properties


def funnels():
    @st.composite
    def build(draw):
        inquiries = draw(st.integers(0, 2000))
        valid = draw(st.integers(0, inquiries))
        replied = draw(st.integers(0, valid))
        won = draw(st.integers(0, replied))
        cents = draw(st.integers(0, 10**9)) if won else 0
        return Funnel(inquiries, valid, replied, won, Decimal(cents) / 100)

    return build()


@settings(max_examples=300, deadline=None)
@given(before=funnels(), after=funnels())
def test_effects_add_up_exactly_to_the_change(before, after):
    orders = decompose(before, after)
    revenue = decompose(before, after, revenue=True)

    assert sum(orders.effects.values()) == after.won - before.won
    assert orders.operations + orders.sales == orders.total
    assert sum(revenue.effects.values()) == Fraction(after.revenue) - Fraction(before.revenue)


@settings(max_examples=300, deadline=None)
@given(before=funnels(), after=funnels())
def test_swapping_the_periods_negates_every_effect(before, after):
    for revenue in (False, True):
        forward = decompose(before, after, revenue=revenue)
        backward = decompose(after, before, revenue=revenue)
        assert {k: -v for k, v in forward.effects.items()} == backward.effects


@settings(max_examples=300, deadline=None)
@given(before=funnels(), data=st.data())
def test_a_factor_equal_in_both_periods_gets_zero(before, data):
    # Same volume in both periods: volume gets nothing, whatever else moves.
    valid = data.draw(st.integers(0, before.inquiries))
    replied = data.draw(st.integers(0, valid))
    won = data.draw(st.integers(0, replied))
    after = Funnel(before.inquiries, valid, replied, won, Decimal(won * 250))

    assert decompose(before, after)["volume"] == 0
    assert decompose(before, after, revenue=True)["volume"] == 0


fractions = st.fractions(min_value=-50, max_value=50, max_denominator=20)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(1, 6))
def test_shapley_for_any_number_of_factors_adds_up_and_ignores_unchanged_factors(data, n):
    x0 = data.draw(st.lists(fractions, min_size=n, max_size=n))
    x1 = data.draw(st.lists(fractions, min_size=n, max_size=n))
    same = data.draw(st.integers(0, n - 1))
    x1[same] = x0[same]

    effects = shapley(x0, x1)

    assert sum(effects) == product(x1) - product(x0)
    assert effects[same] == 0


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(1, 6))
def test_the_fast_product_shapley_equals_the_definition(data, n):
    x0 = data.draw(st.lists(fractions, min_size=n, max_size=n))
    x1 = data.draw(st.lists(fractions, min_size=n, max_size=n))

    assert shapley_product(x0, x1) == shapley(x0, x1)


def test_shapley_of_two_factors_is_the_midpoint_formula():
    # φ_a = Δa·(b0 + b1)/2 for f = a·b
    assert shapley([Fraction(2), Fraction(3)], [Fraction(5), Fraction(7)]) == [Fraction(15), Fraction(14)]


def test_a_funnel_must_narrow():
    with pytest.raises(ValueError):
        Funnel(5, 6, 0, 0)


def _exact_variances(before: Funnel, after: Funnel) -> tuple[Fraction, Fraction]:
    """The delta method by its definition: each side's effect moved by one unit of each observed
    factor (exact, as the effects are linear in every single factor), in Fractions."""

    def sides(x0, x1):
        effects = shapley_product(*fill_undefined(x0, x1))
        return effects[0] + effects[1], effects[2] + effects[3]

    def variances(f: Funnel):
        def ratio(x, n):
            return None if n == 0 else Fraction(x + 2, n + 4) * (1 - Fraction(x + 2, n + 4)) / (n + 4)

        return [Fraction(max(f.inquiries, 1)), ratio(f.valid, f.inquiries), ratio(f.replied, f.valid),
                ratio(f.won, f.replied)]  # fmt: skip

    observed = [before.factors(), after.factors()]
    ops, sales = sides(*observed)
    ops_var = sales_var = Fraction(0)
    for period, period_variances in enumerate((variances(before), variances(after))):
        for k, variance in enumerate(period_variances):
            if variance is None:
                continue
            moved = [list(observed[0]), list(observed[1])]
            moved[period][k] += 1
            ops_moved, sales_moved = sides(*moved)
            ops_var += (ops_moved - ops) ** 2 * variance
            sales_var += (sales_moved - sales) ** 2 * variance
    return ops_var, sales_var


@settings(max_examples=300, deadline=None)
@given(before=funnels(), after=funnels())
def test_the_noise_equals_the_delta_method_by_its_definition(before, after):
    ops_var, sales_var = _exact_variances(before, after)
    spread = noise(before, after)

    assert spread.operations_var == pytest.approx(float(ops_var), rel=1e-9, abs=1e-9)
    assert spread.sales_var == pytest.approx(float(sales_var), rel=1e-9, abs=1e-9)
