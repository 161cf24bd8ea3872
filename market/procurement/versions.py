"""Each notice's page version (Notice.page_version), raised in the same transaction as every
change to what its public page shows: the notice itself, its bids, selections, objections,
avoidances and attachments, its contract and the contract's deliveries and evaluations, and
the notice a new one was re-published from (its page links the new one).

The raise happens at flush, from the rows the session writes, so no service has to remember
it; the public page's cache (views.detail, core.pagecache) keys on the version. What the page
shows from outside the notice (names of organisations, qualifications, document titles)
changes rarely: a cached page keeps it for at most PUBLIC_PAGE_SECONDS.
"""

from itertools import chain

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from .contract_models import Contract, Delivery, Evaluation
from .models import Avoidance, Bid, Notice, Objection, Selection

#: rows that name their notice (notice_id)
OF_NOTICE = (Bid, Selection, Objection, Avoidance, Contract)
#: rows that name their contract (contract_id)
OF_CONTRACT = (Delivery, Evaluation)


def changed_notices(rows) -> tuple[set[int], set[int]]:
    """The ids of the notices, and of the contracts, whose public page `rows` change."""
    notices, contracts = set(), set()
    for row in rows:
        if isinstance(row, Notice):
            notices.update((row.id, row.republished_from_id))
        elif isinstance(row, OF_NOTICE):
            notices.add(row.notice_id)
        elif isinstance(row, OF_CONTRACT):
            contracts.add(row.contract_id)
    notices.discard(None)
    contracts.discard(None)
    return notices, contracts


@event.listens_for(Session, "after_flush")
def _raise_versions(session, context):
    # After the flush, new rows have their ids and foreign keys; the sets still hold them.
    notices, contracts = changed_notices(chain(session.new, session.dirty, session.deleted))
    if not notices and not contracts:
        return
    table = Notice.__table__
    of_contracts = select(Contract.notice_id).where(Contract.id.in_(contracts))
    session.connection().execute(
        update(table)
        .where(table.c.id.in_(notices) | table.c.id.in_(of_contracts))
        .values(page_version=table.c.page_version + 1)
    )
