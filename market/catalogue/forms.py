"""Forms for keeping the catalogue. The services (fields.py, revisions.py) hold the rules and
name what is wrong; the forms bound lengths and turn typed dates into values."""

from flask_wtf.file import FileField
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm, within_calendar
from .fields import FEE_TYPE_LABELS, LISTS, TEXT_FIELDS

REQUIRED = DataRequired(message="请填写此项")


def _bounded(key: str) -> Length:
    field = next(f for f in TEXT_FIELDS if f.key == key)
    return Length(max=field.max_length, message=f"{field.label}不能超过 {field.max_length} 个字")


def _date(label: str, message: str, description: str = "") -> DateField:
    return DateField(
        label,
        validators=[DataRequired(message=message), within_calendar],
        description=description,
    )


class ItemForm(BaseForm):
    """An item's published fields; a change also states its reason and effective date."""

    code = StringField(
        "事项编码",
        validators=[REQUIRED, _bounded("code")],
        description="大写字母加数字，如 ZJ035；公布后不能修改",
    )
    name = StringField("中介服务事项名称", validators=[REQUIRED, _bounded("name")])
    licensing_item = StringField(
        "涉及的审批事项", validators=[REQUIRED, _bounded("licensing_item")]
    )
    legal_basis = TextAreaField(
        "设定依据",
        validators=[REQUIRED, _bounded("legal_basis")],
        description="多项依据用分号（;）分隔",
    )
    implementing_requirement = StringField(
        "中介服务实施机构要求",
        validators=[_bounded("implementing_requirement")],
        description="法律法规要求的资质；没有要求的留空",
    )
    fee_type = SelectField(
        "收费类型", choices=[SelectChoice(k, v) for k, v in FEE_TYPE_LABELS.items()]
    )
    fee_basis = StringField("收费依据", validators=[_bounded("fee_basis")])
    fee_limits = StringField(
        "政府指导价标准",
        validators=[Length(max=40, message="收费标准不能超过 40 个字符")],
        description="政府指导价事项必填：金额（元）如 1000-30000，或费率如 0.1%-0.5%",
    )
    commissioned_by = StringField(
        "委托主体", validators=[_bounded("commissioned_by")], description="如：申请人；审批部门"
    )
    note = StringField(
        "备注", validators=[_bounded("note")], description="如：申请人可按要求自行编制"
    )
    category = StringField("类别", validators=[REQUIRED, _bounded("category")])
    list_kind = SelectField("所属清单", choices=[SelectChoice(k, v) for k, v in LISTS.items()])
    reason = TextAreaField(
        "调整理由",
        validators=[REQUIRED, Length(max=500, message="调整理由不能超过 500 字")],
        description="公开显示在事项的调整记录中",
    )
    effective_on = _date(
        "生效日期", "请填写有效的生效日期", "今天生效的立即生效；以后的日期到期自动生效"
    )


class NewItemForm(ItemForm):
    effective_on = None


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        "取消理由",
        validators=[REQUIRED, Length(max=500, message="取消理由不能超过 500 字")],
        description="如：依据国务院决定取消该中介服务事项",
    )
    effective_on = _date("生效日期", "请填写有效的生效日期")


class BatchForm(BaseForm):
    """Publish the chosen drafts as a batch."""

    title = StringField(
        "批次名称",
        validators=[REQUIRED, Length(max=200, message="批次名称不能超过 200 字")],
        description="如：2026 年第四季度公布的规划类中介服务事项",
    )
    publishes_on = _date("公布日期", "请填写有效的公布日期", "到该日期事项自动变为“已公布”")


class OnlineForm(BaseForm):
    online_on = _date(
        "上线日期", "请填写有效的上线日期", "到该日期事项自动变为“已上线”，可发起采购"
    )


class ImportForm(BaseForm):
    file = FileField(
        "Excel 清单文件（.xlsx）",
        description=(
            "读取第一张工作表；表头含“事项编码”“中介服务事项名称”“涉及的审批事项”"
            "“设定依据”“审批部门”“类别”等列，与本平台导出的 Excel 相同"
        ),
    )


class ApplyImportForm(BatchForm):
    pass


class ContractModelForm(BaseForm):
    """A new version of an item's model contract."""

    title = StringField(
        "标题",
        validators=[REQUIRED, Length(max=100, message="标题不能超过 100 个字")],
        default="中介服务合同",
    )
    body = TextAreaField(
        "合同文本",
        validators=[REQUIRED, Length(max=20000, message="合同文本不能超过 20000 个字")],
    )
    note = StringField(
        "修订说明", validators=[Length(max=500, message="修订说明不能超过 500 个字")]
    )
