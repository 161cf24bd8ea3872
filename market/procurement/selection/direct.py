"""直接选取: the purchaser picks one responding agency, with a public reason."""

from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from ...core.errors import ServiceError
from ...core.forms import BaseForm
from ...core.i18n import _, _l
from ...core.money import format_fen
from .base import Outcome, PurchaserStep, SelectionMethod, register

ALGORITHM = "direct-choice-v1"


def select(candidates, seed, settings) -> Outcome:
    """The purchaser's choice (settings["chosen_bid_id"]), if it is one of the candidates."""
    chosen = settings.get("chosen_bid_id")
    if chosen not in {c["bid_id"] for c in candidates}:
        return Outcome(None, {}, "所选报价不在本轮候选范围内")  # i18n: data
    return Outcome(chosen, {}, summary=settings.get("reason", ""))


def check(data, config) -> None:
    """Fiscal money may be spent by direct choice only below the direct-selection ceiling."""
    limit = config["DIRECT_SELECTION_MAX_FEN"]
    if data.fiscal_share_pct > 0 and data.ceiling_fen >= limit:
        raise ServiceError(
            _(
                "财政资金项目直接选取仅适用于最高限价低于 %(limit)s 的项目，请改用其他选取方式",
                limit=format_fen(limit),
            ),
            "method",
        )


class ChoiceForm(BaseForm):
    bid_id = HiddenField(validators=[DataRequired(message=_l("请选择一家报价机构"))])
    reason = TextAreaField(_l("选取理由"), validators=[DataRequired(message=_l("请填写选取理由"))])


def read(form) -> dict:
    try:
        bid_id = int(form.bid_id.data)
    except (TypeError, ValueError):
        raise ServiceError(_("所选报价不属于该公告")) from None
    return {"bid_id": bid_id, "reason": form.reason.data or ""}


def apply(notice, bids, values) -> tuple[dict, str]:
    """The chosen bid must be one of this round's eligible responses; the reason is public."""
    bid_id = values.get("bid_id")
    if not any(b.id == bid_id for b in bids):
        if any(b.id == bid_id for b in notice.bids):
            raise ServiceError(_("该报价未参与本轮选取（已失效或已被排除）"))
        raise ServiceError(_("所选报价不属于该公告"))
    reason = (values.get("reason") or "").strip()
    if not reason:
        raise ServiceError(_("请填写选取理由"), "reason")
    return {"chosen_bid_id": bid_id}, reason


def _description(config) -> str:
    limit = format_fen(config["DIRECT_SELECTION_MAX_FEN"])
    return _(
        "采购人从报价机构中选定一家；财政资金项目仅适用于最高限价低于 %(limit)s 的项目。",
        limit=limit,
    )


METHOD = register(
    SelectionMethod(
        "direct",
        _l("直接选取"),
        ALGORITHM,
        select,
        order=10,
        description=_description,
        invitation=True,
        check=check,
        step=PurchaserStep(
            form=lambda bids: ChoiceForm,
            read=read,
            apply=apply,
            todo=(_l("报价已截止，待选定中选机构"), _l("查看报价并选定一家机构，结果随即公示")),
            waiting=_l("报价已截止，等待采购人从有效报价中选定中选机构并公开理由。"),
            done=_l("已选定中选机构，结果进入公示期"),
        ),
        partial="procurement/methods/direct.html",
    )
)
