"""The notice state machine: the explicit table, the actor's right, the audit trail."""

import pytest

from market.core.audit import events_for
from market.core.errors import NotAllowed, ServiceError
from market.procurement.states import NOTICE, party_of, transition

TRANSITIONS = {(m.source, m.target) for m in NOTICE.moves()}


def test_every_state_in_the_table_is_a_known_state():
    for from_state, to_state in TRANSITIONS:
        assert from_state in NOTICE and to_state in NOTICE


def test_lifecycle_is_reachable_from_draft_to_evaluated():
    reachable, frontier = {"draft"}, ["draft"]
    while frontier:
        state = frontier.pop()
        for a, b in TRANSITIONS:
            if a == state and b not in reachable:
                reachable.add(b)
                frontier.append(b)
    assert {
        "published",
        "bidding_closed",
        "selected",
        "publicity",
        "awarded",
        "contracted",
        "delivered",
        "accepted",
        "evaluated",
        "failed",
        "cancelled",
    } <= reachable


def test_terminal_states_have_no_way_out():
    for terminal in ("evaluated", "failed", "cancelled"):
        assert not [t for (a, t) in TRANSITIONS if a == terminal]


def test_a_move_outside_the_table_is_refused_with_both_states_named(make):
    notice = make.notice(publish=False)
    buyer = notice.created_by
    with pytest.raises(ServiceError, match="「草稿」，不能变为「已评价（办结）」"):
        transition(notice, "evaluated", buyer)
    assert notice.state == "draft"


def test_only_the_owning_purchaser_may_publish(make):
    notice = make.notice(publish=False)
    other_buyer = make.purchaser()
    with pytest.raises(NotAllowed):
        transition(notice, "published", other_buyer)
    with pytest.raises(NotAllowed):
        transition(notice, "published", make.agency())
    assert notice.state == "draft"


def test_people_cannot_make_system_moves(make):
    notice = make.notice()
    with pytest.raises(NotAllowed):
        transition(notice, "bidding_closed", notice.created_by)
    assert notice.state == "published"


def test_each_transition_writes_an_audit_event_with_actor_and_states(make):
    notice = make.notice()
    events = [e for e in events_for("notice", notice.id) if e.action == "transition"]
    assert [(e.from_state, e.to_state) for e in events] == [("draft", "published")]
    assert events[0].actor_user_id == notice.created_by.id
    assert events[0].actor_org_id == notice.purchaser_org_id


def test_party_of_names_each_role(make):
    notice, buyer, winner = make.contracted_notice()
    assert party_of(notice, buyer) == "purchaser"
    assert party_of(notice, winner) == "agency"
    assert party_of(notice, make.staff("regulator")) == "regulator"
    assert party_of(notice, make.staff("operator", "平台运营中心")) == "operator"
    assert party_of(notice, make.agency()) is None
    assert party_of(notice, None) == "system"


def test_database_refuses_an_unknown_state(make, db):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    notice = make.notice()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            text("UPDATE notices SET state = 'won' WHERE id = :id"), {"id": notice.id}
        )
