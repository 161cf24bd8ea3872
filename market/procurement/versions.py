"""Each notice's page version (Notice.page_version), raised in the same transaction as every
change to what its public page shows: the notice itself, its bids, selections, objections,
avoidances, attachments and questions (答疑), its contract and the contract's deliveries and
evaluations, and the notice a new one was re-published from (its page links the new one).

The raise happens at flush, from the rows the session writes, so no service has to remember
it; the public page's cache (views.detail, core.pagecache) keys on the version. A bid changes
it only once quotes are no longer sealed: before the deadline the public page is the same
whatever was quoted, and a version raised by a quote would show, in a page rendered afresh
where a kept one was expected, that one exists. What the page
shows from outside the notice (names of organisations, qualifications, document titles)
changes rarely: a cached page keeps it for at most PUBLIC_PAGE_SECONDS.
"""

from itertools import chain

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from .contract_models import Contract, Delivery, Evaluation
from .models import Avoidance, Bid, Notice, NoticeQuestion, Objection, Selection
from .states import sealed_states

#: rows that name their notice (notice_id); bids apart (only once unsealed)
OF_NOTICE = (Selection, Objection, Avoidance, Contract, NoticeQuestion)
#: rows that name their contract (contract_id); other domains add theirs (payments)
OF_CONTRACT = [Delivery, Evaluation]


def shown_on_notice_page(model) -> None:
    """Rows of `model` (with a contract_id) change the public page of their contract's notice."""
    if model not in OF_CONTRACT:
        OF_CONTRACT.append(model)


def changed_notices(session, rows) -> tuple[set[int], set[int], set[int]]:
    """The ids of the notices, of the notices whose bids changed, and of the contracts, whose
    public page `rows` (written by `session`) may change."""
    notices, quoted, contracts = set(), set(), set()
    for row in rows:
        if isinstance(row, Notice):
            # Its own columns, not a collection the ORM appended a new bid to.
            if (
                row in session.new
                or row in session.deleted
                or session.is_modified(row, include_collections=False)
            ):
                notices.update((row.id, row.republished_from_id))
        elif isinstance(row, Bid):
            # A quote on a notice the session holds as sealed changes nothing public: no
            # statement at all (on PostgreSQL quotes share the notice's lock, which an update
            # of its row, even one matching nothing, would have to wait out).
            known = row.__dict__.get("notice")
            if known is None or known.state not in sealed_states():
                quoted.add(row.notice_id)
        elif isinstance(row, OF_NOTICE):
            notices.add(row.notice_id)
        elif isinstance(row, tuple(OF_CONTRACT)):
            contracts.add(row.contract_id)
    for ids in (notices, quoted, contracts):
        ids.discard(None)
    return notices, quoted, contracts


@event.listens_for(Session, "after_flush")
def _raise_versions(session, context):
    # After the flush, new rows have their ids and foreign keys; the sets still hold them.
    rows = chain(session.new, session.dirty, session.deleted)
    notices, quoted, contracts = changed_notices(session, rows)
    if not notices and not quoted and not contracts:
        return
    table = Notice.__table__
    of_contracts = select(Contract.notice_id).where(Contract.id.in_(contracts))
    unsealed = table.c.id.in_(quoted) & table.c.state.not_in(sealed_states())
    session.connection().execute(
        update(table)
        .where(table.c.id.in_(notices) | table.c.id.in_(of_contracts) | unsealed)
        .values(page_version=table.c.page_version + 1)
    )
