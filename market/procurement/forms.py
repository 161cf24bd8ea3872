from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..core.forms import BaseForm, YuanField

REQUIRED = DataRequired(message="请填写此项")


class NoticeForm(BaseForm):
    # The service explains why an item cannot be procured, so any id gets through the form.
    item_id = SelectField(
        "中介服务事项",
        coerce=int,
        validate_choice=False,
        validators=[DataRequired(message="请选择服务事项")],
    )
    title = StringField("项目名称", validators=[REQUIRED, Length(max=200)])
    scope = TextAreaField("服务内容及范围", validators=[REQUIRED, Length(max=5000)])
    ceiling = YuanField(
        "最高限价（元）", validators=[REQUIRED], description="报价不得高于此价格；精确到分"
    )
    service_days = IntegerField(
        "服务期限（天）",
        validators=[
            InputRequired(message="请填写服务期限"),
            NumberRange(min=1, max=730, message="应为 1–730 天"),
        ],
    )
    deadline = DateTimeLocalField(
        "报价截止时间（北京时间）",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message="请填写有效的截止时间")],
    )
    contact_name = StringField("联系人", validators=[REQUIRED, Length(max=50)])
    contact_phone = StringField("联系电话", validators=[REQUIRED, Length(max=30)])
    # Set from the shelf's "直接邀请" button; the service checks the agency.
    invited_org_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    remove_invitation = BooleanField("取消直接邀请，改为公开征集报价")


class ReasonForm(BaseForm):
    reason = TextAreaField("理由", validators=[REQUIRED, Length(max=1000)])
