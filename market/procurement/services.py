"""The procurement domain's public interface for views, the CLI, other domains and tests:
other packages import this module and the models (models.py, contract_models.py), never the
rest (an import-linter contract in pyproject.toml says so).

The rules live in notices.py, bids.py, selection/, objections.py, contracts.py,
evaluations.py and questions.py.
"""

from .bid_changes import (  # noqa: F401
    SUPERSEDED_LABELS,
    quote_barrier,
    receipts_of,
    replace_bid,
    superseded_receipts,
    withdraw_bid,
)
from .bids import (  # noqa: F401
    OPENED_STATUSES,
    SUPERVISING,
    agency_bids_query,
    bid_document_readers,
    bids_sealed,
    commitment_matches,
    commitment_payload,
    eligible_bids,
    lock_for_quote,
    opened_bids,
    own_bid,
    reconfirm_bid,
    sealed_bid_ids,
    submit_bid,
    took_part,
    visible_bid_count,
    visible_bids,
)
from .contracts import (  # noqa: F401
    accept_and_evaluate,
    accept_delivery,
    check_deliverer,
    check_terminator,
    current_delivery,
    mark_delivered,
    return_delivery,
    sign_contract,
    terminate_contract,
)
from .evaluations import (  # noqa: F401
    agency_replies,
    answer_rectification,
    check_answerer,
    check_replier,
    dimensions_for,
    evaluate,
    may_reply,
    notice_rectifications,
    readable_rectifications,
    record_followup,
    rectification_counts,
    rectification_rates,
    rectifications_query,
    reply_to_evaluation,
    revealed,
    visible_evaluations,
)
from .listing import (  # noqa: F401
    NoticeRow,
    as_rows,
    listed,
    notice_rows,
    opportunities_query,
    public_notices_query,
    purchaser_notices_query,
    quoted_notice_ids,
    taking_bids,
)
from .notices import (  # noqa: F401
    NoticeData,
    NoticeRead,
    cancel_notice,
    create_notice,
    earliest_deadline,
    load_notice,
    notice_attachment_readers,
    own_notice,
    public_head,
    publish_notice,
    read_notice,
    republish_notice,
    republished_as,
    update_notice,
)
from .objections import (  # noqa: F401
    answer_objection,
    blocking_objections,
    can_read_objection,
    check_bidder,
    decide_objection,
    file_objection,
    may_object,
)
from .panels import detail_panel  # noqa: F401
from .parties import check_regulator, party_document_readers  # noqa: F401
from .payment_plan import EVENTS as PAYMENT_EVENTS  # noqa: F401
from .payment_plan import default_plan, milestones_of, split_amount  # noqa: F401
from .questions import (  # noqa: F401
    QuestionAccess,
    answer_question,
    ask_question,
    check_asker,
    notice_questions,
    question_access,
    waiting_questions_query,
)
from .reminders import remind_due  # noqa: F401
from .runner import apply_due_of, apply_due_shown, due_notices_of, run_due  # noqa: F401
from .selecting import close_bidding, reselect, score_bids, select_bid, start_publicity, take_step  # noqa: F401
from .selection import method_keys, registered  # noqa: F401
from .states import party_of, sealed_states, state_labels  # noqa: F401
from .timeline import public_timeline  # noqa: F401
from .verification import lottery_share, verify_selection  # noqa: F401
from .versions import shown_on_notice_page  # noqa: F401
