"""Files chosen on a notice form that is shown again after an error are held for it (pending,
outside the library) and attached when it is saved; never saved, they are deleted after a day."""

import os
import re
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from market.agencies.documents import document_path
from market.agencies.listeners import discard_held_uploads
from market.agencies.models import Document
from market.core.clock import to_local
from market.core.errors import ServiceError
from market.core.models import AuditEvent
from market.procurement import services
from market.procurement.models import Notice

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def form(make, frozen_clock, **overrides):
    data = {
        "item_id": str(make.item("ZJ012").id),
        "title": "礼嘉智慧公园环境影响评价服务采购",
        "scope": "编制环境影响报告书",
        "ceiling": "120000",
        "service_days": "30",
        "deadline": to_local(frozen_clock.now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "contact_name": "王五",
        "contact_phone": "023-67001234",
        "method": "direct",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def documents_of(db, org_id):
    return list(db.session.scalars(select(Document).where(Document.org_id == org_id)))


def held_ids(page):
    ticked = re.findall(r'name="held_ids" id="held-\d+" value="(\d+)" checked', page)
    return [int(i) for i in ticked]


@pytest.fixture
def refused(client, auth, make, frozen_clock, db):
    """A purchaser's new notice refused for its missing title, with a PDF and a Word file."""
    buyer = make.purchaser()
    auth.login(buyer)
    files = [(BytesIO(PDF), "采购需求书.pdf"), (BytesIO(b"PK\x03\x04 word"), "评分办法.docx")]
    response = client.post(
        "/notices/new",
        data=form(make, frozen_clock, title="", files=files),
        content_type="multipart/form-data",
    )
    return buyer, response.get_data(as_text=True)


def test_a_refused_form_keeps_the_good_file_and_says_what_was_wrong_with_the_other(refused, db):
    buyer, page = refused
    assert "请填写此项" in page  # the title's own error is shown
    assert "已上传的附件" in page and "采购需求书.pdf" in page
    # the Word file is named with the reason; it is not held
    assert "文件「评分办法.docx」类型不支持：只接受 PDF、JPG 或 PNG 文件" in page
    (held,) = documents_of(db, buyer.organisation.id)
    assert held_ids(page) == [held.id]
    assert held.pending and held.filename == "采购需求书.pdf"
    assert os.path.exists(document_path(held))
    assert db.session.scalar(select(Notice.id)) is None


def test_a_held_file_is_outside_the_library_until_the_form_is_saved(
    refused, client, make, frozen_clock, db
):
    buyer, page = refused
    (held,) = documents_of(db, buyer.organisation.id)
    library_choices = re.findall(r'name="attachment_ids" id="attachment-(\d+)"', page)
    assert str(held.id) not in library_choices
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "document")
    ).all()

    saved = client.post("/notices/new", data=form(make, frozen_clock, held_ids=[str(held.id)]))
    assert saved.status_code == 302
    notice = db.session.scalars(select(Notice)).one()
    assert [d.filename for d in notice.attachments] == ["采购需求书.pdf"]
    assert held.pending is False
    uploaded = db.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "document")
    ).all()
    assert [(e.subject_id, e.action) for e in uploaded] == [(held.id, "uploaded")]
    # the edit form now lists it among the library's files
    edit = client.get(f"/notices/{notice.id}/edit").get_data(as_text=True)
    assert f'id="attachment-{held.id}" value="{held.id}" checked' in edit


def test_a_held_file_unticked_is_not_attached_and_is_deleted_after_a_day(
    refused, client, make, frozen_clock, db
):
    buyer, _ = refused
    (held,) = documents_of(db, buyer.organisation.id)
    path = document_path(held)
    assert client.post("/notices/new", data=form(make, frozen_clock)).status_code == 302
    assert db.session.scalars(select(Notice)).one().attachments == []

    frozen_clock.advance(hours=23)
    assert discard_held_uploads() == 0
    assert os.path.exists(path)
    frozen_clock.advance(hours=2)
    assert discard_held_uploads() == 1
    assert documents_of(db, buyer.organisation.id) == [] and not os.path.exists(path)


def test_an_edit_refused_twice_keeps_its_files_both_times(client, auth, make, frozen_clock, db):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    auth.login(buyer)
    url = f"/notices/{notice.id}/edit"
    first = client.post(
        url,
        data=form(make, frozen_clock, ceiling="", files=[(BytesIO(PDF), "图纸.pdf")]),
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    (drawing,) = held_ids(first)
    second = client.post(
        url,
        data=form(
            make,
            frozen_clock,
            ceiling="",
            held_ids=[str(drawing)],
            files=[(BytesIO(PDF), "地形图.pdf")],
        ),
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert len(held_ids(second)) == 2 and "图纸.pdf" in second and "地形图.pdf" in second
    saved = client.post(url, data=form(make, frozen_clock, held_ids=held_ids(second)))
    assert saved.status_code == 302
    assert sorted(d.filename for d in notice.attachments) == ["图纸.pdf", "地形图.pdf"]


def test_another_organisations_held_file_cannot_be_attached(make, db):
    stranger = make.purchaser()
    foreign = make.document(stranger, kind="notice", title="别家暂存")
    foreign.pending = True
    db.session.flush()
    buyer = make.purchaser()
    with pytest.raises(ServiceError, match="此前上传的附件已失效") as err:
        services.create_notice(buyer, make.notice_data(held_ids=[foreign.id]))
    assert err.value.field == "files"
    # nor can the owner pick it from the library while it is pending
    with pytest.raises(ServiceError, match="所选材料不在本单位资料库中"):
        services.create_notice(stranger, make.notice_data(attachment_ids=[foreign.id]))
