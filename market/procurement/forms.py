"""The notice form. The services hold the rules (and name what is wrong); the form turns
typed text into values and bounds lengths."""

from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..core.converters import MAX_ID, as_id, optional_id
from ..core.forms import BaseForm, YuanField, within_calendar
from ..core.i18n import _l
from .notice_rules import MIN_GRADES, PROJECT_CODE_HELP
from .payment_plan import EVENTS as PAYMENT_EVENTS
from .selection import method_labels

REQUIRED = DataRequired(message=_l("请填写此项"))
WEIGHT = [Optional(), NumberRange(min=0, max=100, message=_l("应为 0–100 的整数"))]


class AvoidanceEntry(Form):
    # Choices: the agencies offering the notice's item (set by the view); the service
    # explains an unknown one.
    agency_org_id = SelectField(_l("回避机构"), coerce=optional_id, validate_choice=False)
    reason = StringField(_l("回避理由"), validators=[Length(max=200)])


class MilestoneEntry(Form):
    # Bounds only; the service names what is wrong with a milestone (payment_plan.py).
    # Not "label" or "name": a FormField entry has those attributes of its own.
    title = StringField(
        _l("付款节点"), validators=[Length(max=20, message=_l("名称不能超过 20 个字"))]
    )
    percent = IntegerField(
        _l("比例（%）"),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("比例应为 1–100 的整数"))],
    )
    event = SelectField(
        _l("付款条件"),
        choices=[SelectChoice(key, label) for key, label in PAYMENT_EVENTS.items()],
        default="acceptance",
        validate_choice=False,
    )
    days = IntegerField(
        _l("付款期限（工作日）"),
        validators=[Optional(), NumberRange(min=1, max=60, message=_l("应为 1–60 个工作日"))],
    )


class NoticeForm(BaseForm):
    # The service explains why an item cannot be procured, so any id gets through the form.
    item_id = SelectField(
        _l("中介服务事项"),
        coerce=as_id,
        validate_choice=False,
        validators=[DataRequired(message=_l("请选择服务事项"))],
    )
    title = StringField(_l("公告标题"), validators=[REQUIRED, Length(max=200)])
    project_name = StringField(
        _l("项目名称"), validators=[Length(max=200)], description=_l("不填则与公告标题相同")
    )
    project_code = StringField(
        _l("投资项目统一代码（如有）"),
        validators=[Length(max=30)],
        description=_l("投资项目在线审批监管平台赋予的代码，%(help)s", help=PROJECT_CODE_HELP),
    )
    fiscal_share_pct = IntegerField(
        _l("财政资金占比（%）"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("应为 0–100 的整数"))],
        description=_l("0 表示社会资金项目；含任何财政资金（大于 0）即为财政资金项目"),
    )
    scope = TextAreaField(_l("服务内容及范围"), validators=[REQUIRED, Length(max=5000)])
    service_days = IntegerField(
        _l("服务期限（天）"),
        validators=[
            InputRequired(message=_l("请填写服务期限")),
            NumberRange(min=1, max=730, message=_l("应为 1–730 天")),
        ],
    )
    method = SelectField(
        _l("选取方式"),
        # Read per form: every registered method (selection/) is offered.
        choices=lambda: [SelectChoice(key, label) for key, label in method_labels().items()],
        default="direct",
        validate_choice=False,
    )
    method_reason = TextAreaField(
        _l("选取方式说明"),
        validators=[Length(max=1000)],
        description=_l("随机选取必须填写理由（公平竞争审查要求说明为何采用随机抽取）"),
    )
    ceiling = YuanField(
        _l("最高限价（元）"), validators=[REQUIRED], description=_l("报价不得高于此价格；精确到分")
    )
    floor = YuanField(
        _l("最低限价（元，可选）"), description=_l("报价不得低于此价格；按固定价格报名的方式不设")
    )
    weight_price = IntegerField(_l("价格权重"), validators=WEIGHT)
    weight_credit = IntegerField(_l("信用权重"), validators=WEIGHT)
    weight_technical = IntegerField(_l("技术权重"), validators=WEIGHT)
    deadline = DateTimeLocalField(
        _l("报价截止时间（北京时间）"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message=_l("请填写有效的截止时间")), within_calendar],
    )
    # Shown only for an item whose legal basis requires a qualification (label set by the view).
    requires_qualification = BooleanField(_l("要求具备执业资质"))
    min_grade = SelectField(
        _l("最低资质等级"),
        choices=[SelectChoice("", _l("不限等级")), *(SelectChoice(g, g) for g in MIN_GRADES)],
        validate_choice=False,
    )
    avoidances = FieldList(FormField(AvoidanceEntry), min_entries=3, max_entries=20)
    milestones = FieldList(FormField(MilestoneEntry), min_entries=3, max_entries=6)
    # Not named "attachments": that is the notice's relationship, which obj= would load here.
    files = MultipleFileField(_l("上传附件"), description=_l("PDF、JPG 或 PNG，可多选"))
    attachment_ids = SelectMultipleField(
        _l("从本单位资料库选择附件"), coerce=as_id, validate_choice=False
    )
    # Files chosen before the form was shown again after an error, held for it (pending).
    held_ids = SelectMultipleField(_l("已上传的附件"), coerce=as_id, validate_choice=False)
    contact_name = StringField(_l("联系人"), validators=[REQUIRED, Length(max=50)])
    contact_phone = StringField(_l("联系电话"), validators=[REQUIRED, Length(max=30)])
    # Set from the shelf's "直接邀请" button; the service checks the agency.
    invited_org_id = IntegerField(
        widget=HiddenInput(),
        validators=[Optional(), NumberRange(1, MAX_ID, message=_l("邀请的机构无效"))],
    )
    remove_invitation = BooleanField(_l("取消直接邀请，改为公开征集报价"))
    # The revision the form was opened on: a save over a newer one is refused.
    revision = IntegerField(
        widget=HiddenInput(),
        validators=[Optional(), NumberRange(0, 2**31 - 1, message=_l("公告版本无效"))],
    )


class ReasonForm(BaseForm):
    """Cancelling a notice (its messages are flashed: they say which text they mean)."""

    reason = TextAreaField(
        _l("理由"),
        validators=[
            DataRequired(message=_l("请填写撤销原因")),
            Length(max=1000, message=_l("撤销原因不能超过 1000 字")),
        ],
    )
    # A cancelled notice cannot come back: asked once more, beside the button.
    confirm = BooleanField(
        _l("我确认撤销：撤销后不能恢复，已提交的报价不再参与选取"),
        validators=[DataRequired(message=_l("请勾选确认撤销"))],
    )
