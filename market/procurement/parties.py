"""What objections, contracts and deliveries share: the regulator in charge of a notice, files
the parties upload, and who may read those files."""

from flask import current_app
from sqlalchemy import select

from ..agencies.documents import Upload, sniff_content_type, store_document
from ..agencies.models import Document
from ..core.errors import NotAllowed, ServiceError, format_size
from ..extensions import db
from .contract_models import Contract, Delivery, delivery_documents
from .models import Bid, Notice, Objection, Selection, objection_documents


def check_regulator(user, notice: Notice) -> None:
    """Only a regulator of the notice item's approving department (审批部门) may act on it."""
    org = getattr(user, "organisation", None)
    department = notice.item.approving_department
    if org is None or org.kind != "regulator" or (org.department or "").strip() != department:
        raise NotAllowed(f"只有「{department}」的监管部门可以办理本项目的此项事务")


def check_uploads(uploads: list[Upload], field: str = "files", pdf_only: bool = False) -> None:
    """Refuse a bad file before anything is stored, so a refusal leaves nothing behind (the
    library's own check would only catch it after the files before it were written)."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    for upload in uploads:
        name = upload.filename or "所选文件"
        if not upload.content:
            raise ServiceError(f"文件「{name}」为空，请重新选择", field)
        if len(upload.content) > limit:
            raise ServiceError(
                f"文件「{name}」大小 {format_size(len(upload.content))}，超过上限 "
                f"{format_size(limit)}",
                field,
            )
        content_type = sniff_content_type(upload.content)
        if pdf_only and content_type != "application/pdf":
            raise ServiceError(f"文件「{name}」不是 PDF 文件：合同文本只接受 PDF", field)
        if content_type is None:
            raise ServiceError(f"文件「{name}」类型不支持：只接受 PDF、JPG 或 PNG 文件", field)


def store_uploads(user, kind: str, uploads: list[Upload]) -> list[Document]:
    """Store checked uploads in the user's organisation library as documents of `kind`."""
    return [
        store_document(
            user, Upload(kind, u.title.strip() or u.filename or "附件", u.filename, u.content)
        )
        for u in uploads
    ]


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
