"""Evaluation both ways after acceptance, double-blind, and the rectification cases (差评整改)
that poor ratings open."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..agencies.models import RATING_DIMENSIONS
from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..core.listeners import call_listener
from ..core.signals import contract_evaluated
from ..extensions import db
from . import messages
from .contract_models import (
    PURCHASER_DIMENSIONS,
    RECTIFICATION_STATES,
    Contract,
    Evaluation,
    Rectification,
)
from .models import Notice
from .runner import apply_due
from .states import NOTICE, party_of, transition

#: the direction of the rating each party gives
DIRECTION_OF_PARTY = {"purchaser": "of_agency", "agency": "of_purchaser"}


def dimensions_for(direction: str) -> dict[str, str]:
    """The five dimensions' labels: an agency is rated on its service, a purchaser on its
    conduct as a client (same columns, other meaning)."""
    return RATING_DIMENSIONS if direction == "of_agency" else PURCHASER_DIMENSIONS


def check_scores(scores: dict[str, int]) -> None:
    """Five dimensions, each an integer 1–5."""
    if set(scores) != set(RATING_DIMENSIONS) or any(
        not isinstance(v, int) or not 1 <= v <= 5 for v in scores.values()
    ):
        raise ServiceError(_("请为五个维度分别打 1–5 分"))


def evaluate(user, notice: Notice, scores: dict[str, int], comment: str) -> Evaluation:
    """One party rates the other after acceptance; neither sees the other's rating until both
    are in or the evaluation window has closed."""
    apply_due(notice)
    direction = DIRECTION_OF_PARTY.get(party_of(notice, user))
    if direction is None or notice.contract is None:
        raise NotAllowed(_("只有合同双方可以评价"))
    if notice.state == "evaluated":
        raise ServiceError(_("评价已结束，不能再提交评价"))
    if notice.state != "accepted":
        raise ServiceError(_("公告当前为「%(state)s」，验收后才能评价", state=notice.state_label))
    contract = notice.contract
    if any(e.direction == direction for e in contract.evaluations):
        raise ServiceError(_("本单位已提交评价，不能重复评价"))
    check_scores(scores)
    evaluation = Evaluation(
        contract=contract,
        direction=direction,
        by_org_id=user.organisation.id,
        comment=comment.strip(),
        **scores,
    )
    db.session.add(evaluation)
    db.session.flush()
    # That a side has rated is public; what it gave is not, until both are shown.
    record_event(
        "notice", notice.id, "evaluation_submitted", actor=user, data={"direction": direction}
    )
    if len(contract.evaluations) == len(DIRECTION_OF_PARTY):
        _reveal(notice, user, utcnow())
    return evaluation


@NOTICE.when_due("accepted")
def end_evaluation(notice: Notice, at) -> None:
    """The evaluation window closed (runner): show what was given; a missing side is missing."""
    _reveal(notice, None, at)


def _reveal(notice: Notice, actor, at) -> None:
    contract = notice.contract
    given = {e.direction for e in contract.evaluations}
    missing = [d for d in DIRECTION_OF_PARTY.values() if d not in given]
    transition(notice, "evaluated", actor, at=at, missing=missing)
    for evaluation in contract.evaluations:
        if evaluation.direction == "of_agency":
            contract_evaluated.send(
                evaluation,
                contract_id=contract.id,
                agency_org_id=contract.agency_org_id,
                scores=evaluation.scores,
            )
        if evaluation.is_poor:
            _open_rectification(evaluation, at)


def revealed(notice: Notice) -> bool:
    """Whether the evaluations are public: both are in, or the window closed (evaluated)."""
    return notice.state == "evaluated"


def visible_evaluations(notice: Notice, user) -> list[Evaluation]:
    """Both ratings once evaluation is over (for everyone); before, only one's own."""
    contract = notice.contract
    if contract is None:
        return []
    if revealed(notice):
        return list(contract.evaluations)
    org = getattr(user, "organisation", None) if user is not None else None
    return [e for e in contract.evaluations if org is not None and e.by_org_id == org.id]


# --- the rated party's reply -------------------------------------------------------------------

REPLY_MAX_CHARS = 1000


def rated_org_id(evaluation: Evaluation) -> int:
    """The organisation the evaluation rates (the one that may reply)."""
    contract = evaluation.contract
    return (
        contract.agency_org_id if evaluation.direction == "of_agency" else contract.purchaser_org_id
    )


def _evaluation_of(notice: Notice, evaluation_id: int) -> Evaluation:
    contract = notice.contract
    found = (
        next((e for e in contract.evaluations if e.id == evaluation_id), None) if contract else None
    )
    if found is None:
        raise ServiceError(_("该评价不存在"))
    return found


def check_replier(user, notice: Notice, evaluation_id: int) -> Evaluation:
    """Only the rated organisation replies to an evaluation (NotAllowed otherwise)."""
    evaluation = _evaluation_of(notice, evaluation_id)
    org = getattr(user, "organisation", None)
    if org is None or org.id != rated_org_id(evaluation):
        raise NotAllowed(_("只有被评价的一方可以回复评价"))
    return evaluation


def may_reply(evaluation: Evaluation, notice: Notice, user) -> bool:
    """Whether `user` may reply to `evaluation` now: the rated party, once, once it is public."""
    org = getattr(user, "organisation", None) if user is not None else None
    return (
        org is not None
        and revealed(notice)
        and evaluation.reply_dt is None
        and org.id == rated_org_id(evaluation)
    )


def reply_to_evaluation(user, notice: Notice, evaluation_id: int, text: str) -> Evaluation:
    """The rated party replies once, in public, to an evaluation that is public (double-blind:
    not before both are shown)."""
    apply_due(notice)
    evaluation = check_replier(user, notice, evaluation_id)
    if not revealed(notice):
        raise ServiceError(_("评价尚未公开（双方均提交或评价期结束后公开），公开后才能回复"))
    if evaluation.reply_dt is not None:
        raise ServiceError(_("本单位已回复该评价，不能重复回复"))
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写回复内容"), "reply")
    if len(text) > REPLY_MAX_CHARS:
        raise ServiceError(
            _("回复不能超过 %(max)s 字（现为 %(count)s 字）", max=REPLY_MAX_CHARS, count=len(text)),
            "reply",
        )
    evaluation.reply = text
    evaluation.reply_by_id = user.id
    evaluation.reply_dt = utcnow()
    db.session.flush()
    record_event(
        "notice",
        notice.id,
        "evaluation_replied",
        actor=user,
        data={"direction": evaluation.direction},
    )
    call_listener(messages.evaluation_replied, evaluation, event="notice:evaluation_replied")
    return evaluation


def agency_replies(performances) -> dict[int, Evaluation]:
    """Per contract id, the purchaser's evaluation of the agency that the agency replied to,
    for the rows of its past performance (the storefront; one query, none when unrated)."""
    ids = [p.contract_id for p in performances if p.rating is not None]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Evaluation).where(
            Evaluation.contract_id.in_(ids),
            Evaluation.direction == "of_agency",
            Evaluation.reply_dt.is_not(None),
        )
    )
    return {e.contract_id: e for e in rows}


# --- rectification (差评整改) -----------------------------------------------------------------


def _open_rectification(evaluation: Evaluation, at) -> Rectification:
    contract = evaluation.contract
    rated = (
        contract.agency_org_id
        if evaluation.direction == "of_agency"
        else (contract.purchaser_org_id)
    )
    case = Rectification(evaluation=evaluation, org_id=rated, opened_dt=at)
    db.session.add(case)
    db.session.flush()
    record_event(
        "rectification",
        case.id,
        "opened",
        public=False,
        data={"notice_id": contract.notice_id, "org_id": rated},
        occurred_dt=at,
    )
    return case


def _case(rectification_id: int) -> Rectification:
    case = db.session.get(Rectification, rectification_id)
    if case is None:
        raise ServiceError(_("整改事项不存在"))
    return case


def check_answerer(user, case: Rectification) -> None:
    """Only the rated organisation answers its rectification case (NotAllowed otherwise)."""
    org = getattr(user, "organisation", None)
    if org is None or org.id != case.org_id:
        raise NotAllowed(_("只能答复本单位的整改事项"))


def answer_rectification(user, rectification_id: int, answer: str) -> Rectification:
    """The rated organisation says what it corrected after a poor evaluation."""
    case = _case(rectification_id)
    check_answerer(user, case)
    if case.status != "open":
        raise ServiceError(_("本单位已提交整改说明，不能重复提交"))
    if not answer.strip():
        raise ServiceError(_("请说明针对差评所做的整改"), "answer")
    case.status = "answered"
    case.answer = answer.strip()
    case.answered_dt = utcnow()
    db.session.flush()
    record_event("rectification", case.id, "answered", actor=user, public=False)
    return case


def record_followup(user, rectification_id: int, note: str) -> Rectification:
    """An operator records the follow-up visit (回访) of an answered case."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "operator":
        raise NotAllowed(_("只有平台运营方可以记录回访"))
    case = _case(rectification_id)
    if case.status == "open":
        raise ServiceError(_("被评价单位尚未提交整改说明，暂不能记录回访"))
    if case.status == "followed_up":
        raise ServiceError(_("该整改事项已记录回访"))
    if not note.strip():
        raise ServiceError(_("请填写回访情况"), "note")
    case.status = "followed_up"
    case.followup_note = note.strip()
    case.followup_dt = utcnow()
    case.followup_by_id = user.id
    db.session.flush()
    record_event("rectification", case.id, "followed_up", actor=user, public=False)
    return case


def rectifications_query(status: str | None = None):
    """Cases for the operators' list, newest first, with what each row shows loaded."""
    stmt = (
        select(Rectification)
        .options(
            selectinload(Rectification.organisation),
            selectinload(Rectification.evaluation)
            .selectinload(Evaluation.contract)
            .selectinload(Contract.notice),
        )
        .order_by(Rectification.opened_dt.desc(), Rectification.id.desc())
    )
    if status in RECTIFICATION_STATES:
        stmt = stmt.where(Rectification.status == status)
    return stmt


def rectification_counts() -> dict[str, int]:
    """Cases per status, every status present."""
    rows = db.session.execute(
        select(Rectification.status, func.count()).group_by(Rectification.status)
    )
    counts = dict(rows.all())
    return {status: counts.get(status, 0) for status in RECTIFICATION_STATES}


def rectification_rates() -> tuple[int, float | None, float | None]:
    """(cases, share answered, share followed up) for the operators' workspace; the shares
    are None while there is no case (nothing to rate, not 0%)."""
    counts = rectification_counts()
    cases = sum(counts.values())
    if not cases:
        return 0, None, None
    answered = counts["answered"] + counts["followed_up"]
    return cases, answered / cases, counts["followed_up"] / cases


def notice_rectifications(notice: Notice) -> list[Rectification]:
    """The rectification cases opened by the notice's evaluations."""
    contract = notice.contract
    if contract is None or not contract.evaluations:
        return []
    ids = [e.id for e in contract.evaluations]
    return list(
        db.session.scalars(
            select(Rectification)
            .where(Rectification.evaluation_id.in_(ids))
            .order_by(Rectification.id)
        )
    )


def readable_rectifications(notice: Notice, user) -> list[Rectification]:
    """The notice's rectification cases `user` may read: the rated organisation's own, and
    every case for regulators and operators."""
    org = getattr(user, "organisation", None) if user is not None else None
    if org is None:
        return []
    supervisor = org.kind in ("regulator", "operator")
    return [c for c in notice_rectifications(notice) if supervisor or c.org_id == org.id]
