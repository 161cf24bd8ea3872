"""Money: yuan typed by people become integer fen; fen are shown as ¥ with two decimals."""

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from market.core.forms import BaseForm, YuanField
from market.core.money import (
    MoneyError,
    fen_to_yuan,
    format_bp,
    format_fen,
    percent_to_bp,
    yuan_to_fen,
)


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("12000", 1_200_000),
        ("12000.50", 1_200_050),
        ("12,000.5", 1_200_050),
        ("12，000.5", 1_200_050),  # a full-width comma from a Chinese input method
        ("  98000 ", 9_800_000),
        ("0.01", 1),
        ("1.230", 123),  # a trailing zero is not a third decimal
        (Decimal("3.10"), 310),
        (5, 500),
    ],
)
def test_yuan_amounts_are_parsed_into_exact_fen(typed, fen):
    assert yuan_to_fen(typed) == fen


def test_more_than_two_decimals_is_refused_in_chinese():
    with pytest.raises(MoneyError, match="金额最多保留两位小数（精确到分）"):
        yuan_to_fen("12000.555")


@pytest.mark.parametrize("garbage", ["十二万", "abc", "", "12.000.00", "¥100"])
def test_garbage_is_refused_with_an_example_of_the_expected_format(garbage):
    with pytest.raises(MoneyError, match="金额格式不正确，请输入数字，例如 12000 或 12000.50"):
        yuan_to_fen(garbage)


@pytest.mark.parametrize("not_finite", ["NaN", "Infinity", "-inf"])
def test_infinite_or_nan_amounts_are_refused(not_finite):
    with pytest.raises(MoneyError, match="金额格式不正确"):
        yuan_to_fen(not_finite)


@pytest.mark.parametrize(
    "huge", ["1e309", "1e1000000", "-1e1000000", "92233720368547758.07", "10000000000.01", "-1e20"]
)
def test_an_amount_beyond_ten_billion_yuan_is_refused(huge):
    with pytest.raises(MoneyError, match=r"金额不能超过 ¥10,000,000,000\.00"):
        yuan_to_fen(huge)


def test_ten_billion_yuan_is_the_largest_amount_taken():
    assert yuan_to_fen("10000000000") == 1_000_000_000_000


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (12_345_600, "¥123,456.00"),
        (1, "¥0.01"),
        (0, "¥0.00"),
        (9_999_999_999, "¥99,999,999.99"),
        (None, "—"),
    ],
)
def test_format_fen_shows_yuan_with_thousands_separators(fen, shown):
    assert format_fen(fen) == shown


def test_fen_to_yuan_is_exact():
    assert fen_to_yuan(1_200_050) == Decimal("12000.50")


class _AmountForm(BaseForm):
    amount = YuanField("金额")


def _validate(app, typed):
    with app.test_request_context(method="POST"):
        form = _AmountForm(formdata=MultiDict({"amount": typed}))
        form.validate()
        return form


def test_yuan_field_holds_fen_once_valid(app):
    form = _validate(app, "98,000.50")
    assert form.amount.errors == []
    assert form.amount.fen == 9_800_050


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "金额必须大于 0"),
        ("-100", "金额必须大于 0"),
        ("1.001", "金额最多保留两位小数（精确到分）"),
        ("一万", "金额格式不正确，请输入数字，例如 12000 或 12000.50"),
    ],
)
def test_yuan_field_puts_the_chinese_reason_next_to_the_field(app, typed, message):
    form = _validate(app, typed)
    assert form.amount.errors == [message]


@pytest.mark.parametrize(
    ("typed", "bp"), [("0.35", 35), ("0.35%", 35), (" 1 ", 100), ("12.5", 1250)]
)
def test_rates_are_typed_in_percent_and_kept_in_basis_points(typed, bp):
    assert percent_to_bp(typed) == bp
    assert format_bp(bp) == f"{bp / 100:.2f}%"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "费率应大于 0 且不超过 100%"),
        ("101", "费率应大于 0 且不超过 100%"),
        ("0.355", "费率最多保留两位小数"),
        ("千分之三", "费率格式不正确"),
        ("nan", "费率应大于 0 且不超过 100%"),
    ],
)
def test_a_bad_rate_gets_a_chinese_reason(typed, message):
    with pytest.raises(MoneyError, match=message):
        percent_to_bp(typed)
