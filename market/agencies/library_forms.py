"""Forms for the document library, qualifications, practitioners and their verification.

Required fields are checked by the services, which name what is missing; the forms only
bound lengths to the columns and turn choices into ids."""

from flask_wtf.file import FileField
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..core.converters import optional_id
from ..core.forms import BaseForm, within_calendar
from ..core.i18n import _, _l
from .documents import Upload
from .forms import CommitmentMixin
from .models import DOCUMENT_KINDS, GRADE_LABELS, QUALIFICATION_GRADES


def uploads_of(field, kind: str) -> list[Upload]:
    """The files chosen in a file field as uploads (an empty file input sends a nameless one)."""
    files = field.data if isinstance(field.data, list) else [field.data]
    return [Upload(kind, f.filename, f.filename, f.read()) for f in files if f and f.filename]


def document_choice(document) -> SelectChoice:
    """A file of the library as a choice: its title, kind and file name."""
    return SelectChoice(
        document.id,
        _(
            "%(title)s（%(kind)s，%(filename)s）",
            title=document.title,
            kind=document.kind_label,
            filename=document.filename,
        ),
    )


def document_choices(documents):
    """The library's files as choices, after an empty "none" choice."""
    return [SelectChoice("", _("不附材料")), *(document_choice(d) for d in documents)]


class UploadForm(BaseForm):
    kind = SelectField(
        _l("材料类别"),
        choices=[SelectChoice(k, v) for k, v in DOCUMENT_KINDS.items()],
        default="qualification",
    )
    title = StringField(
        _l("材料名称"),
        validators=[Length(max=200)],
        description=_l("例如：测绘资质证书（乙级）正本"),
    )
    file = FileField(_l("文件"))


class QualificationForm(CommitmentMixin, BaseForm):
    # The service says why an item cannot be chosen, so any id gets through the form.
    item_id = SelectField(
        _l("对应的中介服务事项"),
        coerce=optional_id,
        validate_choice=False,
        validators=[DataRequired(message=_l("请选择中介服务事项"))],
    )
    type = StringField(
        _l("资质类型"),
        validators=[Length(max=100)],
        description=_l("按所选事项的执业要求填写（事项名称后括号内为要求）"),
    )
    grade = SelectField(
        _l("资质等级"),
        choices=[SelectChoice(g, GRADE_LABELS[g]) for g in QUALIFICATION_GRADES],
        validate_choice=False,
    )
    number = StringField(_l("证书编号"), validators=[Length(max=60)])
    issuer = StringField(_l("发证机关"), validators=[Length(max=100)])
    # InputRequired, unlike DataRequired, keeps the message for a malformed date.
    valid_until = DateField(
        _l("有效期至"),
        validators=[InputRequired(message=_l("请填写有效期至")), within_calendar],
        invalid_value_message=_l("有效期至不是有效的日期（年-月-日）"),
    )
    # The service tells another agency's file from a missing one, so choices are not enforced.
    document_id = SelectField(
        _l("资质证书扫描件"),
        coerce=optional_id,
        validate_choice=False,
        description=_l("从资料库选择"),
    )


class PractitionerForm(CommitmentMixin, BaseForm):
    name = StringField(_l("姓名"), validators=[Length(max=50)])
    certificate = StringField(
        _l("执业资格证书名称"),
        validators=[Length(max=100)],
        description=_l("例如：环境影响评价工程师职业资格证书"),
    )
    certificate_number = StringField(_l("证书编号"), validators=[Length(max=60)])
    id_number = StringField(
        _l("身份证号码"),
        validators=[Length(max=30)],
        description=_l("仅用于核对身份，登记后只显示前 3 位和后 4 位"),
    )
    document_id = SelectField(
        _l("执业证书扫描件"),
        coerce=optional_id,
        validate_choice=False,
        description=_l("从资料库选择"),
    )


class VerifyForm(BaseForm):
    note = StringField(
        _l("核验意见（可选）"),
        validators=[Length(max=1000, message=_l("核验意见不能超过 1000 字"))],
    )


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("不通过理由"),
        validators=[Length(max=1000, message=_l("不通过理由不能超过 1000 字"))],
    )
