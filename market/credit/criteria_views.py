"""The violation criteria in public (the list in force, each code's versions), and their upkeep
by regulators and operators: add, revise (a new version with a change note), withdraw."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..core.auth import role_required
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.forms import BaseForm
from ..core.i18n import _, _l
from ..extensions import db
from . import criteria, facts
from .blueprint import bp
from .models import MEASURES, PARTIES, SEVERITIES

#: criteria are kept by regulators, each department its own (criteria.may_keep)
KEEPERS = ("regulator",)


def whole_number(label: str, required: str | None = None, **kwargs) -> IntegerField:
    """An integer field whose messages name it; empty is refused with `required`, or is None."""
    return IntegerField(
        label,
        validators=[InputRequired(message=required)] if required else [Optional()],
        invalid_value_message=_l("%(label)s应为整数", label=label),
        **kwargs,
    )


class RevisionForm(BaseForm):
    # The service checks every value and says which is wrong; the form only parses numbers.
    behaviour = StringField(_l("行为描述"), validators=[Length(max=200)])
    severity = SelectField(
        _l("严重程度"),
        choices=[SelectChoice(k, v) for k, v in SEVERITIES.items()],
        validate_choice=False,
    )
    deduction = whole_number(_l("扣分"), _l("请填写扣分"), description=_l("0–100 分"))
    measure = SelectField(
        _l("处理措施"),
        choices=[SelectChoice(k, v) for k, v in MEASURES.items()],
        validate_choice=False,
    )
    suspend_months = whole_number(
        _l("暂停期限（月）"), description=_l("仅「暂停参与投标」填写，1–60 个月")
    )
    publish_months = whole_number(
        _l("公示期限（月）"), _l("请填写公示期限"), description=_l("一般 3–12 个月，严重 1–3 年")
    )
    change_note = TextAreaField(
        _l("修订说明"), validators=[Length(max=1000)], description=_l("修订时必填：依据和变化")
    )


class CriterionForm(RevisionForm):
    code = StringField(_l("标准编号"), validators=[Length(max=20)], description=_l("如 A14、P05"))
    party = SelectField(
        _l("适用对象"),
        choices=[SelectChoice(k, v) for k, v in PARTIES.items()],
        validate_choice=False,
    )


class RetireForm(BaseForm):
    note = TextAreaField(_l("废止原因"), validators=[Length(max=1000)])


class FactForm(BaseForm):
    code = StringField(_l("认定标准编号"), validators=[Length(max=20)])
    note = TextAreaField(_l("调整原因"), validators=[Length(max=1000)])


def _data(form, code: str, party: str) -> criteria.CriterionData:
    return criteria.CriterionData(
        code=code,
        party=party,
        behaviour=form.behaviour.data or "",
        severity=form.severity.data or "",
        deduction=form.deduction.data,
        measure=form.measure.data or "",
        suspend_months=form.suspend_months.data or 0,
        publish_months=form.publish_months.data,
        change_note=form.change_note.data or "",
    )


def _may_add() -> bool:
    return current_user.is_authenticated and criteria.may_add(current_user)


def _index(fact_form=None, fact_key=None, status=200):
    in_force = criteria.in_force()
    groups = [
        (label, [c for c in in_force if c.party == party]) for party, label in PARTIES.items()
    ]
    by_code = {c.code: c for c in in_force}
    codes = facts.mapping()
    # each fact with the criterion it is reported under and those it may be moved to
    system_facts = [
        (fact, by_code.get(codes[key]), [c for c in in_force if c.party == fact.party])
        for key, fact in facts.FACTS.items()
    ]
    return (
        render_template(
            "credit/criteria.html",
            groups=groups,
            system_facts=system_facts,
            may_add=_may_add(),
            may_remap_facts=current_user.is_authenticated
            and criteria.may_remap_facts(current_user),
            fact_form=fact_form,
            fact_key=fact_key,
        ),
        status,
    )


@bp.route("/criteria")
def criteria_index():
    return _index()


@bp.route("/criteria/facts/<fact_key>", methods=["POST"])
@role_required(*KEEPERS)
def remap_fact(fact_key):
    """Report one of the system's own facts under another criterion."""
    if fact_key not in facts.FACTS:
        abort(404)
    # Anyone but the keepers: the 403 page, whatever the form holds.
    criteria.require_fact_keeper(current_user)
    form = FactForm()
    if form.validate_on_submit():
        try:
            row = criteria.remap_fact(
                current_user, fact_key, (form.code.data or "").strip(), form.note.data or ""
            )
        except ServiceError as err:
            apply_to_form(form, err)
            return _index(form, fact_key, _status(err))
        db.session.commit()
        flash(
            _(
                "「%(fact)s」此后按 %(code)s 报告",
                fact=facts.FACTS[fact_key].label,
                code=row.code,
            ),
            "success",
        )
        return redirect(url_for(".criteria_index", _anchor="system-facts"))
    return _index(form, fact_key, 400)


def _history_or_404(code: str):
    versions = criteria.history(code.strip().upper())
    if not versions:
        abort(404)
    return versions


def _detail(versions, form=None, retire_form=None, status=200):
    current = next((v for v in versions if v.in_force), None)
    if form is None and current is not None:
        form = RevisionForm(obj=current, formdata=None)
        form.change_note.data = ""
    return (
        render_template(
            "credit/criteria_detail.html",
            code=versions[0].code,
            versions=versions,
            current=current,
            form=form,
            retire_form=retire_form or RetireForm(formdata=None),
            may_keep=current is not None
            and current_user.is_authenticated
            and criteria.may_keep(current_user, current),
        ),
        status,
    )


@bp.route("/criteria/<code>")
def criterion(code):
    return _detail(_history_or_404(code))


def _status(err: ServiceError) -> int:
    return 403 if isinstance(err, NotAllowed) else 400


@bp.route("/criteria/<code>/revise", methods=["POST"])
@role_required(*KEEPERS)
def revise_criterion(code):
    versions = _history_or_404(code)
    current = next((v for v in versions if v.in_force), None)
    if current is None:
        abort(404)
    # Anyone but its keepers is refused before the form is read, whatever it holds.
    criteria.require_keeper(current_user, current)
    form = RevisionForm()
    if form.validate_on_submit():
        try:
            revised = criteria.save_criterion(
                current_user, _data(form, current.code, current.party)
            )
        except ServiceError as err:
            apply_to_form(form, err)
            return _detail(versions, form=form, status=_status(err))
        db.session.commit()
        if revised.id == current.id:
            flash(_("内容没有变化，未产生新版本"), "info")
        else:
            flash(
                _(
                    "已修订 %(code)s，第 %(version)s 版自即日起施行",
                    code=revised.code,
                    version=revised.version,
                ),
                "success",
            )
        return redirect(url_for(".criterion", code=revised.code))
    return _detail(versions, form=form, status=400)


@bp.route("/criteria/<code>/retire", methods=["POST"])
@role_required(*KEEPERS)
def retire_criterion(code):
    versions = _history_or_404(code)
    current = next((v for v in versions if v.in_force), None)
    if current is not None:
        criteria.require_keeper(current_user, current)
    form = RetireForm()
    if form.validate_on_submit():
        try:
            retired = criteria.retire_criterion(
                current_user, versions[0].code, form.note.data or ""
            )
        except ServiceError as err:
            if err.field == "change_note":
                err.field = "note"
            apply_to_form(form, err)
            return _detail(versions, retire_form=form, status=_status(err))
        db.session.commit()
        flash(_("已废止 %(code)s，此后不能再据此记录不良行为", code=retired.code), "success")
        return redirect(url_for(".criterion", code=retired.code))
    return _detail(versions, retire_form=form, status=400)


@bp.route("/criteria/new", methods=["GET", "POST"])
@role_required(*KEEPERS)
def new_criterion():
    form = CriterionForm()
    if form.validate_on_submit():
        code = (form.code.data or "").strip().upper()
        try:
            if any(v.in_force for v in criteria.history(code)):
                raise ServiceError(_("标准 %(code)s 已存在，请在该标准页面修订", code=code), "code")
            created = criteria.save_criterion(current_user, _data(form, code, form.party.data))
        except ServiceError as err:
            apply_to_form(form, err)
            return render_template("credit/criteria_new.html", form=form), _status(err)
        db.session.commit()
        flash(_("已发布认定标准 %(code)s，自即日起施行", code=created.code), "success")
        return redirect(url_for(".criterion", code=created.code))
    status = 400 if form.is_submitted() else 200
    return render_template("credit/criteria_new.html", form=form), status
