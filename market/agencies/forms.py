from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..core.forms import BaseForm


class OfferingForm(BaseForm):
    item_id = SelectField(
        "中介服务事项", coerce=int, validators=[DataRequired(message="请选择服务事项")]
    )
    fee_standard = StringField(
        "收费标准",
        validators=[DataRequired(message="请填写收费标准"), Length(max=200)],
        description="例如：按合同约定，参考价 3–5 万元；或按政府指导价",
    )
    promised_days = IntegerField(
        "承诺办理时限（工作日）",
        validators=[
            InputRequired(message="请填写承诺时限"),
            NumberRange(min=1, max=365, message="应为 1–365 个工作日"),
        ],
    )
    description = TextAreaField("服务说明", validators=[Length(max=2000)])
