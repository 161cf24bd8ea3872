"""Closing the bidding, running the notice's selection method, the purchaser's step for the
methods that wait for one, publicity, and selecting again after an upheld objection."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..agencies import services as agencies
from ..agencies.models import Agency
from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import ServiceError
from ..core.i18n import DEFAULT_LANGUAGE, _, in_language
from ..core.workdays import add_working_days
from ..extensions import db
from .bids import eligible_bids, lock_notice, took_part
from .models import Bid, Notice, Selection
from .notices import own_notice
from .runner import apply_due
from .selection.base import method_for
from .selection.draw import seed_inputs, seed_of
from .states import NOTICE, transition


def minimum_responses(notice: Notice) -> int:
    """Eligible responses needed (see _minimum)."""
    return _minimum(notice)[0]


def _minimum(notice: Notice) -> tuple[int, str]:
    """(responses needed, which rule asks for them): fiscal-funded MIN_FISCAL_RESPONSES,
    social 1, or the method's own minimum if higher; a direct invitation asks one agency."""
    config = current_app.config
    if notice.invited_org_id is not None:
        return 1, ""
    required, rule = (
        (config["MIN_FISCAL_RESPONSES"], "财政资金项目")  # i18n: data
        if notice.funding_type == "fiscal"
        else (1, "")
    )
    method = method_for(notice.method)
    own = method.minimum(config) if method.minimum is not None else 0
    if own > required:
        with in_language(DEFAULT_LANGUAGE):  # the rule is part of a stored reason
            required, rule = own, f"{method.label}项目"  # i18n: data
    return required, rule


def _enough_responses(notice: Notice, bids, at) -> bool:
    """Fail the notice (流标) with a public reason when too few responses count."""
    required, rule = _minimum(notice)
    if len(bids) >= required:
        return True
    reason = f"有效响应不足：{rule}需至少 {required} 家，实际 {len(bids)} 家，流标"  # i18n: data
    notice.outcome_note = reason
    transition(notice, "failed", None, at=at, reason=reason, responses=len(bids), required=required)
    return False


@NOTICE.when_due("published")
def close_bidding(notice: Notice, at) -> None:
    """The runner's step at the deadline: open the bids, publish their commitments, fail the
    notice if too few responses count, else let an automatic method select at once."""
    lock_notice(notice)
    if notice.state != "published":
        return  # closed meanwhile by another request
    if notice.deadline_dt > at:
        notice.due_dt = notice.deadline_dt  # the deadline moved since this became due
        return
    closes = notice.deadline_dt + timedelta(seconds=current_app.config["QUOTE_GRACE_SECONDS"])
    if at < closes:
        # Quotes received before the deadline may still be waiting their turn: they are
        # stored first (bids.submit_bid judges each by when it arrived). The runner comes
        # back at `closes` (at once, if its "now" is already past it).
        notice.due_dt = closes
        return
    at = notice.deadline_dt  # the bidding closed at the deadline, whenever this runs
    bids = eligible_bids(notice)
    if not bids:
        # A withdrawn quote is no response at all.
        quoted = any(took_part(b) for b in notice.bids)
        notice.outcome_note = (
            "报价截止时无有效报价（已提交的报价因公告修改失效且未重新确认）"  # i18n: data
            if quoted
            else "报价截止时无机构报价"  # i18n: data
        )
        reason = "no_valid_bids" if quoted else "no_bids"
        transition(notice, "failed", None, at=at, reason=reason)
        return
    transition(notice, "bidding_closed", None, at=at, bids=len(bids))
    record_event(
        "notice",
        notice.id,
        "commitments_published",
        data={
            "summary": "报价截止，公开报价承诺值",  # i18n: data
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
    candidate.update(method_for(notice.method).candidate_fields(bid))
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


def take_step(user, notice: Notice, values: dict, method: str | None = None) -> Selection:
    """The purchaser's step after bidding closes, for a method that waits for one (direct
    choice, technical scores): the method checks and records `values`, then selects.
    `method`: the step the caller means (refused if the notice uses another)."""
    own_notice(user, notice)
    lock_notice(notice)
    apply_due(notice)
    step = method_for(notice.method).step
    if notice.state != "bidding_closed" and notice.selected_bid is not None:
        # Typically a colleague's selection that committed first while this one waited.
        raise ServiceError(_("该公告已选定中选机构，不能再次选取；请刷新页面查看结果"))
    if notice.state != "bidding_closed":
        raise ServiceError(_("只能在报价截止后、选定前办理选取"))
    if method is not None and notice.method != method:
        raise ServiceError(
            _("本项目采用「%(method)s」，不能办理此项选取", method=notice.method_label)
        )
    if step is None:
        raise ServiceError(
            _("本项目采用「%(method)s」，由系统自动选取", method=notice.method_label)
        )
    settings, reason = step.apply(notice, eligible_bids(notice), values)
    return run_selection(notice, user, utcnow(), settings, reason)


def select_bid(user, notice: Notice, bid_id: int, reason: str) -> Bid:
    """Direct selection (直接选取): the purchaser picks one eligible response with a public
    reason after bidding closes; the result then goes into publicity."""
    selection = take_step(user, notice, {"bid_id": bid_id, "reason": reason}, "direct")
    return selection.winner


def score_bids(user, notice: Notice, scores: dict[int, int]) -> Selection:
    """Scored evaluation (综合评审): the purchaser enters a technical score 0–100 for every
    eligible bid; the system then computes the totals and selects."""
    return take_step(user, notice, scores, "scored")


def reselect(notice: Notice, actor, exclude_bid_id: int | None = None) -> Selection | None:
    """After an upheld objection returned the notice to `bidding_closed`: release the winner
    (or exclude it), then run an automatic method again as the next round; direct and scored
    wait for the purchaser again. Too few remaining responses fail the notice."""
    lock_notice(notice)
    if notice.state != "bidding_closed":
        raise ServiceError(_("只有回到选取阶段的公告才能重新选取"))
    excluded = None
    if exclude_bid_id is not None:
        excluded = next((b for b in notice.bids if b.id == exclude_bid_id), None)
        if excluded is None:
            raise ServiceError(_("要排除的报价不属于该公告"))
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
