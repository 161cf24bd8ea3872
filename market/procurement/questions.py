"""Questions and clarifications (答疑澄清): any registered agency asks about a published notice
while it takes quotes; the purchaser answers in public, and an answer may change the terms
(澄清), which then acts as an edit of the notice (notices.clarify_terms).

Nobody but the asker learns who asked: not other agencies, and not the purchaser either (as
澄清 never names the source of the question), so that an answer cannot favour the asker. The
supervisors' audit log keeps the asker."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager

from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _, _l
from ..core.listeners import call_listener
from ..extensions import db
from . import messages
from .models import Notice, NoticeQuestion
from .notices import clarify_terms, lock_notice, own_notice
from .runner import apply_due
from .states import NOTICE, party_of

QUESTION_MAX_CHARS = 1000
ANSWER_MAX_CHARS = 2000
#: unanswered questions one agency may have on one notice: no flooding the purchaser
OPEN_QUESTIONS_MAX = 5


@dataclass(frozen=True)
class QuestionAccess:
    """What the notice page's questions section shows and offers the user."""

    #: the section is shown (a published notice that takes quotes or has questions)
    shown: bool
    may_ask: bool
    #: ids of the questions the user may answer now (the purchaser's unanswered ones)
    answerable: frozenset[int]
    #: ids of the questions the user's own organisation asked
    own: frozenset[int]


def _taking_quotes(notice: Notice) -> bool:
    """Quotes are taken now: past the deadline the notice closes a few seconds later."""
    return NOTICE[notice.state].takes_bids and utcnow() < notice.deadline_dt


#: why a question cannot be asked or answered now (unpublished, not taking quotes, past the
#: deadline), whole sentences for each
CLOSED = {
    "ask": (
        _l("公告尚未发布，不能提问"),
        _l("公告当前为「%(state)s」，只有报价期间可以提问"),
        _l("报价已于 %(deadline)s 截止，不能再提问"),
    ),
    "answer": (
        _l("公告尚未发布，不能答复"),
        _l("公告当前为「%(state)s」，只有报价期间可以答复"),
        _l("报价已于 %(deadline)s 截止，不能再答复"),
    ),
}
#: a text missing or too long: (missing, too long)
TEXT_ERRORS = {
    "question": (_l("请填写问题内容"), _l("问题内容不能超过 %(limit)s 字（现为 %(count)s 字）")),
    "answer": (_l("请填写答复内容"), _l("答复内容不能超过 %(limit)s 字（现为 %(count)s 字）")),
}


def _check_open(notice: Notice, doing: str) -> None:
    unpublished, not_taking, past = CLOSED[doing]
    if notice.published_dt is None:
        raise ServiceError(str(unpublished))
    if not NOTICE[notice.state].takes_bids:
        raise ServiceError(str(not_taking) % {"state": notice.state_label})
    if utcnow() >= notice.deadline_dt:
        deadline = to_local(notice.deadline_dt).strftime("%Y-%m-%d %H:%M")
        raise ServiceError(str(past) % {"deadline": deadline})


def _text(value: str, field: str, limit: int) -> str:
    missing, too_long = TEXT_ERRORS[field]
    value = (value or "").strip()
    if not value:
        raise ServiceError(str(missing), field)
    if len(value) > limit:
        raise ServiceError(str(too_long) % {"limit": limit, "count": len(value)}, field)
    return value


def check_asker(user) -> None:
    """Only a user of an agency asks (NotAllowed otherwise)."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency":
        raise NotAllowed(_("只有入驻的中介机构可以就公告提问"))


def ask_question(user, notice: Notice, text: str) -> NoticeQuestion:
    """An agency asks a question about a notice taking quotes; the purchaser is told, never
    by whom."""
    check_asker(user)
    apply_due(notice)
    _check_open(notice, "ask")
    text = _text(text, "question", QUESTION_MAX_CHARS)
    org_id = user.organisation.id
    waiting = db.session.scalar(_open_count(), {"notice_id": notice.id, "org_id": org_id})
    if waiting >= OPEN_QUESTIONS_MAX:
        raise ServiceError(
            _("贵机构在本公告尚有 %(count)s 个问题待答复，请待采购人答复后再提问", count=waiting),
            "question",
        )
    question = NoticeQuestion(
        notice=notice, asker_org_id=org_id, asked_by_id=user.id, question=text, asked_dt=utcnow()
    )
    db.session.add(question)
    db.session.flush()
    # Private: the event names the asker (supervisors read it in the audit log).
    record_event(
        "notice_question",
        question.id,
        "question_asked",
        actor=user,
        public=False,
        data={"notice_id": notice.id},
    )
    call_listener(messages.question_asked, question, event="notice_question:asked")
    return question


def answer_question(
    user, notice: Notice, question_id: int, answer: str, changes_terms: bool = False
) -> NoticeQuestion:
    """The purchaser answers a question in public; an answer changing the terms (澄清) makes
    a new revision, invalidates the quotes and extends the deadline (clarify_terms)."""
    own_notice(user, notice)
    # Held like an edit: two answers, or an answer and a quote, do not cross.
    lock_notice(notice)
    apply_due(notice)
    question = db.session.get(NoticeQuestion, question_id)
    if question is None or question.notice_id != notice.id:
        raise ServiceError(_("该问题不存在"))
    if question.answered_dt is not None:
        raise ServiceError(_("该问题已答复，不能重复答复"))
    _check_open(notice, "answer")
    answer = _text(answer, "answer", ANSWER_MAX_CHARS)
    question.answer = answer
    question.answered_by_id = user.id
    question.answered_dt = utcnow()
    question.changes_terms = bool(changes_terms)
    db.session.flush()
    record_event(
        "notice_question",
        question.id,
        "question_answered",
        actor=user,
        data={"notice_id": notice.id, "changes_terms": question.changes_terms},
    )
    if question.changes_terms:
        clarify_terms(user, notice, question.id)
    call_listener(messages.question_answered, question, event="notice_question:answered")
    return question


@cache
def _open_count():
    return select(func.count()).where(
        NoticeQuestion.notice_id == bindparam("notice_id"),
        NoticeQuestion.asker_org_id == bindparam("org_id"),
        NoticeQuestion.answered_dt.is_(None),
    )


@cache
def _questions_query():
    return (
        select(NoticeQuestion)
        .where(NoticeQuestion.notice_id == bindparam("notice_id"))
        .order_by(NoticeQuestion.asked_dt, NoticeQuestion.id)
    )


def notice_questions(notice: Notice) -> list[NoticeQuestion]:
    """The notice's questions, oldest first (a draft has none)."""
    if notice.published_dt is None:
        return []
    return list(db.session.scalars(_questions_query(), {"notice_id": notice.id}))


def question_access(notice: Notice, user, questions: list[NoticeQuestion]) -> QuestionAccess:
    """What the questions section shows and offers `user` (None: a visitor)."""
    org = getattr(user, "organisation", None) if user is not None else None
    taking = notice.published_dt is not None and _taking_quotes(notice)
    purchaser = user is not None and party_of(notice, user) == "purchaser"
    return QuestionAccess(
        shown=notice.published_dt is not None and (taking or bool(questions)),
        may_ask=taking and org is not None and org.kind == "agency",
        answerable=frozenset(
            q.id for q in questions if purchaser and taking and q.answered_dt is None
        ),
        own=frozenset(q.id for q in questions if org is not None and q.asker_org_id == org.id),
    )


def waiting_questions_query(org_id_param):
    """The purchaser's (`org_id_param`) unanswered questions on notices still taking quotes,
    oldest first, with their notice (the workspace's list)."""
    taking = sorted(NOTICE.where(takes_bids=True))
    return (
        select(NoticeQuestion)
        .join(NoticeQuestion.notice)
        .where(
            Notice.purchaser_org_id == org_id_param,
            Notice.state.in_(taking),
            NoticeQuestion.answered_dt.is_(None),
        )
        .options(contains_eager(NoticeQuestion.notice))
        .order_by(NoticeQuestion.asked_dt, NoticeQuestion.id)
    )
