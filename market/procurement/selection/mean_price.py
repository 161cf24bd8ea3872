"""均价优选: base price = mean quote × K, K drawn verifiably in a range; the quote closest
to the base price wins. v2: among equally close quotes the highest credit factor wins and only
a tie on credit is drawn; v1 (kept to re-run selections stored under it) drew among them all.

With at least `min_quotes` quotes the single highest and single lowest (by amount, then bid
id) are left out of the mean, so a dumping quote cannot drag the base down. With fewer
quotes the plain mean of all quotes is used. Every quote competes for closeness.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from ...core.i18n import _l
from ...core.money import format_fen
from .base import Outcome, SelectionMethod, no_candidates, register
from .draw import DRAW_ALGORITHM, draw_decimal
from .ties import by_credit_then_draw, by_draw

ALGORITHM = f"mean-price-v2/{DRAW_ALGORITHM}"
ALGORITHM_V1 = f"mean-price-v1/{DRAW_ALGORITHM}"


def settings(notice, config) -> dict:
    low, high = config["MEAN_PRICE_K_RANGE"]
    return {"min_quotes": config["MEAN_PRICE_MIN_QUOTES"], "k_range": [str(low), str(high)]}


def _select(candidates, seed, settings, tie_break) -> Outcome:
    if not candidates:
        return no_candidates()
    ordered = sorted(candidates, key=lambda c: (c["amount_fen"], c["bid_id"]))
    if len(ordered) >= settings["min_quotes"]:
        kept, dropped, rule = (
            ordered[1:-1],
            [ordered[0]["bid_id"], ordered[-1]["bid_id"]],
            "去掉最高价和最低价后取平均",  # i18n: data
        )
    else:
        rule = f"报价不足 {settings['min_quotes']} 家，取全部报价平均"  # i18n: data
        kept, dropped = ordered, []
    mean = Decimal(sum(c["amount_fen"] for c in kept)) / len(kept)
    k = draw_decimal(seed, *settings["k_range"])
    base = int((mean * k).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    distances = {str(c["bid_id"]): abs(c["amount_fen"] - base) for c in candidates}
    closest = min(distances.values())
    tied = [c for c in candidates if distances[str(c["bid_id"])] == closest]
    parameters = {
        "rule": rule,
        "dropped_bid_ids": dropped,
        "mean_fen": str(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        "k": str(k),
        "base_fen": base,
        "distances_fen": distances,
    }
    summary = f"报价最接近基准价 {format_fen(base)}（K = {k}）"  # i18n: data
    if len(tied) == 1:
        return Outcome(tied[0]["bid_id"], parameters, summary=summary)
    winner, extra, tail = tie_break(seed, tied, "报价与基准价差距")  # i18n: data
    return Outcome(winner, parameters | extra, summary=f"{summary}，{tail}")  # i18n: data


def select(candidates, seed, settings) -> Outcome:
    """K = a 4-decimal value in k_range from SHA-256(seed + ":k"); base = round(mean × K);
    the closest quote wins, a tie by credit, then the draw."""
    return _select(candidates, seed, settings, by_credit_then_draw)


#: v1: as v2, but a tie on closeness is drawn among all the tied quotes
select_v1 = partial(_select, tie_break=by_draw)

METHOD = register(
    SelectionMethod(
        "mean",
        _l("均价优选"),
        ALGORITHM,
        select,
        order=40,
        description=_l(
            "在最低限价与最高限价之间密封报价，以均价乘以可验证抽取的 K 值为基准价，最接近者中选。"
        ),
        settings=settings,
        previous={ALGORITHM_V1: select_v1},
        partial="procurement/methods/mean.html",
    )
)
