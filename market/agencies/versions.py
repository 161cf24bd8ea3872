"""Each agency's page version (Agency.page_version), raised in the same transaction as every
change to what its public pages (the storefront and the credit page) show: the agency's own
columns (standing, ratings, description), its organisation, offerings, qualifications,
practitioners and past performance, and the rows other domains declare with
`shown_on_agency_pages` (the credit domain: conduct records, red-list entries, score history).

As with notices (procurement/versions.py) the raise happens at flush, from the rows the session
writes, so no service has to remember it; the pages' cache (core.pagecache) keys on the
version. What a page shows from elsewhere (an item's name, a criterion's wording) is at most
PUBLIC_PAGE_SECONDS old; what changes with time alone (a measure ending, a publication period
running out, a qualification's last valid day) the pages declare while they render.
"""

from itertools import chain

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from .models import Agency, Offering, PastPerformance, Practitioner, Qualification

#: model → the attribute holding the id of the agency whose pages show the row
_SHOWN: dict[type, str] = {
    Organisation: "id",
    Offering: "agency_id",
    Qualification: "agency_id",
    Practitioner: "agency_id",
    PastPerformance: "agency_id",
}


def shown_on_agency_pages(model: type, attribute: str) -> None:
    """Declare that rows of `model` show on the pages of the agency whose organisation id is
    in `attribute`: writing one raises that agency's page version."""
    _SHOWN[model] = attribute


def changed_agencies(session, rows) -> set[int]:
    """The organisation ids of the agencies whose public pages `rows` (written by `session`)
    may change (ids of other organisations among them match no agency)."""
    ids = set()
    for row in rows:
        attribute = "org_id" if isinstance(row, Agency) else _SHOWN.get(type(row))
        # A row's own columns, not a collection the ORM appended to (a bid added to an
        # organisation's must not raise anything: quotes are sealed).
        if attribute is not None and (
            row in session.new
            or row in session.deleted
            or session.is_modified(row, include_collections=False)
        ):
            ids.add(getattr(row, attribute))
    ids.discard(None)
    return ids


@event.listens_for(Session, "after_flush")
def _raise_versions(session, context):
    # After the flush, new rows have their ids and foreign keys; the sets still hold them.
    ids = changed_agencies(session, chain(session.new, session.dirty, session.deleted))
    if ids:
        table = Agency.__table__
        session.connection().execute(
            update(table)
            .where(table.c.org_id.in_(ids))
            .values(page_version=table.c.page_version + 1)
        )
