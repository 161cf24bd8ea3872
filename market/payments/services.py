"""The payments domain's public interface for views, webhooks, the worker, the CLI, the demo
and tests. The rules live in deadlines.py (milestones and their deadlines), transfers.py
(offline bank transfers), held.py (online payment with held funds), payouts.py (the agencies'
payout accounts) and access.py (who may do what).

Services flush; the view, webhook, worker or CLI command that called them commits. A call to
the gateway is made only after the row it concerns is committed (the views do it in two
steps), so a crash in between leaves a row reconciliation finds.
"""

from .access import (  # noqa: F401
    Steps,
    can_read,
    contract_milestones,
    milestones_query,
    online,
    party_of,
    payout_account,
    steps,
)
from .deadlines import (  # noqa: F401
    apply_due,
    apply_due_of_contract,
    contract_ended,
    create_milestones,
    event_happened,
    load,
    run_due,
)
from .held import (  # noqa: F401
    find_payment,
    open_attempt,
    payment_failed,
    payment_succeeded,
    refund_held,
    refunded,
    release,
    release_accepted,
    send_attempt,
    transferred,
)
from .payouts import (  # noqa: F401
    account_updated,
    ensure_payout_account,
    onboarding_url,
    refresh_account,
)
from .transfers import (  # noqa: F401
    confirm_receipt,
    decide_dispute,
    dispute_payment,
    disputes_query,
    record_transfer,
)
