"""The purchaser's workspace: its notices by state and each step waiting for it, from
publishing a draft to answering a rectification case."""

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..core.clock import utcnow
from ..core.i18n import _l
from ..procurement.contract_models import Contract, Evaluation
from ..procurement.models import Notice, Objection
from ..procurement.services import (
    apply_due_of,
    listed,
    registered,
    state_labels,
    waiting_questions_query,
)
from .lists import ORG_ID, Due, due, fill_once_due_applied, open_rectifications


@dataclass
class PurchaserWorkspace:
    #: notices per state, in the lifecycle's order; states without notices are left out
    state_counts: dict[str, int]
    #: what the purchaser has to do, in the order the work comes
    dues: list[Due] = field(default_factory=list)
    #: what it only waits through (shown for information)
    waiting: list[Due] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.state_counts.values())

    @property
    def actions_count(self) -> int:
        return sum(d.count for d in self.dues)


def _mine(org_id, state):
    return listed(select(Notice)).where(Notice.purchaser_org_id == org_id, Notice.state == state)


def _contracts(org_id, state):
    """The purchaser's notices in `state` with their contract and its agency loaded."""
    return (
        _mine(org_id, state)
        .join(Notice.contract)
        .options(contains_eager(Notice.contract).joinedload(Contract.agency))
    )


def _selection_steps(org_id) -> list[Due]:
    """Per selection method that waits for the purchaser: its notices whose bidding closed."""
    return [
        due(
            f"step-{method.key}",
            *method.step.todo,
            _mine(org_id, "bidding_closed")
            .where(Notice.method == method.key)
            .options(selectinload(Notice.bids))
            .order_by(Notice.state_changed_dt, Notice.id),
            kind="selection",
            state="bidding_closed",
            anchor=method.step.anchor,
        )
        for method in registered().values()
        if method.step is not None
    ]


def _dues(org_id) -> list[Due]:
    objections = (
        select(Objection)
        .join(Objection.notice)
        .where(Notice.purchaser_org_id == org_id, Objection.status == "open")
        .options(contains_eager(Objection.notice), joinedload(Objection.objector))
        .order_by(Objection.created_dt, Objection.id)
    )
    unrated = ~Contract.evaluations.any(Evaluation.direction == "of_agency")
    cases = open_rectifications(org_id)
    return [
        due(
            "draft",
            _l("待发布的草稿"),
            _l("核对内容后点击“发布”，机构即可报价"),
            _mine(org_id, "draft").order_by(Notice.deadline_dt, Notice.id),
            state="draft",
        ),
        due(
            "question",
            _l("机构提问，待答复"),
            _l(
                "请在报价截止前在公告页答复（对所有机构公开）；改变公告条款的答复为澄清，"
                "已提交的报价须重新确认，截止时间按规定顺延"
            ),
            waiting_questions_query(org_id),
        ),
        *_selection_steps(org_id),
        due(
            "objection",
            _l("收到异议，待答复"),
            _l("请在公告页答复；异议处理完毕前不能确定中选"),
            objections,
        ),
        due(
            "awarded",
            _l("已确定中选，待签订合同"),
            _l("上传合同文本并签署，或确认中选机构已上传的文本；逾期未签订的，中选结果作废"),
            _contracts(org_id, "awarded")
            .where(Contract.purchaser_signed_dt.is_(None))
            .order_by(Notice.sign_deadline_dt, Notice.id),
            state="awarded",
        ),
        due(
            "delivered",
            _l("已交付，待验收"),
            _l("核对交付成果，验收通过或写明理由退回；逾期未处理的系统自动验收"),
            _contracts(org_id, "delivered").order_by(Notice.accept_deadline_dt, Notice.id),
            state="delivered",
        ),
        due(
            "accepted",
            _l("已验收，待评价机构"),
            _l("从五个维度为机构评分；双盲评价，双方都提交后（或评价期结束时）一并公开"),
            _contracts(org_id, "accepted")
            .where(unrated)
            .order_by(Notice.evaluation_end_dt, Notice.id),
            state="accepted",
        ),
        due(
            "rectification",
            _l("待整改"),
            _l("中选机构的评价中有 2 分及以下的项目，请在公告页说明整改情况"),
            cases,
        ),
    ]


@cache
def _lists(steps: tuple[str, ...]) -> tuple[dict[str, Select], tuple[Due, ...], Due]:
    """The workspace's statements, built once per set of selection methods with a purchaser's
    step (the registry's, when they were built): the purchaser is ORG_ID."""
    org = ORG_ID
    # Counted with the lists, one per state: the notices by state cost no query of their own.
    by_state = {
        f"state_{key}": select(Notice.id).where(Notice.purchaser_org_id == org, Notice.state == key)
        for key in state_labels()
    }
    publicity = due(
        "publicity",
        _l("结果公示中"),
        _l("公示期满且无异议待处理时自动确定中选，无需操作"),
        _mine(org, "publicity")
        .options(selectinload(Notice.objections))
        .order_by(Notice.publicity_end_dt, Notice.id),
    )
    return by_state, tuple(_dues(org)), publicity


def purchaser_workspace(org, due_limit: int = 20) -> PurchaserWorkspace:
    """The purchaser's notices counted by state, and the ones waiting for it to act; its
    notices that came due (at most `due_limit`) applied first."""
    steps = tuple(key for key, method in registered().items() if method.step is not None)
    by_state, dues, publicity = _lists(steps)
    now = utcnow()
    params = {"org_id": org.id, "now": now, "due_limit": due_limit}
    # Every count in one query; only lists with rows are read.
    filled, counts = fill_once_due_applied(
        (*dues, publicity), params, lambda: apply_due_of(org.id, now, due_limit), **by_state
    )
    return PurchaserWorkspace(
        {s: counts[f"state_{s}"] for s in state_labels() if counts[f"state_{s}"]},
        dues=filled[:-1],
        waiting=filled[-1:],
    )
