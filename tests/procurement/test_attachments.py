"""Bids cite the agency's qualifications and library documents (一次提交、材料复用): only its
own, usable, for the notice's item; shown under the sealed-bid rules; the purchaser reads a
cited document only once the bids are open."""

import re

import pytest
from sqlalchemy import func, select

from market.agencies.documents import archive_document, can_read
from market.agencies.qualifications import reject_qualification, verify_qualification
from market.core.errors import ServiceError
from market.procurement.models import Bid, bid_documents, bid_qualifications
from market.procurement.services import bid_document_readers, cancel_notice, submit_bid


def login(app, user, make):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert response.status_code == 302
    return client


def rows_written(db):
    return tuple(
        db.session.scalar(select(func.count()).select_from(table))
        for table in (Bid.__table__, bid_qualifications, bid_documents)
    )


def _submit(agency_user, notice, qualifications=(), documents=()):
    return submit_bid(
        agency_user,
        notice,
        80_000_00,
        "方案",
        qualification_ids=[q.id for q in qualifications],
        document_ids=[d.id for d in documents],
    )


def test_a_bid_cites_its_own_qualifications_and_documents(make):
    agency = make.agency()
    declared = make.qualification(agency, grade="乙级")
    verified = make.qualification(agency, grade="甲级")
    verify_qualification(make.staff("regulator", "生态环境部门"), verified.id)
    licence = make.document(agency, kind="licence", title="营业执照副本")
    notice = make.notice()
    bid = _submit(agency, notice, [declared, verified, declared], [licence])
    assert {q.id for q in bid.qualifications} == {declared.id, verified.id}
    assert bid.documents == [licence]


@pytest.mark.parametrize(
    "case",
    ["rejected", "expired", "other_agency", "unknown", "other_item"],
)
def test_a_qualification_that_cannot_be_cited_refuses_the_whole_bid(make, db, frozen_clock, case):
    agency = make.agency(items=("ZJ012", "ZJ018"))
    good = make.qualification(agency)
    if case == "rejected":
        bad = make.qualification(agency, type="环评资信", number="HP-404")
        reject_qualification(make.staff("regulator", "生态环境部门"), bad.id, "查无此证")
        message = "资质「环评资信 HP-404」核验不通过，不能用于报价"
    elif case == "expired":
        bad = make.qualification(agency, type="环评资信", number="HP-OLD", valid_days=1)
        frozen_clock.advance(days=2)
        message = f"资质「环评资信 HP-OLD」已于 {bad.valid_until:%Y-%m-%d} 过期，不能用于报价"
    elif case == "other_agency":
        bad = make.qualification(make.agency())
        message = "所选资质不存在或不属于本机构"
    elif case == "unknown":
        bad = type("Missing", (), {"id": 999_999})()
        message = "所选资质不存在或不属于本机构"
    else:
        bad = make.qualification(agency, "ZJ018", type="测绘资质", number="CH-1")
        message = "资质「测绘资质 CH-1」不是「环境影响评价报告书（表）编制」的资质"
    notice = make.notice()
    before = rows_written(db)
    with pytest.raises(ServiceError, match=re.escape(message)) as err:
        _submit(agency, notice, [good, bad])
    assert err.value.field == "qualification_ids"
    assert rows_written(db) == before and notice.bids == []


@pytest.mark.parametrize("case", ["other_agency", "unknown", "archived"])
def test_a_document_that_cannot_be_cited_refuses_the_whole_bid(make, db, case):
    agency = make.agency()
    good = make.document(agency, title="营业执照副本")
    if case == "archived":
        bad = make.document(agency, title="旧版资质证书")
        archive_document(agency, bad.id)
        message = "材料「旧版资质证书」已归档，不能用于报价"
    elif case == "other_agency":
        bad = make.document(make.agency())
        message = "所选材料不存在或不属于本机构资料库"
    else:
        bad = type("Missing", (), {"id": 999_999})()
        message = "所选材料不存在或不属于本机构资料库"
    notice = make.notice()
    before = rows_written(db)
    with pytest.raises(ServiceError, match=re.escape(message)) as err:
        _submit(agency, notice, documents=[good, bad])
    assert err.value.field == "document_ids"
    assert rows_written(db) == before and notice.bids == []


def test_the_bid_form_offers_usable_qualifications_and_library_documents(app, make):
    agency = make.agency(items=("ZJ012", "ZJ018"))
    usable = make.qualification(agency, type="环评资信", number="HP-100")
    make.qualification(agency, "ZJ018", number="CH-200")  # another item's
    rejected = make.qualification(agency, number="HP-404")
    reject_qualification(make.staff("regulator", "生态环境部门"), rejected.id, "查无此证")
    licence = make.document(agency, kind="licence", title="营业执照副本")
    notice = make.notice()
    page = login(app, agency, make).get(f"/notices/{notice.id}").get_data(as_text=True)
    box = page.split('id="bid-box"')[1]
    assert f'name="qualification_ids" value="{usable.id}"' in box and "HP-100" in box
    assert "已声明" in box and "CH-200" not in box and "HP-404" not in box
    assert f'name="document_ids" value="{licence.id}"' in box and "营业执照副本" in box


def test_an_empty_bid_form_links_to_the_library(app, make):
    notice = make.notice()
    page = login(app, make.agency(), make).get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "没有可引用的本事项资质" in page and 'href="/agency/qualifications"' in page
    assert "资料库中还没有材料" in page and 'href="/agency/documents"' in page


def test_attachments_go_through_the_page_and_show_on_the_sealed_bid(app, make, db):
    agency = make.agency()
    qualification = make.qualification(agency, type="环评资信", number="HP-100")
    licence = make.document(agency, kind="licence", title="营业执照副本")
    other = make.document(make.agency(), title="别家的材料")
    notice = make.notice()
    client = login(app, agency, make)
    refused = client.post(
        f"/notices/{notice.id}/bid",
        data={"amount": "80000", "qualification_ids": qualification.id, "document_ids": other.id},
    )
    assert refused.status_code == 422
    assert "所选材料不存在或不属于本机构资料库" in refused.get_data(as_text=True)
    assert notice.bids == []

    response = client.post(
        f"/notices/{notice.id}/bid",
        data={"amount": "80000", "qualification_ids": qualification.id, "document_ids": licence.id},
    )
    assert response.status_code == 302
    own = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    bids = own.split('id="bids"')[1]
    assert "HP-100" in bids and "已声明" in bids
    assert f'href="/documents/{licence.id}"' in bids and "营业执照副本" in bids
    purchaser_view = login(app, notice.created_by, make).get(f"/notices/{notice.id}")
    assert "营业执照副本" not in purchaser_view.get_data(as_text=True)


def test_a_rejected_qualification_disappears_from_a_submitted_bid(app, make):
    agency = make.agency()
    kept = make.qualification(agency, type="环评资信", number="HP-KEEP")
    doomed = make.qualification(agency, type="环评资信", number="HP-FALSE")
    notice = make.notice()
    _submit(agency, notice, [kept, doomed])
    make.close_bidding(notice)
    client = login(app, notice.created_by, make)
    before = client.get(f"/notices/{notice.id}").get_data(as_text=True).split('id="bids"')[1]
    assert "HP-KEEP" in before and "HP-FALSE" in before
    reject_qualification(make.staff("regulator", "生态环境部门"), doomed.id, "证书系伪造")
    after = client.get(f"/notices/{notice.id}").get_data(as_text=True).split('id="bids"')[1]
    assert "HP-KEEP" in after and "HP-FALSE" not in after


def test_the_purchaser_reads_a_cited_document_only_once_bids_are_open(make):
    agency = make.agency()
    cited = make.document(agency, title="营业执照副本")
    uncited = make.document(agency, title="未引用的材料")
    notice = make.notice()
    buyer, other_buyer = notice.created_by, make.purchaser()
    _submit(agency, notice, documents=[cited])
    assert bid_document_readers(cited) == set()
    assert not can_read(buyer, cited)

    make.close_bidding(notice)
    assert notice.state == "bidding_closed"
    assert bid_document_readers(cited) == {notice.purchaser_org_id}
    assert can_read(buyer, cited) and not can_read(buyer, uncited)
    assert not can_read(other_buyer, cited) and not can_read(make.agency(), cited)


def test_a_cancelled_notice_keeps_its_bids_documents_sealed(make):
    agency = make.agency()
    cited = make.document(agency)
    notice = make.notice()
    _submit(agency, notice, documents=[cited])
    cancel_notice(notice.created_by, notice, "项目调整")
    assert bid_document_readers(cited) == set() and not can_read(notice.created_by, cited)


def test_downloading_a_cited_document_before_and_after_the_deadline(app, make):
    agency = make.agency()
    cited = make.document(agency, title="营业执照副本", content=make.PDF_BYTES)
    notice = make.notice()
    _submit(agency, notice, documents=[cited])
    client = login(app, notice.created_by, make)
    sealed = client.get(f"/documents/{cited.id}")
    assert sealed.status_code == 403 and "您无权查看该材料" in sealed.get_data(as_text=True)

    make.close_bidding(notice)
    response = client.get(f"/documents/{cited.id}")
    try:
        assert response.status_code == 200 and response.get_data() == make.PDF_BYTES
    finally:
        response.close()
