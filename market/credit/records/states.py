"""The conduct record's due process as one table and one transition function."""

from ...core.audit import record_event
from ...core.clock import utcnow
from ...core.errors import ServiceError
from ...core.signals import conduct_record_changed
from ..models import RECORD_STATES

#: (from, to) → the action's name in the audit log
TRANSITIONS = {
    ("reported", "confirmed"): "confirmed",
    ("reported", "dismissed_none"): "dismissed",
    ("reported", "dismissed_evidence"): "dismissed",
    ("confirmed", "appealed"): "appealed",
    ("appealed", "confirmed"): "appeal_upheld",
    ("appealed", "revoked"): "appeal_revoked",
    ("confirmed", "repair_requested"): "repair_requested",
    ("repair_requested", "confirmed"): "repair_refused",
    ("repair_requested", "repaired"): "repaired",
}
#: how the audit log names credit's actions (a record's steps; criteria, lists, inspections)
ACTION_LABELS = {
    "reported": "报告不良行为",
    "responded": "提交陈述申辩",
    "confirmed": "认定违规",
    "dismissed": "不予认定 / 排除",
    "published": "公示",
    "appealed": "申请复核",
    "appeal_upheld": "复核维持",
    "appeal_revoked": "复核撤销",
    "repair_requested": "申请信用修复",
    "repair_refused": "不予修复",
    "repaired": "信用修复",
    "criterion_revised": "修订认定标准",
    "retired": "废止认定标准",
    "added": "列入名单",
    "removed": "移出名单",
    "drawn": "抽取抽查对象",
    "result_recorded": "登记检查结果",
}
#: the decided records that are, or once were, violations (public once disclosed)
CONFIRMED_STATES = ("confirmed", "appealed", "repair_requested")


def transition(record, to_state: str, actor, at=None, **data) -> None:
    """Move the record along the table, audit it and announce it."""
    from_state = record.status
    action = TRANSITIONS.get((from_state, to_state))
    if action is None:
        raise ServiceError(
            f"该记录当前为「{RECORD_STATES[from_state]}」，不能变为「{RECORD_STATES[to_state]}」"
        )
    record.status = to_state
    record_event(
        "conduct_record",
        record.id,
        action,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        public=False,
        data={"subject_org_id": record.subject_org_id, **data},
        occurred_dt=at or utcnow(),
    )
    conduct_record_changed.send(record, from_state=from_state, to_state=to_state)
