"""The award at the end of publicity, signing by both parties within the deadline, delivery
with its return loop, acceptance (and automatic acceptance), termination."""

import io
from datetime import UTC, datetime, timedelta

import pytest

from market.agencies.documents import Upload, can_read
from market.core.audit import events_for
from market.core.errors import NotAllowed, ServiceError
from market.core.signals import contract_awarded, contract_completed
from market.core.workdays import add_working_days
from market.procurement import services
from market.procurement.runner import apply_due, run_due


def moves(notice):
    return [(e.from_state, e.to_state) for e in events_for("notice", notice.id) if e.to_state]


def audit_count(notice):
    return len(events_for("notice", notice.id, public_only=False))


def test_end_of_publicity_awards_an_unsigned_contract_once(make, frozen_clock):
    notice, buyer, winner, rival = make.publicity_notice(amount_fen=60_000_00)
    received = []

    def listener(contract, **_):
        received.append(contract)

    contract_awarded.connect(listener)
    try:
        frozen_clock.set(notice.publicity_end_dt - timedelta(seconds=1))
        assert apply_due(notice) is False and notice.contract is None
        frozen_clock.set(notice.publicity_end_dt)
        assert apply_due(notice) is True
        assert apply_due(notice) is False  # idempotent
    finally:
        contract_awarded.disconnect(listener)
    contract = notice.contract
    assert notice.state == "awarded" and received == [contract]
    assert contract.amount_fen == 60_000_00
    assert contract.agency_org_id == winner.organisation.id
    assert contract.purchaser_org_id == buyer.organisation.id
    assert contract.number.startswith("HT2026")
    assert contract.purchaser_signed_dt is None and contract.agency_signed_dt is None
    # Five working days to sign, counted from the end of publicity.
    assert notice.sign_deadline_dt == add_working_days(notice.publicity_end_dt, 5)
    assert notice.due_dt == notice.sign_deadline_dt


@pytest.mark.parametrize("first", ["purchaser", "agency"])
def test_both_parties_sign_in_either_order(make, first, frozen_clock):
    notice, buyer, winner = make.awarded_notice()
    signers = {"purchaser": buyer, "agency": winner}
    second = "agency" if first == "purchaser" else "purchaser"
    contract = services.sign_contract(signers[first], notice, make.contract_pdf())
    assert notice.state == "awarded"
    assert contract.document.kind == "contract"
    assert contract.document.org_id == signers[first].organisation.id
    frozen_clock.advance(hours=2)
    services.sign_contract(signers[second], notice)
    assert notice.state == "contracted" and notice.due_dt is None
    assert getattr(contract, f"{second}_signed_dt") == frozen_clock.now
    signed = [e for e in events_for("notice", notice.id) if e.action == "contract_signed"]
    assert [e.data["party"] for e in signed] == [first, second]
    # The contracted move is the second signer's.
    closing = [e for e in events_for("notice", notice.id) if e.to_state == "contracted"]
    assert closing[0].actor_org_id == signers[second].organisation.id
    # The signed file is shared with both parties and nobody else.
    assert can_read(signers[second], contract.document)
    assert not can_read(make.agency(), contract.document)


def test_a_contract_text_uploaded_by_the_first_signer_must_be_a_pdf(make):
    notice, buyer, winner = make.awarded_notice()
    before = audit_count(notice)
    png = Upload("contract", "合同", "合同.png", make.PNG_BYTES)
    with pytest.raises(ServiceError, match="只接受 PDF"):
        services.sign_contract(buyer, notice, png)
    assert notice.contract.purchaser_signed_dt is None and notice.contract.document is None
    assert audit_count(notice) == before


def test_signing_twice_and_signing_by_others_are_refused(make):
    notice, buyer, winner = make.awarded_notice()
    for outsider in (make.agency(), make.purchaser(), make.regulator_for(notice)):
        with pytest.raises(NotAllowed, match="合同双方"):
            services.sign_contract(outsider, notice, make.contract_pdf())
    assert notice.contract.document is None
    services.sign_contract(winner, notice, make.contract_pdf())
    before = audit_count(notice)
    with pytest.raises(ServiceError, match="等待对方确认"):
        services.sign_contract(winner, notice)
    assert notice.state == "awarded" and audit_count(notice) == before


def test_a_missed_signing_deadline_terminates_the_award(make, frozen_clock):
    notice, buyer, winner = make.awarded_notice()
    services.sign_contract(winner, notice, make.contract_pdf())
    frozen_clock.set(notice.sign_deadline_dt - timedelta(seconds=1))
    assert run_due() == 0 and notice.state == "awarded"
    frozen_clock.set(notice.sign_deadline_dt)
    assert run_due() == 1 and run_due() == 0
    assert notice.state == "terminated" and notice.outcome_note == "合同未在规定期限内签订"
    (event,) = [e for e in events_for("notice", notice.id) if e.to_state == "terminated"]
    assert event.public and event.occurred_dt == notice.sign_deadline_dt
    assert event.data["reason"] == "合同未在规定期限内签订"
    assert event.data["unsigned"] == ["purchaser"]
    assert event.data["unsigned_org_ids"] == [buyer.organisation.id]
    with pytest.raises(ServiceError, match="签订期限已于"):
        services.sign_contract(buyer, notice)


def test_signing_through_the_page(app, make):
    notice, buyer, winner = make.awarded_notice()
    buyer_client, winner_client = app.test_client(), app.test_client()
    for c, user in ((buyer_client, buyer), (winner_client, winner)):
        c.post("/login", data={"email": user.email, "password": make.PASSWORD})
    url = f"/notices/{notice.id}"
    png = {"file": (io.BytesIO(make.PNG_BYTES), "合同.png")}
    page = buyer_client.post(f"{url}/sign", data=png, content_type="multipart/form-data")
    assert page.status_code == 422 and "只接受 PDF" in page.get_data(as_text=True)
    page = winner_client.get(url).get_data(as_text=True)
    assert "签署合同" in page and "预览合同（PDF）" in page and "签订期限" in page
    r = winner_client.post(
        f"{url}/sign",
        data={"file": (io.BytesIO(make.PDF_BYTES), "合同.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert "确认签署" in buyer_client.get(url).get_data(as_text=True)
    assert buyer_client.post(f"{url}/sign").status_code == 302
    assert notice.state == "contracted"
    assert app.test_client().get(f"{url}/sign").status_code == 405


# --- delivery, return, acceptance -------------------------------------------------------------


def test_only_the_contracted_agency_delivers(make, frozen_clock):
    notice, buyer, winner = make.contracted_notice()
    with pytest.raises(NotAllowed):
        services.mark_delivered(make.agency(), notice, "交付")
    with pytest.raises(NotAllowed):
        services.mark_delivered(buyer, notice, "交付")
    with pytest.raises(ServiceError, match="交付说明"):
        services.mark_delivered(winner, notice, "")
    assert notice.contract.deliveries == []
    report = Upload("deliverable", "环评报告书", "report.pdf", make.PDF_BYTES)
    delivery = services.mark_delivered(winner, notice, "报告书5份", [report])
    assert notice.state == "delivered" and delivery.status == "submitted"
    assert notice.contract.delivery_note == "报告书5份"
    assert notice.accept_deadline_dt == add_working_days(frozen_clock.now, 10)
    assert notice.due_dt == notice.accept_deadline_dt
    (document,) = delivery.documents
    assert document.kind == "deliverable" and can_read(buyer, document)
    assert not can_read(make.purchaser(), document)


def test_a_returned_deliverable_is_delivered_again(make):
    notice, buyer, winner = make.delivered_notice()
    before = audit_count(notice)
    with pytest.raises(ServiceError, match="退回理由"):
        services.return_delivery(buyer, notice, "")
    with pytest.raises(NotAllowed):
        services.return_delivery(winner, notice, "自己退回")
    assert notice.state == "delivered" and audit_count(notice) == before
    first = services.return_delivery(buyer, notice, "第三章预测数据缺失")
    assert notice.state == "contracted" and first.status == "returned"
    assert first.return_reason == "第三章预测数据缺失" and notice.due_dt is None
    # The reasons stay between the parties; the timeline says only that it was returned.
    assert "第三章预测数据缺失" not in str([e.data for e in events_for("notice", notice.id)])
    second = services.mark_delivered(winner, notice, "补充第三章后重新提交")
    services.accept_delivery(buyer, notice)
    assert [d.status for d in notice.contract.deliveries] == ["returned", "accepted"]
    assert second.status == "accepted" and notice.state == "accepted"
    assert moves(notice)[-4:] == [
        ("contracted", "delivered"),
        ("delivered", "contracted"),
        ("contracted", "delivered"),
        ("delivered", "accepted"),
    ]


def test_acceptance_completes_the_contract_and_opens_evaluation(make, frozen_clock):
    notice, buyer, winner = make.delivered_notice()
    received = []

    def listener(contract, **facts):
        received.append(facts)

    contract_completed.connect(listener)
    try:
        with pytest.raises(NotAllowed):
            services.accept_delivery(winner, notice)
        services.accept_delivery(buyer, notice)
    finally:
        contract_completed.disconnect(listener)
    contract = notice.contract
    assert notice.state == "accepted" and contract.accepted_dt == frozen_clock.now
    assert contract.auto_accepted is False
    assert notice.evaluation_end_dt == add_working_days(frozen_clock.now, 3)
    assert received[0]["agency_org_id"] == winner.organisation.id
    with pytest.raises(ServiceError, match="不能验收"):
        services.accept_delivery(buyer, notice)


def test_acceptance_before_delivery_is_refused(make):
    notice, buyer, winner = make.contracted_notice()
    with pytest.raises(ServiceError, match="不能验收"):
        services.accept_delivery(buyer, notice)
    assert notice.state == "contracted"


def test_auto_acceptance_after_ten_working_days_across_national_day(make, frozen_clock):
    frozen_clock.set(datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    notice, buyer, winner = make.contracted_notice()
    frozen_clock.set(datetime(2026, 9, 28, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai
    services.mark_delivered(winner, notice, "报告书5份")
    # 09-29, 09-30, (holiday 10-01..07), 10-08, 10-09, Saturday 10-10 (调休), 10-12..16.
    deadline = datetime(2026, 10, 16, 2, 0, tzinfo=UTC)
    assert notice.accept_deadline_dt == deadline
    frozen_clock.set(deadline - timedelta(seconds=1))
    assert run_due() == 0 and notice.state == "delivered"
    frozen_clock.set(deadline + timedelta(hours=1))
    assert services.load_notice(notice.id).state == "accepted"
    contract = notice.contract
    assert contract.auto_accepted is True and contract.accepted_dt == deadline
    (event,) = [e for e in events_for("notice", notice.id) if e.to_state == "accepted"]
    assert event.actor_user_id is None and event.data["reason"] == "逾期未验收，系统自动验收"
    assert run_due() == 0


# --- termination ----------------------------------------------------------------------------


def test_the_purchaser_or_the_regulator_terminates_with_a_reason(make):
    notice, buyer, winner = make.contracted_notice()
    before = audit_count(notice)
    with pytest.raises(NotAllowed):
        services.terminate_contract(winner, notice, "不想做了")
    with pytest.raises(NotAllowed, match="生态环境部门"):
        services.terminate_contract(make.staff("regulator", "水利部门"), notice, "越权")
    with pytest.raises(ServiceError, match="中止原因"):
        services.terminate_contract(buyer, notice, " ")
    assert notice.state == "contracted" and audit_count(notice) == before
    services.terminate_contract(make.regulator_for(notice), notice, "机构资质被吊销")
    assert notice.state == "terminated" and notice.outcome_note == "机构资质被吊销"
    (event,) = [e for e in events_for("notice", notice.id) if e.to_state == "terminated"]
    assert event.public and event.data == {"reason": "机构资质被吊销", "by": "regulator"}


def test_termination_through_the_page(app, make):
    notice, buyer, winner = make.contracted_notice()
    client = app.test_client()
    client.post("/login", data={"email": buyer.email, "password": make.PASSWORD})
    url = f"/notices/{notice.id}"
    assert "中止服务" in client.get(url).get_data(as_text=True)
    page = client.post(f"{url}/terminate", data={"reason": ""})
    assert page.status_code == 422 and "请填写中止原因" in page.get_data(as_text=True)
    r = client.post(f"{url}/terminate", data={"reason": "项目取消"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "已中止服务" in page and "项目取消" in page and notice.state == "terminated"


def test_outsiders_get_403_on_the_contract_forms_whatever_they_hold(app, make):
    notice, buyer, winner = make.delivered_notice()
    too_long = "理" * 5001  # refused on every one of these forms, were it read
    sent = {"note": too_long, "reason": too_long, "quality": "9", "comment": too_long}
    for user, actions in (
        (make.purchaser(), ("accept", "return", "terminate")),
        (make.agency(), ("deliver",)),
        (make.staff("regulator", "规划自然资源部门"), ("terminate",)),
    ):
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": make.PASSWORD})
        for action in actions:
            response = client.post(f"/notices/{notice.id}/{action}", data=sent)
            assert response.status_code == 403, (user.email, action)
    assert notice.state == "delivered" and len(notice.contract.deliveries) == 1


def test_the_notice_page_renders_in_every_contract_state_for_every_role(app, make, frozen_clock):
    poor = {**make.GOOD_SCORES, "quality": 1}
    lapsed = make.awarded_notice()
    frozen_clock.set(lapsed[0].sign_deadline_dt)
    services.load_notice(lapsed[0].id)
    publicity = make.publicity_notice()[:3]
    made = [
        publicity,
        make.awarded_notice(),
        make.contracted_notice(),
        make.delivered_notice(),
        make.accepted_notice(),
        make.evaluated_notice(agency_scores=poor),
        lapsed,
    ]
    assert [n.state for n, _, _ in made] == [
        "publicity",
        "awarded",
        "contracted",
        "delivered",
        "accepted",
        "evaluated",
        "terminated",
    ]
    viewers = [None, make.agency(), make.regulator_for(lapsed[0]), make.staff("operator")]
    for notice, buyer, winner in made:
        for user in [*viewers, buyer, winner]:
            client = app.test_client()
            if user is not None:
                client.post("/login", data={"email": user.email, "password": make.PASSWORD})
            response = client.get(f"/notices/{notice.id}")
            assert response.status_code == 200, (notice.state, user)
