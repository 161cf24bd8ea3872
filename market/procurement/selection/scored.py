"""综合评审: price, credit and the purchaser's technical score, weighted as the notice says.

price = lowest quote / quote × weight_price; credit = credit_score / 100 × weight_credit;
technical = technical_score / 100 × weight_technical. Each part is rounded to two decimals
(half up) as published, the total is their sum; the highest total wins. v2: among equal
totals the highest credit factor wins and only a tie on credit is drawn; v1 (kept to re-run
selections stored under it) drew among all equal totals.
"""

from decimal import Decimal
from functools import partial

from .base import Outcome, SelectionMethod, no_candidates, register, two_places
from .draw import DRAW_ALGORITHM
from .ties import by_credit_then_draw, by_draw

ALGORITHM = f"weighted-score-v2/{DRAW_ALGORITHM}"
ALGORITHM_V1 = f"weighted-score-v1/{DRAW_ALGORITHM}"
WEIGHTS = ("weight_price", "weight_credit", "weight_technical")


def settings(notice, config) -> dict:
    return {w: getattr(notice, w) for w in WEIGHTS}


def score(candidate, lowest_fen: int, settings) -> dict:
    """One candidate's published scores (strings with two decimals)."""
    parts = {
        "price": two_places(
            Decimal(lowest_fen) / Decimal(candidate["amount_fen"]) * settings["weight_price"]
        ),
        "credit": two_places(Decimal(candidate["credit_score"]) / 100 * settings["weight_credit"]),
        "technical": two_places(
            Decimal(candidate["technical_score"]) / 100 * settings["weight_technical"]
        ),
    }
    parts["total"] = sum(parts.values())
    return {name: str(value) for name, value in parts.items()}


def _select(candidates, seed, settings, tie_break) -> Outcome:
    if not candidates:
        return no_candidates()
    if any(c.get("technical_score") is None for c in candidates):
        return Outcome(None, {}, "尚有报价未录入技术评分")
    lowest = min(c["amount_fen"] for c in candidates)
    scores = {str(c["bid_id"]): score(c, lowest, settings) for c in candidates}
    best = max(Decimal(s["total"]) for s in scores.values())
    tied = [c for c in candidates if Decimal(scores[str(c["bid_id"])]["total"]) == best]
    parameters = {"lowest_fen": lowest, "scores": scores}
    summary = f"综合得分最高（{best} 分）"
    if len(tied) == 1:
        return Outcome(tied[0]["bid_id"], parameters, summary=summary)
    winner, extra, tail = tie_break(seed, tied, "综合得分")
    return Outcome(winner, parameters | extra, summary=f"{summary}，{tail}")


def select(candidates, seed, settings) -> Outcome:
    """Highest total; among equal totals the best credit, then the draw."""
    return _select(candidates, seed, settings, by_credit_then_draw)


#: v1: highest total; among equal totals, one is drawn
select_v1 = partial(_select, tie_break=by_draw)

METHOD = register(
    SelectionMethod(
        "scored",
        ALGORITHM,
        automatic=False,
        select=select,
        settings=settings,
        previous={ALGORITHM_V1: select_v1},
    )
)
