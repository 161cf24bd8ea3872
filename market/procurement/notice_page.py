"""What the notice page shows, loaded in one query per table with statements built once.

The notice comes with its item, purchaser, invited agency and contract (read_notice); this
loads each of its lists the page reads (bids with their agencies, qualifications and
documents, selections, objections, attachments, avoidances, the contract's deliveries,
evaluations and signatures) and sets them on the objects as if the relationships had loaded
them. Loading them through the relationships with loader options costs about half as much
again per list:
the options take part in every statement's cache key.
"""

from collections import defaultdict
from functools import cache

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..agencies.models import Document, Qualification
from ..extensions import db
from .contract_models import ContractSignature, Delivery, Evaluation
from .models import (
    Avoidance,
    Bid,
    Notice,
    Objection,
    Selection,
    bid_documents,
    bid_qualifications,
    notice_attachments,
)


@cache
def _lists() -> dict:
    notice_id = bindparam("notice_id")
    of_notice = select(Bid.id).where(Bid.notice_id == notice_id)
    return {
        "bids": select(Bid)
        .where(Bid.notice_id == notice_id)
        .options(joinedload(Bid.agency))
        .order_by(Bid.id),
        "selections": select(Selection)
        .where(Selection.notice_id == notice_id)
        .order_by(Selection.round),
        "objections": select(Objection)
        .where(Objection.notice_id == notice_id)
        .order_by(Objection.id),
        "attachments": select(Document)
        .join(notice_attachments, notice_attachments.c.document_id == Document.id)
        .where(notice_attachments.c.notice_id == notice_id)
        .order_by(Document.id),
        "avoidances": select(Avoidance)
        .where(Avoidance.notice_id == notice_id)
        .options(joinedload(Avoidance.agency))
        .order_by(Avoidance.id),
        "qualifications": select(bid_qualifications.c.bid_id, Qualification)
        .join(Qualification, Qualification.id == bid_qualifications.c.qualification_id)
        .where(bid_qualifications.c.bid_id.in_(of_notice))
        .order_by(Qualification.id),
        "documents": select(bid_documents.c.bid_id, Document)
        .join(Document, Document.id == bid_documents.c.document_id)
        .where(bid_documents.c.bid_id.in_(of_notice))
        .order_by(Document.id),
    }


@cache
def _contract_lists() -> dict:
    contract_id = bindparam("contract_id")
    return {
        "deliveries": select(Delivery)
        .where(Delivery.contract_id == contract_id)
        .order_by(Delivery.id),
        "evaluations": select(Evaluation)
        .where(Evaluation.contract_id == contract_id)
        .order_by(Evaluation.id),
        "signatures": select(ContractSignature)
        .where(ContractSignature.contract_id == contract_id)
        .options(joinedload(ContractSignature.signer))
        .order_by(ContractSignature.id),
    }


def _per_bid(stmt, values) -> dict[int, list]:
    found = defaultdict(list)
    for bid_id, row in db.session.execute(stmt, values):
        found[bid_id].append(row)
    return found


def load_page(notice: Notice) -> None:
    """Load every list of `notice` its page reads that is not loaded yet."""
    lists, values = _lists(), {"notice_id": notice.id}
    unloaded = inspect(notice).unloaded
    for name in ("bids", "selections", "objections", "attachments", "avoidances"):
        if name in unloaded:
            set_committed_value(notice, name, db.session.scalars(lists[name], values).all())
    for name in ("qualifications", "documents"):
        bids = [b for b in notice.bids if name in inspect(b).unloaded]
        if bids:
            found = _per_bid(lists[name], values)
            for bid in bids:
                set_committed_value(bid, name, found[bid.id])
    contract = notice.contract
    if contract is not None:
        unloaded = inspect(contract).unloaded
        for name, stmt in _contract_lists().items():
            if name in unloaded:
                rows = db.session.scalars(stmt, {"contract_id": contract.id}).all()
                set_committed_value(contract, name, rows)
