"""What agencies do when other domains announce facts: a profile for every agency registered,
past performance and ratings from completed and evaluated contracts."""

from ..core.clock import utcnow
from ..extensions import db
from . import documents
from .qualifications import expire_due
from .services import (
    add_rating,
    ensure_profile,
    record_past_performance,
    tell_offering_agencies,
)


def on_organisation_registered(org, **_):
    if org.kind == "agency":
        ensure_profile(org)


def on_contract_completed(contract, **facts):
    record_past_performance(contract.id, **facts)


def on_contract_evaluated(evaluation, contract_id, agency_org_id, scores, **_):
    add_rating(agency_org_id, contract_id, scores)


def on_catalogue_item_revised(item, kind, version, reason, **_):
    tell_offering_agencies(item, kind, reason)


def expire_qualifications() -> int:
    """The worker's round: qualifications past their valid-until date expire; committed."""
    expired = expire_due()
    db.session.commit()
    return expired


def discard_held_uploads() -> int:
    """The worker's round: files held for a form never saved are deleted after a day."""
    paths = documents.discard_stale_held(utcnow())
    db.session.commit()
    documents.remove_files(paths)
    return len(paths)


def connect(signals) -> None:
    signals.organisation_registered.connect(on_organisation_registered)
    signals.contract_completed.connect(on_contract_completed)
    signals.contract_evaluated.connect(on_contract_evaluated)
    signals.catalogue_item_revised.connect(on_catalogue_item_revised)
