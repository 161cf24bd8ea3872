"""Who may read a payment's voucher: the agency paid, besides the purchaser that uploaded it
(regulators and operators read every file)."""

from sqlalchemy import select

from ..extensions import db
from .models import Milestone, Payment


def voucher_readers(document) -> set[int]:
    if document.kind != "voucher":
        return set()
    return set(
        db.session.scalars(
            select(Milestone.agency_org_id)
            .join(Payment, Payment.milestone_id == Milestone.id)
            .where(Payment.document_id == document.id)
        )
    )
