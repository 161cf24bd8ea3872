from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..accounts.services import COMMITMENT_TEXT
from ..core.converters import as_id
from ..core.forms import BaseForm, YuanField
from ..core.money import MoneyError, percent_to_bp
from .models import FEE_KINDS


class RateField(StringField):
    """A rate typed in percent ("0.35"); `.bp` holds it in basis points once validated."""

    bp: int | None = None

    def pre_validate(self, form):
        self.bp = None
        if not (self.data or "").strip():
            return
        try:
            self.bp = percent_to_bp(self.data)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc


class CommitmentMixin:
    commitment = BooleanField(COMMITMENT_TEXT)


class OfferingForm(CommitmentMixin, BaseForm):
    item_id = SelectField(
        "中介服务事项", coerce=as_id, validators=[DataRequired(message="请选择服务事项")]
    )
    fee_kind = RadioField(
        "收费方式",
        choices=[SelectChoice(k, v) for k, v in FEE_KINDS.items()],
        default="range",
        validators=[DataRequired(message="请选择收费方式")],
    )
    fee_min = YuanField("金额（元）", description="固定价填此项；区间价填下限")
    fee_max = YuanField("区间上限（元）", description="仅区间价填写")
    fee_rate = RateField("费率（%）", description="例如 0.35 表示 0.35%")
    fee_note = StringField(
        "收费说明",
        validators=[Length(max=200)],
        description="计费基数或协商方式，例如：按工程造价计取；按检测点数计费",
    )
    promised_days = IntegerField(
        "承诺办理时限（工作日）",
        validators=[
            InputRequired(message="请填写承诺时限"),
            NumberRange(min=1, max=365, message="应为 1–365 个工作日"),
        ],
    )
    service_area = StringField(
        "服务区域", validators=[Length(max=200)], description="例如：重庆市全域"
    )
    description = TextAreaField("服务说明", validators=[Length(max=2000)])


#: the most characters of an agency's introduction (机构简介)
DESCRIPTION_MAX = 2000


class DescriptionForm(BaseForm):
    """The agency's introduction, shown on its public page and searched."""

    description = TextAreaField(
        "机构简介",
        validators=[
            Length(max=DESCRIPTION_MAX, message=f"机构简介不能超过 {DESCRIPTION_MAX} 字"),
        ],
        description="介绍本机构的专长、业绩和服务范围；显示在机构主页，可被检索到。",
    )
