"""Rectification after a poor evaluation (差评整改): opened when ratings are shown, answered by
the rated organisation, followed up by an operator; the rates operators watch."""

import pytest

from market.core.errors import NotAllowed, ServiceError
from market.procurement import services

GOOD = {"quality": 5, "timeliness": 4, "attitude": 5, "fees": 4, "conduct": 5}
POOR = {**GOOD, "timeliness": 2}


def cases():
    from market.extensions import db

    return list(db.session.scalars(services.rectifications_query()))


def test_a_poor_rating_opens_a_case_once_ratings_are_shown(make):
    notice, buyer, winner = make.accepted_notice()
    services.evaluate(buyer, notice, POOR, "严重超期")
    assert cases() == []  # still blind: the agency must not learn of it yet
    services.evaluate(winner, notice, GOOD, "")
    (case,) = cases()
    assert case.org_id == winner.organisation.id and case.status == "open"
    assert case.evaluation.direction == "of_agency"
    assert services.notice_rectifications(notice) == [case]


def test_a_poor_rating_of_the_purchaser_opens_its_case(make):
    notice, buyer, winner = make.evaluated_notice(purchaser_scores={**GOOD, "fees": 1})
    (case,) = cases()
    assert case.org_id == buyer.organisation.id


def test_three_is_not_poor(make):
    make.evaluated_notice(agency_scores={k: 3 for k in GOOD}, purchaser_scores=GOOD)
    assert cases() == []


def test_answer_then_follow_up(make, frozen_clock):
    notice, buyer, winner = make.evaluated_notice(agency_scores=POOR)
    (case,) = cases()
    operator = make.staff("operator", "平台运营中心")
    with pytest.raises(ServiceError, match="尚未提交整改说明"):
        services.record_followup(operator, case.id, "电话回访")
    with pytest.raises(NotAllowed):
        services.answer_rectification(buyer, case.id, "不是我")
    with pytest.raises(ServiceError, match="整改"):
        services.answer_rectification(winner, case.id, "")
    assert case.status == "open" and case.answer == ""
    services.answer_rectification(winner, case.id, "增配项目经理，建立进度周报")
    assert case.status == "answered" and case.answered_dt == frozen_clock.now
    with pytest.raises(ServiceError, match="不能重复提交"):
        services.answer_rectification(winner, case.id, "再说一次")
    with pytest.raises(NotAllowed, match="平台运营方"):
        services.record_followup(make.regulator_for(notice), case.id, "回访")
    with pytest.raises(ServiceError, match="回访情况"):
        services.record_followup(operator, case.id, " ")
    services.record_followup(operator, case.id, "采购人确认整改到位")
    assert case.status == "followed_up" and case.followup_by_id == operator.id
    with pytest.raises(ServiceError, match="已记录回访"):
        services.record_followup(operator, case.id, "再回访")


def test_rates_count_answered_and_followed_up_cases(make):
    assert services.rectification_rates() == (0, None, None)
    operator = make.staff("operator", "平台运营中心")
    made = [make.evaluated_notice(agency_scores=POOR) for _ in range(4)]
    by_notice = {c.evaluation.contract.notice_id: c for c in cases()}
    for notice, _, winner in made[:3]:
        services.answer_rectification(winner, by_notice[notice.id].id, "已整改")
    services.record_followup(operator, by_notice[made[0][0].id].id, "回访满意")
    assert services.rectification_rates() == (4, 0.75, 0.25)
    assert services.rectification_counts() == {"open": 1, "answered": 2, "followed_up": 1}


# --- pages ----------------------------------------------------------------------------------


def _client(app, user, make):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    return client


def test_the_rated_agency_answers_on_the_notice_page(app, make):
    notice, buyer, winner = make.evaluated_notice(agency_scores=POOR)
    url = f"/notices/{notice.id}"
    agency_client = _client(app, winner, make)
    assert "提交整改说明" in agency_client.get(url).get_data(as_text=True)
    # The case is the agency's business, the operators' and the regulators': not the public's.
    assert "差评整改" not in app.test_client().get(url).get_data(as_text=True)
    assert "提交整改说明" not in _client(app, buyer, make).get(url).get_data(as_text=True)
    (case,) = cases()
    page = agency_client.post(
        f"/rectifications/{case.id}/answer", data={"answer": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请说明针对差评所做的整改" in page and case.status == "open"
    agency_client.post(f"/rectifications/{case.id}/answer", data={"answer": "建立进度周报"})
    assert case.status == "answered" and case.answer == "建立进度周报"
    assert (
        _client(app, buyer, make)
        .post(f"/rectifications/{case.id}/answer", data={"answer": "冒名"})
        .status_code
        == 403
    )


def test_the_operators_page_lists_cases_by_status_and_records_follow_ups(app, make):
    open_notice, _, _ = make.evaluated_notice(agency_scores=POOR)
    answered_notice, _, agency = make.evaluated_notice(agency_scores={**GOOD, "fees": 1})
    by_notice = {c.evaluation.contract.notice_id: c for c in cases()}
    services.answer_rectification(agency, by_notice[answered_notice.id].id, "退还多收费用")
    operator = _client(app, make.staff("operator", "平台运营中心"), make)

    page = operator.get("/operator/rectifications").get_data(as_text=True)
    assert open_notice.title in page and "服务时效 2" in page and "收费 1" in page
    assert "整改率" in page and "50%" in page and "回访率" in page and "0%" in page
    answered = operator.get("/operator/rectifications?status=answered").get_data(as_text=True)
    assert "退还多收费用" in answered and "服务时效 2" not in answered

    case = by_notice[answered_notice.id]
    r = operator.post(
        f"/rectifications/{case.id}/followup", data={"note": "回访：已退费", "status": "answered"}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("status=answered")
    assert case.status == "followed_up"
    page = operator.get("/operator/rectifications").get_data(as_text=True)
    assert "回访：已退费" in page and "50%" in page


@pytest.mark.parametrize("text", ["已整改\x00", "已整改\u202e", "长" * 5001])
def test_answers_and_follow_ups_go_through_their_forms(app, make, text):
    """The forms' checks apply: no control character is stored, no text beyond its bound."""
    _, _, winner = make.evaluated_notice(agency_scores=POOR)
    (case,) = cases()
    agency_client = _client(app, winner, make)
    page = agency_client.post(
        f"/rectifications/{case.id}/answer", data={"answer": text}, follow_redirects=True
    ).get_data(as_text=True)
    hidden = "不能包含控制字符或不可见的文字方向符号"
    message = "整改说明不能超过 5000 字" if len(text) > 5000 else hidden
    assert message in page and case.status == "open" and case.answer == ""
    services.answer_rectification(winner, case.id, "退还多收费用")
    operator = _client(app, make.staff("operator", "平台运营中心"), make)
    page = operator.post(
        f"/rectifications/{case.id}/followup", data={"note": text}, follow_redirects=True
    ).get_data(as_text=True)
    message = "回访情况不能超过 5000 字" if len(text) > 5000 else hidden
    assert message in page and case.status == "answered" and case.followup_note == ""


def test_only_operators_see_the_cases_page(app, make):
    for user in (make.agency(), make.purchaser(), make.staff("regulator")):
        assert _client(app, user, make).get("/operator/rectifications").status_code == 403
    assert app.test_client().get("/operator/rectifications").status_code == 302  # to login
    assert cases() == []
