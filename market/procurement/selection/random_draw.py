"""随机选取: at the purchaser's fixed price, one registrant is drawn verifiably."""

from .base import Outcome, SelectionMethod, no_candidates, register
from .draw import DRAW_ALGORITHM, draw_among

ALGORITHM = f"random-draw-v1/{DRAW_ALGORITHM}"


def select(candidates, seed, settings) -> Outcome:
    """Draw one registrant: index = SHA-256(seed + ":0") mod n over the bid-id order."""
    if not candidates:
        return no_candidates()
    winner, record = draw_among(seed, [c["bid_id"] for c in candidates])
    return Outcome(
        winner,
        {"draw": record},
        summary=f"从 {len(candidates)} 家报名机构中随机抽取（种子可公开复核）",
    )


METHOD = register(SelectionMethod("random", ALGORITHM, automatic=True, select=select))
