"""Model contracts (合同示范文本): the text an item's approving department keeps, versioned,
from which every contract for the item is generated; the platform's general text where a
department has none. Placeholders in 【】 are filled in from the notice and the winning quote
(procurement/contract_text.py)."""

import os
import re
from functools import cache

from sqlalchemy import func, select

from ..core.audit import record_event
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _, _l
from ..extensions import db
from .access import keeps
from .fields import clean_text
from .models import ContractModel, ServiceItem

#: what each placeholder stands for, in the order a department may want them
PLACEHOLDERS = {
    "采购人": _l("采购人名称"),  # i18n: data (the placeholder)
    "中介机构": _l("中选机构名称"),  # i18n: data (the placeholder)
    "项目名称": _l("公告的项目名称"),  # i18n: data (the placeholder)
    "公告编号": _l("公告编号"),  # i18n: data (the placeholder)
    "合同编号": _l("平台生成的合同编号"),  # i18n: data (the placeholder)
    "服务事项": _l("事项编码及名称"),  # i18n: data (the placeholder)
    "服务内容": _l("公告所列服务内容"),  # i18n: data (the placeholder)
    "服务期限": _l("服务期限（天）"),  # i18n: data (the placeholder)
    "合同金额": _l("中选金额（元）"),  # i18n: data (the placeholder)
    "付款安排": _l("公告所列付款节点"),  # i18n: data (the placeholder)
    "验收期限": _l("验收期限（工作日）"),  # i18n: data (the placeholder)
}
#: what a model contract must name
REQUIRED = ("采购人", "中介机构", "合同金额")  # i18n: data (placeholders)
PLACEHOLDER = re.compile(r"【([^】]{1,20})】")  # i18n: data
TITLE_MAX, BODY_MAX, NOTE_MAX = 100, 20_000, 500
#: the title of the platform's general text
GENERAL_TITLE = "中介服务合同"  # i18n: data (the title of the general text, in Chinese)


@cache
def general_text() -> str:
    """The platform's general model contract, for items whose department keeps none."""
    path = os.path.join(os.path.dirname(__file__), "data", "contract_model.txt")
    with open(path, encoding="utf-8") as source:
        return source.read()


def current_model(item: ServiceItem) -> ContractModel | None:
    """The item's latest model contract, or None if its department keeps none."""
    return db.session.scalar(
        select(ContractModel)
        .where(ContractModel.item_id == item.id)
        .order_by(ContractModel.version.desc())
        .limit(1)
    )


def model_versions(item: ServiceItem) -> list[ContractModel]:
    """Every version of the item's model contract, newest first."""
    return list(
        db.session.scalars(
            select(ContractModel)
            .where(ContractModel.item_id == item.id)
            .order_by(ContractModel.version.desc())
        )
    )


def check_body(body: str) -> list[str]:
    """What is wrong with a model contract's text (empty: nothing)."""
    errors = []
    named = set(PLACEHOLDER.findall(body))
    unknown = sorted(named - set(PLACEHOLDERS))
    if unknown:
        allowed = _("、").join(f"【{p}】" for p in PLACEHOLDERS)  # i18n: data (placeholders)
        named_wrong = _("、").join(f"【{p}】" for p in unknown)  # i18n: data (placeholders)
        errors.append(
            _(
                "不认识的占位符：%(unknown)s（可用：%(allowed)s）",
                unknown=named_wrong,
                allowed=allowed,
            )
        )
    missing = [p for p in REQUIRED if p not in named]
    if missing:
        wanted = _("、").join(f"【{p}】" for p in missing)  # i18n: data (placeholders)
        errors.append(_("合同文本须包含%(placeholders)s", placeholders=wanted))
    return errors


def save_model(user, item: ServiceItem, title: str, body: str, note: str = "") -> ContractModel:
    """A new version of the item's model contract, by a regulator of its department."""
    if not keeps(user, item):
        raise NotAllowed(_("只有该事项审批部门的工作人员可以维护其合同示范文本"))
    title, note = clean_text(title), clean_text(note)
    body = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not title or len(title) > TITLE_MAX:
        raise ServiceError(_("标题应为 1 至 %(max)s 个字", max=TITLE_MAX), "title")
    if not body or len(body) > BODY_MAX:
        raise ServiceError(_("合同文本应为 1 至 %(max)s 个字", max=BODY_MAX), "body")
    if len(note) > NOTE_MAX:
        raise ServiceError(_("修订说明不能超过 %(max)s 个字", max=NOTE_MAX), "note")
    errors = check_body(body)
    if errors:
        raise ServiceError(_("；").join(errors), "body")
    latest = db.session.scalar(
        select(func.max(ContractModel.version)).where(ContractModel.item_id == item.id)
    )
    model = ContractModel(
        item_id=item.id,
        version=(latest or 0) + 1,
        title=title,
        body=body,
        note=note,
        created_by_id=user.id,
    )
    db.session.add(model)
    db.session.flush()
    record_event(
        "service_item",
        item.id,
        "contract_model_saved",
        actor=user,
        data={"code": item.code, "version": model.version, "note": note},
    )
    return model
