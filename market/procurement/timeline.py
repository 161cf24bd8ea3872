"""The notice's public timeline (公开记录), built from the public audit events of the notice
and of its bids, selections, objections and contract.

The states' own labels come from the lifecycle (states.py: how arriving in each is named, and
the moves that return to an earlier state); the other events' labels live here. An entry says
what happened (in Chinese), when, and which organisation did it; never a private detail, and
never an amount before the bids were opened.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app, url_for
from sqlalchemy import Integer, String, and_, bindparam, literal, select, union_all

from ..accounts.models import Organisation
from ..core.clock import to_local
from ..core.i18n import _, _l
from ..core.models import AuditEvent
from ..core.money import format_fen
from ..extensions import db
from .contract_models import Contract
from .models import Bid, Notice, Objection, Selection
from .selection import method_labels
from .states import NOTICE

#: other public events, by action
ACTION_LABELS = {
    "revised": _l("公告修改"),
    "republished": _l("流标后重新发布"),
    "commitments_published": _l("公开报价承诺值"),
    "selection": _l("执行选取"),
    "bid_excluded": _l("排除原中选机构的报价"),
    "objection_filed": _l("收到异议"),
    "objection_answered": _l("采购人答复异议"),
    "objection_decided": _l("监管部门作出异议处理决定"),
    "award_suspended": _l("异议处理中，暂缓确定中选"),
    "contract_signed": _l("签署合同"),
    "evaluation_submitted": _l("提交评价"),
    "evaluation_replied": _l("回复评价"),
    "payment": _l("付款进展"),
}
#: an action this table does not know yet still reads as Chinese
GENERIC_LABEL = _l("其他公开事项")
SYSTEM = _l("系统")
#: whose name stays private: the objector is known only to the parties and regulators
ANONYMOUS_ACTORS = {"objection_filed": _l("参与报价的机构")}
#: reasons recorded as codes rather than sentences
REASON_TEXT = {
    "no_bids": _l("报价截止时无机构报价"),
    "no_valid_bids": _l("报价截止时无有效报价"),
}
#: reasons the platform stores as Chinese sentences (notice.outcome_note, audit data: kept as
#: written), shown in the reader's language
STORED_REASONS = {
    "合同未在规定期限内签订": _l("合同未在规定期限内签订"),  # i18n: data
    "逾期未验收，系统自动验收": _l("逾期未验收，系统自动验收"),  # i18n: data
    "报价截止时无机构报价": _l("报价截止时无机构报价"),  # i18n: data
    "报价截止时无有效报价（已提交的报价因公告修改失效且未重新确认）": _l(  # i18n: data
        "报价截止时无有效报价（已提交的报价因公告修改失效且未重新确认）"
    ),
    "没有可参与选取的有效响应": _l("没有可参与选取的有效响应"),  # i18n: data
    "所选报价不在本轮候选范围内": _l("所选报价不在本轮候选范围内"),  # i18n: data
    "尚有报价未录入技术评分": _l("尚有报价未录入技术评分"),  # i18n: data
    "同一中选结果的其他异议已成立，原结果已撤销，本异议一并办结": _l(  # i18n: data
        "同一中选结果的其他异议已成立，原结果已撤销，本异议一并办结"
    ),
}
PARTY_TEXT = {"purchaser": _l("采购人"), "agency": _l("中选机构")}
DIRECTION_TEXT = {"of_agency": _l("采购人评价中选机构"), "of_purchaser": _l("中选机构评价采购人")}
#: the rated party replying, by the direction of the evaluation it replies to
REPLY_TEXT = {
    "of_agency": _l("中选机构回复采购人的评价"),
    "of_purchaser": _l("采购人回复中选机构的评价"),
}


@dataclass
class Entry:
    """One line of the timeline."""

    at: datetime
    label: str
    who: str
    detail: str = ""
    link: str | None = None
    link_text: str = ""


def _endpoint_link(endpoint: str, **values) -> str | None:
    """A link to a page of another part of the notice, if that page exists."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _reason(value) -> str:
    if not value:
        return ""
    text = str(value)
    if re.fullmatch(r"[a-z_]+", text):
        return REASON_TEXT.get(text, "")
    return stored_reason(text)


def stored_reason(text: str):
    """A reason as stored, in the reader's language when it is one the platform wrote."""
    return STORED_REASONS.get(text, text)


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return f"{to_local(datetime.fromisoformat(iso)):%Y-%m-%d %H:%M}"
    except (TypeError, ValueError):
        return ""


@cache
def _events_query():
    """The public events of a notice (:notice_id) and of its related rows, oldest first, each
    with the name of the organisation that acted. Built once. The subjects (the notice, its
    bids, selections, objections and contract) are a handful of (type, id) rows the events
    are joined to, so each is found through the subject index (an OR of IN-subqueries made
    PostgreSQL read every contract's events)."""
    notice_id = bindparam("notice_id", type_=Integer)

    def kind(name):
        return literal(name, String).label("kind")

    subjects = union_all(
        select(kind("notice"), notice_id.label("id")),
        select(kind("bid"), Bid.id).where(Bid.notice_id == notice_id),
        select(kind("selection"), Selection.id).where(Selection.notice_id == notice_id),
        select(kind("objection"), Objection.id).where(Objection.notice_id == notice_id),
        select(kind("contract"), Contract.id).where(Contract.notice_id == notice_id),
    ).subquery("subjects")
    return (
        select(AuditEvent, Organisation.name)
        .join(
            subjects,
            and_(
                AuditEvent.subject_type == subjects.c.kind,
                AuditEvent.subject_id == subjects.c.id,
            ),
        )
        .outerjoin(Organisation, Organisation.id == AuditEvent.actor_org_id)
        .where(AuditEvent.public.is_(True))
        .order_by(AuditEvent.occurred_dt, AuditEvent.id)
    )


def _events(notice: Notice) -> list[tuple[AuditEvent, str | None]]:
    """The public events of the notice and its related rows, in the order they took effect,
    each with the name of the organisation that acted (one query)."""
    return list(db.session.execute(_events_query(), {"notice_id": notice.id}).all())


def _transition(event: AuditEvent, notice: Notice, opened: bool) -> Entry:
    data = event.data or {}
    to_state = event.to_state
    move = NOTICE.move(event.from_state, to_state)
    arrival = NOTICE[to_state].arrival if to_state in NOTICE else ""
    label = (move.label if move is not None else "") or arrival or GENERIC_LABEL
    entry = Entry(event.occurred_dt, label, "")
    if to_state == "published" and data.get("republished_from"):
        entry.label = _("重新发布")
        entry.detail = _("原公告 %(notice)s 流标后重新发布", notice=data["republished_from"])
    elif to_state == "bidding_closed" and event.from_state == "published":
        if data.get("bids") is not None:
            entry.detail = _("有效报价 %(bids)s 家", bids=data["bids"])
    elif to_state == "selected":
        parts = [_("中选机构：%(agency)s", agency=data["agency"])] if data.get("agency") else []
        if opened and data.get("amount_fen"):
            parts.append(_("中选报价 %(amount)s", amount=format_fen(data["amount_fen"])))
        entry.detail = _("，").join(parts)
    elif to_state == "publicity" and data.get("until"):
        entry.detail = _(
            "公示至 %(until)s，公示期内参与报价的机构可提出异议", until=_local(data["until"])
        )
    elif to_state == "awarded":
        if opened and data.get("amount_fen"):
            entry.detail = _("合同金额 %(amount)s", amount=format_fen(data["amount_fen"]))
        if data.get("sign_by"):
            entry.detail += (_("；") if entry.detail else "") + (
                _("双方应于 %(sign_by)s 前签订合同", sign_by=_local(data["sign_by"]))
            )
    elif to_state == "delivered" and (data.get("round") or 1) > 1:
        entry.detail = _("第 %(round)s 次提交", round=data["round"])
    elif to_state == "accepted" and data.get("auto"):
        entry.label = _("逾期未验收，系统自动验收")
    elif to_state == "evaluated" and data.get("missing"):
        missing = _("、").join(str(DIRECTION_TEXT.get(d, "")) for d in data["missing"])
        entry.detail = _("评价期满，未提交：%(missing)s", missing=missing)
    elif to_state in ("failed", "cancelled", "terminated"):
        if to_state == "cancelled" and data.get("abandoned"):
            entry.label = _("放弃选取，公告撤销")
        reason = _reason(data.get("reason"))
        entry.detail = _("原因：%(reason)s", reason=reason) if reason else ""
    return entry


def _action(event: AuditEvent, notice: Notice) -> Entry:
    data = event.data or {}
    action = event.action
    entry = Entry(event.occurred_dt, ACTION_LABELS.get(action, GENERIC_LABEL), "")
    if action == "revised" and data.get("clarification"):
        # An answer to a question that changed the terms (questions.py): an edit all the same.
        entry.label = _("发布澄清")
        if data.get("revision"):
            entry.label += _("（公告第 %(revision)s 版）", revision=data["revision"])
        entry.detail = _("答疑澄清改变了公告条款，已提交的报价需重新确认")
        if "deadline_dt" in (data.get("changed") or ()):
            entry.detail += _("，报价截止时间顺延")
    elif action == "revised":
        if data.get("revision"):
            entry.label = _("公告修改（第 %(revision)s 版）", revision=data["revision"])
        entry.detail = _("修改后已提交的报价需重新确认")
    elif action == "republished" and data.get("notice_id"):
        entry.detail = _("新公告编号 %(notice_id)s", notice_id=data["notice_id"])
        entry.link = _endpoint_link("procurement.detail", notice_id=data["notice_id"])
        entry.link_text = _("查看新公告")
    elif action == "commitments_published":
        if data.get("count") is not None:
            entry.detail = _(
                "共 %(count)s 个承诺值，报价机构可核对本机构报价未被改动", count=data["count"]
            )
        entry.link = _endpoint_link("procurement.commitments", notice_id=notice.id)
        entry.link_text = _("查看承诺值")
    elif action == "selection":
        if data.get("round"):
            entry.label = _("执行选取（第 %(round)s 轮）", round=data["round"])
        labels = method_labels()
        parts = (
            [_("选取方式：%(method)s", method=labels[data["method"]])]
            if data.get("method") in labels
            else []
        )
        if data.get("failure"):
            parts.append(_("未能产生结果：%(reason)s", reason=_reason(data["failure"])))
        elif data.get("drawn"):
            parts.append(_("含可验证的随机抽取"))
        entry.detail = _("，").join(parts)
        entry.link = _endpoint_link("procurement.draw", notice_id=notice.id)
        entry.link_text = _("选取过程及复核")
    elif action == "bid_excluded" and data.get("agency"):
        entry.detail = _("被排除：%(agency)s", agency=data["agency"])
    elif action == "objection_decided":
        outcome = {"upheld": _("异议成立"), "rejected": _("异议不成立")}.get(
            data.get("outcome"), ""
        )
        entry.detail = outcome
        if data.get("superseded"):
            entry.detail = _("同一结果的其他异议已成立，本异议一并办结")
        elif data.get("exclude_winner"):
            entry.detail += _("，排除原中选机构")
    elif action == "award_suspended" and data.get("objections"):
        entry.detail = _("待处理异议 %(count)s 件", count=data["objections"])
    elif action == "contract_signed" and data.get("party") in PARTY_TEXT:
        entry.label = _("%(party)s签署合同", party=PARTY_TEXT[data["party"]])
    elif action == "payment":
        # Payments (another domain) says what happened in its own words: a milestone, its
        # amount and its new state; never a bank detail.
        entry.detail = str(data.get("summary") or "")
    elif action == "evaluation_replied" and data.get("direction") in REPLY_TEXT:
        entry.label = REPLY_TEXT[data["direction"]]
    elif action == "evaluation_submitted" and data.get("direction") in DIRECTION_TEXT:
        entry.label = _(
            "%(direction)s（评价内容待双方提交后公开）", direction=DIRECTION_TEXT[data["direction"]]
        )
    return entry


def public_timeline(notice: Notice) -> list[Entry]:
    """The notice's public history, oldest first, each entry with a Chinese label, the time
    it took effect and the organisation that acted (系统 for the platform)."""
    entries, opened = [], False
    for event, actor_name in _events(notice):
        if event.action == "transition":
            if event.to_state == "bidding_closed":
                opened = True
            entry = _transition(event, notice, opened)
        else:
            entry = _action(event, notice)
        entry.who = ANONYMOUS_ACTORS.get(event.action) or actor_name or SYSTEM
        # Written now, in the reader's language: the entries are plain text from here on.
        entry.label, entry.who, entry.detail = str(entry.label), str(entry.who), str(entry.detail)
        entries.append(entry)
    return entries
