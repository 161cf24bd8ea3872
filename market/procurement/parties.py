"""What objections, contracts and deliveries share: the regulator in charge of a notice, and
who may read the files the parties upload."""

from sqlalchemy import select

from ..agencies.models import Document
from ..core.errors import NotAllowed
from ..core.i18n import _
from ..extensions import db
from .contract_models import Contract, Delivery, delivery_documents
from .models import Bid, Notice, Objection, Selection, objection_documents


def check_regulator(user, notice: Notice) -> None:
    """Only a regulator of the notice item's approving department (审批部门) may act on it."""
    org = getattr(user, "organisation", None)
    department = notice.item.approving_department
    if org is None or org.kind != "regulator" or (org.department or "").strip() != department:
        raise NotAllowed(
            _("只有「%(department)s」的监管部门可以办理本项目的此项事务", department=department)
        )


def party_document_readers(document: Document) -> set[int]:
    """The organisations a procurement file is shared with: an objection's files with the
    purchaser and the agency whose result it objects to; the signed contract and the
    deliverables with both parties of the contract."""
    readers = set()
    objected = db.session.execute(
        select(Notice.purchaser_org_id, Bid.agency_org_id)
        .select_from(objection_documents)
        .join(Objection, Objection.id == objection_documents.c.objection_id)
        .join(Notice, Notice.id == Objection.notice_id)
        .join(Selection, Selection.id == Objection.selection_id)
        .outerjoin(Bid, Bid.id == Selection.winner_bid_id)
        .where(objection_documents.c.document_id == document.id)
    )
    contracted = db.session.execute(
        select(Contract.purchaser_org_id, Contract.agency_org_id).where(
            Contract.document_id == document.id
        )
    )
    delivered = db.session.execute(
        select(Contract.purchaser_org_id, Contract.agency_org_id)
        .join(Delivery, Delivery.contract_id == Contract.id)
        .join(delivery_documents, delivery_documents.c.delivery_id == Delivery.id)
        .where(delivery_documents.c.document_id == document.id)
    )
    for rows in (objected, contracted, delivered):
        for row in rows:
            readers.update(org_id for org_id in row if org_id is not None)
    return readers
