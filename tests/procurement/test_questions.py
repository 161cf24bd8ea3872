"""Questions and clarifications (答疑澄清): agencies ask while a notice takes quotes, nobody
learns who asked, the purchaser answers in public, and an answer that changes the terms acts
as an edit (quotes to reconfirm, the deadline moved to leave the minimum bidding period)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from market.core.audit import events_for
from market.core.clock import to_local
from market.core.errors import NotAllowed, ServiceError
from market.core.mail import outbox, send_queued_mail
from market.extensions import db
from market.notifications.models import Notification
from market.procurement import services
from market.procurement.timeline import public_timeline

QUESTION = "请问报告书是否需要包含生态专项评价章节？"
ANSWER = "需要，报告书应包含生态专项评价章节"


def inbox(user):
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.org_id == user.organisation.id)
            .order_by(Notification.id)
        )
    )


def local(moment):
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


# --- asking ------------------------------------------------------------------------------------


def test_an_agency_asks_and_the_purchaser_is_told_but_not_by_whom(make):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    asker = make.agency()
    question = services.ask_question(asker, notice, f"  {QUESTION}  ")
    assert question.question == QUESTION and question.answered_dt is None
    assert question.asker_org_id == asker.organisation.id
    (event,) = events_for("notice_question", question.id, public_only=False)
    assert event.action == "question_asked" and not event.public
    assert event.actor_org_id == asker.organisation.id  # kept for the supervisors
    (told,) = [n for n in inbox(buyer) if n.kind == "question"]
    assert told.title == f"「{notice.title}」收到机构提问，请答复"
    assert asker.organisation.name not in told.body and told.link.endswith("#questions")


def test_asking_is_refused_after_the_deadline(make, frozen_clock, app, monkeypatch):
    notice = make.notice()
    asker = make.agency()
    # Within the grace before the bidding formally closes, the deadline has passed all the same.
    monkeypatch.setitem(app.config, "QUOTE_GRACE_SECONDS", 10)
    frozen_clock.set(notice.deadline_dt)
    with pytest.raises(
        ServiceError, match=f"报价已于 {local(notice.deadline_dt)} 截止，不能再提问"
    ):
        services.ask_question(asker, notice, QUESTION)
    frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
    with pytest.raises(ServiceError, match="只有报价期间可以提问"):
        services.ask_question(asker, notice, QUESTION)
    assert services.notice_questions(notice) == []


def test_a_purchaser_may_not_ask(make, auth, client):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    with pytest.raises(NotAllowed, match="只有入驻的中介机构可以就公告提问"):
        services.ask_question(buyer, notice, QUESTION)
    auth.login(make.purchaser())
    assert (
        client.post(f"/notices/{notice.id}/questions", data={"question": QUESTION}).status_code
        == 403
    )
    assert services.notice_questions(notice) == []


def test_a_question_too_long_or_empty_is_refused(make, auth, client):
    notice = make.notice()
    asker = make.agency()
    with pytest.raises(ServiceError, match="问题内容不能超过 1000 字（现为 1001 字）"):
        services.ask_question(asker, notice, "问" * 1001)
    with pytest.raises(ServiceError, match="请填写问题内容"):
        services.ask_question(asker, notice, "   ")
    services.ask_question(asker, notice, "问" * 1000)  # the limit itself is fine
    auth.login(asker)
    response = client.post(f"/notices/{notice.id}/questions", data={"question": "问" * 1001})
    assert response.status_code == 422
    assert "问题不能超过 1000 字" in response.get_data(as_text=True)
    assert len(services.notice_questions(notice)) == 1


def test_a_draft_takes_no_question(make):
    notice = make.notice(publish=False)
    with pytest.raises(ServiceError, match="公告尚未发布，不能提问"):
        services.ask_question(make.agency(), notice, QUESTION)


def test_an_agency_may_not_flood_the_purchaser(make):
    notice = make.notice()
    asker = make.agency()
    for n in range(5):
        services.ask_question(asker, notice, f"问题 {n}")
    with pytest.raises(ServiceError, match="尚有 5 个问题待答复"):
        services.ask_question(asker, notice, "第六个问题")
    services.ask_question(make.agency(), notice, "另一机构的问题")  # others are not held


# --- the page: anonymity, answers --------------------------------------------------------------


def test_nobody_but_the_asker_sees_who_asked(make, auth, client):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    asker = make.agency(org_name="重庆某某环评有限公司")
    auth.login(asker)
    response = client.post(f"/notices/{notice.id}/questions", data={"question": QUESTION})
    assert response.status_code == 302
    mine = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert QUESTION in mine and "本机构的提问" in mine

    name = asker.organisation.name
    for viewer in (make.agency(), buyer, None):
        auth.logout()
        if viewer is not None:
            auth.login(viewer)
        page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
        assert QUESTION in page and "某机构" in page
        assert ("提交答复" if viewer is buyer else "尚未答复") in page
        assert name not in page and "本机构的提问" not in page


def test_the_answer_is_public_and_the_asker_is_told(make, auth, client, monkeypatch):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    asker = make.agency()
    question = services.ask_question(asker, notice, QUESTION)
    outbox().clear()

    def commit():
        db.session.flush()
        send_queued_mail()

    revision = notice.revision
    auth.login(buyer)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "提交答复" in page and f"question-answer-{question.id}" in page
    monkeypatch.setattr(db.session, "commit", commit)
    response = client.post(
        f"/notices/{notice.id}/questions/{question.id}/answer", data={"answer": ANSWER}
    )
    assert response.status_code == 302
    assert question.answer == ANSWER and not question.changes_terms
    assert notice.revision == revision  # a plain answer changes no term

    auth.logout()
    public = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert QUESTION in public and ANSWER in public and "提交答复" not in public
    (told,) = [n for n in inbox(asker) if n.kind == "question"]
    assert told.title == f"「{notice.title}」采购人已答复贵机构的提问"
    (mail,) = [m for m in outbox() if "采购人已答复" in m["Subject"]]
    assert asker.email in mail["To"].addresses[0].addr_spec
    assert "答复已在公告页公开" in mail.get_content()
    (event,) = [
        e for e in events_for("notice_question", question.id) if e.action != "question_asked"
    ]
    assert event.action == "question_answered" and event.data["changes_terms"] is False

    with pytest.raises(ServiceError, match="该问题已答复，不能重复答复"):
        services.answer_question(buyer, notice, question.id, "再答一次")


def test_only_the_notices_purchaser_answers(make, auth, client):
    notice = make.notice()
    question = services.ask_question(make.agency(), notice, QUESTION)
    for other in (make.purchaser(), make.agency()):
        with pytest.raises(NotAllowed):
            services.answer_question(other, notice, question.id, ANSWER)
    auth.login(make.purchaser())
    path = f"/notices/{notice.id}/questions/{question.id}/answer"
    assert client.post(path, data={"answer": ANSWER}).status_code == 403
    assert question.answered_dt is None


def test_the_purchaser_sees_the_questions_waiting_in_its_workspace(make, auth, client):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    services.ask_question(make.agency(), notice, QUESTION)
    answered = services.ask_question(make.agency(), notice, "第二个问题")
    services.answer_question(buyer, notice, answered.id, ANSWER)
    auth.login(buyer)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "机构提问，待答复（1）" in page


# --- clarifications changing the terms -----------------------------------------------------------


def test_a_clarification_invalidates_quotes_and_extends_the_deadline(make, frozen_clock):
    buyer = make.purchaser()
    notice = make.notice(buyer)  # deadline: Tuesday 2026-12-01 10:00, 5 working days ahead
    assert local(notice.deadline_dt) == "2026-12-01 10:00"
    bidders = [make.agency(), make.agency()]
    bids = [make.bid(a, notice) for a in bidders]
    question = services.ask_question(make.agency(), notice, QUESTION)
    # Friday 15:00: 3 working days (BID_MIN_WORKING_DAYS) on lead to Wednesday 15:00.
    frozen_clock.set(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    revision = notice.revision
    services.answer_question(buyer, notice, question.id, ANSWER, changes_terms=True)

    assert question.changes_terms and notice.revision == revision + 1
    assert local(notice.deadline_dt) == "2026-12-02 15:00"
    assert notice.due_dt == notice.deadline_dt
    assert all(b.status == "invalidated" for b in bids)
    (revised,) = [e for e in events_for("notice", notice.id) if e.action == "revised"]
    assert revised.public and revised.data["clarification"] == question.id
    assert revised.data["changed"] == ["deadline_dt"]
    labels = [e.label for e in public_timeline(notice)]
    assert f"发布澄清（公告第 {notice.revision} 版）" in labels
    for user in bidders:
        (told,) = [n for n in inbox(user) if n.kind == "bid_invalidated"]
        assert told.title == f"「{notice.title}」公告已修改，请重新确认报价"
        assert "2026-12-02 15:00 前重新确认" in told.body


def test_a_clarification_keeps_a_deadline_that_leaves_enough_time(make):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    deadline, revision = notice.deadline_dt, notice.revision
    question = services.ask_question(make.agency(), notice, QUESTION)
    services.answer_question(buyer, notice, question.id, ANSWER, changes_terms=True)
    assert notice.deadline_dt == deadline and notice.revision == revision + 1
    (revised,) = [e for e in events_for("notice", notice.id) if e.action == "revised"]
    assert revised.data["changed"] == []


def test_the_purchaser_learns_nothing_of_the_quotes_from_a_clarification(make, auth, client):
    """Two notices alike, one with quotes: the purchaser's answer, page and inbox read the same."""
    seen = []
    for quoted in (True, False):
        buyer = make.purchaser()
        notice = make.notice(buyer)
        if quoted:
            make.bid(make.agency(), notice)
        question = services.ask_question(make.agency(), notice, QUESTION)
        auth.login(buyer)
        response = client.post(
            f"/notices/{notice.id}/questions/{question.id}/answer",
            data={"answer": ANSWER, "changes_terms": "y"},
            follow_redirects=True,
        )
        page = response.get_data(as_text=True)
        assert "已答复并发布澄清" in page
        answered = page[page.index("已答复并发布澄清") :].split("<", 1)[0]
        seen.append((answered, [(n.kind, n.body[:30]) for n in inbox(buyer)]))
        auth.logout()
    assert seen[0] == seen[1]


def test_a_kept_public_page_shows_a_new_question_and_its_answer(make, kept_page):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    assert QUESTION not in kept_page(f"/notices/{notice.id}")
    question = services.ask_question(make.agency(), notice, QUESTION)
    assert QUESTION in kept_page(f"/notices/{notice.id}")
    services.answer_question(buyer, notice, question.id, ANSWER)
    assert ANSWER in kept_page(f"/notices/{notice.id}")


def test_a_refused_answer_is_shown_on_its_form(make, auth, client, frozen_clock):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    question = services.ask_question(make.agency(), notice, QUESTION)
    auth.login(buyer)
    path = f"/notices/{notice.id}/questions/{question.id}/answer"
    response = client.post(path, data={"answer": "  "})
    assert response.status_code == 422
    assert "请填写答复内容" in response.get_data(as_text=True)
    frozen_clock.set(notice.deadline_dt)  # the bidding closes: nothing more to answer
    response = client.post(path, data={"answer": ANSWER, "changes_terms": "y"})
    assert response.status_code == 422
    assert "只有报价期间可以答复" in response.get_data(as_text=True)
    assert question.answered_dt is None
