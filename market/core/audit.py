"""The audit log: append-only, each event chained to the previous one by a SHA-256 hash.

An event's `hash` covers its content and `prev_hash` (the previous event's hash), so changing,
deleting or reordering any stored event breaks the chain at that point; `verify_chain()` finds
the first break. Writers append one at a time by locking the single AuditChainHead row.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from ..extensions import db
from .clock import utcnow
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
    row = conn.execute(select(heads).order_by(heads.c.id).limit(1).with_for_update()).first()
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
    session.info[HEAD_KEY] = values
    return values


def lock_chain() -> None:
    """Take the chain's lock now. Code that locks other rows (a notice FOR UPDATE) calls this
    first, so every writer takes its locks in one order, the chain then the rows, and two
    transactions cannot each hold what the other waits for."""
    _locked_head()


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_head(session, transaction):
    # The lock ends with the transaction; a savepoint rolled back may have undone appends.
    if transaction.parent is None or transaction.nested:
        session.info.pop(HEAD_KEY, None)


@cache
def _statements():
    events, heads = AuditEvent.__table__, AuditChainHead.__table__
    return (
        events.insert(),
        update(events).where(events.c.id == bindparam("event_id")).values(hash=bindparam("digest")),
        update(heads)
        .where(heads.c.id == bindparam("head_id"))
        .values(last_event_id=bindparam("event_id"), last_hash=bindparam("digest")),
    )


@dataclass(frozen=True)
class RecordedEvent:
    """What record_event() appended: its id and its place in the chain."""

    id: int
    hash: str
    prev_hash: str


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
    """Append an audit event for `actor` (a User, or None for the system) to the chain."""
    org = getattr(actor, "organisation", None) if actor is not None else None
    head = _locked_head()
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
        "prev_hash": head["last_hash"],
    }
    # Core statements, not the ORM: no flush of the whole session for each event (the runner
    # appends tens of thousands), and nothing the ORM could later update. Built once and run
    # with parameters: building a statement per event costs more than running it.
    insert_event, set_hash, move_head = _statements()
    conn = db.session.connection()
    event_id = conn.execute(insert_event, values).inserted_primary_key[0]
    digest = event_hash({**values, "id": event_id})  # the id is part of the hash
    conn.execute(set_hash, {"event_id": event_id, "digest": digest})
    conn.execute(move_head, {"head_id": head["id"], "event_id": event_id, "digest": digest})
    head.update(last_event_id=event_id, last_hash=digest)
    return RecordedEvent(event_id, digest, values["prev_hash"])


@sa_event.listens_for(AuditEvent, "before_update")
def _never_changed(mapper, connection, target):
    if any(attr.history.has_changes() for attr in inspect(target).attrs):
        raise AppendOnlyError("审计记录只能追加，不能修改")


@sa_event.listens_for(AuditEvent, "before_delete")
def _never_deleted(mapper, connection, target):
    raise AppendOnlyError("审计记录只能追加，不能删除")


def verify_chain() -> tuple[bool, int | None, int]:
    """Check every stored event against the chain: (ok, first bad event id, events checked).

    Reads the stored rows themselves, never objects the session may hold."""
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
