"""Evaluation both ways after acceptance, double-blind: neither side (nor anyone else) sees a
rating until both are in or the window has closed."""

import pytest

from market.agencies.services import agency_of
from market.core.audit import events_for
from market.core.errors import NotAllowed, ServiceError
from market.core.signals import contract_evaluated
from market.procurement import services
from market.procurement.runner import run_due

OF_AGENCY = {"quality": 5, "timeliness": 4, "attitude": 5, "fees": 3, "conduct": 4}
OF_PURCHASER = {"quality": 4, "timeliness": 4, "attitude": 5, "fees": 5, "conduct": 4}


@pytest.fixture
def evaluations_sent():
    received = []

    def listener(evaluation, **kwargs):
        received.append((evaluation, kwargs))

    contract_evaluated.connect(listener)
    yield received
    contract_evaluated.disconnect(listener)


def test_each_side_sees_only_its_own_rating_until_both_are_in(make, evaluations_sent):
    notice, buyer, winner = make.accepted_notice()
    regulator, stranger = make.regulator_for(notice), make.agency()
    mine = services.evaluate(buyer, notice, OF_AGENCY, "成果扎实")
    assert mine.direction == "of_agency" and notice.state == "accepted"
    assert services.visible_evaluations(notice, buyer) == [mine]
    for other in (winner, regulator, stranger, None):
        assert services.visible_evaluations(notice, other) == []
    assert evaluations_sent == [] and agency_of(winner).rating_count == 0

    theirs = services.evaluate(winner, notice, OF_PURCHASER, "需求清晰")
    assert theirs.direction == "of_purchaser" and notice.state == "evaluated"
    for anyone in (buyer, winner, regulator, stranger, None):
        assert services.visible_evaluations(notice, anyone) == [mine, theirs]
    # Only the agency's rating goes to its storefront, once, now that both are shown.
    assert [(e, kw["scores"]) for e, kw in evaluations_sent] == [(mine, OF_AGENCY)]
    assert agency_of(winner).rating_count == 1
    closing = [e for e in events_for("notice", notice.id) if e.to_state == "evaluated"]
    assert closing[0].actor_org_id == winner.organisation.id
    assert closing[0].data == {"missing": []}


def test_the_window_end_shows_what_was_given(make, frozen_clock, evaluations_sent):
    notice, buyer, winner = make.accepted_notice()
    theirs = services.evaluate(winner, notice, OF_PURCHASER, "配合及时")
    frozen_clock.set(notice.evaluation_end_dt)
    assert services.visible_evaluations(notice, buyer) == []
    assert run_due() == 1 and run_due() == 0
    assert notice.state == "evaluated"
    assert services.visible_evaluations(notice, buyer) == [theirs]
    assert evaluations_sent == []  # the purchaser never rated the agency
    (event,) = [e for e in events_for("notice", notice.id) if e.to_state == "evaluated"]
    assert event.data == {"missing": ["of_agency"]} and event.actor_user_id is None
    with pytest.raises(ServiceError, match="评价已结束"):
        services.evaluate(buyer, notice, OF_AGENCY, "迟到的评价")
    assert notice.contract.evaluations == [theirs]


def test_evaluation_refusals_change_nothing(make):
    notice, buyer, winner = make.delivered_notice()
    with pytest.raises(ServiceError, match="验收后才能评价"):
        services.evaluate(buyer, notice, OF_AGENCY, "")
    services.accept_delivery(buyer, notice)
    with pytest.raises(NotAllowed):
        services.evaluate(make.agency(), notice, OF_AGENCY, "")
    with pytest.raises(NotAllowed):
        services.evaluate(make.regulator_for(notice), notice, OF_AGENCY, "")
    for scores in ({**OF_AGENCY, "quality": 6}, {**OF_AGENCY, "fees": 0}, {"quality": 5}):
        with pytest.raises(ServiceError, match="1–5"):
            services.evaluate(buyer, notice, scores, "")
    assert notice.contract.evaluations == []
    services.evaluate(buyer, notice, OF_AGENCY, "")
    with pytest.raises(ServiceError, match="不能重复评价"):
        services.evaluate(buyer, notice, {**OF_AGENCY, "quality": 1}, "")
    assert len(notice.contract.evaluations) == 1 and notice.state == "accepted"


def test_accept_and_evaluate_checks_the_scores_before_accepting(make):
    notice, buyer, winner = make.delivered_notice()
    with pytest.raises(ServiceError, match="1–5"):
        services.accept_and_evaluate(buyer, notice, {**OF_AGENCY, "quality": 9}, "")
    assert notice.state == "delivered" and notice.contract.accepted_dt is None
    evaluation = services.accept_and_evaluate(buyer, notice, OF_AGENCY, "满意")
    assert notice.state == "accepted" and evaluation.scores == OF_AGENCY


# --- through the notice page ----------------------------------------------------------------


def _client(app, user, make):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    return client


def _form(scores, comment):
    return {**{k: str(v) for k, v in scores.items()}, "comment": comment}


def test_double_blind_on_the_notice_page(app, make):
    notice, buyer, winner = make.delivered_notice()
    url = f"/notices/{notice.id}"
    buyer_client, winner_client = _client(app, buyer, make), _client(app, winner, make)
    # Accept only; rate afterwards with the evaluation form.
    assert buyer_client.post(f"{url}/accept").status_code == 302
    assert notice.state == "accepted" and notice.contract.evaluations == []
    page = buyer_client.get(url).get_data(as_text=True)
    assert "评价服务机构" in page and "服务质量" in page
    page = winner_client.get(url).get_data(as_text=True)
    assert "评价采购人" in page and "需求明确" in page and "付款及时" in page

    r = buyer_client.post(f"{url}/evaluate", data=_form(OF_AGENCY, "报告扎实，偶有延误"))
    assert r.status_code == 302
    own = buyer_client.get(url).get_data(as_text=True)
    assert "报告扎实，偶有延误" in own and "仅本单位可见" in own
    for other in (winner_client, app.test_client()):
        assert "报告扎实，偶有延误" not in other.get(url).get_data(as_text=True)

    r = winner_client.post(f"{url}/evaluate", data=_form(OF_PURCHASER, "付款及时"))
    assert r.status_code == 302
    public = app.test_client().get(url).get_data(as_text=True)
    assert "已评价（办结）" in public
    assert "报告扎实，偶有延误" in public and "付款及时" in public
    assert "采购人评价机构" in public and "机构评价采购人" in public


def test_the_rating_form_names_the_missing_dimension(app, make):
    notice, buyer, winner = make.accepted_notice()
    page = _client(app, winner, make).post(f"/notices/{notice.id}/evaluate", data={"quality": "5"})
    assert page.status_code == 422 and "请为“配合及时”打分" in page.get_data(as_text=True)
    assert notice.contract.evaluations == []
