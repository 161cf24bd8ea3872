"""Forms for questions and clarifications (答疑澄清). The service holds the rules (and names
what is wrong); the forms bound lengths."""

from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from ..core.forms import BaseForm
from ..core.i18n import _l
from .questions import ANSWER_MAX_CHARS, QUESTION_MAX_CHARS


class QuestionForm(BaseForm):
    question = TextAreaField(
        _l("问题内容"),
        validators=[
            Length(
                max=QUESTION_MAX_CHARS,
                message=_l("问题不能超过 %(max)s 字", max=QUESTION_MAX_CHARS),
            )
        ],
        description=_l("问题及答复对所有机构公开，提问机构的名称不公开（采购人也看不到）"),
    )


class QuestionAnswerForm(BaseForm):
    answer = TextAreaField(
        _l("答复内容"),
        validators=[
            Length(
                max=ANSWER_MAX_CHARS, message=_l("答复不能超过 %(max)s 字", max=ANSWER_MAX_CHARS)
            )
        ],
    )
    changes_terms = BooleanField(
        _l("此答复改变公告条款（澄清）：公告改版，已提交的报价须重新确认，报价截止时间相应顺延")
    )
