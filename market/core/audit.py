"""The audit log: append-only, each event chained to the previous one by a SHA-256 hash.

An event's `hash` covers its content and `prev_hash` (the previous event's hash), so changing,
deleting or reordering any stored event breaks the chain at that point; `verify_chain()` finds
the first break. Writers append one at a time by locking the single AuditChainHead row.

The chain is locked as late as possible: record_event() keeps the event on the session and
the events are appended when the transaction commits (or sooner, when the transaction reads
the audit log or locks the chain itself). Held only while a transaction commits, the one lock
every writer shares does not make the platform's writers wait on each other's work, and a
transaction that holds it waits for no other row lock: it cannot take part in a deadlock.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.sql import util as sql_util

from ..extensions import db
from .clock import from_local, utcnow
from .i18n import _
from .models import AuditChainHead, AuditEvent

#: what the hash covers, besides `prev_hash`; the migration that chained the events written
#: before the chain existed holds a copy of event_hash(): change both or neither
HASHED_FIELDS = (
    "id",
    "created_dt",
    "occurred_dt",
    "actor_user_id",
    "actor_org_id",
    "subject_type",
    "subject_id",
    "action",
    "from_state",
    "to_state",
    "public",
    "data",
    "prev_hash",
)


class AppendOnlyError(RuntimeError):
    """Code tried to change or delete a stored audit event."""


def _utc_iso(moment: datetime) -> str:
    # Naive values are the database's UTC (the migration reads them so); microseconds always
    # shown, so a whole second hashes the same however it was produced.
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Mapping) -> bytes:
    """The bytes an event's hash is taken over: sorted-key JSON with fixed separators."""
    payload = {}
    for field in HASHED_FIELDS:
        value = values[field]
        if isinstance(value, datetime):
            value = _utc_iso(value)
        elif field == "public":
            value = bool(value)
        elif field == "data":
            value = value or {}
        payload[field] = value
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def event_hash(values: Mapping) -> str:
    """SHA-256 (hex) of an event's canonical form; `values` maps HASHED_FIELDS to values."""
    return hashlib.sha256(canonical(values)).hexdigest()


def _json_value(value):
    if isinstance(value, datetime):
        return _utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"audit data cannot hold {type(value).__name__}")


def _plain(data) -> dict:
    # What the JSON column will give back (string keys, lists for tuples): the hash is taken
    # over exactly what a later reader sees.
    return json.loads(json.dumps(data or {}, default=_json_value, ensure_ascii=False))


HEAD_KEY = "market_audit_chain_head"
#: the events recorded in this transaction, in order, and how many of them are appended; where
#: both stood when each savepoint began (one rolled back takes back what it recorded and
#: appended)
RECORDED_KEY, APPENDED_KEY, SAVED_KEY = "audit_recorded", "audit_appended", "audit_saved"
#: the session is committing: an event recorded now (by a flush listener) is appended at once
COMMITTING_KEY = "market_audit_committing"


def _locked_head() -> dict:
    """The chain head's values, locked for the rest of this transaction.

    PostgreSQL: SELECT … FOR UPDATE on the one head row. SQLite has no row locks and begins
    its write transaction only at the first write: a no-op write first takes the database's
    write lock, so nobody can append between this read and our own append. The values are
    kept on the session until the transaction (or a savepoint) ends: holding the lock, nobody
    else can move the head meanwhile."""
    session = db.session()
    cached = session.info.get(HEAD_KEY)
    if cached is not None:
        return cached
    heads = AuditChainHead.__table__
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.execute(update(heads).values(id=heads.c.id))
    row = conn.execute(_head_query(conn.dialect.name)).first()
    if row is None:
        # Fixed id: two writers creating it at once collide on the key instead of forking.
        events = AuditEvent.__table__
        last = conn.execute(
            select(events.c.id, events.c.hash).order_by(events.c.id.desc()).limit(1)
        ).first()
        values = {"id": 1, "last_event_id": last.id if last else None}
        values["last_hash"] = last.hash if last else ""
        conn.execute(heads.insert().values(**values))
    else:
        values = {"id": row.id, "last_event_id": row.last_event_id, "last_hash": row.last_hash}
        values["next_id"] = getattr(row, "next_id", None)
    session.info[HEAD_KEY] = values
    return values


def lock_chain() -> None:
    """Take the chain's lock now, appending the events this transaction recorded so far: one
    writer at a time from here to the commit (the risk detectors' fingerprints are checked,
    then written, under it). Only for that: writers that lock rows lock them first and leave
    the chain to their commit."""
    _locked_head()
    append_pending()


def begin_writing() -> None:
    """Before reading rows a transaction will change under its own row locks: on SQLite take
    the database's write lock now (a transaction that read first and then wrote could find
    the database changed under it and fail); PostgreSQL's row locks need nothing here."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        heads = AuditChainHead.__table__
        conn.execute(update(heads).values(id=heads.c.id))


def append_pending() -> None:
    """Append to the chain, in order, the events this transaction recorded and has not
    appended yet (locking the chain if there are any)."""
    info = db.session().info
    recorded = info.get(RECORDED_KEY)
    if not recorded or info.get(APPENDED_KEY, 0) == len(recorded):
        return
    head = _locked_head()
    while info[APPENDED_KEY] < len(recorded):
        _append(head, recorded[info[APPENDED_KEY]])
        info[APPENDED_KEY] += 1


@sa_event.listens_for(Session, "after_transaction_create")
def _savepoint_began(session, transaction):
    if transaction.nested:
        saved = session.info.setdefault(SAVED_KEY, {})
        recorded = session.info.get(RECORDED_KEY, ())
        saved[transaction] = (len(recorded), session.info.get(APPENDED_KEY, 0))


@sa_event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction):
    # The rows appended in a rolled-back savepoint are gone: what was recorded before it began
    # is to be appended again, what was recorded in it is dropped.
    info = session.info
    marks = info.get(SAVED_KEY, {}).get(previous_transaction)
    if not previous_transaction.nested or marks is None:
        return
    count, appended = marks
    recorded = info.get(RECORDED_KEY, [])
    for values in recorded[appended:]:
        for key in ("id", "hash", "prev_hash"):
            values.pop(key, None)
    del recorded[count:]
    info[APPENDED_KEY] = min(appended, count)


@sa_event.listens_for(Session, "before_commit")
def _append_at_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint released: its events are appended with the transaction
    with db.session.no_autoflush:
        append_pending()
    session.info[COMMITTING_KEY] = True


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_head(session, transaction):
    # The lock ends with the transaction; a savepoint rolled back may have undone appends.
    if transaction.parent is None or transaction.nested:
        session.info.pop(HEAD_KEY, None)
    if transaction.parent is None:
        # Committed (appended at its start) or rolled back: nothing is left to append.
        for key in (RECORDED_KEY, APPENDED_KEY, SAVED_KEY, COMMITTING_KEY):
            session.info.pop(key, None)


@sa_event.listens_for(Session, "do_orm_execute")
def _read_your_events(state):
    # A transaction reading the audit log sees the events it recorded, as with any other row.
    info = state.session.info
    pending = len(info.get(RECORDED_KEY, ())) > info.get(APPENDED_KEY, 0)
    if pending and _reads_audit(state.statement):
        append_pending()


def _reads_audit(statement) -> bool:
    tables = {AuditEvent.__table__, AuditChainHead.__table__}
    return any(t in tables for t in sql_util.find_tables(statement, include_crud=True))


@cache
def _head_query(dialect: str):
    heads = AuditChainHead.__table__
    columns = [heads.c.id, heads.c.last_event_id, heads.c.last_hash]
    if dialect == "postgresql":
        columns.append(_next_event_id().label("next_id"))  # the first append's id, in passing
    return select(*columns).order_by(heads.c.id).limit(1).with_for_update(of=heads)


def _next_event_id():
    """PostgreSQL: the next value of the events' id sequence (an id taken before the insert
    goes into the event's hash with it: one statement appends the event and moves the head)."""
    return func.nextval(func.pg_get_serial_sequence(AuditEvent.__tablename__, "id"))


@cache
def _statements():
    events, heads = AuditEvent.__table__, AuditChainHead.__table__
    move_head = (
        update(heads)
        .where(heads.c.id == bindparam("head_id"))
        .values(last_event_id=bindparam("event_id"), last_hash=bindparam("digest"))
    )
    return (
        events.insert(),
        update(events).where(events.c.id == bindparam("event_id")).values(hash=bindparam("digest")),
        move_head,
        # PostgreSQL: the event, with its id and hash, and the head moved to it, at once.
        events.insert()
        .values({c: bindparam(f"v_{c}") for c in _INSERTED})
        .add_cte(move_head.cte("moved")),
    )


#: the columns an append writes: what the hash covers, and the hash
_INSERTED = (*HASHED_FIELDS, "hash")


class RecordedEvent:
    """What record_event() recorded: its id and its place in the chain, known once it is
    appended (asking for them appends it, and what this transaction recorded before it)."""

    def __init__(self, values: dict):
        self._values = values

    def _appended(self) -> dict:
        if "hash" not in self._values:
            append_pending()
        if "hash" not in self._values:
            raise RuntimeError("the event was rolled back with its savepoint")
        return self._values

    @property
    def id(self) -> int:
        return self._appended()["id"]

    @property
    def hash(self) -> str:
        return self._appended()["hash"]

    @property
    def prev_hash(self) -> str:
        return self._appended()["prev_hash"]


def record_event(
    subject_type,
    subject_id,
    action,
    *,
    actor=None,
    from_state=None,
    to_state=None,
    public=True,
    data=None,
    occurred_dt=None,
) -> RecordedEvent:
    """Record an audit event for `actor` (a User, or None for the system); it is appended to
    the chain when the transaction commits."""
    org = getattr(actor, "organisation", None) if actor is not None else None
    now = utcnow()
    values = {
        "created_dt": now,
        "occurred_dt": occurred_dt or now,
        "actor_user_id": actor.id if actor is not None else None,
        "actor_org_id": org.id if org is not None else None,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "public": public,
        "data": _plain(data),
    }
    info = db.session().info
    info.setdefault(RECORDED_KEY, []).append(values)
    info.setdefault(APPENDED_KEY, 0)
    if HEAD_KEY in info or info.get(COMMITTING_KEY):
        append_pending()  # the chain is held already (or the commit has begun)
    return RecordedEvent(values)


def _append(head: dict, values: dict) -> None:
    """Insert one event after the head, with its hash; move the head to it."""
    # Core statements, not the ORM: no flush of the whole session for each event (the runner
    # appends tens of thousands), and nothing the ORM could later update. Built once and run
    # with parameters: building a statement per event costs more than running it.
    insert_event, set_hash, move_head, append_and_move = _statements()
    conn = db.session.connection()
    # created_dt is when the event was recorded; the chain's order is the order of appending.
    row = {k: v for k, v in values.items() if k not in ("id", "hash")}
    row["prev_hash"] = head["last_hash"]
    if conn.dialect.name == "postgresql":
        event_id = head.pop("next_id", None) or conn.execute(select(_next_event_id())).scalar()
        digest = event_hash({**row, "id": event_id})
        stored = {f"v_{k}": v for k, v in row.items()}
        stored.update(v_id=event_id, v_hash=digest, head_id=head["id"])
        conn.execute(append_and_move, {**stored, "event_id": event_id, "digest": digest})
    else:
        event_id = conn.execute(insert_event, row).inserted_primary_key[0]
        digest = event_hash({**row, "id": event_id})  # the id is part of the hash
        conn.execute(set_hash, {"event_id": event_id, "digest": digest})
        conn.execute(move_head, {"head_id": head["id"], "event_id": event_id, "digest": digest})
    head.update(last_event_id=event_id, last_hash=digest)
    values.update(id=event_id, hash=digest, prev_hash=row["prev_hash"])


@sa_event.listens_for(AuditEvent, "before_update")
def _never_changed(mapper, connection, target):
    if any(attr.history.has_changes() for attr in inspect(target).attrs):
        raise AppendOnlyError(_("审计记录只能追加，不能修改"))


@sa_event.listens_for(AuditEvent, "before_delete")
def _never_deleted(mapper, connection, target):
    raise AppendOnlyError(_("审计记录只能追加，不能删除"))


def verify_chain() -> tuple[bool, int | None, int]:
    """Check every stored event against the chain: (ok, first bad event id, events checked).

    Reads the stored rows themselves, never objects the session may hold."""
    append_pending()
    table = AuditEvent.__table__
    rows = db.session.execute(
        select(table).order_by(table.c.id).execution_options(yield_per=1000)
    ).mappings()
    previous, last_id, checked = "", None, 0
    for row in rows:
        checked += 1
        if row["prev_hash"] != previous or row["hash"] != event_hash(row):
            rows.close()
            return False, row["id"], checked
        previous, last_id = row["hash"], row["id"]
    head_table = AuditChainHead.__table__
    head = db.session.execute(select(head_table).order_by(head_table.c.id).limit(1)).first()
    if head is None:
        return checked == 0, last_id, checked
    # The head remembers the last event: this catches the newest events being removed.
    if head.last_event_id != last_id or head.last_hash != previous:
        return False, head.last_event_id or last_id, checked
    return True, None, checked


def events_for(subject_type, subject_id, public_only=True):
    """The subject's audit events, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.id)
    )
    if public_only:
        stmt = stmt.where(AuditEvent.public.is_(True))
    return list(db.session.scalars(stmt))


def day_head(day: date) -> tuple[int, str] | None:
    """The chain's head at the end of `day` (Asia/Shanghai): the id and hash of the last
    event recorded that day, or None for a day without events. Published once the day is
    over, so that a pack or an export cannot be rewritten later unnoticed."""
    start = from_local(datetime.combine(day, time()))
    end = from_local(datetime.combine(day + timedelta(days=1), time()))
    row = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash)
        .where(AuditEvent.created_dt >= start, AuditEvent.created_dt < end)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return (row.id, row.hash) if row is not None else None
