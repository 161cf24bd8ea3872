"""综合评审: price, credit and the purchaser's technical score, weighted as the notice says.

price = lowest quote / quote × weight_price; credit = credit_score / 100 × weight_credit;
technical = technical_score / 100 × weight_technical. Each part is rounded to two decimals
(half up) as published, the total is their sum; the highest total wins. v2: among equal
totals the highest credit factor wins and only a tie on credit is drawn; v1 (kept to re-run
selections stored under it) drew among all equal totals.
"""

from decimal import Decimal
from functools import partial

from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from ...core.errors import ServiceError
from ...core.forms import BaseForm
from ...core.i18n import _, _l
from .base import Outcome, PurchaserStep, SelectionMethod, no_candidates, register, two_places
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
        return Outcome(None, {}, "尚有报价未录入技术评分")  # i18n: data
    lowest = min(c["amount_fen"] for c in candidates)
    scores = {str(c["bid_id"]): score(c, lowest, settings) for c in candidates}
    best = max(Decimal(s["total"]) for s in scores.values())
    tied = [c for c in candidates if Decimal(scores[str(c["bid_id"])]["total"]) == best]
    parameters = {"lowest_fen": lowest, "scores": scores}
    summary = f"综合得分最高（{best} 分）"  # i18n: data
    if len(tied) == 1:
        return Outcome(tied[0]["bid_id"], parameters, summary=summary)
    winner, extra, tail = tie_break(seed, tied, "综合得分")  # i18n: data
    return Outcome(winner, parameters | extra, summary=f"{summary}，{tail}")  # i18n: data


def select(candidates, seed, settings) -> Outcome:
    """Highest total; among equal totals the best credit, then the draw."""
    return _select(candidates, seed, settings, by_credit_then_draw)


#: v1: highest total; among equal totals, one is drawn
select_v1 = partial(_select, tie_break=by_draw)


def check(data, config) -> None:
    """Three weights, each 0–100, summing to 100."""
    weights = [getattr(data, w) for w in WEIGHTS]
    if any(w is None or not 0 <= w <= 100 for w in weights):
        raise ServiceError(_("价格、信用、技术权重均应为 0–100 的整数"), "weight_price")
    if sum(weights) != 100:
        raise ServiceError(
            _(
                "综合评审的价格、信用、技术权重之和须为 100，当前为 %(total)s",
                total=sum(weights),
            ),
            "weight_price",
        )


def scores_form(bids) -> type:
    """A form with one technical-score field (0–100) per bid, named score_<bid id>."""

    class ScoresForm(BaseForm):
        pass

    for bid in bids:
        setattr(
            ScoresForm,
            f"score_{bid.id}",
            IntegerField(
                _l("%(agency)s 技术评分", agency=bid.agency.name),
                default=bid.technical_score,
                validators=[
                    InputRequired(message=_l("请录入技术评分")),
                    NumberRange(min=0, max=100, message=_l("技术评分应为 0–100 的整数")),
                ],
            ),
        )
    return ScoresForm


def read(form) -> dict:
    return {
        int(name.removeprefix("score_")): field.data
        for name, field in form._fields.items()
        if name.startswith("score_")
    }


def apply(notice, bids, scores) -> tuple[dict, str]:
    """A technical score 0–100 for every eligible bid, written on the bids (the rule reads
    them as candidates' technical_score)."""
    ids = {b.id for b in bids}
    if set(scores) - ids:
        raise ServiceError(_("评分对象不属于本轮参与选取的报价"))
    missing = [b.agency.name for b in bids if scores.get(b.id) is None]
    if missing:
        raise ServiceError(
            _("请为每一家报价录入技术评分（尚缺：%(missing)s）", missing=_("、").join(missing))
        )
    if any(
        not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 100 for v in scores.values()
    ):
        raise ServiceError(_("技术评分应为 0–100 的整数"))
    for bid in bids:
        bid.technical_score = scores[bid.id]
    return {}, ""


METHOD = register(
    SelectionMethod(
        "scored",
        _l("综合评审"),
        ALGORITHM,
        select,
        order=50,
        description=_l(
            "价格、信用、技术三项加权，权重之和为 100；报价截止后采购人录入技术评分，系统计算总分。"
        ),
        settings=settings,
        notice_defaults=dict.fromkeys(WEIGHTS, 0),
        check=check,
        candidate_fields=lambda bid: {"technical_score": bid.technical_score},
        step=PurchaserStep(
            form=scores_form,
            read=read,
            apply=apply,
            todo=(
                _l("报价已截止，待录入技术评分"),
                _l("为每家报价录入技术评分（0–100），系统按公告权重计算总分并选定"),
            ),
            waiting=_l("报价已截止，等待采购人录入技术评分后由系统计算综合得分。"),
            done=_l("技术评分已录入，系统已计算综合得分并选定中选机构，结果进入公示期"),
            anchor="scores",
        ),
        partial="procurement/methods/scored.html",
        previous={ALGORITHM_V1: select_v1},
    )
)
