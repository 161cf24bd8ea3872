"""Sealed bids for every role × every notice state: who sees which quote, and the count.

Before the deadline nobody but the bidder sees a quote or how many there are; after it the
purchaser and the supervisors see all opened quotes, each bidder its own, and once a winner
is selected everyone sees the winning quote.
"""

import pytest

from market.procurement import services
from market.procurement.states import state_labels

from .selection_web import login

NOTICE_STATES = state_labels()

ROLES = ("anonymous", "purchaser", "bidder_a", "bidder_b", "other_agency", "regulator", "operator")
A, B = 70_000_00, 75_000_00
SHOWN = {A: "¥70,000.00", B: "¥75,000.00"}
#: states reached after a selection, where bidder A has won
AFTER_SELECTION = (
    "selected",
    "publicity",
    "awarded",
    "contracted",
    "delivered",
    "accepted",
    "evaluated",
    "terminated",
)


def _notice_in(make, state, people):
    buyer = people["purchaser"]
    if state == "draft":
        return make.notice(buyer, publish=False)
    fiscal = 100 if state == "failed" else 0  # two responses are too few for fiscal funds
    notice = make.notice(buyer, fiscal_share_pct=fiscal, ceiling_fen=90_000_00)
    bid_a = make.bid(people["bidder_a"], notice, A)
    make.bid(people["bidder_b"], notice, B)
    if state == "cancelled":
        services.cancel_notice(buyer, notice, "项目取消")
    if state in ("published", "cancelled"):
        return notice
    make.close_bidding(notice)
    if state in ("bidding_closed", "failed"):
        assert notice.state == state
        return notice
    services.select_bid(buyer, notice, bid_a.id, "报价最低")
    # Later states only differ here by their name: set it as the contract steps would leave
    # it, without the contract rows those steps create (visibility reads state and winner).
    notice.state = state
    return notice


def _expected(state, role):
    own = {"bidder_a": {A}, "bidder_b": {B}}.get(role, set())
    if state in ("draft",):
        return set()
    if state in ("published", "cancelled", "failed"):
        return own
    if role in ("purchaser", "regulator", "operator"):
        return {A, B}
    if state == "bidding_closed":
        return own
    return own | {A}


def _expected_count(state):
    return None if state in ("draft", "published", "cancelled") else 2


@pytest.fixture
def people(make):
    return {
        "anonymous": None,
        "purchaser": make.purchaser(),
        "bidder_a": make.agency(),
        "bidder_b": make.agency(),
        "other_agency": make.agency(),
        "regulator": make.staff("regulator"),
        "operator": make.staff("operator", "平台运营中心"),
    }


def test_the_matrix_covers_every_state():
    assert set(NOTICE_STATES) == {
        "draft",
        "published",
        "cancelled",
        "failed",
        "bidding_closed",
        *AFTER_SELECTION,
    }


@pytest.mark.parametrize("state", list(NOTICE_STATES))
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_which_quote(app, make, people, state, role):
    notice = _notice_in(make, state, people)
    assert notice.state == state
    user = people[role]
    seen = {b.amount_fen for b in services.visible_bids(notice, user)}
    assert seen == _expected(state, role)
    count = services.visible_bid_count(notice)
    assert count == _expected_count(state)
    if state == "draft" and role not in ("purchaser",):
        return  # a draft exists only for its purchaser (404 for everyone else)
    client = login(app, user) if user is not None else app.test_client()
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    for amount, shown in SHOWN.items():
        assert (shown in page) == (amount in _expected(state, role)), (amount, page)
    if _expected_count(state) is None:
        assert "密封中" in page or state == "draft"
