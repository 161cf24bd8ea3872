"""Breaking a tie among equally placed candidates, as the methods' rules publish it.

v1 rules (selections stored before credit took part) draw among all tied candidates.
v2 rules (docs/design.md §3.4: ties use credit too) first keep the tied candidates with the
highest credit factor (`credit_factor(credit_score)`, the same factor search ranking uses);
only those still tied on credit go to the verifiable draw. Both read nothing but the stored
candidates and the seed, so a published selection re-runs from its own data.
"""

from ...agencies.services import credit_factor
from .draw import draw_among


def by_draw(seed: str, tied: list[dict], what: str) -> tuple[int, dict, str]:
    """v1: one of the tied candidates is drawn (winner, parameters to add, summary tail)."""
    winner, draw = draw_among(seed, [c["bid_id"] for c in tied])
    return winner, {"draw": draw}, f"{len(tied)} 家并列，经可验证抽签确定"  # i18n: data


def by_credit_then_draw(seed: str, tied: list[dict], what: str) -> tuple[int, dict, str]:
    """v2: the highest credit factor among the tied wins; equal credit is drawn.

    `what` names what they are tied on in the summary ("报价", "得分" …)."""
    factors = {c["bid_id"]: credit_factor(c["credit_score"]) for c in tied}
    best = max(factors.values())
    leaders = sorted(i for i, f in factors.items() if f == best)
    best_score = next(c["credit_score"] for c in tied if c["bid_id"] == leaders[0])
    tie_break = {
        "rule": "credit_factor = 0.5 + credit_score / 200，高者中选；仍并列者抽签",  # i18n: data
        "among": sorted(factors),
        # 0.5 + n/200 has at most three decimals: stored as text so it re-runs exactly
        "credit_factors": {str(i): f"{f:.3f}" for i, f in sorted(factors.items())},
        "best_credit_score": best_score,
        "leaders": leaders,
    }
    parameters = {"tie_break": tie_break}
    head = f"{len(tied)} 家{what}并列"  # i18n: data
    if len(leaders) == 1:
        tail = f"{head}，信用分较高者中选（{best_score} 分）"  # i18n: data
        return leaders[0], parameters, tail
    winner, parameters["draw"] = draw_among(seed, leaders)
    if len(leaders) == len(tied):
        tail = f"{head}且信用分相同（{best_score} 分），经可验证抽签确定"  # i18n: data
        return winner, parameters, tail
    some = len(leaders)
    tail = (
        f"{head}，其中 {some} 家信用分同为最高（{best_score} 分），经可验证抽签确定"  # i18n: data
    )
    return winner, parameters, tail
