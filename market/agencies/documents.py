"""The agency's document library (材料复用): files uploaded once, checked by their content,
stored under the instance folder and read only through can_read()."""

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import NotAllowed, ServiceError, format_size
from ..core.forms import without_hidden_characters
from ..core.i18n import _, _l
from ..extensions import db
from .models import DOCUMENT_KINDS, Document

#: what we accept, recognised by the file's first bytes (never by its name or the browser's word)
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
ALLOWED_LABEL = _l("PDF、JPG 或 PNG")
#: the title of a file uploaded without one (stored on the row: kept as it is)
UNTITLED = "附件"  # i18n: data


@dataclass
class Upload:
    kind: str
    title: str
    filename: str
    content: bytes


def sniff_content_type(content: bytes) -> str | None:
    for magic, content_type, __ in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def upload_folder() -> str:
    return current_app.config["UPLOAD_FOLDER"] or os.path.join(current_app.instance_path, "uploads")


def _check(upload: Upload) -> str:
    if upload.kind not in DOCUMENT_KINDS:
        raise ServiceError(_("请选择材料类别"), "kind")
    if not upload.title.strip():
        raise ServiceError(_("请填写材料名称"), "title")
    if not upload.content:
        raise ServiceError(_("请选择要上传的文件（文件不能为空）"), "file")
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if len(upload.content) > limit:
        raise ServiceError(
            _(
                "文件大小 %(size)s，超过上限 %(limit)s",
                size=format_size(len(upload.content)),
                limit=format_size(limit),
            ),
            "file",
        )
    content_type = sniff_content_type(upload.content)
    if content_type is None:
        raise ServiceError(_("文件类型不支持：只接受 %(types)s 文件", types=ALLOWED_LABEL), "file")
    return content_type


def _organisation_of(user):
    org = getattr(user, "organisation", None)
    if org is None:
        raise NotAllowed(_("只有单位账号可以上传材料"))
    return org


def store_document(user, upload: Upload, pending: bool = False) -> Document:
    """Check an upload by content type and size, write it under the instance folder, record it
    in the library of the user's organisation (any kind: agencies, purchasers, regulators);
    a `pending` one stays out of the library until keep_held()."""
    org = _organisation_of(user)
    content_type = _check(upload)
    extension = next(ext for _, ct, ext in SIGNATURES if ct == content_type)
    storage_key = f"{org.id}/{secrets.token_hex(16)}{extension}"
    filename = (
        without_hidden_characters(os.path.basename(upload.filename or ""))[:200]
        or f"file{extension}"
    )
    document = Document(
        org_id=org.id,
        kind=upload.kind,
        # An attachment is titled by its file name, which no form checked: cleaned like it.
        title=without_hidden_characters(upload.title).strip()[:200] or filename,
        filename=filename,
        content_type=content_type,
        size_bytes=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        storage_key=storage_key,
        uploaded_by_id=user.id,
        uploaded_dt=utcnow(),
        pending=pending,
    )
    db.session.add(document)
    db.session.flush()
    path = os.path.join(upload_folder(), storage_key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Written after the row is flushed: if the request then fails, the transaction rolls back
    # and the orphan file is harmless (nothing refers to it; its name is unguessable).
    with open(path, "wb") as fh:
        fh.write(upload.content)
    if not pending:
        _record_upload(user, document)
    return document


def _record_upload(user, document: Document) -> None:
    record_event(
        "document",
        document.id,
        "uploaded",
        actor=user,
        public=False,
        data={"kind": document.kind, "sha256": document.sha256},
    )


def hold_uploads(user, kind: str, uploads: list[Upload]) -> tuple[list[Document], list[str]]:
    """Keep the acceptable files of a form shown again after an error as pending documents,
    so they need not be chosen again; returns them and a message for each file refused."""
    held, refused = [], []
    for upload in uploads:
        try:
            check_uploads([upload])
        except ServiceError as error:
            refused.append(error.message)
            continue
        title = upload.title.strip() or upload.filename or UNTITLED
        upload = Upload(kind, title, upload.filename, upload.content)
        held.append(store_document(user, upload, pending=True))
    return held, refused


def held_documents(org_id: int, document_ids) -> list[Document]:
    """The organisation's pending documents among `document_ids` (others are left out: a held
    file the worker has deleted since is simply no longer offered)."""
    ids = [i for i in dict.fromkeys(document_ids or []) if isinstance(i, int)]
    if not ids:
        return []
    stmt = select(Document).where(
        Document.id.in_(ids), Document.org_id == org_id, Document.pending.is_(True)
    )
    found = {d.id: d for d in db.session.scalars(stmt)}
    return [found[i] for i in ids if i in found]


def held_document(org_id: int, document_id: int, field: str) -> Document:
    """One pending document of the organisation, or a ServiceError for the field."""
    document = db.session.get(Document, document_id)
    if document is None or document.org_id != org_id or not document.pending:
        raise ServiceError(_("此前上传的附件已失效（表单超过一天未保存），请重新选择文件"), field)
    return document


def keep_held(user, documents) -> None:
    """The form was saved: its pending documents join the library (and are recorded)."""
    for document in documents:
        if document.pending:
            document.pending = False
            _record_upload(user, document)
    db.session.flush()


def discard_stale_held(now) -> list[str]:
    """Delete the rows of pending documents older than HELD_UPLOAD_HOURS (their form was never
    saved), at most 1,000 a round; flushes and returns their files' paths, to be removed once
    the deletion is committed."""
    cutoff = now - timedelta(hours=current_app.config["HELD_UPLOAD_HOURS"])
    stale = list(
        db.session.scalars(
            select(Document)
            .where(Document.pending.is_(True), Document.uploaded_dt < cutoff)
            .order_by(Document.id)
            .limit(1000)
        )
    )
    paths = [document_path(d) for d in stale]
    for document in stale:
        db.session.delete(document)
    db.session.flush()
    return paths


def remove_files(paths) -> None:
    """Remove stored files whose rows are gone (one already missing is no error)."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def check_uploads(uploads: list[Upload], field: str = "files", pdf_only: bool = False) -> None:
    """Refuse a bad file before anything is stored, so a refusal leaves nothing behind (the
    library's own check would only catch it after the files before it were written)."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    for upload in uploads:
        name = upload.filename or _("所选文件")
        if not upload.content:
            raise ServiceError(_("文件「%(name)s」为空，请重新选择", name=name), field)
        if len(upload.content) > limit:
            raise ServiceError(
                _(
                    "文件「%(name)s」大小 %(size)s，超过上限 %(limit)s",
                    name=name,
                    size=format_size(len(upload.content)),
                    limit=format_size(limit),
                ),
                field,
            )
        content_type = sniff_content_type(upload.content)
        if pdf_only and content_type != "application/pdf":
            raise ServiceError(
                _("文件「%(name)s」不是 PDF 文件：合同文本只接受 PDF", name=name), field
            )
        if content_type is None:
            raise ServiceError(
                _("文件「%(name)s」类型不支持：只接受 PDF、JPG 或 PNG 文件", name=name), field
            )


def store_uploads(user, kind: str, uploads: list[Upload]) -> list[Document]:
    """Store checked uploads in the user's organisation library as documents of `kind`."""
    return [
        store_document(
            user, Upload(kind, u.title.strip() or u.filename or UNTITLED, u.filename, u.content)
        )
        for u in uploads
    ]


def archive_document(user, document_id: int) -> Document:
    """Take a file out of the library; bids that cited it still show it."""
    org = _organisation_of(user)
    document = db.session.get(Document, document_id)
    if document is None or document.org_id != org.id:
        raise NotAllowed(_("只能管理本单位的材料"))
    document.archived = True
    db.session.flush()
    record_event("document", document.id, "archived", actor=user, public=False)
    return document


def own_document(org_id: int, document_id: int, field: str = "document_id") -> Document:
    """A current document of the organisation's library, or a ServiceError for the field."""
    document = db.session.get(Document, document_id)
    if document is None or document.org_id != org_id or document.archived or document.pending:
        raise ServiceError(_("所选材料不在本单位资料库中"), field)
    return document


def library(org_id: int, kind: str | None = None) -> list[Document]:
    """The organisation's current (not archived) documents, newest first."""
    stmt = (
        select(Document)
        .where(Document.org_id == org_id, Document.archived.is_(False), Document.pending.is_(False))
        .order_by(Document.uploaded_dt.desc(), Document.id.desc())
    )
    if kind:
        stmt = stmt.where(Document.kind == kind)
    return list(db.session.scalars(stmt))


def register_sharer(app, sharer) -> None:
    """Let another domain grant reading: `sharer(document)` returns the organisation ids it
    shares the file with (procurement: the parties of a notice whose opened bids, objections,
    contract or deliveries cite it); the PUBLIC marker in that set lets anyone read it."""
    app.extensions.setdefault("market_document_sharers", []).append(sharer)


def can_read(user, document: Document) -> bool:
    """The owning organisation, regulators and operators may read a file; so may the
    organisations a registered sharer names."""
    org = getattr(user, "organisation", None)
    if org is None:
        return False
    if org.id == document.org_id or org.kind in ("regulator", "operator"):
        return True
    sharers = current_app.extensions.get("market_document_sharers", [])
    return any(org.id in sharer(document) for sharer in sharers)


#: a sharer includes this in its answer for files anyone may read (a published notice's files)
PUBLIC = 0


def is_public(document: Document) -> bool:
    """Whether a registered sharer publishes the file to everyone, logged in or not."""
    sharers = current_app.extensions.get("market_document_sharers", [])
    return any(PUBLIC in sharer(document) for sharer in sharers)


def document_path(document: Document) -> str:
    return os.path.join(upload_folder(), document.storage_key)
