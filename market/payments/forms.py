"""Forms for the payment steps. The services hold the rules and name what is wrong; the
forms turn typed text into values and bound lengths."""

from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.converters import optional_id
from ..core.forms import BaseForm, YuanField, within_calendar
from ..core.i18n import _l

REQUIRED = DataRequired(message=_l("请填写此项"))


class TransferForm(BaseForm):
    """The purchaser records a bank transfer."""

    paid_on = DateField(
        _l("转账日期"),
        validators=[DataRequired(message=_l("请填写有效的转账日期")), within_calendar],
    )
    amount = YuanField(_l("转账金额（元）"), validators=[REQUIRED])
    bank_reference = StringField(
        _l("银行流水号"),
        validators=[REQUIRED, Length(max=64, message=_l("银行流水号不能超过 64 个字符"))],
        description=_l("银行回单上的交易流水号或凭证号"),
    )
    document_id = SelectField(
        _l("从本单位资料库选择付款凭证"), coerce=optional_id, validate_choice=False
    )
    file = FileField(_l("或上传付款凭证（银行回单）"), description=_l("PDF、JPG 或 PNG"))


class DisputeForm(BaseForm):
    reason = TextAreaField(
        _l("异议理由"),
        validators=[Length(max=1000, message=_l("异议理由不能超过 1000 字"))],
        description=_l("如：截至今日未到账；到账金额与登记不符"),
    )


DECISIONS = [SelectChoice("paid", _l("已付款（款项已到账）")), SelectChoice("unpaid", _l("未付款"))]


class DecideForm(BaseForm):
    outcome = RadioField(
        _l("认定结果"), choices=DECISIONS, validators=[DataRequired(_l("请选择认定结果"))]
    )
    note = TextAreaField(_l("认定理由"), validators=[Length(max=1000)])


class RefundForm(BaseForm):
    amount = YuanField(_l("退款金额（元）"), validators=[REQUIRED])
    reason = TextAreaField(_l("退款理由"), validators=[Length(max=1000)])


class ButtonForm(BaseForm):
    """A one-button step (confirm receipt, pay online): the CSRF token only."""
