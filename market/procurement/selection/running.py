"""Closing the bidding, running the notice's selection method, the purchaser's part
(direct choice, technical scores), publicity, and selecting again after an upheld objection."""

from flask import current_app
from sqlalchemy import select

from ...agencies import services as agencies
from ...agencies.models import Agency
from ...core.audit import record_event
from ...core.clock import utcnow
from ...core.errors import ServiceError
from ...core.workdays import add_working_days
from ...extensions import db
from ..bids import eligible_bids, lock_notice
from ..models import Bid, Notice, Selection
from ..notices import own_notice
from ..runner import apply_due
from ..states import transition
from .base import method_for
from .draw import seed_inputs, seed_of


def minimum_responses(notice: Notice) -> int:
    """Eligible responses needed: fiscal-funded MIN_FISCAL_RESPONSES, social 1, credit
    preference at least CREDIT_MIN_REGISTRANTS; a direct invitation asks one agency only."""
    config = current_app.config
    if notice.invited_org_id is not None:
        return 1
    required = config["MIN_FISCAL_RESPONSES"] if notice.funding_type == "fiscal" else 1
    if notice.method == "credit":
        required = max(required, config["CREDIT_MIN_REGISTRANTS"])
    return required


def _enough_responses(notice: Notice, bids, at) -> bool:
    """Fail the notice (流标) with a public reason when too few responses count."""
    required = minimum_responses(notice)
    if len(bids) >= required:
        return True
    rule = {"credit": "信用择优项目"}.get(notice.method) or (
        "财政资金项目" if notice.funding_type == "fiscal" and not notice.invited_org_id else ""
    )
    reason = f"有效响应不足：{rule}需至少 {required} 家，实际 {len(bids)} 家，流标"
    notice.outcome_note = reason
    transition(notice, "failed", None, at=at, reason=reason, responses=len(bids), required=required)
    return False


def close_bidding(notice: Notice, at) -> None:
    """The runner's step at the deadline: open the bids, publish their commitments, fail the
    notice if too few responses count, else let an automatic method select at once."""
    lock_notice(notice)
    if notice.state != "published":
        return  # closed meanwhile by another request
    if notice.deadline_dt > at:
        notice.due_dt = notice.deadline_dt  # the deadline moved since this became due
        return
    bids = eligible_bids(notice)
    if not bids:
        notice.outcome_note = (
            "报价截止时无机构报价"
            if not notice.bids
            else "报价截止时无有效报价（已提交的报价因公告修改失效且未重新确认）"
        )
        reason = "no_bids" if not notice.bids else "no_valid_bids"
        transition(notice, "failed", None, at=at, reason=reason)
        return
    transition(notice, "bidding_closed", None, at=at, bids=len(bids))
    record_event(
        "notice",
        notice.id,
        "commitments_published",
        data={
            "summary": "报价截止，公开报价承诺值",
            "count": len(bids),
            "commitments": sorted(b.commitment for b in bids),
        },
        occurred_dt=at,
    )
    if _enough_responses(notice, bids, at) and method_for(notice.method).automatic:
        run_selection(notice, None, at)


def _credit_scores(bids) -> dict[int, int]:
    """The bidders' credit scores in one query (the runner selects for many notices)."""
    ids = {b.agency_org_id for b in bids}
    # Nothing pending changes a credit score here: the step's rows are flushed with the
    # selection instead of once more for this read.
    with db.session.no_autoflush:
        scores = dict(
            db.session.execute(
                select(Agency.org_id, Agency.credit_score).where(Agency.org_id.in_(ids))
            ).all()
        )
    for bid in bids:
        if bid.agency_org_id not in scores:  # an agency whose profile was never created
            scores[bid.agency_org_id] = agencies.ensure_profile(bid.agency).credit_score
    return scores


def _candidate(notice: Notice, bid: Bid, credit_score: int) -> dict:
    """A bid as the method sees it: the values used are stored with the selection."""
    candidate = {
        "bid_id": bid.id,
        "agency_org_id": bid.agency_org_id,
        "agency": bid.agency.name,
        "amount_fen": bid.amount_fen,
        "credit_score": credit_score,
        "commitment": bid.commitment,
    }
    if notice.method == "scored":
        candidate["technical_score"] = bid.technical_score
    return candidate


def run_selection(notice: Notice, actor, at, settings=None, reason: str = "") -> Selection:
    """Run the notice's method once over the eligible bids as a new round: store everything
    needed to re-run it, publish it, and move the notice on (selected → publicity, or 流标)."""
    method = method_for(notice.method)
    bids = eligible_bids(notice)
    round_ = max((s.round for s in notice.selections), default=0) + 1
    inputs = seed_inputs(notice.id, round_, notice.draw_salt, [b.commitment for b in bids])
    seed = seed_of(inputs)
    scores = _credit_scores(bids)
    candidates = [_candidate(notice, b, scores[b.agency_org_id]) for b in bids]
    fixed = {**method.settings(notice, current_app.config), **(settings or {})}
    outcome = method.select(candidates, seed, fixed)
    selection = Selection(
        notice=notice,
        round=round_,
        method=notice.method,
        algorithm=method.algorithm,
        candidates=candidates,
        seed_inputs=inputs,
        seed=seed,
        parameters={"settings": fixed, **outcome.parameters},
        winner_bid_id=outcome.winner_bid_id,
        failure=outcome.failure,
        actor_user_id=actor.id if actor is not None else None,
        reason=reason.strip(),
        created_dt=at,
    )
    db.session.add(selection)
    db.session.flush()
    winner = db.session.get(Bid, outcome.winner_bid_id) if outcome.winner_bid_id else None
    record_event(
        "notice",
        notice.id,
        "selection",
        actor=actor,
        occurred_dt=at,
        data={
            "selection_id": selection.id,
            "round": round_,
            "method": notice.method,
            "algorithm": method.algorithm,
            "seed": seed,
            "drawn": "draw" in outcome.parameters,
            "winner_bid_id": outcome.winner_bid_id,
            "agency": winner.agency.name if winner else None,
            "failure": outcome.failure,
        },
    )
    if winner is None:
        notice.outcome_note = outcome.failure
        transition(notice, "failed", actor, at=at, reason=outcome.failure, round=round_)
        return selection
    winner.status = "selected"
    notice.selection_reason = reason.strip() or outcome.summary
    transition(
        notice,
        "selected",
        actor,
        at=at,
        bid_id=winner.id,
        agency=winner.agency.name,
        amount_fen=winner.amount_fen,
        round=round_,
        method=notice.method,
    )
    start_publicity(notice, at)
    return selection


def start_publicity(notice: Notice, at) -> None:
    """Publish the result for PUBLICITY_WORKING_DAYS working days (objections meanwhile)."""
    days = current_app.config["PUBLICITY_WORKING_DAYS"]
    notice.publicity_end_dt = add_working_days(at, days)
    transition(notice, "publicity", None, at=at, until=notice.publicity_end_dt.isoformat())


def _awaiting_purchaser(user, notice: Notice, method: str, what: str) -> None:
    own_notice(user, notice)
    lock_notice(notice)
    apply_due(notice)
    if notice.state != "bidding_closed" and notice.selected_bid is not None:
        # Typically a colleague's selection that committed first while this one waited.
        raise ServiceError("该公告已选定中选机构，不能再次选取；请刷新页面查看结果")
    if notice.state != "bidding_closed":
        raise ServiceError(f"只能在报价截止后、选定前{what}")
    if notice.method != method:
        raise ServiceError(f"本项目采用「{notice.method_label}」，不能{what}")


def select_bid(user, notice: Notice, bid_id: int, reason: str) -> Bid:
    """Direct selection (直接选取): the purchaser picks one eligible response with a public
    reason after bidding closes; the result then goes into publicity."""
    _awaiting_purchaser(user, notice, "direct", "选取中选机构")
    bid = next((b for b in eligible_bids(notice) if b.id == bid_id), None)
    if bid is None:
        if any(b.id == bid_id for b in notice.bids):
            raise ServiceError("该报价未参与本轮选取（已失效或已被排除）")
        raise ServiceError("所选报价不属于该公告")
    if not reason.strip():
        raise ServiceError("请填写选取理由", "reason")
    run_selection(notice, user, utcnow(), {"chosen_bid_id": bid.id}, reason)
    return bid


def score_bids(user, notice: Notice, scores: dict[int, int]) -> Selection:
    """Scored evaluation (综合评审): the purchaser enters a technical score 0–100 for every
    eligible bid; the system then computes the totals and selects."""
    _awaiting_purchaser(user, notice, "scored", "录入技术评分")
    bids = eligible_bids(notice)
    ids = {b.id for b in bids}
    if set(scores) - ids:
        raise ServiceError("评分对象不属于本轮参与选取的报价")
    missing = [b.agency.name for b in bids if scores.get(b.id) is None]
    if missing:
        raise ServiceError(f"请为每一家报价录入技术评分（尚缺：{'、'.join(missing)}）")
    if any(
        not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 100 for v in scores.values()
    ):
        raise ServiceError("技术评分应为 0–100 的整数")
    for b in bids:
        b.technical_score = scores[b.id]
    return run_selection(notice, user, utcnow())


def reselect(notice: Notice, actor, exclude_bid_id: int | None = None) -> Selection | None:
    """After an upheld objection returned the notice to `bidding_closed`: release the winner
    (or exclude it), then run an automatic method again as the next round; direct and scored
    wait for the purchaser again. Too few remaining responses fail the notice."""
    lock_notice(notice)
    if notice.state != "bidding_closed":
        raise ServiceError("只有回到选取阶段的公告才能重新选取")
    excluded = None
    if exclude_bid_id is not None:
        excluded = next((b for b in notice.bids if b.id == exclude_bid_id), None)
        if excluded is None:
            raise ServiceError("要排除的报价不属于该公告")
    previous = notice.selected_bid
    if previous is not None:
        previous.status = "submitted"
        # Flushed now: the new winner's row may be written first (uq_bids_one_selected).
        db.session.flush()
    at = utcnow()
    if excluded is not None:
        excluded.status = "excluded"
        record_event(
            "notice",
            notice.id,
            "bid_excluded",
            actor=actor,
            data={"bid_id": excluded.id, "agency": excluded.agency.name},
        )
    notice.selection_reason = ""
    notice.publicity_end_dt = None
    if not _enough_responses(notice, eligible_bids(notice), at):
        return None
    if method_for(notice.method).automatic:
        return run_selection(notice, None, at)
    return None
