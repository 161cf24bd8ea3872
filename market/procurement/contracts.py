"""Contracts: the award at the end of publicity, signing by both parties within the deadline,
delivery with its return loop, acceptance (or automatic acceptance) and termination."""

from flask import current_app

from ..agencies.documents import Upload, check_uploads, own_document, store_uploads
from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _, _l
from ..core.signals import contract_awarded, contract_completed
from ..core.workdays import add_working_days
from ..extensions import db
from .contract_models import Contract, Delivery
from .contract_text import generate_document, record_signature
from .evaluations import check_scores, evaluate
from .models import Notice
from .objections import blocking_objections
from .parties import check_regulator
from .runner import apply_due
from .states import NOTICE, party_of, transition

PARTY_LABELS = {"purchaser": _l("采购人"), "agency": _l("中选机构")}
#: stored in notice.outcome_note and the audit event (compared there): data, shown through
#: timeline.STORED_REASONS
UNSIGNED_REASON = "合同未在规定期限内签订"  # i18n: data
AUTO_ACCEPT_REASON = "逾期未验收，系统自动验收"  # i18n: data (stored in the audit event)


def _after_working_days(at, key):
    return add_working_days(at, current_app.config[key])


def _contract_party(user, notice: Notice) -> str:
    party = party_of(notice, user)
    if notice.contract is None or party not in PARTY_LABELS:
        raise NotAllowed(_("只有合同双方（采购人和中选机构）可以办理合同事项"))
    return party


#: what cannot be done in another state, a whole sentence each (the verbs alone would clash
#: with the nouns of the same words elsewhere)
REFUSALS = {
    "sign": _l("公告当前为「%(state)s」，不能签订合同"),
    "deliver": _l("公告当前为「%(state)s」，不能提交交付"),
    "return": _l("公告当前为「%(state)s」，不能退回成果"),
    "accept": _l("公告当前为「%(state)s」，不能验收"),
}


def _require_state(notice: Notice, state: str, doing: str) -> None:
    if notice.state != state:
        raise ServiceError(str(REFUSALS[doing]) % {"state": notice.state_label})


# --- award and signing ----------------------------------------------------------------------


@NOTICE.when_due("publicity")
def end_publicity(notice: Notice, at) -> None:
    """Publicity is over (runner): award the winner with an unsigned contract and a signing
    deadline, unless objections are still open — then the award waits for their decision."""
    waiting = blocking_objections(notice)
    if waiting:
        # Nothing is due until the regulator decides; deciding the last one makes it due again.
        notice.due_dt = None
        record_event(
            "notice",
            notice.id,
            "award_suspended",
            data={"objections": len(waiting)},
            occurred_dt=at,
        )
        return
    # Read the calendar before changing anything: its query then has nothing to flush (the
    # runner does this for thousands of notices; every flush saved counts).
    sign_by = _after_working_days(at, "CONTRACT_SIGN_WORKING_DAYS")
    bid = notice.selected_bid
    contract = Contract(
        notice=notice,
        bid=bid,
        purchaser_org_id=notice.purchaser_org_id,
        agency_org_id=bid.agency_org_id,
        amount_fen=bid.amount_fen,
        created_dt=at,
    )
    db.session.add(contract)
    notice.sign_deadline_dt = sign_by
    transition(
        notice,
        "awarded",
        None,
        at=at,
        bid_id=bid.id,
        amount_fen=contract.amount_fen,
        sign_by=sign_by.isoformat(),
    )
    db.session.flush()  # listeners read the contract's parties
    contract_awarded.send(contract)


def sign_contract(user, notice: Notice, upload: Upload | None = None) -> Contract:
    """One party signs the contract both sign: the text generated from the item's model
    contract (contract_text.py), unless the first signer uploads one the parties agreed
    (PDF); the second signs the same file. Each signature keeps the signer, the time and the
    PDF's SHA-256; with both the service starts (contracted)."""
    apply_due(notice)
    party = _contract_party(user, notice)
    contract = notice.contract
    if notice.state != "awarded":
        if notice.state == "terminated" and notice.outcome_note == UNSIGNED_REASON:
            raise ServiceError(
                _(
                    "合同签订期限已于 %(at)s 届满，不能再签订",
                    at=to_local(notice.sign_deadline_dt).strftime("%Y-%m-%d %H:%M"),
                )
            )
        _require_state(notice, "awarded", "sign")
    signed_dt = getattr(contract, f"{party}_signed_dt")
    if signed_dt is not None:
        raise ServiceError(
            _(
                "本单位已于 %(at)s 签署合同，等待对方确认签署",
                at=to_local(signed_dt).strftime("%Y-%m-%d %H:%M"),
            )
        )
    if contract.document_id is None:
        if upload is not None and upload.content:
            check_uploads([upload], "file", pdf_only=True)
            contract.document = store_uploads(user, "contract", [upload])[0]
        else:
            generate_document(user, contract)
    now = utcnow()
    setattr(contract, f"{party}_signed_dt", now)
    record_signature(user, contract, party, now)
    record_event(
        "notice",
        notice.id,
        "contract_signed",
        actor=user,
        data={
            "contract_id": contract.id,
            "party": party,
            "pdf_sha256": contract.document.sha256,
        },
    )
    if contract.purchaser_signed_dt and contract.agency_signed_dt:
        transition(notice, "contracted", user, contract_id=contract.id)
    db.session.flush()
    return contract


@NOTICE.when_due("awarded")
def sign_deadline_missed(notice: Notice, at) -> None:
    """The signing deadline passed (runner): the award lapses; the event names who had not
    signed, which credit reads as a possible violation."""
    contract = notice.contract
    unsigned = [p for p in PARTY_LABELS if getattr(contract, f"{p}_signed_dt") is None]
    notice.outcome_note = UNSIGNED_REASON
    transition(
        notice,
        "terminated",
        None,
        at=at,
        reason=UNSIGNED_REASON,
        contract_id=contract.id,
        unsigned=unsigned,
        unsigned_org_ids=[getattr(contract, f"{p}_org_id") for p in unsigned],
    )


def check_terminator(user, notice: Notice) -> str:
    """The user's part if it may end the contract (the purchaser, a regulator of the item's
    department); NotAllowed for anyone else."""
    party = party_of(notice, user)
    if party == "regulator":
        check_regulator(user, notice)
    elif party != "purchaser":
        raise NotAllowed(_("只有采购人或主管监管部门可以中止服务"))
    return party


def terminate_contract(user, notice: Notice, reason: str) -> None:
    """The purchaser, or a regulator of the item's department, ends the contract with a public
    reason (服务中止)."""
    apply_due(notice)
    party = check_terminator(user, notice)
    if NOTICE.move(notice.state, "terminated") is None:
        raise ServiceError(_("公告当前为「%(state)s」，不能中止服务", state=notice.state_label))
    if not reason.strip():
        raise ServiceError(_("请填写中止原因"), "reason")
    notice.outcome_note = reason.strip()
    transition(notice, "terminated", user, reason=reason.strip(), by=party)


# --- delivery and acceptance ----------------------------------------------------------------


def current_delivery(notice: Notice) -> Delivery | None:
    """The latest submission of the deliverable, if any."""
    contract = notice.contract
    return contract.deliveries[-1] if contract is not None and contract.deliveries else None


def check_deliverer(user, notice: Notice) -> None:
    """Only the contracted agency delivers."""
    if party_of(notice, user) != "agency":
        raise NotAllowed(_("只有中选机构可以提交交付成果"))


def mark_delivered(
    user, notice: Notice, note: str, uploads: list[Upload] = (), document_ids=()
) -> Delivery:
    """The contracted agency delivers (files and a note); the purchaser then has
    ACCEPTANCE_WORKING_DAYS working days to accept or return it."""
    apply_due(notice)
    check_deliverer(user, notice)
    _require_state(notice, "contracted", "deliver")
    if not note.strip():
        raise ServiceError(_("请填写交付说明（交付成果、份数等）"), "note")
    uploads = list(uploads)
    check_uploads(uploads)
    org_id = user.organisation.id
    chosen = [own_document(org_id, i, "files") for i in dict.fromkeys(document_ids)]
    contract = notice.contract
    now = utcnow()
    delivery = Delivery(
        contract=contract,
        note=note.strip(),
        submitted_by_id=user.id,
        submitted_dt=now,
        documents=chosen + store_uploads(user, "deliverable", uploads),
    )
    db.session.add(delivery)
    db.session.flush()
    contract.delivered_dt = now
    contract.delivery_note = delivery.note
    notice.accept_deadline_dt = _after_working_days(now, "ACCEPTANCE_WORKING_DAYS")
    transition(
        notice,
        "delivered",
        user,
        delivery_id=delivery.id,
        round=len(contract.deliveries),
        files=len(delivery.documents),
    )
    return delivery


def return_delivery(user, notice: Notice, reason: str) -> Delivery:
    """The purchaser returns the deliverable with reasons; the agency delivers again."""
    apply_due(notice)
    if party_of(notice, user) != "purchaser":
        raise NotAllowed(_("只能操作本单位发布的采购公告"))
    _require_state(notice, "delivered", "return")
    if not reason.strip():
        raise ServiceError(_("请填写退回理由，说明需要修改的内容"), "reason")
    delivery = current_delivery(notice)
    delivery.status = "returned"
    delivery.return_reason = reason.strip()
    delivery.decided_dt = utcnow()
    notice.contract.delivered_dt = None
    notice.accept_deadline_dt = None
    transition(notice, "contracted", user, delivery_id=delivery.id)
    # The reasons stay between the parties; the public timeline only says it was returned.
    record_event(
        "notice",
        notice.id,
        "delivery_returned",
        actor=user,
        public=False,
        data={"delivery_id": delivery.id, "reason": delivery.return_reason},
    )
    return delivery


def _accept(notice: Notice, actor, at, auto: bool) -> None:
    evaluation_end = _after_working_days(at, "EVALUATION_WORKING_DAYS")  # before any change
    contract = notice.contract
    delivery = current_delivery(notice)
    delivery.status = "accepted"
    delivery.decided_dt = at
    contract.accepted_dt = at
    contract.auto_accepted = auto
    notice.evaluation_end_dt = evaluation_end
    data = {"auto": True, "reason": AUTO_ACCEPT_REASON} if auto else {}
    transition(notice, "accepted", actor, at=at, delivery_id=delivery.id, **data)
    contract_completed.send(
        contract,
        item_id=notice.item_id,
        purchaser_name=notice.purchaser.name,
        agency_org_id=contract.agency_org_id,
        amount_fen=contract.amount_fen,
        accepted_dt=contract.accepted_dt,
    )


def accept_delivery(user, notice: Notice) -> None:
    """The purchaser accepts the deliverable; both parties then evaluate each other."""
    apply_due(notice)
    if party_of(notice, user) != "purchaser":
        raise NotAllowed(_("只能操作本单位发布的采购公告"))
    _require_state(notice, "delivered", "accept")
    _accept(notice, user, utcnow(), auto=False)


@NOTICE.when_due("delivered")
def auto_accept(notice: Notice, at) -> None:
    """No decision within the acceptance deadline (runner): accepted automatically."""
    _accept(notice, None, at, auto=True)


def accept_and_evaluate(user, notice: Notice, scores: dict[str, int], comment: str):
    """Accept and rate the agency in one step (the rating stays hidden until both are in)."""
    check_scores(scores)
    accept_delivery(user, notice)
    return evaluate(user, notice, scores, comment)
