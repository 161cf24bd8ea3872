"""The conduct record's due process (docs/design.md §7.2), declared once: its states with
their labels and badges, which of them are confirmed violations, and the moves between them
with the audit action each records; one transition function."""

from dataclasses import dataclass

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.i18n import _l
from ..core.lifecycle import Lifecycle, Move, State
from ..core.signals import conduct_record_changed


@dataclass(frozen=True)
class RecordState(State):
    #: a decided violation, now or once (appeal and repair requests do not suspend it):
    #: it weighs in the score and is public once disclosed
    confirmed: bool = False


RECORD = Lifecycle(
    "conduct_record",
    [
        RecordState("reported", _l("待认定"), "warning"),
        RecordState("confirmed", _l("已认定"), "danger", confirmed=True),
        RecordState("dismissed_none", _l("不予认定（无违规）"), "secondary"),
        RecordState("dismissed_evidence", _l("不予认定（证据不足）"), "secondary"),
        RecordState("appealed", _l("复核中"), "info", confirmed=True),
        RecordState("revoked", _l("复核撤销"), "secondary"),
        RecordState("repair_requested", _l("信用修复申请中"), "info", confirmed=True),
        RecordState("repaired", _l("已修复"), "secondary"),
    ],
    [
        Move("reported", "confirmed", action="confirmed"),
        Move("reported", "dismissed_none", action="dismissed"),
        Move("reported", "dismissed_evidence", action="dismissed"),
        Move("confirmed", "appealed", action="appealed"),
        Move("appealed", "confirmed", action="appeal_upheld"),
        Move("appealed", "revoked", action="appeal_revoked"),
        Move("confirmed", "repair_requested", action="repair_requested"),
        Move("repair_requested", "confirmed", action="repair_refused"),
        Move("repair_requested", "repaired", action="repaired"),
    ],
    column="status",
    subject=_l("该记录"),
)
#: the decided records that are, or once were, violations (public once disclosed)
CONFIRMED_STATES = tuple(s.key for s in RECORD if s.confirmed)

#: how the audit log names credit's actions (a record's steps; criteria, lists, inspections)
ACTION_LABELS = {
    "reported": _l("报告不良行为"),
    "responded": _l("提交陈述申辩"),
    "confirmed": _l("认定违规"),
    "dismissed": _l("不予认定 / 排除"),
    "published": _l("公示"),
    "appealed": _l("申请复核"),
    "appeal_upheld": _l("复核维持"),
    "appeal_revoked": _l("复核撤销"),
    "repair_requested": _l("申请信用修复"),
    "repair_refused": _l("不予修复"),
    "repaired": _l("信用修复"),
    "criterion_revised": _l("修订认定标准"),
    "retired": _l("废止认定标准"),
    "fact_remapped": _l("调整系统自动报告所用标准"),
    "added": _l("列入名单"),
    "removed": _l("移出名单"),
    "drawn": _l("抽取抽查对象"),
    "result_recorded": _l("登记检查结果"),
}


def transition(record, to_state: str, actor, at=None, **data) -> None:
    """Move the record along the table, audit it and announce it."""
    from_state = record.status
    move = RECORD.change(record, to_state)
    record_event(
        "conduct_record",
        record.id,
        move.action,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        public=False,
        data={"subject_org_id": record.subject_org_id, **data},
        occurred_dt=at or utcnow(),
    )
    conduct_record_changed.send(record, from_state=from_state, to_state=to_state)
