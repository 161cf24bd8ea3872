"""竞价选取: the lowest sealed quote wins.

v2: among equal lowest quotes the highest credit factor wins and only a tie on credit is
drawn (ties.by_credit_then_draw); v1, kept to re-run selections stored under it, drew among
all equal lowest quotes.
"""

from functools import partial

from ...core.i18n import _l
from ...core.money import format_fen
from .base import Outcome, SelectionMethod, no_candidates, register
from .draw import DRAW_ALGORITHM
from .ties import by_credit_then_draw, by_draw

ALGORITHM = f"lowest-price-v2/{DRAW_ALGORITHM}"
ALGORITHM_V1 = f"lowest-price-v1/{DRAW_ALGORITHM}"


def _select(candidates, seed, settings, tie_break) -> Outcome:
    if not candidates:
        return no_candidates()
    lowest = min(c["amount_fen"] for c in candidates)
    tied = [c for c in candidates if c["amount_fen"] == lowest]
    parameters = {"lowest_fen": lowest}
    summary = f"报价最低（{format_fen(lowest)}）"  # i18n: data
    if len(tied) == 1:
        return Outcome(tied[0]["bid_id"], parameters, summary=summary)
    winner, extra, tail = tie_break(seed, tied, "报价")  # i18n: data
    return Outcome(winner, parameters | extra, summary=f"{summary}，{tail}")  # i18n: data


def select(candidates, seed, settings) -> Outcome:
    """Lowest amount_fen; among equal lowest quotes the best credit, then the draw."""
    return _select(candidates, seed, settings, by_credit_then_draw)


#: v1: lowest amount_fen; among equal lowest quotes, one is drawn
select_v1 = partial(_select, tie_break=by_draw)

METHOD = register(
    SelectionMethod(
        "lowest",
        _l("竞价选取"),
        ALGORITHM,
        select,
        order=30,
        description=_l(
            "在最低限价与最高限价之间密封报价，报价最低者中选（并列时信用优先，再抽签）。"
        ),
        previous={ALGORITHM_V1: select_v1},
    )
)
