"""The arrival journal: quotes the platform received and has not answered yet.

A quote counts by when the platform received it. If the process handling it dies before it
answers (a worker killed, the host's power cut) the agency sends it again, and the new request
arrives later, perhaps after the deadline. So as soon as its request starts, before the user
is even loaded, its arrival is written to a journal file and forced to disk: a keyed digest of
the signed-in sender, the notice and the form's content, and the moment it arrived (nothing of
the quote itself). When the request answers (stored, or
refused with a reason) an answer line follows. A quote sent again with the same content takes
the moment of the earliest arrival of that content that never got an answer: the platform did
receive it then. Each quote reads the journal for that: the lines of one notice are spread by
digest over BUCKETS files, and only the lines with its own digest are parsed, so a quote's
read stays small however many quotes the notice takes.

A refused quote is answered, so its content cannot later borrow its time: only an arrival
whose handling died keeps its moment. BUCKETS files per notice under ARRIVAL_JOURNAL_FOLDER (the
instance folder's `arrivals/` by default), appended by every process of the host (one line per
write, O_APPEND); the worker deletes files untouched for ARRIVAL_JOURNAL_DAYS. Hosts that
share the quoting should share this folder (see docs/operations.md).
"""

import hashlib
import hmac
import json
import os
import secrets
import time
from datetime import UTC, datetime

from flask import current_app

from ..core.hashing import canonical_json

#: the quote form's fields that make its content (the CSRF token does not)
QUOTE_FIELDS = ("amount", "plan", "qualification_ids", "document_ids")


def quote_digest(sender: str, notice_id: int, form) -> str:
    """What identifies one quote: the same signed-in user sending the same form to the same
    notice again (`form` as posted: a MultiDict). Keyed with SECRET_KEY: the journal on disk
    does not let anyone try amounts against it (a quote is sealed until the deadline)."""
    content = {
        "sender": sender,
        "notice": notice_id,
        "fields": {name: sorted(form.getlist(name)) for name in QUOTE_FIELDS},
    }
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, canonical_json(content).encode(), hashlib.sha256).hexdigest()


def folder() -> str:
    return current_app.config["ARRIVAL_JOURNAL_FOLDER"] or os.path.join(
        current_app.instance_path, "arrivals"
    )


#: files per notice, by the digest's first hex digit: a quote reads one of them
BUCKETS = 16


def _path(notice_id: int, digest: str) -> str:
    bucket = int(digest[0], 16) % BUCKETS
    return os.path.join(folder(), f"notice-{int(notice_id)}-{bucket:x}.jsonl")


def _append(notice_id: int, digest: str, entry: dict, durable: bool) -> None:
    line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
    path, flags = _path(notice_id, digest), os.O_WRONLY | os.O_APPEND
    try:
        fd, created = os.open(path, flags), False
    except FileNotFoundError:
        os.makedirs(folder(), mode=0o700, exist_ok=True)
        fd, created = os.open(path, flags | os.O_CREAT, 0o600), True
    try:
        os.write(fd, line)  # one write of one short line: never interleaved with another's
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    if durable and created:
        _sync_folder()  # the new file's name is on disk too, not only its line


def _sync_folder() -> None:
    fd = os.open(folder(), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def arrived(notice_id: int, digest: str, at: datetime) -> str:
    """Journal a quote's arrival, on disk before this returns; returns its token."""
    token = secrets.token_hex(8)
    entry = {"arrived": token, "digest": digest, "at": at.astimezone(UTC).isoformat()}
    _append(notice_id, digest, entry, durable=True)
    return token


def answered(notice_id: int, digest: str) -> None:
    """The quote with this content got its answer: no arrival of it lends its time again."""
    _append(notice_id, digest, {"answered": digest}, durable=False)


def unanswered_since(notice_id: int, digest: str, token: str) -> datetime | None:
    """The earliest arrival of this content, other than `token`'s, never answered."""
    try:
        with open(_path(notice_id, digest), "rb") as fh:
            journal = fh.read()
    except FileNotFoundError:
        return None
    earliest = None
    for raw in _lines_with(journal, digest.encode()):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # a line being written as we read
        if entry.get("answered") == digest:
            earliest = None  # answered: what arrived before it is settled
        elif entry.get("digest") == digest and entry.get("arrived") != token:
            at = datetime.fromisoformat(entry["at"])
            earliest = at if earliest is None else min(earliest, at)
    return earliest


def _lines_with(journal: bytes, needle: bytes):
    """The lines of `journal` that contain `needle`, in order; the others are skipped over
    at the speed of a byte search, never split out or parsed."""
    found = journal.find(needle)
    while found != -1:
        start = journal.rfind(b"\n", 0, found) + 1
        end = journal.find(b"\n", found)
        end = len(journal) if end == -1 else end
        yield journal[start:end]
        found = journal.find(needle, end)


def purge(now: float | None = None) -> int:
    """Delete the journal files untouched for ARRIVAL_JOURNAL_DAYS; returns how many."""
    limit = (now or time.time()) - current_app.config["ARRIVAL_JOURNAL_DAYS"] * 86400
    removed = 0
    try:
        names = os.listdir(folder())
    except FileNotFoundError:
        return 0
    for name in names:
        path = os.path.join(folder(), name)
        try:
            if name.startswith("notice-") and os.path.getmtime(path) < limit:
                os.remove(path)
                removed += 1
        except FileNotFoundError:  # deleted meanwhile (another worker's purge)
            continue
    return removed
