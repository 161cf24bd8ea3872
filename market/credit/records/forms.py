"""Forms for reporting conduct and for each step of its due process. The services hold the
rules and name what is wrong; the forms bound lengths."""

from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ...core.forms import BaseForm
from ...core.i18n import _l
from .services import APPEAL_OUTCOMES, DECISIONS

FILES_HELP = _l("PDF、JPG 或 PNG，可多选")
NUMBER_HELP = _l("如：生环信决〔2026〕12号")


class ReportForm(BaseForm):
    notice_id = HiddenField()
    subject_org_id = SelectField(_l("被报告单位"), coerce=str, validate_choice=False)
    subject_uscc = StringField(
        _l("被报告单位统一社会信用代码"),
        validators=[Optional(), Length(max=18)],
        description=_l("不涉及具体项目时，按统一社会信用代码指定单位"),
    )
    code = SelectField(_l("违法违规行为认定标准"), validate_choice=False)
    facts = TextAreaField(_l("违规事实"), validators=[Length(max=5000)])
    files = MultipleFileField(_l("证据材料（可选）"), description=FILES_HELP)


class StatementForm(BaseForm):
    """The party's statement (陈述申辩) or appeal (复核申请)."""

    text = TextAreaField(_l("内容"), validators=[Length(max=5000)])
    files = MultipleFileField(_l("证明材料（可选）"), description=FILES_HELP)


class RepairForm(BaseForm):
    text = TextAreaField(_l("整改情况说明"), validators=[Length(max=5000)])
    files = MultipleFileField(_l("整改证明材料"), description=FILES_HELP)


class DecideForm(BaseForm):
    outcome = RadioField(
        _l("认定结论"),
        choices=[SelectChoice(k, v) for k, v in DECISIONS.items()],
        validate_choice=False,
    )
    code = SelectField(_l("适用标准"), validate_choice=False)
    decision_number = StringField(
        _l("决定书文号"), validators=[Length(max=60)], description=NUMBER_HELP
    )
    reason = TextAreaField(_l("理由"), validators=[Length(max=5000)])


class BulkConfirmForm(BaseForm):
    decision_number = StringField(
        _l("决定书文号"), validators=[Length(max=60)], description=NUMBER_HELP
    )
    reason = TextAreaField(_l("认定理由（可选）"), validators=[Length(max=2000)])


class AppealDecisionForm(BaseForm):
    outcome = RadioField(
        _l("复核结论"),
        choices=[SelectChoice(k, v) for k, v in APPEAL_OUTCOMES.items()],
        validate_choice=False,
    )
    decision_number = StringField(
        _l("复核决定书文号"), validators=[Length(max=60)], description=NUMBER_HELP
    )
    reason = TextAreaField(_l("复核理由"), validators=[Length(max=5000)])


class RepairDecisionForm(BaseForm):
    outcome = RadioField(
        _l("修复结论"),
        choices=[SelectChoice("approve", _l("同意修复")), SelectChoice("refuse", _l("不予修复"))],
        validate_choice=False,
    )
    reason = TextAreaField(_l("理由（不予修复时必填）"), validators=[Length(max=2000)])
