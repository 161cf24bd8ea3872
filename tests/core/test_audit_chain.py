"""The audit log is a hash chain: appends verify, any tampering is found at its first event."""

import json
import threading
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from market import create_app
from market.cli import market_cli
from market.core.audit import (
    AppendOnlyError,
    event_hash,
    events_for,
    lock_chain,
    record_event,
    verify_chain,
)
from market.core.models import AuditChainHead, AuditEvent
from market.extensions import db as _db

from ..conftest import TEST_CONFIG


def _append(n, **kwargs):
    return [
        record_event("test", i, "checked", data={"i": i, "名称": "礼嘉"}, **kwargs)
        for i in range(n)
    ]


def test_appended_events_link_to_each_other_and_verify(db, make):
    user = make.purchaser()
    before = verify_chain()
    assert before[0] and before[1] is None
    first, second, third = _append(3, actor=user)

    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert all(len(e.hash) == 64 for e in (first, second, third))
    head = db.session.scalar(select(AuditChainHead))
    assert (head.last_event_id, head.last_hash) == (third.id, third.hash)
    assert verify_chain() == (True, None, before[2] + 3)


def test_the_hash_is_taken_over_what_a_later_reader_sees(db):
    # A tuple, an int key and a datetime in the data come back from the JSON column as a
    # list, a string key and an ISO string: the stored hash still matches.
    moment = datetime(2026, 11, 24, 18, 30, 15, 120, tzinfo=UTC)
    event = record_event(
        "test", 1, "checked", data={"pair": (1, 2), 7: "x", "at": moment}, occurred_dt=moment
    )
    db.session.expire_all()
    reread = db.session.get(AuditEvent, event.id)
    assert reread.data == {"pair": [1, 2], "7": "x", "at": "2026-11-24T18:30:15.000120Z"}
    assert event_hash({f: getattr(reread, f) for f in _fields()}) == reread.hash
    assert verify_chain()[0]


def _fields():
    from market.core.audit import HASHED_FIELDS

    return HASHED_FIELDS


def test_a_changed_field_is_found_at_its_event(db):
    events = _append(4)
    db.session.execute(
        text("UPDATE audit_events SET data = :data WHERE id = :id"),
        {"data": json.dumps({"i": 99}), "id": events[1].id},
    )
    ok, bad_id, _ = verify_chain()
    assert (ok, bad_id) == (False, events[1].id)


@pytest.mark.parametrize("column, value", [("public", False), ("action", "approved")])
def test_any_hashed_column_changed_is_found(db, column, value):
    events = _append(3)
    db.session.execute(
        text(f"UPDATE audit_events SET {column} = :v WHERE id = :id"),
        {"v": value, "id": events[0].id},
    )
    assert verify_chain()[:2] == (False, events[0].id)


def test_a_recomputed_hash_is_still_found_by_the_next_event(db):
    events = _append(3)
    row = (
        db.session.execute(select(AuditEvent.__table__).where(AuditEvent.id == events[1].id))
        .mappings()
        .one()
    )
    forged = {**row, "data": {"i": 42}}
    db.session.execute(
        text("UPDATE audit_events SET data = :data, hash = :hash WHERE id = :id"),
        {"data": json.dumps({"i": 42}), "hash": event_hash(forged), "id": events[1].id},
    )
    assert verify_chain()[:2] == (False, events[2].id)


def test_a_deleted_event_is_found_at_the_next_one(db):
    events = _append(3)
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    assert verify_chain()[:2] == (False, events[2].id)


def test_the_newest_event_deleted_is_found_through_the_head(db):
    events = _append(2)
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    assert verify_chain()[:2] == (False, events[1].id)


def test_a_reordered_pair_is_found_at_the_first_of_them(db):
    a, b = _append(2)
    columns = ("created_dt", "subject_id", "data", "prev_hash", "hash")
    rows = {
        r.id: r
        for r in db.session.execute(
            select(AuditEvent.__table__).where(AuditEvent.id.in_((a.id, b.id)))
        )
    }
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    for target, source in ((a.id, b.id), (b.id, a.id)):
        values = {c: getattr(rows[source], c) for c in columns}
        values["created_dt"] = values["created_dt"].replace(tzinfo=None)
        values["data"] = json.dumps(values["data"])
        db.session.execute(
            text(f"UPDATE audit_events SET {assignments} WHERE id = :id"), {**values, "id": target}
        )
    assert verify_chain()[:2] == (False, a.id)


def test_the_code_cannot_change_or_delete_a_stored_event(db):
    (appended,) = _append(1)
    event = db.session.get(AuditEvent, appended.id)
    event.action = "approved"
    with pytest.raises(AppendOnlyError, match="只能追加"):
        db.session.flush()
    db.session.rollback()

    (appended,) = _append(1)
    event = db.session.get(AuditEvent, appended.id)
    db.session.delete(event)
    with pytest.raises(AppendOnlyError, match="不能删除"):
        db.session.flush()
    db.session.rollback()


def test_the_cli_reports_a_whole_chain_and_exits_1_on_a_break(app, db):
    runner = app.test_cli_runner()
    events = _append(2)
    result = runner.invoke(market_cli, ["verify-audit"])
    assert result.exit_code == 0
    assert result.output.strip() == f"审计链完整：共 {verify_chain()[2]} 条"

    db.session.execute(
        text("UPDATE audit_events SET subject_id = 5 WHERE id = :id"), {"id": events[0].id}
    )
    result = runner.invoke(market_cli, ["verify-audit"])
    assert result.exit_code == 1
    assert f"第一条不符的审计记录编号为 {events[0].id}" in result.output


# --- the migration chains the events written before the chain existed ---------------------

OLD_EVENTS = [
    "INSERT INTO users (id, email, name, phone, password_hash, active, created_dt) VALUES"
    " (1, 'p@example.cn', '王五', '', 'x', TRUE, '2026-01-05 02:00:00')",
    "INSERT INTO audit_events (id, created_dt, occurred_dt, actor_user_id, actor_org_id,"
    " subject_type, subject_id, action, from_state, to_state, public, data) VALUES"
    " (1, '2026-01-05 02:00:00', '2026-01-05 02:00:00', NULL, NULL, 'catalogue', 0,"
    " 'loaded', NULL, NULL, TRUE, '{\"created\": 3}'),"
    " (2, '2026-01-10 02:00:00.250000', '2026-01-10 01:59:59.999999', 1, NULL, 'notice', 1,"
    " 'transition', 'draft', 'published', TRUE, '{\"理由\": \"首次发布\", \"n\": [1, 2]}'),"
    " (5, '2026-01-11 02:00:00', '2026-01-11 02:00:00', 1, NULL, 'bid', 1, 'submitted',"
    " NULL, NULL, FALSE, '{}')",
]


def test_the_migration_chains_existing_events_so_the_app_verifies_them(tmp_path):
    other = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"}
    )
    with other.app_context():
        engine = _db.engine
        try:
            upgrade(revision="66a5cb1a3607")
            with engine.begin() as conn:
                for statement in OLD_EVENTS:
                    conn.execute(text(statement))
            upgrade()
            result = verify_chain()
            head = _db.session.execute(
                select(AuditChainHead.last_event_id, AuditChainHead.last_hash)
            ).one()
            last_hash = _db.session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 5))
            # The application appends after the migrated events.
            new = record_event("test", 1, "checked")
            after = verify_chain()
            prev_of_new = new.prev_hash
        finally:
            _db.session.registry().close()
            engine.dispose()
    assert result == (True, None, 3)
    assert tuple(head) == (5, last_hash)
    assert prev_of_new == last_hash and after == (True, None, 4)


def test_the_migration_on_an_empty_log_creates_an_empty_head(tmp_path):
    other = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    )
    with other.app_context():
        engine = _db.engine
        try:
            upgrade()
            head = _db.session.execute(
                select(AuditChainHead.id, AuditChainHead.last_event_id, AuditChainHead.last_hash)
            ).all()
            result = verify_chain()
        finally:
            _db.session.registry().close()
            engine.dispose()
    assert [tuple(h) for h in head] == [(1, None, "")]
    assert result == (True, None, 0)


# --- concurrent writers (real commits) -----------------------------------------------------


def _undo_concurrency(db, saved):
    """Delete what the threads committed and rewind the head to `saved`: the chain stays whole."""
    head_table = AuditChainHead.__table__
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE subject_type = 'concurrency'"))
        conn.execute(
            head_table.update().values(last_event_id=saved.last_event_id, last_hash=saved.last_hash)
        )


def test_concurrent_writers_leave_one_valid_chain(app, db):
    """Two threads, each with its own connection, append and commit at once (PostgreSQL: the
    head row lock; SQLite: the database's write lock, taken before the head is read)."""
    head_table = AuditChainHead.__table__
    saved = db.session.execute(select(head_table)).one()
    _, _, before = verify_chain()
    start = threading.Barrier(2)
    errors, written = [], []
    per_thread = 15

    def writer(n):
        try:
            with app.app_context():
                session = db.session.registry()  # the real session: the fixture's commit flushes
                try:
                    start.wait(timeout=10)
                    for i in range(per_thread):
                        written.append(record_event("concurrency", n, "checked", data={"i": i}).id)
                        session.commit()
                finally:
                    session.close()
        except Exception as err:  # reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in (1, 2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        assert verify_chain() == (True, None, before + 2 * per_thread)
    finally:
        _undo_concurrency(db, saved)
    assert len(written) == 2 * per_thread
    assert verify_chain() == (True, None, before)


def test_recording_an_event_holds_nothing_until_the_commit(app, db):
    """A writer that recorded an event does not hold up another: the other appends and
    commits meanwhile, and the first event follows it in the chain at its own commit."""
    head_table = AuditChainHead.__table__
    saved = db.session.execute(select(head_table)).one()
    _, _, before = verify_chain()
    recorded, other_done = threading.Event(), threading.Event()
    errors, ids = [], {}

    def in_own_session(name, work):
        try:
            with app.app_context():
                session = db.session.registry()
                try:
                    work(session)
                finally:
                    session.close()
        except Exception as err:  # reported by the main thread
            errors.append((name, err))
            recorded.set()
            other_done.set()

    def first(session):
        event = record_event("concurrency", 1, "checked")
        recorded.set()
        # An early lock on the chain would keep the other writer waiting here for ever.
        assert other_done.wait(timeout=10), "the other writer waited for this transaction"
        session.commit()
        ids["first"] = event.id

    def second(session):
        assert recorded.wait(timeout=10)
        event = record_event("concurrency", 2, "checked")
        session.commit()
        ids["second"] = event.id
        other_done.set()

    threads = [
        threading.Thread(target=in_own_session, args=("first", first)),
        threading.Thread(target=in_own_session, args=("second", second)),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors
        assert ids["second"] < ids["first"]  # appended in the order of the commits
        assert verify_chain() == (True, None, before + 2)
    finally:
        _undo_concurrency(db, saved)


def test_a_savepoint_rolled_back_takes_back_the_events_recorded_in_it(db):
    kept = record_event("test", 1, "kept")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        lock_chain()  # appends "kept" inside the savepoint: rolled back with it
        record_event("test", 2, "dropped")
        raise RuntimeError("the savepoint fails")
    after = record_event("test", 3, "after")
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "test").order_by(AuditEvent.id)
        )
    ]
    assert actions == ["kept", "after"]
    assert after.prev_hash == kept.hash
    assert verify_chain()[0]


def test_the_transaction_reads_the_events_it_recorded(db):
    record_event("test", 7, "checked", public=True)
    assert [e.action for e in events_for("test", 7)] == ["checked"]
