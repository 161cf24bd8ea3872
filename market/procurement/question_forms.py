"""Forms for questions and clarifications (答疑澄清). The service holds the rules (and names
what is wrong); the forms bound lengths."""

from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from ..core.forms import BaseForm
from .questions import ANSWER_MAX_CHARS, QUESTION_MAX_CHARS


class QuestionForm(BaseForm):
    question = TextAreaField(
        "问题内容",
        validators=[
            Length(max=QUESTION_MAX_CHARS, message=f"问题不能超过 {QUESTION_MAX_CHARS} 字")
        ],
        description="问题及答复对所有机构公开，提问机构的名称不公开（采购人也看不到）",
    )


class QuestionAnswerForm(BaseForm):
    answer = TextAreaField(
        "答复内容",
        validators=[Length(max=ANSWER_MAX_CHARS, message=f"答复不能超过 {ANSWER_MAX_CHARS} 字")],
    )
    changes_terms = BooleanField(
        "此答复改变公告条款（澄清）：公告改版，已提交的报价须重新确认，报价截止时间相应顺延"
    )
