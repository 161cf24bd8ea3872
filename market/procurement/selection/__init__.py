"""Selection: closing the bidding and choosing the winner by the notice's method.

base.py holds the common interface and registry, draw.py the verifiable seeded draw, one
module per method (direct, random_draw, lowest, mean_price, scored, credit) the rules,
running.py the services and verify.py the re-run.
"""

from . import credit, direct, lowest, mean_price, random_draw, scored  # noqa: F401 (register)
from .base import Outcome, method_for, registered  # noqa: F401
from .running import (  # noqa: F401
    close_bidding,
    minimum_responses,
    reselect,
    run_selection,
    score_bids,
    select_bid,
    start_publicity,
)
from .verify import Verification, lottery_share, verify_selection  # noqa: F401
