"""The notice's lifecycle (docs/design.md §4.1), declared once: each state with its label,
badge, how the public timeline names arriving in it, whether bids are sealed in it and the
deadline it waits for; the moves between states and the parties who may make each.

Everything else reads NOTICE: `transition()` below (the only code changing Notice.state),
the due-time runner (handlers register with `@NOTICE.when_due(state)` where they live), the
timeline, badges, sealed checks, arrival messages (`@NOTICE.on_arrival(state)`) and the
database CHECK constraint. Adding a state is one `NoticeState` here, its moves, its handlers
where they belong, and a migration (tests/test_migrations.py fails without one).
"""

from dataclasses import dataclass

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.i18n import _l
from ..core.lifecycle import Lifecycle, Move, State
from ..core.listeners import call_listener
from ..core.signals import notice_transitioned


@dataclass(frozen=True)
class NoticeState(State):
    #: quotes are sealed: nobody but the bidder sees them, nor how many there are
    sealed: bool = False
    #: bidding has not closed yet: the purchaser may still edit the notice
    before_closing: bool = False
    #: agencies may quote (until the deadline instant)
    takes_bids: bool = False
    #: the purchaser may publish a copy in one step (流标)
    republishable: bool = False


#: "system" is the due-time runner, or a service acting on the platform's behalf (an automatic
#: selection method); the other parties are what `party_of` names.
NOTICE = Lifecycle(
    "notice",
    [
        NoticeState("draft", _l("草稿"), "secondary", sealed=True, before_closing=True),
        NoticeState(
            "published",
            _l("报价中"),
            "success",
            _l("公告发布"),
            due="deadline_dt",
            sealed=True,
            before_closing=True,
            takes_bids=True,
        ),
        NoticeState("bidding_closed", _l("报价已截止"), "warning", _l("报价截止，开启报价")),
        NoticeState("selected", _l("已选定"), "light", _l("选定中选机构")),
        NoticeState(
            "publicity", _l("结果公示中"), "info", _l("中选结果公示"), due="publicity_end_dt"
        ),
        NoticeState(
            "awarded", _l("已中选"), "light", _l("公示期满，确定中选"), due="sign_deadline_dt"
        ),
        NoticeState("contracted", _l("服务中"), "primary", _l("双方签订合同")),
        NoticeState(
            "delivered",
            _l("已交付待验收"),
            "primary",
            _l("中选机构提交交付成果"),
            due="accept_deadline_dt",
        ),
        NoticeState(
            "accepted", _l("已验收"), "light", _l("采购人验收通过"), due="evaluation_end_dt"
        ),
        NoticeState("evaluated", _l("已评价（办结）"), "dark", _l("评价公开，项目办结")),
        NoticeState("failed", _l("流标"), "danger", _l("流标"), republishable=True),
        NoticeState("cancelled", _l("已撤销"), "secondary", _l("公告撤销"), sealed=True),
        NoticeState("terminated", _l("服务中止"), "danger", _l("服务中止")),
    ],
    [
        Move("draft", "published", {"purchaser"}),
        Move("draft", "cancelled", {"purchaser"}),
        Move("published", "cancelled", {"purchaser"}),
        Move("published", "bidding_closed", {"system"}),
        Move("published", "failed", {"system"}),
        # Selection: the purchaser acts (direct, scored) or the method runs (the others).
        Move("bidding_closed", "selected", {"purchaser", "system"}),
        Move("bidding_closed", "failed", {"purchaser", "system"}),
        Move("bidding_closed", "cancelled", {"purchaser"}),  # selection abandoned
        Move("selected", "publicity", {"system"}),
        # An upheld objection: select again.
        Move("publicity", "bidding_closed", {"regulator"}, label=_l("异议成立，重新选取")),
        Move("publicity", "awarded", {"system"}),
        # Both parties sign within the deadline, or the award lapses.
        Move("awarded", "contracted", {"purchaser", "agency"}),
        Move("awarded", "terminated", {"system", "purchaser"}),
        Move("contracted", "delivered", {"agency"}),
        Move("contracted", "terminated", {"purchaser", "regulator"}),
        Move(
            "delivered",
            "contracted",
            {"purchaser"},
            label=_l("采购人退回交付成果，待修改后重新提交"),
        ),
        Move("delivered", "accepted", {"purchaser", "system"}),  # system: automatically
        Move("accepted", "evaluated", {"purchaser", "agency", "system"}),
    ],
    subject=_l("公告"),
    refusal=_l("您无权对该公告执行此操作"),
)


def state_labels(include_drafts: bool = True) -> dict[str, str]:
    """State → label in lifecycle order (public lists leave drafts out: never public)."""
    return {k: v for k, v in NOTICE.labels().items() if include_drafts or k != "draft"}


def sealed_states() -> set[str]:
    """States in which quotes are sealed."""
    return NOTICE.where(sealed=True)


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


def transition(notice, to_state, actor=None, at=None, **data):
    """Move `notice` to `to_state` if the table and the actor's part allow it; audit it, run
    the state's arrival hooks and tell other domains (notice_transitioned).

    `at` is when the move takes effect, for deadlines the runner applies after the fact."""
    from_state = notice.state
    NOTICE.change(notice, to_state, party_of(notice, actor))
    notice.state_changed_dt = at or utcnow()
    notice.due_dt = NOTICE.due_of(notice)
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
    context = {"from_state": from_state, "actor": actor, "at": notice.state_changed_dt}
    for hook in NOTICE.arrival_hooks(to_state):
        call_listener(hook, notice, event=f"notice:{to_state}", data=data, **context)
    notice_transitioned.send(notice, to_state=to_state, data=data, **context)
