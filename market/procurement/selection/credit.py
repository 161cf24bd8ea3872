"""信用择优: at the purchaser's fixed price, the registrant with the best credit score wins;
a tie is broken by the verifiable draw; fewer than the minimum registrants fails."""

from ...core.i18n import _, _l
from .base import Outcome, SelectionMethod, register
from .draw import DRAW_ALGORITHM, draw_among

ALGORITHM = f"credit-preference-v1/{DRAW_ALGORITHM}"


def settings(notice, config) -> dict:
    return {"min_registrants": config["CREDIT_MIN_REGISTRANTS"]}


def select(candidates, seed, settings) -> Outcome:
    """Highest credit_score; among equal best scores, one is drawn."""
    minimum = settings["min_registrants"]
    if len(candidates) < minimum:
        return Outcome(
            None,
            {},
            f"信用择优需至少 {minimum} 家机构报名，实际 {len(candidates)} 家，流标",  # i18n: data
        )
    best = max(c["credit_score"] for c in candidates)
    tied = [c["bid_id"] for c in candidates if c["credit_score"] == best]
    parameters = {"best_credit_score": best}
    summary = f"信用分最高（{best} 分）"  # i18n: data
    if len(tied) == 1:
        return Outcome(tied[0], parameters, summary=summary)
    winner, parameters["draw"] = draw_among(seed, tied)
    tail = f"{len(tied)} 家并列，经可验证抽签确定"  # i18n: data
    return Outcome(winner, parameters, summary=f"{summary}，{tail}")  # i18n: data


METHOD = register(
    SelectionMethod(
        "credit",
        _l("信用择优"),
        ALGORITHM,
        select,
        order=60,
        description=lambda config: _(
            "采购人确定固定价格，符合条件的机构报名，信用分最高者中选"
            "（并列时可验证抽签）；至少需 %(n)s 家报名。",
            n=config["CREDIT_MIN_REGISTRANTS"],
        ),
        fixed_price=True,
        minimum=lambda config: config["CREDIT_MIN_REGISTRANTS"],
        settings=settings,
    )
)
