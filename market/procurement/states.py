"""The notice state machine (DESIGN §2.4): one table, one transition function."""

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.signals import notice_transitioned

NOTICE_STATES = {
    "draft": "草稿",
    "published": "报价中",
    "bidding_closed": "报价已截止",
    "selected": "已选定",
    "publicity": "结果公示中",
    "awarded": "已中选",
    "contracted": "服务中",
    "delivered": "已交付待验收",
    "accepted": "已验收",
    "evaluated": "已评价（办结）",
    "failed": "流标",
    "cancelled": "已撤销",
    "terminated": "服务中止",
}

#: How the public timeline names arriving in each state.
TIMELINE_LABELS = {
    "published": "公告发布",
    "bidding_closed": "报价截止",
    "failed": "流标",
    "cancelled": "公告撤销",
    "selected": "选定中选机构",
    "publicity": "结果公示",
    "awarded": "确定中选",
    "contracted": "生成合同",
    "delivered": "机构交付成果",
    "accepted": "采购人验收",
    "evaluated": "完成评价",
    "terminated": "服务中止",
}
#: How the timeline names moves that return to an earlier state.
RETURN_LABELS = {
    ("publicity", "bidding_closed"): "异议成立，重新选取",
    ("delivered", "contracted"): "成果退回修改",
}

#: (from, to) → the parties allowed to make that move. "system" is the due-time runner (or a
#: service acting on the platform's behalf, e.g. an automatic selection method).
TRANSITIONS = {
    ("draft", "published"): {"purchaser"},
    ("draft", "cancelled"): {"purchaser"},
    ("published", "cancelled"): {"purchaser"},
    ("published", "bidding_closed"): {"system"},
    ("published", "failed"): {"system"},
    # Selection: the purchaser picks (direct, scored) or the method runs (the others).
    ("bidding_closed", "selected"): {"purchaser", "system"},
    ("bidding_closed", "failed"): {"purchaser", "system"},
    ("bidding_closed", "cancelled"): {"purchaser"},  # selection abandoned
    ("selected", "publicity"): {"system"},
    ("publicity", "bidding_closed"): {"regulator"},  # an upheld objection: select again
    ("publicity", "awarded"): {"system"},
    # Both parties sign within the deadline, or the award lapses.
    ("awarded", "contracted"): {"purchaser", "agency"},
    ("awarded", "terminated"): {"system", "purchaser"},
    ("contracted", "delivered"): {"agency"},
    ("contracted", "terminated"): {"purchaser", "regulator"},
    ("delivered", "contracted"): {"purchaser"},  # returned with reasons
    ("delivered", "accepted"): {"purchaser", "system"},  # system: accepted automatically
    ("accepted", "evaluated"): {"purchaser", "agency", "system"},
}

#: States in which quotes are sealed: nobody but the bidder sees them, nor how many there are.
SEALED_STATES = {"draft", "published", "cancelled"}


def party_of(notice, user) -> str | None:
    """The role `user` plays on this notice: purchaser, agency (the contractor), regulator…"""
    if user is None:
        return "system"
    org = getattr(user, "organisation", None)
    if org is None:
        return None
    if org.id == notice.purchaser_org_id:
        return "purchaser"
    if notice.contract is not None and org.id == notice.contract.agency_org_id:
        return "agency"
    if org.kind in ("regulator", "operator"):
        return org.kind
    return None


#: the deadline each lasting state waits for (the runner acts on it, see runner.py)
DUE_FIELDS = {
    "published": "deadline_dt",
    "publicity": "publicity_end_dt",
    "awarded": "sign_deadline_dt",
    "delivered": "accept_deadline_dt",
    "accepted": "evaluation_end_dt",
}


def _due_dt(notice):
    field = DUE_FIELDS.get(notice.state)
    return getattr(notice, field) if field else None


def transition(notice, to_state, actor=None, at=None, **data):
    """Move `notice` to `to_state` if the table and the actor's part allow it; audit it.

    `at` is when the move takes effect, for deadlines the runner applies after the fact."""
    from_state = notice.state
    allowed = TRANSITIONS.get((from_state, to_state))
    if allowed is None:
        raise ServiceError(
            f"公告当前为「{NOTICE_STATES[from_state]}」，不能变为「{NOTICE_STATES[to_state]}」"
        )
    if party_of(notice, actor) not in allowed:
        raise NotAllowed("您无权对该公告执行此操作")
    notice.state = to_state
    notice.state_changed_dt = at or utcnow()
    notice.due_dt = _due_dt(notice)
    record_event(
        "notice",
        notice.id,
        "transition",
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        data=data,
        occurred_dt=notice.state_changed_dt,
    )
    notice_transitioned.send(
        notice,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        at=notice.state_changed_dt,
        data=data,
    )
