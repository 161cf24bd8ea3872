"""A milestone's payment lifecycle (docs/payments.md), declared once: the same states online
(资金托管 through Stripe) and offline (bank transfers recorded by the purchaser and confirmed
by the agency). `change()` below is the only code that moves Milestone.state: it checks the
move, audits it on the contract (public, without bank details: the notice's timeline shows
it) and stamps the time.
"""

from dataclasses import dataclass

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.i18n import DEFAULT_LANGUAGE, _, _l, in_language
from ..core.lifecycle import Lifecycle, Move, State
from ..core.money import format_fen


@dataclass(frozen=True)
class MilestoneState(State):
    #: the purchaser still owes the milestone
    owed: bool = False
    #: a step is awaited from someone (a payment, a confirmation, a decision, a transfer)
    active: bool = False
    #: money has moved, or the purchaser says it has: a receipt can be issued
    moved: bool = False
    #: the purchaser's own record of a transfer, not confirmed by the agency
    unconfirmed: bool = False
    #: the platform holds the purchaser's money
    holding: bool = False


#: who moves a milestone: the contract's parties, a regulator of the item's department, and
#: "system" (the worker, a webhook from the gateway, reconciliation)
MILESTONE = Lifecycle(
    "milestone",
    [
        MilestoneState("scheduled", _l("未到付款条件"), "secondary"),
        MilestoneState(
            "due",
            _l("待支付"),
            "warning",
            _l("付款条件已满足，开始计算付款期限"),
            due="due_dt",
            owed=True,
            active=True,
        ),
        MilestoneState(
            "overdue",
            _l("逾期未付"),
            "danger",
            _l("超过付款期限未支付"),
            due="report_dt",
            owed=True,
            active=True,
        ),
        MilestoneState(
            "recorded",
            _l("待机构确认收款"),
            "info",
            _l("采购人登记银行转账"),
            active=True,
            moved=True,
            unconfirmed=True,
        ),
        MilestoneState(
            "disputed",
            _l("收款有争议"),
            "danger",
            _l("中选机构对付款提出异议"),
            owed=True,
            active=True,
            unconfirmed=True,
        ),
        MilestoneState(
            "held",
            _l("资金托管中"),
            "primary",
            _l("采购人付款，资金由平台托管"),
            active=True,
            moved=True,
            holding=True,
        ),
        MilestoneState("paid", _l("已付款"), "success", _l("付款完成"), moved=True),
        MilestoneState("refunded", _l("已退款"), "secondary", _l("托管资金退回采购人"), moved=True),
        MilestoneState("cancelled", _l("已取消"), "light", _l("合同中止，付款节点取消")),
    ],
    [
        Move("scheduled", "due", {"system"}),
        Move("scheduled", "cancelled", {"system"}),
        Move("due", "cancelled", {"system"}),
        Move("due", "overdue", {"system"}),
        Move("due", "recorded", {"purchaser"}),
        Move("overdue", "recorded", {"purchaser"}),
        Move("due", "held", {"system"}),
        Move("overdue", "held", {"system"}),
        Move("recorded", "paid", {"agency"}, label=_l("中选机构确认收款")),
        Move("recorded", "disputed", {"agency"}),
        Move("disputed", "recorded", {"purchaser"}, label=_l("采购人重新登记付款")),
        Move("disputed", "paid", {"regulator"}, label=_l("监管部门认定已付款")),
        Move("disputed", "due", {"regulator"}, label=_l("监管部门认定未付款")),
        Move("disputed", "overdue", {"regulator"}, label=_l("监管部门认定未付款")),
        Move("held", "paid", {"system"}, label=_l("托管资金划转中选机构")),
        Move("held", "refunded", {"system"}),
    ],
    subject=_l("付款节点"),
    refusal=_l("您无权办理该付款事项"),
)


def change(milestone, target: str, party: str, actor=None, at=None, note="", **data) -> None:
    """Move `milestone` to `target` for `party` (refused unless the lifecycle allows it),
    audited on its contract as a public fact: label, amount, state and a `note` (an amount
    refunded), never bank details."""
    source = milestone.state
    MILESTONE.change(milestone, target, party)
    at = at or utcnow()
    milestone.state_changed_dt = at
    record_event(
        "contract",
        milestone.contract_id,
        "payment",
        actor=actor,
        from_state=source,
        to_state=target,
        occurred_dt=at,
        data={
            "milestone_id": milestone.id,
            "summary": _stored_summary(milestone, source, target, note),
            **data,
        },
    )


def summary(milestone, source: str, target: str) -> str:
    """How the public timeline names a move: which milestone, its amount, what happened."""
    move = MILESTONE.move(source, target)
    what = (move.label if move is not None else "") or MILESTONE[target].arrival
    return _(
        "%(milestone)s（%(amount)s）：%(what)s",
        milestone=milestone.label,
        amount=format_fen(milestone.amount_fen),
        what=what,
    )


def _stored_summary(milestone, source: str, target: str, note: str) -> str:
    """The summary as the audit event stores it: always in Chinese (the stored text is data;
    `note` is stored Chinese text too)."""
    with in_language(DEFAULT_LANGUAGE):
        return summary(milestone, source, target) + (f"，{note}" if note else "")  # i18n: data
