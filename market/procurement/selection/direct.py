"""直接选取: the purchaser picks one responding agency, with a public reason."""

from .base import Outcome, SelectionMethod, register

ALGORITHM = "direct-choice-v1"


def select(candidates, seed, settings) -> Outcome:
    """The purchaser's choice (settings["chosen_bid_id"]), if it is one of the candidates."""
    chosen = settings.get("chosen_bid_id")
    if chosen not in {c["bid_id"] for c in candidates}:
        return Outcome(None, {}, "所选报价不在本轮候选范围内")
    return Outcome(chosen, {}, summary=settings.get("reason", ""))


METHOD = register(SelectionMethod("direct", ALGORITHM, automatic=False, select=select))
