"""OCDS 1.1 releases of the published notices (docs/opendata.md): one release per public step
of a notice's life, read from the notice's rows and its public audit events, never from a
private one. Sealed means sealed: nothing of a quote, not even that one exists, before the
event that opened the bids."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organisation
from ..core.i18n import DEFAULT_LANGUAGE, in_language
from ..core.models import AuditEvent
from ..extensions import db
from ..payments.models import Milestone
from ..procurement.contract_models import Contract
from ..procurement.models import Bid, Notice, Selection
from ..procurement.services import opened_bids
from .ocds_ids import CLASSIFICATION_SCHEME, IDENTIFIER_SCHEME, iso, ocid, reference, value

#: the notice's fields behind each part of `tender`: a part a later revision changed is given
#: from that revision on only, since the platform keeps a notice's latest values alone
TENDER_PARTS = {
    "title": ("title",),
    "description": ("scope",),
    "value": ("ceiling_fen",),
    "minValue": ("floor_fen",),
    "method": ("method", "invited_org_id"),
    "tenderPeriod": ("deadline_dt",),
    "contractPeriod": ("service_days",),
}
#: the methods' award criteria (OCDS awardCriteria code list); the others give details only
AWARD_CRITERIA = {"lowest": "priceOnly", "mean": "priceOnly", "scored": "ratedCriteria"}
#: a payment milestone's state → OCDS milestoneStatus
MILESTONE_STATUS = {"paid": "met", "cancelled": "notMet", "refunded": "notMet"}


@dataclass
class _Story:
    """What has been released so far of one notice, as its events are read in order."""

    notice: Notice
    releases: list = field(default_factory=list)
    roles: dict = field(default_factory=dict)
    orgs: dict = field(default_factory=dict)
    award_id: str | None = None
    opened: bool = False

    def role(self, org: Organisation, *roles: str) -> None:
        """Give `org` these roles from now on (a release lists every role a party has so far:
        roles are merged as a whole list)."""
        self.orgs[org.id] = org
        known = self.roles.setdefault(org.id, [])
        known += [r for r in roles if r not in known]

    def parties(self) -> list[dict]:
        """The parties known so far, with their roles."""
        rows = []
        for org_id, roles in self.roles.items():
            org = self.orgs[org_id]
            row = {**reference(org), "roles": list(roles)}
            if org.uscc:
                row["identifier"] = {
                    "scheme": IDENTIFIER_SCHEME,
                    "id": org.uscc,
                    "legalName": org.name,
                }
            rows.append(row)
        return rows

    def add(self, event: AuditEvent, tag: str, **sections) -> None:
        """One release for `event`: its id is the ocid and the event's id, stable for ever."""
        notice = self.notice
        release = {
            "ocid": ocid(notice.id),
            "id": f"{ocid(notice.id)}-{event.id}",
            "date": iso(event.occurred_dt),
            "tag": [tag],
            "initiationType": "tender",
            "parties": self.parties(),
            "buyer": reference(notice.purchaser),
            **sections,
        }
        release.setdefault("tender", {})["id"] = f"{ocid(notice.id)}-tender"
        self.releases.append(release)


def _changed_later(events: list[AuditEvent]) -> dict[int, set[str]]:
    """Per revision event id, the notice fields changed by the revisions after it (the
    publication counts as the first)."""
    later, seen = {}, set()
    for event in reversed(events):
        if event.action == "revised" or _is(event, "published"):
            later[event.id] = set(seen)
        if event.action == "revised":
            seen |= set((event.data or {}).get("changed") or ())
    return later


def _is(event: AuditEvent, state: str) -> bool:
    return event.action == "transition" and event.to_state == state


def _tender(notice: Notice, changed_later: set[str], changed_now: set[str] | None) -> dict:
    """The tender's parts set by this step: all (publication) or those it changed, less those
    a later revision changed again."""
    parts = {
        name
        for name, fields in TENDER_PARTS.items()
        if not changed_later & set(fields) and (changed_now is None or changed_now & set(fields))
    }
    tender = {"status": "active"}
    if changed_now is None:
        item = notice.item
        tender |= {
            "procuringEntity": reference(notice.purchaser),
            "mainProcurementCategory": "services",
            "submissionMethod": ["electronicSubmission"],
            "items": [
                {
                    "id": "1",
                    "description": item.name,
                    "classification": {
                        "scheme": CLASSIFICATION_SCHEME,
                        "id": item.code,
                        "description": item.name,
                    },
                    "quantity": 1,
                }
            ],
        }
    if "title" in parts:
        tender["title"] = notice.title
    if "description" in parts:
        tender["description"] = notice.scope
    if "value" in parts:
        tender["value"] = value(notice.ceiling_fen)
    if "minValue" in parts and notice.floor_fen:
        tender["minValue"] = value(notice.floor_fen)
    if "method" in parts:
        tender["procurementMethod"] = "limited" if notice.invited_org_id else "open"
        tender["procurementMethodDetails"] = str(notice.method_label)
        if notice.method in AWARD_CRITERIA:
            tender["awardCriteria"] = AWARD_CRITERIA[notice.method]
        tender["awardCriteriaDetails"] = str(notice.method_label)
    if "tenderPeriod" in parts:
        tender["tenderPeriod"] = {
            "startDate": iso(notice.published_dt),
            "endDate": iso(notice.deadline_dt),
        }
    if "contractPeriod" in parts:
        tender["contractPeriod"] = {"durationInDays": notice.service_days}
    return tender


def _statistic(event: AuditEvent, count: int) -> dict:
    return {"id": "bids", "measure": "bids", "date": iso(event.occurred_dt), "value": count}


def _opening(story: _Story, event: AuditEvent, opened: list[Bid]) -> None:
    """The bids opened at the deadline: how many, and who quoted (the amounts come with the
    selection that used them)."""
    story.opened = True
    for bid in opened:
        story.role(bid.agency, "tenderer")
    story.add(
        event,
        "tenderUpdate",
        tender={
            "status": "active",
            "numberOfTenderers": len(opened),
            "tenderers": [reference(b.agency) for b in opened],
        },
        bids={
            "statistics": [_statistic(event, len(opened))],
            "details": [
                {"id": str(b.id), "status": "valid", "tenderers": [reference(b.agency)]}
                for b in opened
            ],
        },
    )


def _award(story: _Story, event: AuditEvent, selection: Selection | None) -> None:
    """A selection's result: the award, pending until publicity ends, with the quotes its
    public record (the draw page) lists."""
    data = event.data or {}
    winner = db.session.get(Bid, data["bid_id"])
    story.role(winner.agency, "tenderer", "supplier")
    story.award_id = f"award-{data.get('round') or 1}"
    sections = {
        "awards": [
            {
                "id": story.award_id,
                "title": f"第 {data.get('round') or 1} 轮选取结果",  # i18n: data
                "status": "pending",
                "date": iso(event.occurred_dt),
                "value": value(winner.amount_fen),
                "suppliers": [reference(winner.agency)],
            }
        ]
    }
    if selection is not None and selection.candidates:
        sections["bids"] = {
            "details": [
                {"id": str(c["bid_id"]), "value": value(c["amount_fen"])}
                for c in selection.candidates
                if c.get("amount_fen")
            ]
        }
    story.add(event, "award", **sections)


def _award_update(story: _Story, event: AuditEvent, status: str, description: str = "") -> None:
    """A change to the current award: publicity, objections' outcome, the award in force."""
    if story.award_id is None:
        return
    award = {"id": story.award_id, "status": status}
    if description:
        award["description"] = description
    sections = {"awards": [award]}
    if status == "active":
        sections["tender"] = {"status": "complete"}
    story.add(event, "awardUpdate", **sections)


def _contract(story: _Story, event: AuditEvent, contract: Contract) -> None:
    """The contract, signed by both parties."""
    story.role(contract.purchaser, "payer")
    story.role(contract.agency, "payee")
    signed = [d for d in (contract.purchaser_signed_dt, contract.agency_signed_dt) if d]
    story.add(
        event,
        "contract",
        contracts=[
            {
                "id": f"contract-{contract.id}",
                "awardID": story.award_id,
                "status": "active",
                "value": value(contract.amount_fen),
                "dateSigned": iso(max(signed) if signed else event.occurred_dt),
                "period": {"durationInDays": story.notice.service_days},
            }
        ],
    )


def _contract_ref(story: _Story, contract: Contract) -> dict:
    """A contract's id and the award it follows (OCDS requires both in every release)."""
    return {"id": f"contract-{contract.id}", "awardID": story.award_id or "award-1"}


def _delivery(story: _Story, event: AuditEvent, contract: Contract) -> None:
    """The deliverable submitted, returned or accepted: the delivery milestone."""
    status = {"delivered": "scheduled", "accepted": "met"}.get(event.to_state, "notMet")
    descriptions = {
        "delivered": "中选机构提交服务成果",  # i18n: data
        "accepted": "采购人验收通过"  # i18n: data
        if not (event.data or {}).get("auto")
        else "逾期未验收，系统自动验收",  # i18n: data
    }
    milestone = {
        "id": "delivery",
        "title": "服务成果交付与验收",  # i18n: data
        "type": "delivery",
        "status": status,
        "description": descriptions.get(event.to_state, "采购人退回服务成果"),  # i18n: data
        "dateModified": iso(event.occurred_dt),
    }
    if status == "met":
        milestone["dateMet"] = iso(event.occurred_dt)
    story.add(
        event,
        "contractUpdate",
        contracts=[{**_contract_ref(story, contract), "milestones": [milestone]}],
    )


def _payment(story: _Story, event: AuditEvent, contract: Contract, milestone: Milestone) -> None:
    """A payment milestone's step: the milestone, and a transaction when it is paid."""
    status = MILESTONE_STATUS.get(event.to_state, "scheduled")
    row = {
        "id": f"payment-{milestone.id}",
        "title": str(milestone.label),
        "type": "financing",
        "status": status,
        "value": value(milestone.amount_fen),
        "dateModified": iso(event.occurred_dt),
    }
    if status == "met":
        row["dateMet"] = iso(event.occurred_dt)
    implementation = {"milestones": [row]}
    if event.to_state == "paid":
        implementation["transactions"] = [
            {
                "id": f"payment-{milestone.id}",
                "date": iso(event.occurred_dt),
                "value": value(milestone.amount_fen),
                "payer": reference(contract.purchaser),
                "payee": reference(contract.agency),
            }
        ]
    story.add(
        event,
        "implementation",
        contracts=[{**_contract_ref(story, contract), "implementation": implementation}],
    )


def _ending(story: _Story, event: AuditEvent, contract: Contract | None) -> None:
    """A notice that failed, was cancelled or whose award or contract was terminated."""
    reason = str((event.data or {}).get("reason") or "")
    reasons = {
        "no_bids": "报价截止时无机构报价",  # i18n: data
        "no_valid_bids": "报价截止时无有效报价",  # i18n: data
    }
    reason = reasons.get(reason, reason)
    state = event.to_state
    if state == "failed":
        tender = {"status": "unsuccessful"}
        if reason:
            tender["statusDetails"] = reason
        sections = {"tender": tender}
        if event.from_state == "published":
            # Failed at the deadline itself: the bids were opened and none counted.
            sections["bids"] = {"statistics": [_statistic(event, 0)]}
            tender["numberOfTenderers"] = 0
        story.add(event, "tenderUpdate", **sections)
    elif state == "cancelled":
        story.add(
            event,
            "tenderCancellation",
            tender={"status": "cancelled", **({"statusDetails": reason} if reason else {})},
        )
    elif state == "terminated" and contract is not None:
        signed = event.from_state != "awarded"
        row = {**_contract_ref(story, contract), "status": "terminated" if signed else "cancelled"}
        if reason:
            row["statusDetails"] = reason
        sections = {"contracts": [row]}
        if not signed and story.award_id:
            sections["awards"] = [{"id": story.award_id, "status": "cancelled"}]
        story.add(event, "contractTermination" if signed else "awardUpdate", **sections)


def _releases_of(notice: Notice, events: list[AuditEvent], milestones: dict) -> list[dict]:
    """The releases of one notice, from its public events, oldest first."""
    story = _Story(notice)
    story.role(notice.purchaser, "buyer", "procuringEntity")
    later = _changed_later(events)
    contract = notice.contract
    selections = {s.round: s for s in notice.selections}
    opened = opened_bids(notice)
    for event in events:
        data = event.data or {}
        if _is(event, "published"):
            story.add(event, "tender", tender=_tender(notice, later[event.id], None))
        elif event.action == "revised":
            changed = set(data.get("changed") or ())
            tender = _tender(notice, later[event.id], changed)
            tender["amendments"] = [
                {
                    "id": f"revision-{data.get('revision')}",
                    "date": iso(event.occurred_dt),
                    "rationale": str(data.get("summary") or "公告修改"),  # i18n: data
                }
            ]
            story.add(event, "tenderAmendment", tender=tender)
        elif _is(event, "bidding_closed") and event.from_state == "published":
            _opening(story, event, opened)
        elif _is(event, "selected"):
            _award(story, event, selections.get(data.get("round") or 1))
        elif _is(event, "publicity"):
            until = data.get("until")
            text = "结果公示"  # i18n: data
            if until:
                text = f"结果公示至 {iso(datetime.fromisoformat(until))}"  # i18n: data
            text += "，公示期内参与报价的机构可提出异议"  # i18n: data
            _award_update(story, event, "pending", text)
        elif _is(event, "bidding_closed") and event.from_state == "publicity":
            _award_update(story, event, "cancelled", "异议成立，重新选取")  # i18n: data
        elif _is(event, "awarded"):
            _award_update(story, event, "active")
        elif _is(event, "contracted") and event.from_state == "awarded" and contract:
            _contract(story, event, contract)
        elif event.action == "transition" and event.to_state in ("delivered", "accepted"):
            if contract is not None:
                _delivery(story, event, contract)
        elif _is(event, "contracted") and event.from_state == "delivered" and contract:
            _delivery(story, event, contract)
        elif event.action == "payment" and contract is not None:
            milestone = milestones.get(data.get("milestone_id"))
            if milestone is not None:
                _payment(story, event, contract, milestone)
        elif event.action == "transition" and event.to_state in (
            "failed",
            "cancelled",
            "terminated",
        ):
            _ending(story, event, contract)
    return story.releases


def public_notices(published_from=None, published_to=None):
    """SELECT of the published notices (never a draft), in publication order, within the
    given UTC bounds [from, to)."""
    stmt = select(Notice).where(Notice.published_dt.is_not(None))
    if published_from is not None:
        stmt = stmt.where(Notice.published_dt >= published_from)
    if published_to is not None:
        stmt = stmt.where(Notice.published_dt < published_to)
    return stmt.order_by(Notice.published_dt, Notice.id)


def releases_for(notices: list[Notice]) -> dict[int, list[dict]]:
    """Per notice id, its releases (read with a fixed number of queries for the whole page),
    in Chinese whatever the language of whoever asks: a published format."""
    with in_language(DEFAULT_LANGUAGE):
        return _releases_for(notices)


def _releases_for(notices: list[Notice]) -> dict[int, list[dict]]:
    if not notices:
        return {}
    ids = [n.id for n in notices]
    loaded = db.session.scalars(
        select(Notice)
        .where(Notice.id.in_(ids))
        .options(
            selectinload(Notice.purchaser),
            selectinload(Notice.item),
            selectinload(Notice.bids).selectinload(Bid.agency),
            selectinload(Notice.selections),
            selectinload(Notice.contract).selectinload(Contract.purchaser),
            selectinload(Notice.contract).selectinload(Contract.agency),
        )
    ).all()
    by_id = {n.id: n for n in loaded}
    contracts = {n.contract.id: n.id for n in loaded if n.contract is not None}
    subjects = [and_(AuditEvent.subject_type == "notice", AuditEvent.subject_id.in_(ids))]
    if contracts:
        subjects.append(
            and_(AuditEvent.subject_type == "contract", AuditEvent.subject_id.in_(contracts))
        )
    events = defaultdict(list)
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.public.is_(True), or_(*subjects))
        .order_by(AuditEvent.occurred_dt, AuditEvent.id)
    )
    for event in rows:
        owner = event.subject_id if event.subject_type == "notice" else contracts[event.subject_id]
        events[owner].append(event)
    milestones = defaultdict(dict)
    if contracts:
        for m in db.session.scalars(select(Milestone).where(Milestone.contract_id.in_(contracts))):
            milestones[contracts[m.contract_id]][m.id] = m
    return {n.id: _releases_of(by_id[n.id], events[n.id], milestones[n.id]) for n in notices}
