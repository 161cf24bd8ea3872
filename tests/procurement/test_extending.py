"""The lifecycle and the selection methods are declared once: a state and a method declared
here, in test code and nowhere else, are picked up by the runner, the timeline, the badges,
the lists, the notice form, the draw page and the schema check (which asks for a migration)."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import CheckConstraint

from market.core.audit import events_for
from market.core.lifecycle import Move
from market.core.schema import check_constraint_differences
from market.procurement import services
from market.procurement.runner import run_due
from market.procurement.selection import base
from market.procurement.selection.base import Outcome, SelectionMethod
from market.procurement.states import NOTICE, NoticeState, transition

from .selection_web import login


@contextmanager
def migrated(db, table, name):
    """What the migration would do, inside the test's transaction (rolled back with it).
    PostgreSQL replaces the constraint by the one the models now declare; SQLite cannot alter
    a constraint in place, so its checks are off for the connection meanwhile."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        (constraint,) = [
            c
            for c in db.metadata.tables[table].constraints
            if isinstance(c, CheckConstraint) and c.name == name
        ]
        sql = constraint.sqltext.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({sql})")
        yield
        assert check_constraint_differences(conn, db.metadata) == []
    else:
        conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")


@pytest.fixture
def on_hold():
    """A state 暂停 (on_hold): a purchaser may pause a notice taking quotes; if it is still
    paused at the bidding deadline, it fails (流标) by the handler registered here."""
    NOTICE.add_state(
        NoticeState("on_hold", "暂停报价", "dark", "公告暂停", due="deadline_dt", sealed=True)
    )
    NOTICE.add_move(Move("published", "on_hold", {"purchaser"}))
    NOTICE.add_move(Move("on_hold", "failed", {"system"}))

    @NOTICE.when_due("on_hold")
    def paused_past_deadline(notice, at):
        notice.outcome_note = "暂停至报价截止，未恢复"
        transition(notice, "failed", None, at=at, reason=notice.outcome_note)

    yield
    NOTICE.remove_state("on_hold")


def test_a_new_state_is_picked_up_by_the_runner_timeline_badges_and_schema_check(
    app, db, make, client, frozen_clock, on_hold
):
    differences = check_constraint_differences(db.session.connection(), db.metadata)
    (state_check,) = [d for d in differences if "ck_notices_state" in d]
    assert "on_hold" in state_check  # the models declare it: a migration is missing
    notice = make.notice()
    rival = make.agency()
    make.bid(make.agency(), notice)
    with migrated(db, "notices", "ck_notices_state"):
        transition(notice, "on_hold", notice.created_by, reason="补充勘察范围")
        db.session.flush()
        assert notice.due_dt == notice.deadline_dt  # its deadline, as declared

        page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
        assert '<span class="badge text-bg-dark">暂停报价</span>' in page
        assert "公告暂停" in page  # the timeline names arriving in it
        assert "密封中，截止后公开" in page  # sealed, as declared: not even a count
        listing = client.get("/notices/?state=on_hold").get_data(as_text=True)
        assert f'href="/notices/{notice.id}"' in listing and "暂停报价" in listing
        own_view = login(app, rival).get(f"/notices/{notice.id}").get_data(as_text=True)
        assert "¥80,000.00" not in own_view  # another bidder's quote stays sealed

        frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
        assert run_due() == 1
        assert notice.state == "failed" and notice.due_dt is None
        moves = [(e.from_state, e.to_state) for e in events_for("notice", notice.id)]
        assert moves[-2:] == [("published", "on_hold"), ("on_hold", "failed")]


def _highest_bid_id(candidates, seed, settings):
    """The throw-away rule: the latest bid wins (pure, so a selection re-runs)."""
    if not candidates:
        return Outcome(None, {}, "没有可参与选取的有效响应")
    winner = max(c["bid_id"] for c in candidates)
    return Outcome(winner, {"latest": winner}, summary="最后提交者中选")


@pytest.fixture
def latest_wins():
    method = base.register(
        SelectionMethod(
            "latest",
            "后到者中选",
            "latest-bid-v1",
            _highest_bid_id,
            order=70,
            description="最后一份有效报价中选（测试用）。",
        )
    )
    yield method
    base.unregister("latest")


def test_a_new_method_is_one_declaration(app, db, make, client, frozen_clock, latest_wins):
    differences = check_constraint_differences(db.session.connection(), db.metadata)
    (method_check,) = [d for d in differences if "ck_notices_method" in d]
    assert "latest" in method_check
    buyer = make.purchaser()
    form = login(app, buyer).get("/notices/new").get_data(as_text=True)
    assert '<option value="latest">后到者中选</option>' in form
    assert "后到者中选：最后一份有效报价中选（测试用）。" in form
    with migrated(db, "notices", "ck_notices_method"):
        notice = make.notice(buyer, method="latest")
        first = make.bid(make.agency(), notice, amount_fen=70_000_00)
        last = make.bid(make.agency(), notice, amount_fen=90_000_00)
        assert first.id < last.id
        frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
        run_due()  # automatic: no purchaser step declared, so it selects at the deadline
        assert notice.state == "publicity" and notice.selected_bid is last
        (selection,) = notice.selections
        assert selection.algorithm == "latest-bid-v1" and services.verify_selection(selection).ok
        page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
        assert "选取方式：后到者中选" in page and "最后提交者中选" in page
        draw = client.get(f"/notices/{notice.id}/draw").get_data(as_text=True)
        assert "第 1 轮 · 后到者中选" in draw and "复核一致 ✓" in draw
