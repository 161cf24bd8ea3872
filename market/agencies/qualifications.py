"""Qualifications under 告知承诺: declared and usable at once, verified or rejected by the
owning department's regulator, expired automatically on their valid-until date."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.services import require_commitment, sign_commitment
from ..catalogue.models import ServiceItem
from ..core.audit import record_event
from ..core.clock import local_today, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..core.signals import qualification_rejected
from ..extensions import db
from .documents import own_document
from .models import EXPIRY_WARNING_DAYS, QUALIFICATION, QUALIFICATION_GRADES, Qualification
from .services import agency_of


@dataclass
class QualificationData:
    item_id: int
    type: str
    grade: str
    number: str
    issuer: str
    valid_until: date
    document_id: int | None = None
    commitment_signed: bool = False


def declare_qualification(user, data: QualificationData) -> Qualification:
    """Declare a qualification for a catalogue item; usable at once, marked declared."""
    agency = agency_of(user)
    item = db.session.get(ServiceItem, data.item_id)
    if item is None or item.status not in ("published", "online"):
        raise ServiceError(_("所选中介服务事项不存在或未公布"), "item_id")
    missing = (
        ("type", _("请填写资质类型")),
        ("number", _("请填写证书编号")),
        ("issuer", _("请填写发证机关")),
    )
    for field, message in missing:
        if not getattr(data, field).strip():
            raise ServiceError(message, field)
    if data.grade not in QUALIFICATION_GRADES:
        raise ServiceError(_("请选择资质等级"), "grade")
    if data.valid_until is None or data.valid_until <= local_today():
        raise ServiceError(_("有效期至应晚于今天；已过期的资质不能声明"), "valid_until")
    number = data.number.strip()
    duplicate = db.session.scalar(
        select(Qualification.id).where(
            Qualification.agency_id == agency.org_id,
            Qualification.number == number,
            Qualification.item_id == item.id,
            Qualification.status.in_(QUALIFICATION.where(usable=True)),
        )
    )
    if duplicate:
        raise ServiceError(_("证书编号 %(number)s 已声明，无需重复添加", number=number), "number")
    if data.document_id is not None:
        own_document(agency.org_id, data.document_id)
    require_commitment(data.commitment_signed)
    qualification = Qualification(
        agency_id=agency.org_id,
        item_id=item.id,
        type=data.type.strip(),
        grade=data.grade,
        number=number,
        issuer=data.issuer.strip(),
        valid_until=data.valid_until,
        document_id=data.document_id,
        status="declared",
        declared_dt=utcnow(),
    )
    db.session.add(qualification)
    db.session.flush()
    sign_commitment(user, "qualification", qualification.id)
    record_event(
        "qualification",
        qualification.id,
        "declared",
        actor=user,
        to_state="declared",
        data={"item": item.code, "number": number},
    )
    return qualification


def transition(qualification, to_state, actor=None, note="", at=None) -> None:
    """Move a qualification along its lifecycle (models.QUALIFICATION) if the actor may;
    audit it."""
    from_state = qualification.status
    party = "system" if actor is None else getattr(actor.organisation, "kind", None)
    QUALIFICATION.change(qualification, to_state, party)
    qualification.decided_dt = at or utcnow()
    if actor is not None:
        qualification.decided_by_id = actor.id
        qualification.decision_note = note
    record_event(
        "qualification",
        qualification.id,
        "transition",
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        data={"note": note} if note else {},
        occurred_dt=qualification.decided_dt,
    )


def supervises(user, qualification: Qualification) -> bool:
    """Whether the user's department owns the qualification's catalogue item."""
    org = getattr(user, "organisation", None)
    return bool(
        org is not None
        and org.kind == "regulator"
        and org.department
        and org.department == qualification.item.approving_department
    )


def check_decider(user, qualification_id: int) -> Qualification | None:
    """The qualification (None if there is none) when the user's department decides on it;
    NotAllowed for anyone else."""
    qualification = db.session.get(Qualification, qualification_id)
    if qualification is not None and not supervises(user, qualification):
        raise NotAllowed(
            _(
                "只有%(department)s的监管人员可以核验该资质",
                department=qualification.item.approving_department,
            )
        )
    return qualification


def _decidable(user, qualification_id: int) -> Qualification:
    qualification = check_decider(user, qualification_id)
    if qualification is None:
        raise ServiceError(_("该资质不存在"))
    return qualification


def verify_qualification(user, qualification_id: int, note: str = "") -> Qualification:
    """A regulator of the owning department confirms a declared qualification."""
    qualification = _decidable(user, qualification_id)
    transition(qualification, "verified", user, note.strip())
    return qualification


def reject_qualification(user, qualification_id: int, reason: str) -> Qualification:
    """A regulator finds a declaration false: it leaves bids and is reported as a violation."""
    qualification = _decidable(user, qualification_id)
    if not reason.strip():
        raise ServiceError(_("请填写核验不通过的理由"), "reason")
    transition(qualification, "rejected", user, reason.strip())
    qualification_rejected.send(qualification, actor=user, reason=reason.strip())
    return qualification


def expire_due(now: datetime | None = None) -> int:
    """Expire usable qualifications whose valid-until date has passed (idempotent)."""
    today = local_today(now)
    due = db.session.scalars(
        select(Qualification).where(
            Qualification.status.in_(QUALIFICATION.where(usable=True)),
            Qualification.valid_until < today,
        )
    ).all()
    for qualification in due:
        transition(qualification, "expired", None)
    db.session.flush()
    return len(due)


def usable_qualifications(agency_id: int, item_id: int | None = None, now=None):
    """Declared or verified and still valid today: what a bid may cite."""
    stmt = (
        select(Qualification)
        .where(
            Qualification.agency_id == agency_id,
            Qualification.status.in_(QUALIFICATION.where(usable=True)),
            Qualification.valid_until >= local_today(now),
        )
        .order_by(Qualification.id)
    )
    if item_id is not None:
        stmt = stmt.where(Qualification.item_id == item_id)
    return list(db.session.scalars(stmt))


def expiring_soon(agency_id: int, now=None) -> list[Qualification]:
    """Usable qualifications that expire within EXPIRY_WARNING_DAYS."""
    today = local_today(now)
    return [
        q
        for q in usable_qualifications(agency_id, now=now)
        if (q.valid_until - today).days <= EXPIRY_WARNING_DAYS
    ]


def pending_for_department(department: str):
    """Declared qualifications awaiting the department's verification, oldest first."""
    return (
        select(Qualification)
        .join(Qualification.item)
        .where(
            Qualification.status == "declared",
            ServiceItem.approving_department == department,
        )
        .options(selectinload(Qualification.agency), selectinload(Qualification.item))
        .order_by(Qualification.declared_dt)
    )
