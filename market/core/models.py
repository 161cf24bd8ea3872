"""Cross-domain tables: the audit log, the working-day calendar overrides, the mail outbox,
failed listener work, the worker's marks and its heartbeats."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .clock import utcnow
from .types import UTCDateTime


class AuditEvent(db.Model):
    """One thing that happened to an aggregate, with who did it; never updated."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        # each day's last event: the chain head published daily (audit.day_head)
        Index("ix_audit_events_created_dt", "created_dt"),
        # the results put to publicity in time order (the JSON API's /results)
        Index("ix_audit_events_to_state_occurred", "to_state", "occurred_dt", "id"),
        # the audit log filtered by who acted or what was done, latest first
        Index("ix_audit_events_actor_org", "actor_org_id", "id"),
        Index("ix_audit_events_actor_user", "actor_user_id", "id"),
        Index("ix_audit_events_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it took effect: a deadline applied late by the runner happened at the deadline
    occurred_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    public: Mapped[bool] = mapped_column(default=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the chain: SHA-256 over this event's content and the previous event's hash
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class AuditChainHead(db.Model):
    """The one row writers lock to append to the chain in order (SELECT … FOR UPDATE)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int | None]
    last_hash: Mapped[str] = mapped_column(String(64), default="")


class CalendarOverride(db.Model):
    """An operator's correction to the holiday package: this date is (not) a working day."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working_day: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")


class OutgoingMail(db.Model):
    """A message written in the same transaction as what it tells about, sent after the commit
    (or by `flask market send-mail`): a crash between the two loses nothing."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class ListenerFailure(db.Model):
    """Work done on another domain's behalf that failed (a listener, an arrival hook, a batch's
    deferred step) and was left undone so the action it followed could stand. Regulators and
    operators see these on their workspaces until someone marks them handled."""

    __tablename__ = "listener_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: what was being announced ("notice:awarded", "contract-evaluated", …)
    event: Mapped[str] = mapped_column(String(80))
    #: the function that failed, as module.name
    listener: Mapped[str] = mapped_column(String(200))
    #: what it was about ("notice 12", "conduct_record 4")
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    handled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class WorkerMark(db.Model):
    """When a periodic worker task last covered time up to (credit expiries, the nightly run):
    the next run starts there, so nothing between two runs is missed or done twice."""

    __tablename__ = "worker_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    done_until: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkerHeartbeat(db.Model):
    """When a worker process (host and process id) last completed a round: /healthz on any host
    sharing the database reads the latest. Written every WORKER_HEARTBEAT_SECONDS at most."""

    __tablename__ = "worker_heartbeats"

    hostname: Mapped[str] = mapped_column(String(255), primary_key=True)
    pid: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seen_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
