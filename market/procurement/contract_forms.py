"""Forms for objections, signing, delivering, accepting, evaluating and rectification. The
services hold the rules (and name what is wrong); the forms bound lengths."""

from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from ..agencies.models import RATING_DIMENSIONS
from ..core.converters import as_id
from ..core.forms import BaseForm
from ..core.i18n import _l
from .contract_models import PURCHASER_DIMENSIONS
from .evaluations import REPLY_MAX_CHARS

REQUIRED = DataRequired(message=_l("请填写此项"))
FILES_HELP = _l("PDF、JPG 或 PNG，可多选")


class ObjectionForm(BaseForm):
    reasons = TextAreaField(
        _l("异议理由"),
        validators=[Length(max=5000)],
        description=_l("写明认为结果有误的事实、依据和具体请求"),
    )
    files = MultipleFileField(_l("证明材料（可选）"), description=FILES_HELP)


class AnswerForm(BaseForm):
    answer = TextAreaField(_l("答复内容"), validators=[Length(max=5000)])


OUTCOMES = [
    SelectChoice("rejected", _l("异议不成立")),
    SelectChoice("upheld", _l("异议成立，重新选取")),
]


class DecisionForm(BaseForm):
    outcome = RadioField(
        _l("处理结果"), choices=OUTCOMES, validators=[DataRequired(message=_l("请选择处理结果"))]
    )
    exclude_winner = BooleanField(_l("异议成立时，排除被异议的中选机构"))
    decision = TextAreaField(_l("处理决定及理由"), validators=[Length(max=5000)])


class SignForm(BaseForm):
    file = FileField(
        _l("或上传双方协商一致的合同文本（PDF，可选）"),
        description=_l("不上传则签署平台按合同示范文本生成的合同；只有先签署的一方可以上传"),
    )


class DeliverForm(BaseForm):
    note = TextAreaField(
        _l("交付说明"),
        validators=[Length(max=2000)],
        description=_l("交付成果名称、份数、交付方式等"),
    )
    files = MultipleFileField(_l("成果文件（可选）"), description=FILES_HELP)


class ReturnForm(BaseForm):
    reason = TextAreaField(_l("退回理由"), validators=[Length(max=2000)])


class TerminateForm(BaseForm):
    reason = TextAreaField(_l("中止原因"), validators=[Length(max=2000)])


class RectificationAnswerForm(BaseForm):
    answer = TextAreaField(
        _l("整改说明"), validators=[Length(max=5000, message=_l("整改说明不能超过 5000 字"))]
    )


class EvaluationReplyForm(BaseForm):
    reply = TextAreaField(
        _l("回复评价"),
        validators=[
            Length(max=REPLY_MAX_CHARS, message=_l("回复不能超过 %(max)s 字", max=REPLY_MAX_CHARS))
        ],
        description=_l("回复公开显示在评价旁，只能回复一次"),
    )


class FollowupForm(BaseForm):
    note = TextAreaField(
        _l("回访情况"), validators=[Length(max=5000, message=_l("回访情况不能超过 5000 字"))]
    )


SCORE_CHOICES = [SelectChoice(n, str(n)) for n in range(5, 0, -1)]


def _rating_form(name: str, heading: str, dimensions: dict[str, str]) -> type:
    fields = {
        key: RadioField(
            label,
            choices=SCORE_CHOICES,
            coerce=as_id,
            validators=[DataRequired(message=_l("请为“%(label)s”打分", label=label))],
        )
        for key, label in dimensions.items()
    }
    fields["comment"] = TextAreaField(_l("评价意见"), validators=[Length(max=2000)])
    fields["heading"] = heading
    return type(name, (BaseForm,), fields)


#: the purchaser rating the agency (also the "验收并评价" form)
AgencyRatingForm = _rating_form("AgencyRatingForm", _l("评价服务机构"), RATING_DIMENSIONS)
#: the agency rating the purchaser
PurchaserRatingForm = _rating_form("PurchaserRatingForm", _l("评价采购人"), PURCHASER_DIMENSIONS)
RATING_FORMS = {"purchaser": AgencyRatingForm, "agency": PurchaserRatingForm}
