"""Practitioners (从业人员): named with their certificate; ID numbers checked, kept, never shown."""

from dataclasses import dataclass

from sqlalchemy import select
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from ..accounts.services import require_commitment, sign_commitment
from ..core.audit import record_event
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _
from ..extensions import db
from .documents import own_document
from .models import Practitioner
from .services import agency_of


@dataclass
class PractitionerData:
    name: str
    certificate: str
    certificate_number: str
    id_number: str
    document_id: int | None = None
    commitment_signed: bool = False


def normalise_id_number(value: str) -> str:
    """A resident identity card number (GB 11643): 18 characters, a real birth date, and the
    check digit. Unlike ric.validate() we do not test the area code against the birth year:
    numbers are assigned at issue, so people born before their district existed hold valid ones.
    """
    number = ric.compact(value or "").upper()
    message = _("身份证号码不正确（18位，最后一位为校验码）")
    if len(number) != 18 or not number[:-1].isdigit():
        raise ServiceError(message, "id_number")
    try:
        ric.get_birth_date(number)
    except ValidationError as exc:
        raise ServiceError(_("身份证号码中的出生日期无效"), "id_number") from exc
    if number[-1] != ric.calc_check_digit(number):
        raise ServiceError(message, "id_number")
    return number


def add_practitioner(user, data: PractitionerData) -> Practitioner:
    """Declare a practitioner of the agency (covered by a signed commitment)."""
    agency = agency_of(user)
    for field, message in (
        ("name", _("请填写姓名")),
        ("certificate", _("请填写执业资格证书名称")),
        ("certificate_number", _("请填写证书编号")),
    ):
        if not getattr(data, field).strip():
            raise ServiceError(message, field)
    id_number = normalise_id_number(data.id_number)
    if db.session.scalar(
        select(Practitioner.id).where(
            Practitioner.agency_id == agency.org_id, Practitioner.id_number == id_number
        )
    ):
        raise ServiceError(_("该身份证号码的从业人员已登记"), "id_number")
    if data.document_id is not None:
        own_document(agency.org_id, data.document_id)
    require_commitment(data.commitment_signed)
    practitioner = Practitioner(
        agency_id=agency.org_id,
        name=data.name.strip(),
        certificate=data.certificate.strip(),
        certificate_number=data.certificate_number.strip(),
        id_number=id_number,
        document_id=data.document_id,
    )
    db.session.add(practitioner)
    db.session.flush()
    sign_commitment(user, "practitioner", practitioner.id)
    record_event(
        "practitioner",
        practitioner.id,
        "created",
        actor=user,
        data={"certificate_number": practitioner.certificate_number},
    )
    return practitioner


def own_practitioner(user, practitioner_id: int) -> Practitioner:
    """One of the user's agency's practitioners; NotAllowed for anyone else's (or none)."""
    agency = agency_of(user)
    practitioner = db.session.get(Practitioner, practitioner_id)
    if practitioner is None or practitioner.agency_id != agency.org_id:
        raise NotAllowed(_("只能管理本机构的从业人员"))
    return practitioner


def set_practitioner_active(user, practitioner_id: int, active: bool) -> Practitioner:
    """Mark a practitioner as having left (or returned to) the agency."""
    practitioner = own_practitioner(user, practitioner_id)
    practitioner.active = active
    db.session.flush()
    record_event(
        "practitioner", practitioner.id, "activated" if active else "deactivated", actor=user
    )
    return practitioner


def masked_id_number(id_number: str) -> str:
    """For the agency's own list: enough to tell people apart, never the whole number."""
    return f"{id_number[:3]}{'*' * 11}{id_number[-4:]}"
