"""The record pages: reporting, each step's form, the lists, the agency's credit page."""

import io
from datetime import timedelta

import pytest

from market.agencies.documents import Upload
from market.agencies.services import agency_of
from market.credit.models import ConductRecord
from market.credit.records import appeals
from market.procurement import services as procurement
from tests.factories import PDF_BYTES
from tests.pages import without_csrf_tokens


def count(db):
    return db.session.scalar(db.select(db.func.count(ConductRecord.id)))


def test_a_purchaser_reports_a_bidder_from_its_notice(make, db, client, auth):
    notice = make.notice()
    bidder = make.agency()
    make.bid(bidder, notice)
    make.close_bidding(notice)
    auth.login(notice.created_by)
    page = client.get(f"/credit/report?notice_id={notice.id}").get_data(as_text=True)
    assert bidder.organisation.name in page and "A02" in page

    response = client.post(
        "/credit/report",
        data={
            "notice_id": notice.id,
            "subject_org_id": bidder.organisation.id,
            "code": "A11",
            "facts": "",
        },
    )
    assert response.status_code == 422 and "请写明违规事实" in response.get_data(as_text=True)
    assert count(db) == 0

    response = client.post(
        "/credit/report",
        data={
            "notice_id": notice.id,
            "subject_org_id": bidder.organisation.id,
            "code": "A11",
            "facts": "报价明显低于成本且无法说明",
            "files": (io.BytesIO(PDF_BYTES), "cost.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "已报告" in text and "A11" in text and "证据材料：" in text and "cost.pdf" in text
    record = db.session.scalar(db.select(ConductRecord))
    assert (record.source, record.subject_org_id) == ("purchaser", bidder.organisation.id)
    assert len(record.documents_at("report")) == 1


def test_a_purchaser_cannot_report_an_agency_that_did_not_bid(make, db, client, auth):
    notice = make.notice()
    make.bid(make.agency(), notice)
    make.close_bidding(notice)
    stranger = make.agency()
    auth.login(notice.created_by)
    response = client.post(
        "/credit/report",
        data={
            "notice_id": notice.id,
            "subject_org_id": stranger.organisation.id,
            "code": "A11",
            "facts": "x",
        },
    )
    assert response.status_code == 422 and "未参与该项目" in response.get_data(as_text=True)
    assert count(db) == 0


def test_before_the_deadline_reporting_on_a_notice_names_no_bidder(make, db, client, auth):
    """Who quoted is sealed until the deadline: the report form lists no bidder (the
    regulator's, only the purchaser), and a report is refused with one message whether the
    agency named quoted or not, so that neither tells who did."""
    notice = make.notice()
    bidder, stranger = make.agency(), make.agency()
    make.bid(bidder, notice)
    regulator = make.credit_regulator()
    for user in (notice.created_by, regulator):
        auth.login(user)
        page = client.get(f"/credit/report?notice_id={notice.id}").get_data(as_text=True)
        assert bidder.organisation.name not in page
        auth.logout()
    auth.login(notice.created_by)
    client.get("/dashboard")  # where the login leads, showing its welcome
    answers = set()
    for agency_user in (bidder, stranger):
        data = {"notice_id": notice.id, "subject_org_id": agency_user.organisation.id}
        response = client.post("/credit/report", data=data | {"code": "A11", "facts": "x"})
        assert response.status_code == 422
        # (the forms' CSRF tokens are signed with the time: blanked, requests may straddle a
        # second)
        answers.add(without_csrf_tokens(response.get_data(as_text=True)))
    (page,) = answers
    assert "报价截止后才能就该项目报告参与机构的不良行为" in page and count(db) == 0


def test_the_notice_page_offers_reporting_once_quotes_are_opened(make, client, auth):
    """The purchaser's link to report a bidder would tell that someone quoted: it shows once
    the quotes are opened, and never on a notice cancelled before its deadline."""
    buyer = make.purchaser()
    opened, cancelled = make.notice(buyer), make.notice(buyer)
    for notice in (opened, cancelled):
        make.bid(make.agency(), notice)
    procurement.cancel_notice(buyer, cancelled, "项目取消")
    auth.login(buyer)
    assert 'id="report-conduct"' not in client.get(f"/notices/{opened.id}").get_data(as_text=True)
    assert 'id="report-conduct"' not in client.get(f"/notices/{cancelled.id}").get_data(
        as_text=True
    )
    make.close_bidding(opened)
    assert 'id="report-conduct"' in client.get(f"/notices/{opened.id}").get_data(as_text=True)


@pytest.mark.parametrize("subject", ["9223372036854775808", "²"])
def test_a_subject_that_is_no_id_is_asked_for_again(make, db, client, auth, subject):
    """Beyond 64 bits, or a digit int() refuses: no organisation, never a database error."""
    notice = make.notice()
    make.bid(make.agency(), notice)
    make.close_bidding(notice)  # who quoted is sealed until then
    auth.login(notice.created_by)
    response = client.post(
        f"/credit/report?notice_id={notice.id}",
        data={"subject_org_id": subject, "code": "A11", "facts": "报价明显低于成本"},
    )
    assert response.status_code == 422 and "请选择被报告单位" in response.get_data(as_text=True)
    assert count(db) == 0


def test_the_agency_responds_and_the_regulator_decides_on_the_page(
    make, db, client, auth, frozen_clock
):
    record, regulator, agency_user = make.conduct_report(code="A05")
    auth.login(agency_user)
    page = client.get(f"/credit/records/{record.id}").get_data(as_text=True)
    assert "陈述申辩（2026-11-27 10:00 前）" in page
    response = client.post(f"/credit/records/{record.id}/respond", data={"text": ""})
    assert response.status_code == 422 and "请填写陈述申辩内容" in response.get_data(as_text=True)
    client.post(f"/credit/records/{record.id}/respond", data={"text": "对方迟迟未提供合同文本"})
    assert record.responded_dt is not None
    auth.logout()

    auth.login(regulator)
    response = client.post(
        f"/credit/records/{record.id}/decide",
        data={"outcome": "confirmed", "code": "A05", "decision_number": "", "reason": ""},
    )
    assert response.status_code == 422 and "请填写决定书文号" in response.get_data(as_text=True)
    assert record.status == "reported"
    response = client.post(
        f"/credit/records/{record.id}/decide",
        data={"outcome": "confirmed", "code": "A05", "decision_number": "生环信决〔2026〕3号"},
        follow_redirects=True,
    )
    assert "已作出决定" in response.get_data(as_text=True) and record.status == "confirmed"
    assert agency_of(agency_user).credit_score == 95
    client.post(f"/credit/records/{record.id}/publish")
    assert record.published_dt is not None


def test_others_cannot_see_a_record_and_other_departments_cannot_decide(
    make, client, auth, frozen_clock
):
    record, regulator, agency_user = make.conduct_report()
    auth.login(make.agency())
    assert client.get(f"/credit/records/{record.id}").status_code == 404
    auth.logout()
    frozen_clock.advance(days=4)
    auth.login(make.credit_regulator("气象部门"))
    response = client.post(
        f"/credit/records/{record.id}/decide",
        data={"outcome": "confirmed", "code": "A05", "decision_number": "气信决1号"},
    )
    assert response.status_code == 403 and record.status == "reported"


TOO_LONG = "理" * 5001


def test_only_the_recorded_party_gets_past_403_on_its_forms_whatever_they_hold(make, client, auth):
    record, regulator, agency_user = make.confirmed_record()
    for who in (regulator, make.staff("operator", "平台运营中心")):
        auth.login(who)
        for step in ("respond", "appeal", "repair"):
            url = f"/credit/records/{record.id}/{step}"
            assert client.post(url, data={"text": TOO_LONG}).status_code == 403, step
        auth.logout()
    auth.login(agency_user)
    response = client.post(f"/credit/records/{record.id}/appeal", data={"text": TOO_LONG})
    assert response.status_code == 422 and record.appealed_dt is None


def test_another_department_gets_403_on_a_decision_whatever_it_sends(make, client, auth):
    appealed, _, agency_user = make.confirmed_record()
    appeals.appeal(agency_user, appealed.id, "已按期签约，系统记录有误")
    record, _, _ = make.conduct_report(agency_user)
    auth.login(make.credit_regulator("气象部门"))
    for url in (
        f"/credit/records/{record.id}/decide",
        f"/credit/records/{appealed.id}/appeal-decision",
    ):
        assert client.post(url, data={"reason": TOO_LONG}).status_code == 403, url
    assert record.status == "reported" and appealed.status == "appealed"


def test_another_department_gets_403_on_a_repair_request_whatever_it_sends(
    make, client, auth, frozen_clock
):
    record, regulator, agency_user = make.confirmed_record()
    frozen_clock.set(record.repair_from_dt + timedelta(hours=1))
    proof = Upload("evidence", "整改证明", "proof.pdf", PDF_BYTES)
    appeals.request_repair(agency_user, record.id, "已签订合同并完成服务", [proof])
    url = f"/credit/records/{record.id}/repair-decision"
    auth.login(make.credit_regulator("气象部门"))
    for data in ({}, {"reason": "材料不全"}, {"outcome": "approve"}):
        assert client.post(url, data=data).status_code == 403, data
    auth.logout()
    auth.login(regulator)
    response = client.post(url, data={})
    assert response.status_code == 422 and "请选择修复结论" in response.get_data(as_text=True)
    assert record.status == "repair_requested"


def test_the_regulators_list_shows_late_disclosures_and_bulk_confirms(
    make, db, client, auth, frozen_clock
):
    late, regulator, _ = make.confirmed_record(publish=False)
    ready, *_ = make.conduct_report(regulator=regulator)
    frozen_clock.advance(days=12)
    auth.login(regulator)
    page = client.get("/credit/records/").get_data(as_text=True)
    assert "1 条认定结果逾期未公示" in page and late.number in page
    response = client.post(
        "/credit/records/bulk-confirm",
        data={"record_ids": [ready.id], "decision_number": "生环信决〔2026〕30号"},
        follow_redirects=True,
    )
    assert "已认定 1 条记录" in response.get_data(as_text=True)
    assert ready.status == "confirmed"


def test_bulk_confirmation_leaves_out_what_is_no_record_id(make, db, client, auth, frozen_clock):
    """A ticked value that is no id (2⁶³, "²") is left out, never a database error."""
    record, regulator, _ = make.conduct_report()
    frozen_clock.set(record.response_due_dt + timedelta(minutes=1))
    auth.login(regulator)
    odd = ["9223372036854775808", "²"]
    response = client.post(
        "/credit/records/bulk-confirm",
        data={"record_ids": odd, "decision_number": "生环信决〔2026〕31号"},
        follow_redirects=True,
    )
    assert "请选择要认定的记录" in response.get_data(as_text=True)
    assert record.status == "reported"
    response = client.post(
        "/credit/records/bulk-confirm",
        data={"record_ids": [*odd, record.id], "decision_number": "生环信决〔2026〕31号"},
        follow_redirects=True,
    )
    assert "已认定 1 条记录" in response.get_data(as_text=True)
    assert record.status == "confirmed"


def test_the_agency_page_explains_the_score_and_charts_its_history(make, db, client, frozen_clock):
    record, regulator, agency_user = make.confirmed_record(code="A07")
    db.session.commit()
    page = client.get(f"/credit/agencies/{agency_user.organisation.id}").get_data(as_text=True)
    assert 'id="score-chart"' in page and "<path" in page
    assert "A07" in page and "-10" in page and "基础分" in page
    assert "暂停参与投标" in page  # A07: 3 months
    assert "90 分（A）" in page


def test_a_system_report_shows_its_evidence_in_words(make, db, client, auth, frozen_clock):
    from market.procurement import services as procurement
    from market.procurement.runner import run_due

    notice, buyer, winner = make.awarded_notice()
    procurement.sign_contract(buyer, notice, make.contract_pdf())
    frozen_clock.set(notice.sign_deadline_dt)
    run_due()
    record = db.session.scalar(db.select(ConductRecord))
    auth.login(winner)
    page = client.get(f"/credit/records/{record.id}").get_data(as_text=True)
    assert "系统自动识别" in page and "未在期限内签订合同" in page and "签约期限" in page
