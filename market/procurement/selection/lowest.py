"""竞价选取: the lowest sealed quote wins; a tie is broken by the verifiable draw."""

from ...core.money import format_fen
from .base import Outcome, SelectionMethod, no_candidates, register
from .draw import DRAW_ALGORITHM, draw_among

ALGORITHM = f"lowest-price-v1/{DRAW_ALGORITHM}"


def select(candidates, seed, settings) -> Outcome:
    """Lowest amount_fen; among equal lowest quotes, one is drawn."""
    if not candidates:
        return no_candidates()
    lowest = min(c["amount_fen"] for c in candidates)
    tied = [c["bid_id"] for c in candidates if c["amount_fen"] == lowest]
    parameters = {"lowest_fen": lowest}
    summary = f"报价最低（{format_fen(lowest)}）"
    if len(tied) == 1:
        return Outcome(tied[0], parameters, summary=summary)
    winner, parameters["draw"] = draw_among(seed, tied)
    return Outcome(winner, parameters, summary=f"{summary}，{len(tied)} 家并列，经可验证抽签确定")


METHOD = register(SelectionMethod("lowest", ALGORITHM, automatic=True, select=select))
