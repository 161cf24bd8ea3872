"""The rated party's one public reply to an evaluation, once the evaluations are shown."""

import pytest
from sqlalchemy import select

from market.agencies.services import agency_of
from market.core.audit import events_for
from market.core.errors import NotAllowed, ServiceError
from market.extensions import db
from market.notifications.models import Notification
from market.procurement import services
from market.procurement.timeline import public_timeline

REPLY = "感谢评价，我们已加强报告复核流程"


def labels(app, notice):
    with app.test_request_context():
        return [e.label for e in public_timeline(notice)]


def titles(user):
    return list(
        db.session.scalars(
            select(Notification.title).where(Notification.org_id == user.organisation.id)
        )
    )


def test_the_agency_replies_once_and_everyone_sees_it(make, auth, client, app):
    notice, buyer, winner = make.evaluated_notice()
    rating = notice.contract.evaluation  # the purchaser's rating of the agency
    auth.login(winner)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f"evaluation-reply-{rating.id}" in page
    assert f"evaluation-reply-{notice.contract.agency_evaluation.id}" not in page
    path = f"/notices/{notice.id}/evaluations/{rating.id}/reply"
    assert client.post(path, data={"reply": f" {REPLY} "}).status_code == 302
    assert rating.reply == REPLY and rating.reply_by_id == winner.id and rating.reply_dt

    (event,) = [e for e in events_for("notice", notice.id) if e.action == "evaluation_replied"]
    assert event.actor_org_id == winner.organisation.id
    assert event.data == {"direction": "of_agency"}
    assert "中选机构回复采购人的评价" in labels(app, notice)
    assert f"「{notice.title}」对方回复了贵单位的评价" in titles(buyer)

    auth.logout()
    public = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert REPLY in public and "被评价方回复" in public and "回复此评价" not in public
    storefront = client.get(f"/agencies/{agency_of(winner).org_id}").get_data(as_text=True)
    assert REPLY in storefront and "机构回复" in storefront

    with pytest.raises(ServiceError, match="本单位已回复该评价，不能重复回复"):
        services.reply_to_evaluation(winner, notice, rating.id, "再回复一次")
    auth.login(winner)
    response = client.post(path, data={"reply": "再回复一次"})
    assert response.status_code == 422
    assert "不能重复回复" in response.get_data(as_text=True)
    assert rating.reply == REPLY


def test_the_purchaser_replies_to_the_agencys_rating(make, app):
    notice, buyer, winner = make.evaluated_notice()
    theirs = notice.contract.agency_evaluation
    services.reply_to_evaluation(buyer, notice, theirs.id, "已改进验收流程")
    assert theirs.reply == "已改进验收流程"
    assert "采购人回复中选机构的评价" in labels(app, notice)


def test_only_the_rated_party_replies(make, auth, client):
    notice, buyer, winner = make.evaluated_notice()
    rating = notice.contract.evaluation
    for other in (buyer, make.agency(), make.purchaser(), make.regulator_for(notice)):
        with pytest.raises(NotAllowed, match="只有被评价的一方可以回复评价"):
            services.reply_to_evaluation(other, notice, rating.id, REPLY)
    auth.login(buyer)
    path = f"/notices/{notice.id}/evaluations/{rating.id}/reply"
    assert client.post(path, data={"reply": REPLY}).status_code == 403
    assert client.post(f"/notices/{notice.id}/evaluations/999999/reply").status_code == 404
    assert rating.reply_dt is None


def test_no_reply_before_the_evaluations_are_shown(make):
    notice, buyer, winner = make.accepted_notice()
    rating = services.evaluate(buyer, notice, make.GOOD_SCORES, "成果扎实")
    with pytest.raises(ServiceError, match="评价尚未公开"):
        services.reply_to_evaluation(winner, notice, rating.id, REPLY)
    assert not services.may_reply(rating, notice, winner)
    assert rating.reply_dt is None


def test_a_reply_is_bounded(make):
    notice, buyer, winner = make.evaluated_notice()
    rating = notice.contract.evaluation
    with pytest.raises(ServiceError, match="回复不能超过 1000 字（现为 1001 字）"):
        services.reply_to_evaluation(winner, notice, rating.id, "谢" * 1001)
    with pytest.raises(ServiceError, match="请填写回复内容"):
        services.reply_to_evaluation(winner, notice, rating.id, "  ")
    assert rating.reply_dt is None
