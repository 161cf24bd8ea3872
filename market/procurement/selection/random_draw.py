"""随机选取: at the purchaser's fixed price, one registrant is drawn verifiably."""

from ...core.errors import ServiceError
from ...core.i18n import _, _l
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
        summary=f"从 {len(candidates)} 家报名机构中随机抽取（种子可公开复核）",  # i18n: data
    )


def check(data, config) -> None:
    """A lottery must say why (fair-competition reviews ask)."""
    if not data.method_reason.strip():
        raise ServiceError(
            _("选择随机选取须填写理由：公平竞争审查要求说明为何以随机抽取方式确定中介机构"),
            "method_reason",
        )


METHOD = register(
    SelectionMethod(
        "random",
        _l("随机选取"),
        ALGORITHM,
        select,
        order=20,
        description=_l(
            "采购人确定固定价格，符合条件的机构报名，系统可验证地随机抽取一家；须说明理由。"
        ),
        fixed_price=True,
        check=check,
        partial="procurement/methods/random.html",
    )
)
