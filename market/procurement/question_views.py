"""Questions and clarifications on the notice page (答疑澄清): agencies ask, the purchaser
answers (questions.py holds the rules)."""

from flask_login import current_user

from ..core.auth import role_required
from ..core.i18n import _
from . import services
from .blueprint import bp, detail_panel, form_action, notice_or_404, offered
from .question_forms import QuestionAnswerForm, QuestionForm


@detail_panel
def _questions(notice, user, forms, access):
    questions = services.notice_questions(notice)
    allowed = services.question_access(notice, user, questions)
    return {
        "questions": questions,
        "questions_access": allowed,
        "question_form": offered(allowed.may_ask, QuestionForm),
        "question_answer_form": offered(bool(allowed.answerable), QuestionAnswerForm),
    }


@bp.route("/notices/<int:notice_id>/questions", methods=["POST"])
@role_required("agency")
def ask_question(notice_id):
    notice = notice_or_404(notice_id)
    services.check_asker(current_user)  # before the form: 403 whatever it holds
    form = QuestionForm()

    def do(form):
        services.ask_question(current_user, notice, form.question.data or "")

    return form_action(
        notice,
        form,
        "question_form",
        do,
        _("问题已提交。采购人答复后将在公告页公开，并通知贵机构；提问机构的名称不公开"),
        anchor="#questions",
    )


@bp.route("/notices/<int:notice_id>/questions/<int:question_id>/answer", methods=["POST"])
@role_required("purchaser")
def answer_question(notice_id, question_id):
    notice = notice_or_404(notice_id)
    services.own_notice(current_user, notice)  # before the form: 403 whatever it holds
    form = QuestionAnswerForm()

    def do(form):
        services.answer_question(
            current_user, notice, question_id, form.answer.data or "", form.changes_terms.data
        )

    return form_action(
        notice,
        form,
        "question_answer_form",
        do,
        _answered_message(notice, form.changes_terms.data),
        anchor="#questions",
        answering_question_id=question_id,
    )


def _answered_message(notice, changes_terms) -> str:
    # Never how many quotes lapsed: their number stays sealed, the purchaser's included.
    if not changes_terms:
        return _("已答复，答复已在公告页公开")
    return _("已答复并发布澄清：公告已改版，此前提交的报价均须重新确认，报价截止时间已按规定顺延")
