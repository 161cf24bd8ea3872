"""Forms for keeping the catalogue. The services (fields.py, revisions.py) hold the rules and
name what is wrong; the forms bound lengths and turn typed dates into values."""

from flask_wtf.file import FileField
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm, within_calendar
from ..core.i18n import _l
from .fields import FEE_TYPE_LABELS, LISTS, TEXT_FIELDS

REQUIRED = DataRequired(message=_l("请填写此项"))


def _bounded(key: str) -> Length:
    field = next(f for f in TEXT_FIELDS if f.key == key)
    return Length(
        max=field.max_length,
        message=_l("%(label)s不能超过 %(max)s 个字", label=field.label, max=field.max_length),
    )


def _date(label, message, description="") -> DateField:
    return DateField(
        label,
        validators=[DataRequired(message=message), within_calendar],
        description=description,
    )


class ItemForm(BaseForm):
    """An item's published fields; a change also states its reason and effective date."""

    code = StringField(
        _l("事项编码"),
        validators=[REQUIRED, _bounded("code")],
        description=_l("大写字母加数字，如 ZJ035；公布后不能修改"),
    )
    name = StringField(_l("中介服务事项名称"), validators=[REQUIRED, _bounded("name")])
    licensing_item = StringField(
        _l("涉及的审批事项"), validators=[REQUIRED, _bounded("licensing_item")]
    )
    legal_basis = TextAreaField(
        _l("设定依据"),
        validators=[REQUIRED, _bounded("legal_basis")],
        description=_l("多项依据用分号（;）分隔"),
    )
    implementing_requirement = StringField(
        _l("中介服务实施机构要求"),
        validators=[_bounded("implementing_requirement")],
        description=_l("法律法规要求的资质；没有要求的留空"),
    )
    fee_type = SelectField(
        _l("收费类型"), choices=[SelectChoice(k, v) for k, v in FEE_TYPE_LABELS.items()]
    )
    fee_basis = StringField(_l("收费依据"), validators=[_bounded("fee_basis")])
    fee_limits = StringField(
        _l("政府指导价标准"),
        validators=[Length(max=40, message=_l("收费标准不能超过 40 个字符"))],
        description=_l("政府指导价事项必填：金额（元）如 1000-30000，或费率如 0.1%-0.5%"),
    )
    commissioned_by = StringField(
        _l("委托主体"),
        validators=[_bounded("commissioned_by")],
        description=_l("如：申请人；审批部门"),
    )
    note = StringField(
        _l("备注"), validators=[_bounded("note")], description=_l("如：申请人可按要求自行编制")
    )
    category = StringField(_l("类别"), validators=[REQUIRED, _bounded("category")])
    list_kind = SelectField(_l("所属清单"), choices=[SelectChoice(k, v) for k, v in LISTS.items()])
    reason = TextAreaField(
        _l("调整理由"),
        validators=[REQUIRED, Length(max=500, message=_l("调整理由不能超过 500 字"))],
        description=_l("公开显示在事项的调整记录中"),
    )
    effective_on = _date(
        _l("生效日期"), _l("请填写有效的生效日期"), _l("今天生效的立即生效；以后的日期到期自动生效")
    )


class NewItemForm(ItemForm):
    effective_on = None


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        _l("取消理由"),
        validators=[REQUIRED, Length(max=500, message=_l("取消理由不能超过 500 字"))],
        description=_l("如：依据国务院决定取消该中介服务事项"),
    )
    effective_on = _date(_l("生效日期"), _l("请填写有效的生效日期"))


class BatchForm(BaseForm):
    """Publish the chosen drafts as a batch."""

    title = StringField(
        _l("批次名称"),
        validators=[REQUIRED, Length(max=200, message=_l("批次名称不能超过 200 字"))],
        description=_l("如：2026 年第四季度公布的规划类中介服务事项"),
    )
    publishes_on = _date(
        _l("公布日期"), _l("请填写有效的公布日期"), _l("到该日期事项自动变为“已公布”")
    )


class OnlineForm(BaseForm):
    online_on = _date(
        _l("上线日期"), _l("请填写有效的上线日期"), _l("到该日期事项自动变为“已上线”，可发起采购")
    )


class ImportForm(BaseForm):
    file = FileField(
        _l("Excel 清单文件（.xlsx）"),
        description=(
            _l(
                "读取第一张工作表；表头含%(columns)s等列，与本平台导出的 Excel 相同",
                # the headers a file must have, as departments write them
                columns="“事项编码”“中介服务事项名称”“涉及的审批事项”"  # i18n: data
                "“设定依据”“审批部门”“类别”",  # i18n: data
            )
        ),
    )


class ApplyImportForm(BatchForm):
    pass


class ContractModelForm(BaseForm):
    """A new version of an item's model contract."""

    title = StringField(
        _l("标题"),
        validators=[REQUIRED, Length(max=100, message=_l("标题不能超过 100 个字"))],
        default="中介服务合同",  # i18n: data (the title a saved model contract keeps)
    )
    body = TextAreaField(
        _l("合同文本"),
        validators=[REQUIRED, Length(max=20000, message=_l("合同文本不能超过 20000 个字"))],
    )
    note = StringField(
        _l("修订说明"), validators=[Length(max=500, message=_l("修订说明不能超过 500 个字"))]
    )
