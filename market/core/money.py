"""Money is integer fen (分) everywhere; yuan only at the edges (forms and display)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .i18n import _


class MoneyError(ValueError):
    pass


#: the largest amount the platform takes anywhere: ¥10,000,000,000.00 (一百亿元), in fen. The
#: columns are 64-bit; the bound keeps typing slips and nonsense (1e309) out of them.
MAX_FEN = 10**12


def yuan_to_fen(value) -> int:
    """Parse a yuan amount ("12345.6", Decimal) into integer fen; at most two decimals."""
    try:
        # a full-width comma is typed as a thousands separator too
        amount = Decimal(str(value).replace(",", "").replace("，", "").strip())  # i18n: data
    except InvalidOperation as exc:
        raise MoneyError(_("金额格式不正确，请输入数字，例如 12000 或 12000.50")) from exc
    if not amount.is_finite():
        raise MoneyError(_("金额格式不正确"))
    # copy_abs and no multiplying first: abs() or × 100 of 1e1000000 overflows the context.
    if amount.copy_abs() > Decimal(MAX_FEN) / 100:
        raise MoneyError(_("金额不能超过 %(most)s", most=format_fen(MAX_FEN)))
    if amount != amount.quantize(Decimal("0.01")):
        raise MoneyError(_("金额最多保留两位小数（精确到分）"))
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_fen(fen: int | None) -> str:
    """12345600 → '¥123,456.00'."""
    if fen is None:
        return "—"
    # Integer arithmetic, as fen_to_yuan would round it (lists format a column of these).
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"¥{sign}{fen // 100:,}.{fen % 100:02d}"


def percent_to_bp(value) -> int:
    """Parse a rate in percent ("0.35", "0.35%") into integer basis points (1 bp = 0.01%)."""
    text = str(value).strip().rstrip("%").strip()
    try:
        rate = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(_("费率格式不正确，请输入百分数，例如 0.35")) from exc
    if not rate.is_finite() or rate <= 0 or rate > 100:
        raise MoneyError(_("费率应大于 0 且不超过 100%"))
    if rate != rate.quantize(Decimal("0.01")):
        raise MoneyError(_("费率最多保留两位小数，例如 0.35%"))
    return int(rate * 100)


def format_bp(bp: int | None) -> str:
    """35 → '0.35%'."""
    if bp is None:
        return "—"
    return f"{Decimal(bp) / 100:.2f}%"
