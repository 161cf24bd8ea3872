"""The document library: upload once through the page, read back only by those allowed."""

import hashlib
import io
import os

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from market.agencies.models import Document
from market.core.models import AuditEvent
from tests.factories import PDF_BYTES, PNG_BYTES


def stored_files(app):
    """Every file under the upload folder (ids repeat across rolled-back tests, so compare all)."""
    root = app.config["UPLOAD_FOLDER"]
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}


def document_count(db, user):
    return db.session.scalar(
        select(func.count(Document.id)).where(Document.org_id == user.organisation.id)
    )


def upload(client, content, filename="证书.pdf", **overrides):
    data = {"kind": "qualification", "title": "测绘资质证书正本"}
    data.update(overrides)
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    return client.post("/agency/documents", data=data, content_type="multipart/form-data")


def fetch(client, document_id):
    response = client.get(f"/documents/{document_id}")
    response.get_data()
    response.close()  # a served file stays open until the response is closed
    return response


@pytest.fixture
def agency(auth, make):
    user = make.agency()
    auth.login(user)
    return user


def test_an_empty_library_explains_reuse(client, agency):
    page = client.get("/agency/documents").get_data(as_text=True)
    assert "资料库还是空的" in page and "一次上传、多次复用" in page
    assert 'enctype="multipart/form-data"' in page
    assert "PDF、JPG 或 PNG 文件，单个文件不超过 10 MB" in page


def test_a_pdf_is_stored_with_its_fingerprint_and_read_back_unchanged(client, agency, app, db):
    before = stored_files(app)
    response = upload(client, PDF_BYTES, filename="测绘资质.pdf")
    assert response.status_code == 302 and response.headers["Location"] == "/agency/documents"

    document = db.session.scalar(select(Document).where(Document.org_id == agency.organisation.id))
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    assert (document.sha256, document.size_bytes, document.content_type) == (
        digest,
        len(PDF_BYTES),
        "application/pdf",
    )
    new_files = stored_files(app) - before
    assert len(new_files) == 1
    (path,) = new_files
    assert path.startswith(app.config["UPLOAD_FOLDER"]) and "测绘资质" not in path
    with open(path, "rb") as fh:
        assert fh.read() == PDF_BYTES

    page = client.get("/agency/documents").get_data(as_text=True)
    assert "已上传「测绘资质证书正本」" in page
    assert "资质证书" in page and "测绘资质.pdf" in page and digest[:12] in page
    assert "2026-11-24 10:00" in page and "资料库还是空的" not in page

    served = fetch(client, document.id)
    assert served.status_code == 200 and served.get_data() == PDF_BYTES
    assert served.mimetype == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "inline" in served.headers["Content-Disposition"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "uploaded"))
    assert event.subject_id == document.id and event.data["sha256"] == digest


def test_an_image_is_accepted_by_its_content(client, agency, db):
    assert upload(client, PNG_BYTES, filename="scan.PNG", kind="licence").status_code == 302
    document = db.session.scalar(select(Document).where(Document.org_id == agency.organisation.id))
    assert (document.kind, document.content_type) == ("licence", "image/png")


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            b"just some text, not a PDF at all",
            "renamed.pdf",
            "文件类型不支持：只接受 PDF、JPG 或 PNG 文件",
        ),
        (
            b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56,
            "setup.exe",
            "文件类型不支持：只接受 PDF、JPG 或 PNG 文件",
        ),
        (b"", "empty.pdf", "请选择要上传的文件（文件不能为空）"),
        (None, None, "请选择要上传的文件（文件不能为空）"),
    ],
    ids=["text-named-pdf", "exe", "empty", "no-file"],
)
def test_refused_uploads_say_why_and_leave_nothing(
    client, agency, app, db, content, filename, message
):
    before = stored_files(app)
    response = upload(client, content, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert document_count(db, agency) == 0
    assert stored_files(app) == before


def test_a_file_over_the_limit_is_refused(client, agency, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    before = stored_files(app)
    page = upload(client, PDF_BYTES + b"\x00" * 2000).get_data(as_text=True)
    assert "文件大小 2 KB，超过上限 1 KB" in page
    assert document_count(db, agency) == 0 and stored_files(app) == before
    assert "单个文件不超过 1 KB" in client.get("/agency/documents").get_data(as_text=True)


def test_a_request_too_large_to_read_gets_a_chinese_page(client, agency, app, db):
    before = stored_files(app)
    # Encoded up front: the test client would otherwise spool the body to a temporary file
    # that the refused request never reads or closes.
    big = FileStorage(io.BytesIO(PDF_BYTES + b"\x00" * (12 * 1024 * 1024)), "big.pdf")
    boundary, body = encode_multipart({"kind": "qualification", "title": "大文件", "file": big})
    response = client.post(
        "/agency/documents", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "上传的文件过大，单个文件不能超过 10 MB" in page and "未保存任何内容" in page
    assert document_count(db, agency) == 0 and stored_files(app) == before


def test_a_title_is_required(client, agency, db):
    page = upload(client, PDF_BYTES, title="  ").get_data(as_text=True)
    assert "请填写材料名称" in page and document_count(db, agency) == 0


def test_another_agency_and_a_purchaser_cannot_read_a_file(client, auth, make):
    owner = make.agency()
    document = make.document(owner)
    auth.login(make.agency())
    response = fetch(client, document.id)
    assert response.status_code == 403 and "您无权查看该材料" in response.get_data(as_text=True)
    auth.login(make.purchaser())
    assert fetch(client, document.id).status_code == 403


@pytest.mark.parametrize("role", ["regulator", "operator"])
def test_regulators_and_operators_can_read_a_file(client, auth, make, role):
    document = make.document(make.agency())
    auth.login(make.staff(role, "生态环境部门" if role == "regulator" else "平台运营中心"))
    response = fetch(client, document.id)
    assert response.status_code == 200 and response.get_data() == PDF_BYTES


def test_a_purchaser_the_file_is_shared_with_can_read_it(client, auth, make, app, monkeypatch):
    document = make.document(make.agency())
    buyer = make.purchaser()
    monkeypatch.setitem(
        app.extensions, "market_document_sharers", [lambda doc: {buyer.organisation.id}]
    )
    auth.login(buyer)
    assert fetch(client, document.id).status_code == 200


def test_anonymous_visitors_are_sent_to_login(client, make):
    document = make.document(make.agency())
    response = fetch(client, document.id)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/agency/documents").headers["Location"].startswith("/login")


def test_an_unknown_file_is_not_found(client, agency):
    assert fetch(client, 999999).status_code == 404


def test_archived_documents_leave_the_library_but_stay_readable(client, agency, make, db):
    kept = make.document(agency, title="营业执照副本", kind="licence")
    archived = make.document(agency, title="旧版资质证书")
    response = client.post(f"/agency/documents/{archived.id}/archive", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已将「旧版资质证书」移出资料库" in page
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "营业执照副本" in table and "旧版资质证书" not in table
    assert db.session.get(Document, archived.id).archived and not kept.archived
    assert fetch(client, archived.id).status_code == 200


def test_archiving_needs_a_post_and_the_owner(client, auth, make, db):
    document = make.document(make.agency())
    auth.login(make.agency())
    # the address asks first (for its owner); only the POST archives
    assert client.get(f"/agency/documents/{document.id}/archive").status_code == 403
    response = client.post(f"/agency/documents/{document.id}/archive")
    assert response.status_code == 403 and "只能管理本单位的材料" in response.get_data(as_text=True)
    assert db.session.get(Document, document.id).archived is False


def test_the_library_lists_newest_first(client, agency, make, frozen_clock):
    make.document(agency, title="较早的材料")
    frozen_clock.advance(hours=1)
    make.document(agency, title="较新的材料")
    page = client.get("/agency/documents").get_data(as_text=True)
    assert page.index("较新的材料") < page.index("较早的材料")


@pytest.mark.parametrize("role", ["purchaser", "regulator"])
def test_only_agencies_have_a_library(client, auth, make, role):
    auth.login(make.purchaser() if role == "purchaser" else make.staff())
    assert client.get("/agency/documents").status_code == 403
    assert upload(client, PDF_BYTES).status_code == 403


def test_hidden_characters_leave_a_file_name_before_it_is_stored_or_served(client, agency, db):
    response = upload(client, PDF_BYTES, filename="资质\x00证书\u202efdp.exe.pdf")
    assert response.status_code == 302
    document = db.session.scalars(
        select(Document).where(Document.org_id == agency.organisation.id)
    ).one()
    assert document.filename == "资质证书fdp.exe.pdf"
    served = fetch(client, document.id)
    assert "\x00" not in served.headers["Content-Disposition"]
    assert "\u202e" not in served.headers["Content-Disposition"]


def test_a_title_taken_from_a_file_name_is_cleaned_like_the_name(make, db):
    """Attachments are titled by their file names: no hidden characters, within the column."""
    from market.agencies.documents import Upload, store_uploads

    names = ["证明\x00材料\u202efdp.pdf", "长" * 300 + ".pdf", "\x00.pdf"]
    uploads = [Upload("evidence", name, name, PDF_BYTES) for name in names]
    documents = store_uploads(make.agency(), "evidence", uploads)
    assert [d.title for d in documents] == ["证明材料fdp.pdf", "长" * 200, ".pdf"]
    assert [d.filename for d in documents] == ["证明材料fdp.pdf", "长" * 200, ".pdf"]
