"""Outgoing e-mail through Flask-Mail.

MAIL_BACKEND picks where a message goes; every backend builds the same flask_mail.Message:
- "file" (the default): an .eml file in MAIL_FOLDER (instance/mail), for offline deployments
  whose own relay picks the files up, or an operator who forwards them;
- "smtp": Flask-Mail sends it to MAIL_SERVER:MAIL_PORT (MAIL_USE_TLS / MAIL_USE_SSL,
  MAIL_USERNAME / MAIL_PASSWORD);
- "memory": kept in outbox() (tests).

Mail about something a transaction does is queued with send_mail_after_commit() and goes out
when that transaction commits: a rolled-back action mails nobody, and no mail server is waited
on while the transaction holds its locks.
"""

import os
import secrets
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

from flask import current_app
from flask_mail import Mail, Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from .clock import utcnow

OUTBOX_KEY = "market_mail_outbox"
QUEUE_KEY = "market_mail_queue"
BACKENDS = ("file", "smtp", "memory")

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


def send_mail_after_commit(to: str | list[str], subject: str, body: str) -> None:
    """Queue a message to send when the session's transaction commits (dropped if it does not)."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the queue lives and dies with a transaction: make sure there is one
    session.info.setdefault(QUEUE_KEY, []).append((to, subject, body))


def send_queued_mail(session=None) -> int:
    """Send what the session queued (the commit does this); returns how many were sent.

    The transaction has committed by now: a failing mail server is logged, never raised."""
    session = session if session is not None else db.session()
    queued = session.info.pop(QUEUE_KEY, [])
    sent = 0
    for to, subject, body in queued:
        try:
            send_mail(to, subject, body)
            sent += 1
        except Exception:
            current_app.logger.exception("邮件发送失败：%s → %s", subject, to)
    return sent


@event.listens_for(Session, "after_commit")
def _send_after_commit(session):
    if session.info.get(QUEUE_KEY):
        send_queued_mail(session)


@event.listens_for(Session, "after_transaction_end")
def _drop_after_rollback(session, transaction):
    # The outermost transaction ended without a commit (after_commit emptied the queue).
    if transaction.parent is None:
        session.info.pop(QUEUE_KEY, None)


def discard_queued_mail() -> int:
    """Drop what this transaction queued (demo data, bulk imports: nobody to tell)."""
    return len(db.session.info.pop(QUEUE_KEY, []))
