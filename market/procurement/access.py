"""What a user may see and do on a notice now. The notice page's templates ask this and never
compare states, roles or methods themselves. Each answer comes from the lifecycle's moves and
flags (states.py), the notice's selection method (selection/), or the service holding the
full rule; the services check again when the action comes."""

from dataclasses import dataclass
from datetime import datetime

from ..core.clock import utcnow
from ..core.errors import NotAllowed
from .bids import SUPERVISING, own_bid, took_part
from .evaluations import DIRECTION_OF_PARTY, readable_rectifications, revealed
from .models import Notice
from .objections import may_object
from .parties import check_regulator
from .states import NOTICE, party_of

#: who sees the contract's file and the deliverables
CONTRACT_READERS = frozenset({"purchaser", "agency", "regulator", "operator"})


@dataclass(frozen=True)
class NoticeAccess:
    party: str | None
    # --- what the notice is waiting for
    #: bids were opened at the deadline (their number and commitments are public)
    bids_opened: bool
    #: bidding closed and no result stands: the purchaser's step or a new round is awaited
    awaiting_selection: bool
    #: the result is in publicity until then (objections meanwhile)
    publicity_until: datetime | None
    #: an open objection holds the award
    award_held: bool
    #: both parties' signatures are awaited (until the signing deadline)
    signing: bool
    #: the deliverable awaits acceptance (until the acceptance deadline)
    accepting: bool
    #: the double-blind evaluation window is open
    evaluating: bool
    #: both evaluations (or what was given) are public
    evaluations_revealed: bool
    #: the reason the service ended (服务中止), if it did
    termination_note: str
    # --- seeing
    sees_all_bids: bool
    sees_contract_files: bool
    # --- the purchaser's notice
    may_publish: bool
    may_edit: bool
    #: editing makes a new revision: the bids submitted so far must be reconfirmed
    may_revise: bool
    may_cancel: bool
    #: cancelling now abandons a selection agencies competed for (bids were opened)
    cancel_abandons: bool
    may_republish: bool
    may_report_conduct: bool
    # --- quoting
    #: the notice takes quotes and the user is an agency: the quoting box is shown
    quoting: bool
    may_quote: bool
    may_reconfirm: bool
    #: the agency's standing quote may be replaced or withdrawn until the deadline
    may_replace: bool
    may_withdraw: bool
    #: a direct invitation of another agency
    invitation_only: bool
    # --- selection and the contract
    may_take_step: bool
    may_sign: bool
    #: when the user's side signed, if it did
    signed_at: datetime | None
    may_deliver: bool
    may_accept: bool
    may_evaluate: bool
    may_terminate: bool
    # --- objections and rectification
    may_object: bool
    may_decide_objections: bool
    answerable_objections: frozenset[int]
    answerable_rectifications: frozenset[int]


def _regulates(user, notice: Notice) -> bool:
    try:
        check_regulator(user, notice)
    except NotAllowed:
        return False
    return True


def _org_id(user):
    org = getattr(user, "organisation", None) if user is not None else None
    return org.id if org is not None else None


def notice_access(notice: Notice, user) -> NoticeAccess:
    """Everything the notice page shows or offers `user` (None: an anonymous visitor)."""
    party = party_of(notice, user) if user is not None else None
    state = NOTICE[notice.state]
    org_id = _org_id(user)
    org = getattr(user, "organisation", None) if user is not None else None
    is_agency = org is not None and org.kind == "agency"
    own = own_bid(notice, user)
    contract = notice.contract
    step = notice.selection_method.step

    def allows(target: str) -> bool:
        return party is not None and NOTICE.allows(notice.state, target, party)

    signed_at = None
    if contract is not None and party in ("purchaser", "agency"):
        signed_at = getattr(contract, f"{party}_signed_dt")
    own_direction = DIRECTION_OF_PARTY.get(party)
    rated = contract is not None and any(e.direction == own_direction for e in contract.evaluations)
    publicity = notice.publicity_end_dt if notice.state == "publicity" else None
    # Past the deadline the bidding is over, though it closes formally a few seconds later
    # (the quotes received before it are stored first): no quoting box any more.
    taking_bids = state.takes_bids and utcnow() < notice.deadline_dt
    open_objections = [o for o in notice.objections if o.is_open]
    cases = readable_rectifications(notice, user) if contract is not None else []
    return NoticeAccess(
        party=party,
        bids_opened=not state.sealed,
        awaiting_selection=NOTICE.move(notice.state, "selected") is not None,
        publicity_until=publicity,
        award_held=publicity is not None and bool(open_objections),
        signing=state.due == "sign_deadline_dt",
        accepting=state.due == "accept_deadline_dt",
        evaluating=state.due == "evaluation_end_dt",
        evaluations_revealed=revealed(notice),
        termination_note=notice.outcome_note if notice.state == "terminated" else "",
        sees_all_bids=party in SUPERVISING,
        sees_contract_files=party in CONTRACT_READERS,
        may_publish=allows("published"),
        may_edit=party == "purchaser" and state.before_closing,
        may_revise=party == "purchaser" and state.takes_bids,
        may_cancel=allows("cancelled"),
        cancel_abandons=allows("cancelled") and not state.sealed,
        may_republish=party == "purchaser" and state.republishable,
        # Only once the quotes are opened: the link would tell that someone quoted.
        may_report_conduct=party in ("purchaser", "regulator")
        and not state.sealed
        and any(took_part(b) for b in notice.bids),
        quoting=is_agency and taking_bids,
        may_quote=is_agency
        and taking_bids
        and (own is None or own.status == "withdrawn")
        and notice.invited_org_id in (None, org_id),
        may_reconfirm=is_agency and taking_bids and own is not None and own.status == "invalidated",
        may_replace=is_agency and taking_bids and own is not None and own.status == "submitted",
        may_withdraw=is_agency
        and taking_bids
        and own is not None
        and own.status in ("submitted", "invalidated"),
        invitation_only=is_agency
        and notice.invited_org_id is not None
        and notice.invited_org_id != org_id,
        may_take_step=step is not None and allows("selected") and party == "purchaser",
        may_sign=allows("contracted") and signed_at is None,
        signed_at=signed_at,
        may_deliver=allows("delivered"),
        may_accept=allows("accepted"),
        may_evaluate=party in DIRECTION_OF_PARTY and allows("evaluated") and not rated,
        may_terminate=allows("terminated") and (party != "regulator" or _regulates(user, notice)),
        may_object=may_object(notice, user),
        may_decide_objections=bool(notice.objections)
        and user is not None
        and _regulates(user, notice),
        answerable_objections=frozenset(
            o.id for o in notice.objections if party == "purchaser" and o.status == "open"
        ),
        answerable_rectifications=frozenset(
            c.id for c in cases if org_id is not None and c.org_id == org_id and c.status == "open"
        ),
    )
