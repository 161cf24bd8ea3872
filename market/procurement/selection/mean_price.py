"""均价优选: base price = mean quote × K, K drawn verifiably in a range; the quote closest
to the base price wins; a tie is broken by the verifiable draw.

With at least `min_quotes` quotes the single highest and single lowest (by amount, then bid
id) are left out of the mean, so a dumping quote cannot drag the base down. With fewer
quotes the plain mean of all quotes is used. Every quote competes for closeness.
"""

from decimal import ROUND_HALF_UP, Decimal

from ...core.money import format_fen
from .base import Outcome, SelectionMethod, no_candidates, register
from .draw import DRAW_ALGORITHM, draw_among, draw_decimal

ALGORITHM = f"mean-price-v1/{DRAW_ALGORITHM}"


def settings(notice, config) -> dict:
    low, high = config["MEAN_PRICE_K_RANGE"]
    return {"min_quotes": config["MEAN_PRICE_MIN_QUOTES"], "k_range": [str(low), str(high)]}


def select(candidates, seed, settings) -> Outcome:
    """K = a 4-decimal value in k_range from SHA-256(seed + ":k"); base = round(mean × K)."""
    if not candidates:
        return no_candidates()
    ordered = sorted(candidates, key=lambda c: (c["amount_fen"], c["bid_id"]))
    if len(ordered) >= settings["min_quotes"]:
        kept, dropped, rule = (
            ordered[1:-1],
            [ordered[0]["bid_id"], ordered[-1]["bid_id"]],
            "去掉最高价和最低价后取平均",
        )
    else:
        kept, dropped, rule = ordered, [], f"报价不足 {settings['min_quotes']} 家，取全部报价平均"
    mean = Decimal(sum(c["amount_fen"] for c in kept)) / len(kept)
    k = draw_decimal(seed, *settings["k_range"])
    base = int((mean * k).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    distances = {str(c["bid_id"]): abs(c["amount_fen"] - base) for c in candidates}
    closest = min(distances.values())
    tied = sorted(int(i) for i, d in distances.items() if d == closest)
    parameters = {
        "rule": rule,
        "dropped_bid_ids": dropped,
        "mean_fen": str(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        "k": str(k),
        "base_fen": base,
        "distances_fen": distances,
    }
    summary = f"报价最接近基准价 {format_fen(base)}（K = {k}）"
    if len(tied) == 1:
        return Outcome(tied[0], parameters, summary=summary)
    winner, parameters["draw"] = draw_among(seed, tied)
    return Outcome(winner, parameters, summary=f"{summary}，{len(tied)} 家并列，经可验证抽签确定")


METHOD = register(
    SelectionMethod("mean", ALGORITHM, automatic=True, select=select, settings=settings)
)
