"""The procurement domain's public API for views, the CLI, other domains and tests.

The rules live in notices.py, bids.py, selection/, objections.py and contracts.py.
"""

from .bids import (  # noqa: F401
    agency_bids_query,
    bid_document_readers,
    submit_bid,
    visible_bid_count,
    visible_bids,
)
from .contracts import accept_and_evaluate, mark_delivered  # noqa: F401
from .notices import (  # noqa: F401
    NoticeData,
    cancel_notice,
    create_notice,
    earliest_deadline,
    listed,
    load_notice,
    opportunities_query,
    own_notice,
    public_notices_query,
    publish_notice,
    purchaser_notices_query,
    update_notice,
)
from .selection import select_bid  # noqa: F401
