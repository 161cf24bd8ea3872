"""Outgoing e-mail without a mail server: .eml files in MAIL_FOLDER, or kept in memory (tests).

Offline deployments pick the files up with their own relay, or an operator forwards them.
"""

import os
import secrets
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app

from .clock import utcnow

OUTBOX_KEY = "market_mail_outbox"


def mail_folder() -> str:
    return current_app.config.get("MAIL_FOLDER") or os.path.join(current_app.instance_path, "mail")


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Build a plain-text message from MAIL_SENDER and hand it to the configured backend."""
    now = utcnow()
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain="market.local")
    message.set_content(body)

    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        outbox().append(message)
    elif backend == "file":
        folder = mail_folder()
        os.makedirs(folder, exist_ok=True)
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
        # "x": never overwrite a message already waiting in the folder.
        with open(os.path.join(folder, name), "xb") as fh:
            fh.write(message.as_bytes())
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r} (expected 'file' or 'memory')")
    return message


def outbox() -> list[EmailMessage]:
    """Messages sent with the "memory" backend, oldest first."""
    return current_app.extensions.setdefault(OUTBOX_KEY, [])
