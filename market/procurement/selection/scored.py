"""综合评审: price, credit and the purchaser's technical score, weighted as the notice says.

price = lowest quote / quote × weight_price; credit = credit_score / 100 × weight_credit;
technical = technical_score / 100 × weight_technical. Each part is rounded to two decimals
(half up) as published, the total is their sum; the highest total wins; a tie is broken by
the verifiable draw.
"""

from decimal import Decimal

from .base import Outcome, SelectionMethod, no_candidates, register, two_places
from .draw import DRAW_ALGORITHM, draw_among

ALGORITHM = f"weighted-score-v1/{DRAW_ALGORITHM}"
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


def select(candidates, seed, settings) -> Outcome:
    """Highest total; among equal totals, one is drawn."""
    if not candidates:
        return no_candidates()
    if any(c.get("technical_score") is None for c in candidates):
        return Outcome(None, {}, "尚有报价未录入技术评分")
    lowest = min(c["amount_fen"] for c in candidates)
    scores = {str(c["bid_id"]): score(c, lowest, settings) for c in candidates}
    best = max(Decimal(s["total"]) for s in scores.values())
    tied = sorted(int(i) for i, s in scores.items() if Decimal(s["total"]) == best)
    parameters = {"lowest_fen": lowest, "scores": scores}
    summary = f"综合得分最高（{best} 分）"
    if len(tied) == 1:
        return Outcome(tied[0], parameters, summary=summary)
    winner, parameters["draw"] = draw_among(seed, tied)
    return Outcome(winner, parameters, summary=f"{summary}，{len(tied)} 家并列，经可验证抽签确定")


METHOD = register(
    SelectionMethod("scored", ALGORITHM, automatic=False, select=select, settings=settings)
)
