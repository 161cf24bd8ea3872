"""Outgoing e-mail through Flask-Mail.

MAIL_BACKEND picks where a message goes; every backend builds the same flask_mail.Message:
- "file" (the default): an .eml file in MAIL_FOLDER (instance/mail), for offline deployments
  whose own relay picks the files up, or an operator who forwards them;
- "smtp": Flask-Mail sends it to MAIL_SERVER:MAIL_PORT (MAIL_USE_TLS / MAIL_USE_SSL,
  MAIL_USERNAME / MAIL_PASSWORD);
- "memory": kept in outbox() (tests).

Mail about something a transaction does is written to the outbox (OutgoingMail) with
send_mail_after_commit() in that transaction; the worker sends it once committed
(`deliver_outbox`, every WORKER_INTERVALS["mail"] seconds; `flask market send-mail` too): a
rolled-back action mails nobody, a crash after the commit loses nothing, and no request waits
for a mail server.
"""

import os
import secrets
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

from flask import current_app
from flask_mail import Mail, Message
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from .clock import utcnow
from .models import OutgoingMail

OUTBOX_KEY = "market_mail_outbox"
QUEUE_KEY = "market_mail_queue"
BACKENDS = ("file", "smtp", "memory")
#: what an outbox row whose sending failed notes (stored in the database, so not translated)
SEND_FAILED = "发送失败，详见日志"  # i18n: data

mail = Mail()


def init_app(app) -> None:
    """Register Flask-Mail with the app's MAIL_* settings. MAIL_BACKEND alone decides whether
    a message leaves the machine, so Flask-Mail's own suppression under TESTING is off."""
    app.extensions["mail"] = mail.init_mail(app.config, app.debug, testing=False)


def _flask_mail():
    if "mail" not in current_app.extensions:
        init_app(current_app)
    return current_app.extensions["mail"]


def mail_folder() -> str:
    return current_app.config.get("MAIL_FOLDER") or os.path.join(current_app.instance_path, "mail")


class _Message(Message):
    """Flask-Mail's message with our clock's Date (in UTC) and our own Message-ID domain."""

    def __init__(self, *args, sent_at, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent_at = sent_at
        self.date = sent_at.timestamp()
        self.msgId = make_msgid(domain="market.local")

    def _message(self):
        message = super()._message()
        message.replace_header("Date", format_datetime(self.sent_at))
        return message


def _parsed(raw: bytes) -> EmailMessage:
    # What a mail client reads from the bytes that go out.
    return BytesParser(policy=policy.default).parsebytes(raw)


def send_mail(to: str | list[str], subject: str, body: str) -> Message:
    """Build a plain-text flask_mail.Message from MAIL_SENDER and hand it to the configured
    backend; returns it."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend not in BACKENDS:
        raise ValueError(
            f"unknown MAIL_BACKEND {backend!r} (expected one of {', '.join(BACKENDS)})"
        )
    state = _flask_mail()
    now = utcnow()
    message = _Message(
        subject=subject,
        recipients=[to] if isinstance(to, str) else list(to),
        body=body,
        sender=current_app.config["MAIL_SENDER"],
        sent_at=now,
    )
    if backend == "smtp":
        with state.connect() as connection:
            connection.send(message)
        return message
    # Rendered once: generating a MIME message costs about a millisecond.
    raw = message.as_bytes()
    if backend == "memory":
        outbox().append(_parsed(raw))
        return message
    folder = mail_folder()
    os.makedirs(folder, exist_ok=True)
    name = f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
    # "x": never overwrite a message already waiting in the folder.
    with open(os.path.join(folder, name), "xb") as fh:
        fh.write(raw)
    return message


def outbox() -> list[EmailMessage]:
    """Messages sent with the "memory" backend, oldest first, as parsed from their bytes."""
    return current_app.extensions.setdefault(OUTBOX_KEY, [])


def send_mail_after_commit(to: str | list[str], subject: str, body: str) -> OutgoingMail:
    """Write a message to the outbox in the current transaction; the worker sends it once
    committed (or `flask market send-mail`), and nobody gets it if the transaction rolls
    back."""
    session = db.session()
    row = OutgoingMail(
        recipients=[to] if isinstance(to, str) else list(to),
        subject=subject[:300],
        body=body,
        created_dt=utcnow(),
    )
    session.add(row)
    session.info.setdefault(QUEUE_KEY, []).append(row)
    return row


def send_queued_mail(session=None) -> int:
    """Send what this transaction queued and mark it sent, inside the transaction: what the
    worker does after a commit, for a test whose transaction never commits. Returns how many
    were sent."""
    session = session if session is not None else db.session()
    sent = 0
    for row in session.info.pop(QUEUE_KEY, []):
        if _send_row(row.recipients, row.subject, row.body):
            row.sent_dt = utcnow()
            sent += 1
        else:
            row.attempts += 1
    session.flush()
    return sent


def _send_row(recipients, subject, body) -> bool:
    try:
        send_mail(recipients, subject, body)
    except Exception:
        # The transaction that wrote it has committed: a failing mail server is logged and the
        # message stays in the outbox for `flask market send-mail`.
        current_app.logger.exception("邮件发送失败：%s → %s", subject, recipients)
        return False
    return True


def deliver_outbox(limit: int | None = None, batch: int = 200) -> tuple[int, int]:
    """Send unsent outbox messages, oldest first: (sent, failed). Each batch is claimed in a
    short transaction of its own (SKIP LOCKED on PostgreSQL), so several processes can drain
    the outbox together and nothing is sent twice."""
    table = OutgoingMail.__table__
    sent = failed = 0
    last_id = 0
    while limit is None or sent + failed < limit:
        size = batch if limit is None else min(batch, limit - sent - failed)
        with db.engine.begin() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c.sent_dt.is_(None), table.c.id > last_id)
                .order_by(table.c.id)
                .limit(size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                break
            done, retry = [], []
            for row in rows:
                (done if _send_row(row.recipients, row.subject, row.body) else retry).append(row)
            if done:
                ids = [row.id for row in done]
                conn.execute(update(table).where(table.c.id.in_(ids)).values(sent_dt=utcnow()))
            for row in retry:
                conn.execute(
                    update(table)
                    .where(table.c.id == row.id)
                    .values(attempts=row.attempts + 1, last_error=SEND_FAILED)
                )
            sent, failed, last_id = sent + len(done), failed + len(retry), rows[-1].id
    return sent, failed


def send_outbox() -> int:
    """The worker's round: send what the outbox holds; returns how many went out (failures
    stay for a later round)."""
    sent, _failed = deliver_outbox()
    return sent


@event.listens_for(Session, "after_transaction_end")
def _drop_after_rollback(session, transaction):
    # The outermost transaction ended without a commit: its outbox rows are gone with it.
    if transaction.parent is None:
        session.info.pop(QUEUE_KEY, None)


def discard_queued_mail() -> int:
    """Drop what this transaction queued (demo data, bulk imports: nobody to tell)."""
    queued = db.session.info.pop(QUEUE_KEY, [])
    for row in queued:
        db.session.delete(row) if inspect(row).persistent else db.session.expunge(row)
    return len(queued)
