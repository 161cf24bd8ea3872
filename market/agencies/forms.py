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

from ..accounts.services import COMMITMENT_LABEL
from ..core.converters import as_id
from ..core.forms import BaseForm, YuanField
from ..core.i18n import _l
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
    commitment = BooleanField(COMMITMENT_LABEL)


class OfferingForm(CommitmentMixin, BaseForm):
    item_id = SelectField(
        _l("中介服务事项"),
        coerce=as_id,
        validators=[DataRequired(message=_l("请选择服务事项"))],
    )
    fee_kind = RadioField(
        _l("收费方式"),
        choices=[SelectChoice(k, v) for k, v in FEE_KINDS.items()],
        default="range",
        validators=[DataRequired(message=_l("请选择收费方式"))],
    )
    fee_min = YuanField(_l("金额（元）"), description=_l("固定价填此项；区间价填下限"))
    fee_max = YuanField(_l("区间上限（元）"), description=_l("仅区间价填写"))
    fee_rate = RateField(_l("费率（%）"), description=_l("例如 0.35 表示 0.35%"))
    fee_note = StringField(
        _l("收费说明"),
        validators=[Length(max=200)],
        description=_l("计费基数或协商方式，例如：按工程造价计取；按检测点数计费"),
    )
    promised_days = IntegerField(
        _l("承诺办理时限（工作日）"),
        validators=[
            InputRequired(message=_l("请填写承诺时限")),
            NumberRange(min=1, max=365, message=_l("应为 1–365 个工作日")),
        ],
    )
    service_area = StringField(
        _l("服务区域"), validators=[Length(max=200)], description=_l("例如：重庆市全域")
    )
    description = TextAreaField(_l("服务说明"), validators=[Length(max=2000)])


#: the most characters of an agency's introduction (机构简介)
DESCRIPTION_MAX = 2000


class DescriptionForm(BaseForm):
    """The agency's introduction, shown on its public page and searched."""

    description = TextAreaField(
        _l("机构简介"),
        validators=[
            Length(
                max=DESCRIPTION_MAX,
                message=_l("机构简介不能超过 %(count)s 字", count=DESCRIPTION_MAX),
            ),
        ],
        description=_l("介绍本机构的专长、业绩和服务范围；显示在机构主页，可被检索到。"),
    )
