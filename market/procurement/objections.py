"""Objections (质疑) to a result in publicity: filed by a bidder other than the winner with
reasons and files, answered by the purchaser, decided by a regulator of the item's department.
An open objection holds up the award; an upheld one returns the notice to selection."""

from ..agencies.documents import Upload, check_uploads, store_uploads
from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..core.listeners import call_listener
from ..extensions import db
from . import messages
from .bids import took_part
from .models import Notice, Objection
from .notices import own_notice
from .parties import check_regulator
from .runner import apply_due
from .selecting import reselect
from .states import transition

#: states a notice reaches only after its publicity: objecting then is too late
_AFTER_PUBLICITY = {"awarded", "contracted", "delivered", "accepted", "evaluated", "terminated"}
#: stored as the objection's decision (data; shown through timeline.STORED_REASONS)
SUPERSEDED_DECISION = "同一中选结果的其他异议已成立，原结果已撤销，本异议一并办结"  # i18n: data


def _announce(objection: Objection, action: str) -> None:
    """Tell the parties (and the regulators) what happened to an objection."""
    call_listener(messages.objection_changed, objection, event=f"objection:{action}", action=action)


def blocking_objections(notice: Notice) -> list[Objection]:
    """Objections not yet decided: while any is open the notice cannot be awarded."""
    return [o for o in notice.objections if o.is_open]


def objection_parties(objection: Objection) -> set[int]:
    """Who may read an objection's reasons and answer: the objector, the purchaser and the
    agency whose result it objects to (regulators and operators read everything)."""
    parties = {objection.objector_org_id, objection.notice.purchaser_org_id}
    winner = objection.selection.winner if objection.selection is not None else None
    if winner is not None:
        parties.add(winner.agency_org_id)
    return parties


def can_read_objection(objection: Objection, user) -> bool:
    """Whether `user` may read the objection's reasons, files and answer."""
    org = getattr(user, "organisation", None) if user is not None else None
    if org is None:
        return False
    return org.kind in ("regulator", "operator") or org.id in objection_parties(objection)


def may_object(notice: Notice, user) -> bool:
    """Whether the objection form applies to `user` now (the service has the full rules)."""
    org = getattr(user, "organisation", None) if user is not None else None
    if org is None or notice.state != "publicity" or utcnow() >= notice.publicity_end_dt:
        return False
    winner = notice.selected_bid
    return any(b.agency_org_id == org.id and took_part(b) for b in notice.bids) and (
        winner is None or winner.agency_org_id != org.id
    )


def _check_window(notice: Notice) -> None:
    if notice.state == "publicity" and utcnow() < notice.publicity_end_dt:
        return
    if notice.state in _AFTER_PUBLICITY or notice.state == "publicity":
        raise ServiceError(_("公示期已结束，不能再提出异议"))
    raise ServiceError(_("当前没有处于公示期的中选结果，不能提出异议"))


def check_bidder(user, notice: Notice):
    """The user's organisation if it quoted on the notice (only a bidder objects);
    NotAllowed for anyone else."""
    org = getattr(user, "organisation", None)
    if org is None or not any(b.agency_org_id == org.id and took_part(b) for b in notice.bids):
        raise NotAllowed(_("只有参与本项目报价的机构可以提出异议"))
    return org


def file_objection(user, notice: Notice, reasons: str, uploads: list[Upload] = ()) -> Objection:
    """A bidder other than the winner objects to the result during publicity."""
    apply_due(notice)
    org = check_bidder(user, notice)
    _check_window(notice)
    winner = notice.selected_bid
    if winner is not None and winner.agency_org_id == org.id:
        raise ServiceError(_("中选机构不能对本机构的中选结果提出异议"))
    if any(o.objector_org_id == org.id and o.is_open for o in notice.objections):
        raise ServiceError(_("本机构对该结果的异议正在处理中，请勿重复提出"))
    if not reasons.strip():
        raise ServiceError(_("请填写异议理由（事实依据和具体请求）"), "reasons")
    if not notice.selections:
        # Results selected before selection rounds were recorded have nothing to attach to.
        raise ServiceError(_("该结果没有选取记录，无法在线提出异议，请联系监管部门"))
    uploads = list(uploads)
    check_uploads(uploads)
    objection = Objection(
        notice=notice,
        selection=notice.selections[-1],
        objector_org_id=org.id,
        reasons=reasons.strip(),
        created_by_id=user.id,
        documents=store_uploads(user, "objection", uploads),
    )
    db.session.add(objection)
    db.session.flush()
    # The fact is public; the reasons stay with the parties and the regulators.
    record_event(
        "notice", notice.id, "objection_filed", actor=user, data={"objection_id": objection.id}
    )
    _announce(objection, "filed")
    return objection


def _objection(notice: Notice, objection_id: int) -> Objection:
    objection = next((o for o in notice.objections if o.id == objection_id), None)
    if objection is None:
        raise ServiceError(_("该异议不属于本公告"))
    return objection


def answer_objection(user, notice: Notice, objection_id: int, answer: str) -> Objection:
    """The purchaser answers an open objection, once."""
    own_notice(user, notice)
    objection = _objection(notice, objection_id)
    if objection.status == "answered":
        raise ServiceError(
            _(
                "该异议已于 %(at)s 答复，不能重复答复",
                at=to_local(objection.answered_dt).strftime("%Y-%m-%d %H:%M"),
            )
        )
    if objection.status != "open":
        raise ServiceError(_("该异议已由监管部门处理，不能再答复"))
    if not answer.strip():
        raise ServiceError(_("请填写答复内容"), "answer")
    objection.status = "answered"
    objection.answer = answer.strip()
    objection.answered_dt = utcnow()
    db.session.flush()
    record_event(
        "notice", notice.id, "objection_answered", actor=user, data={"objection_id": objection.id}
    )
    _announce(objection, "answered")
    return objection


def decide_objection(
    user, notice: Notice, objection_id: int, upheld: bool, decision: str, exclude_winner=False
) -> Objection:
    """A regulator of the item's department decides an objection (answered or not: a
    purchaser's silence must not hold the notice up forever). Upheld: the notice returns to
    selection as a new round, the objected winner excluded if so decided."""
    check_regulator(user, notice)
    objection = _objection(notice, objection_id)
    if not objection.is_open:
        raise ServiceError(
            _("该异议已处理（%(status)s），不能重复处理", status=objection.status_label)
        )
    if not decision.strip():
        raise ServiceError(_("请填写处理决定及理由"), "decision")
    now = utcnow()
    _decide(objection, user, now, "upheld" if upheld else "rejected", decision.strip())
    objection.exclude_winner = bool(upheld and exclude_winner)
    record_event(
        "notice",
        notice.id,
        "objection_decided",
        actor=user,
        data={
            "objection_id": objection.id,
            "outcome": objection.status,
            "decision": objection.decision,
            "exclude_winner": objection.exclude_winner,
        },
    )
    if upheld:
        _reopen_selection(user, notice, objection, now)
    elif not blocking_objections(notice):
        # Due again: at the publicity end, or now if it has passed while the award waited.
        notice.due_dt = max(notice.publicity_end_dt, now)
    db.session.flush()
    _announce(objection, "decided")
    return objection


def _decide(objection, user, now, status, decision):
    objection.status = status
    objection.decision = decision
    objection.decided_by_id = user.id
    objection.decided_dt = now


def _reopen_selection(user, notice: Notice, objection: Objection, now) -> None:
    winner = notice.selected_bid
    # The result they object to no longer stands: the other objections to it end with it.
    for other in blocking_objections(notice):
        _decide(other, user, now, "upheld", SUPERSEDED_DECISION)
        record_event(
            "notice",
            notice.id,
            "objection_decided",
            actor=user,
            data={"objection_id": other.id, "outcome": "upheld", "superseded": True},
        )
        _announce(other, "decided")
    transition(notice, "bidding_closed", user, objection_id=objection.id)
    excluded = winner.id if objection.exclude_winner and winner is not None else None
    reselect(notice, user, exclude_bid_id=excluded)
