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
from ..core.models import AuditEvent
from ..core.money import format_fen
from ..extensions import db
from .contract_models import Contract
from .models import Bid, Notice, Objection, Selection
from .selection import method_labels
from .states import NOTICE

#: other public events, by action
ACTION_LABELS = {
    "revised": "公告修改",
    "republished": "流标后重新发布",
    "commitments_published": "公开报价承诺值",
    "selection": "执行选取",
    "bid_excluded": "排除原中选机构的报价",
    "objection_filed": "收到异议",
    "objection_answered": "采购人答复异议",
    "objection_decided": "监管部门作出异议处理决定",
    "award_suspended": "异议处理中，暂缓确定中选",
    "contract_signed": "签署合同",
    "evaluation_submitted": "提交评价",
    "evaluation_replied": "回复评价",
    "payment": "付款进展",
}
#: an action this table does not know yet still reads as Chinese
GENERIC_LABEL = "其他公开事项"
SYSTEM = "系统"
#: whose name stays private: the objector is known only to the parties and regulators
ANONYMOUS_ACTORS = {"objection_filed": "参与报价的机构"}
#: reasons recorded as codes rather than sentences
REASON_TEXT = {
    "no_bids": "报价截止时无机构报价",
    "no_valid_bids": "报价截止时无有效报价",
}
PARTY_TEXT = {"purchaser": "采购人", "agency": "中选机构"}
DIRECTION_TEXT = {"of_agency": "采购人评价中选机构", "of_purchaser": "中选机构评价采购人"}
#: the rated party replying, by the direction of the evaluation it replies to
REPLY_TEXT = {"of_agency": "中选机构回复采购人的评价", "of_purchaser": "采购人回复中选机构的评价"}


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
    return text


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
        entry.label = "重新发布"
        entry.detail = f"原公告 {data['republished_from']} 流标后重新发布"
    elif to_state == "bidding_closed" and event.from_state == "published":
        if data.get("bids") is not None:
            entry.detail = f"有效报价 {data['bids']} 家"
    elif to_state == "selected":
        parts = [f"中选机构：{data['agency']}"] if data.get("agency") else []
        if opened and data.get("amount_fen"):
            parts.append(f"中选报价 {format_fen(data['amount_fen'])}")
        entry.detail = "，".join(parts)
    elif to_state == "publicity" and data.get("until"):
        entry.detail = f"公示至 {_local(data['until'])}，公示期内参与报价的机构可提出异议"
    elif to_state == "awarded":
        if opened and data.get("amount_fen"):
            entry.detail = f"合同金额 {format_fen(data['amount_fen'])}"
        if data.get("sign_by"):
            entry.detail += ("；" if entry.detail else "") + (
                f"双方应于 {_local(data['sign_by'])} 前签订合同"
            )
    elif to_state == "delivered" and (data.get("round") or 1) > 1:
        entry.detail = f"第 {data['round']} 次提交"
    elif to_state == "accepted" and data.get("auto"):
        entry.label = "逾期未验收，系统自动验收"
    elif to_state == "evaluated" and data.get("missing"):
        missing = "、".join(DIRECTION_TEXT.get(d, "") for d in data["missing"])
        entry.detail = f"评价期满，未提交：{missing}"
    elif to_state in ("failed", "cancelled", "terminated"):
        if to_state == "cancelled" and data.get("abandoned"):
            entry.label = "放弃选取，公告撤销"
        reason = _reason(data.get("reason"))
        entry.detail = f"原因：{reason}" if reason else ""
    return entry


def _action(event: AuditEvent, notice: Notice) -> Entry:
    data = event.data or {}
    action = event.action
    entry = Entry(event.occurred_dt, ACTION_LABELS.get(action, GENERIC_LABEL), "")
    if action == "revised" and data.get("clarification"):
        # An answer to a question that changed the terms (questions.py): an edit all the same.
        entry.label = "发布澄清"
        if data.get("revision"):
            entry.label += f"（公告第 {data['revision']} 版）"
        entry.detail = "答疑澄清改变了公告条款，已提交的报价需重新确认"
        if "deadline_dt" in (data.get("changed") or ()):
            entry.detail += "，报价截止时间顺延"
    elif action == "revised":
        if data.get("revision"):
            entry.label = f"公告修改（第 {data['revision']} 版）"
        entry.detail = "修改后已提交的报价需重新确认"
    elif action == "republished" and data.get("notice_id"):
        entry.detail = f"新公告编号 {data['notice_id']}"
        entry.link = _endpoint_link("procurement.detail", notice_id=data["notice_id"])
        entry.link_text = "查看新公告"
    elif action == "commitments_published":
        if data.get("count") is not None:
            entry.detail = f"共 {data['count']} 个承诺值，报价机构可核对本机构报价未被改动"
        entry.link = _endpoint_link("procurement.commitments", notice_id=notice.id)
        entry.link_text = "查看承诺值"
    elif action == "selection":
        if data.get("round"):
            entry.label = f"执行选取（第 {data['round']} 轮）"
        labels = method_labels()
        parts = [f"选取方式：{labels[data['method']]}"] if data.get("method") in labels else []
        if data.get("failure"):
            parts.append(f"未能产生结果：{_reason(data['failure'])}")
        elif data.get("drawn"):
            parts.append("含可验证的随机抽取")
        entry.detail = "，".join(parts)
        entry.link = _endpoint_link("procurement.draw", notice_id=notice.id)
        entry.link_text = "选取过程及复核"
    elif action == "bid_excluded" and data.get("agency"):
        entry.detail = f"被排除：{data['agency']}"
    elif action == "objection_decided":
        outcome = {"upheld": "异议成立", "rejected": "异议不成立"}.get(data.get("outcome"), "")
        entry.detail = outcome
        if data.get("superseded"):
            entry.detail = "同一结果的其他异议已成立，本异议一并办结"
        elif data.get("exclude_winner"):
            entry.detail += "，排除原中选机构"
    elif action == "award_suspended" and data.get("objections"):
        entry.detail = f"待处理异议 {data['objections']} 件"
    elif action == "contract_signed" and data.get("party") in PARTY_TEXT:
        entry.label = f"{PARTY_TEXT[data['party']]}签署合同"
    elif action == "payment":
        # Payments (another domain) says what happened in its own words: a milestone, its
        # amount and its new state; never a bank detail.
        entry.detail = str(data.get("summary") or "")
    elif action == "evaluation_replied" and data.get("direction") in REPLY_TEXT:
        entry.label = REPLY_TEXT[data["direction"]]
    elif action == "evaluation_submitted" and data.get("direction") in DIRECTION_TEXT:
        entry.label = f"{DIRECTION_TEXT[data['direction']]}（评价内容待双方提交后公开）"
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
        entries.append(entry)
    return entries
