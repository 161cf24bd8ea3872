"""Graded supervision pages: a department's inspection plans and the form drawing a new one,
the public page of a plan with its re-run draw (复核抽取), and recording a result."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ...accounts.services import organisation_names
from ...core.auth import role_required
from ...core.errors import NotAllowed, ServiceError, apply_to_form
from ...core.forms import BaseForm
from ...core.i18n import _, _l
from ...extensions import db
from .. import criteria
from ..blueprint import bp, paginate
from ..models import ConductRecord
from ..records import services as records
from . import services as plans
from .models import INSPECTION_RESULTS


class PlanForm(BaseForm):
    title = StringField(
        _l("计划名称"), validators=[Length(max=200)], description=_l("留空则按部门和日期自动命名")
    )
    rate_A = StringField(_l("A 级抽查比例（%）"))
    rate_B = StringField(_l("B 级抽查比例（%）"))
    rate_C = StringField(_l("C 级抽查比例（%）"))
    rate_D = StringField(_l("D 级抽查比例（%）"))


class ResultForm(BaseForm):
    result = RadioField(
        _l("检查结果"),
        choices=[SelectChoice(k, v) for k, v in INSPECTION_RESULTS.items() if k != "pending"],
        validate_choice=False,
    )
    findings = TextAreaField(
        _l("检查情况"),
        validators=[Length(max=plans.FINDINGS_MAX)],
        description=_l(
            "不合格的必填：写明发现的问题，将作为不良行为记录的违规事实，由机构陈述申辩后认定"
        ),
    )
    criterion = SelectField(
        _l("不合格时适用的认定标准"), validate_choice=False, default=plans.DEFAULT_CODE
    )


def _rate_fields(form):
    return [(grade, getattr(form, f"rate_{grade}")) for grade in plans.GRADES]


def _rates_from(form) -> dict[str, int]:
    """The rates typed per grade, in basis points; the first bad one is named on its field."""
    rates = {}
    for grade, field in _rate_fields(form):
        try:
            rates[grade] = plans.percent_to_bp(grade, field.data or "")
        except ServiceError as err:
            raise ServiceError(err.message, field.name) from None
    return rates


def _department():
    return (current_user.organisation.department or "").strip()


@bp.route("/inspections", methods=["GET", "POST"])
@role_required("regulator")
def inspections():
    department = _department()
    form = PlanForm()
    if request.method == "GET":
        for grade, field in _rate_fields(form):
            field.data = plans.format_rate(plans.default_rates_bp()[grade]).removesuffix("%")
    status = 200
    if department and form.validate_on_submit():
        try:
            plan = plans.create_plan(current_user, _rates_from(form), form.title.data or "")
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
            status = 400
        else:
            db.session.commit()
            flash(
                _(
                    "已抽取「%(title)s」：从 %(population)s 家机构中抽中 %(sampled)s 家。"
                    "随机种子已公开，任何人可复核",
                    title=plan.title,
                    population=len(plan.population),
                    sampled=len(plan.inspections),
                ),
                "success",
            )
            return redirect(url_for(".inspection_plan", plan_id=plan.id))
    elif form.is_submitted():
        status = 400
    page = paginate(plans.plans_query(department)) if department else None
    return render_template(
        "credit/inspection_list.html",
        department=department,
        form=form,
        rate_fields=_rate_fields(form),
        page=page,
        algorithm=plans.ALGORITHM,
    ), status


def _plan_or_404(plan_id):
    plan = plans.get_plan(plan_id)
    if plan is None:
        abort(404)
    return plan


@bp.route("/inspections/<int:plan_id>")
def inspection_plan(plan_id):
    plan = _plan_or_404(plan_id)
    user = current_user if current_user.is_authenticated else None
    sampled = {i.agency_org_id for i in plan.inspections}
    names = organisation_names({org_id for org_id, __ in plan.population})
    return render_template(
        "credit/inspection_plan.html",
        plan=plan,
        counts=plans.counts_by_grade(plan),
        check=plans.verify_plan(plan),
        names=names,
        sampled=sampled,
        draw_key=plans.draw_key,
        may_record=user is not None and plans.may_record(plan, user),
        can_read_findings=lambda i: plans.can_read_findings(i, user),
        can_view_record=lambda record_id: (
            user is not None and records.can_view(db.session.get(ConductRecord, record_id), user)
        ),
        all_departments=plans.ALL_DEPARTMENTS,
    )


def _criteria_choices():
    return [
        SelectChoice(
            c.code,
            _(
                "%(code)s %(behaviour)s（%(measure)s）",
                code=c.code,
                behaviour=c.behaviour,
                measure=c.measure_label,
            ),
        )
        for c in criteria.in_force("agency")
    ]


@bp.route("/inspections/<int:plan_id>/results/<int:inspection_id>", methods=["GET", "POST"])
@role_required("regulator")
def inspection_result(plan_id, inspection_id):
    plan = _plan_or_404(plan_id)
    inspection = plans.get_inspection(plan, inspection_id)
    if inspection is None:
        abort(404)
    plans.check_recorder(plan, current_user)
    form = ResultForm()
    form.criterion.choices = _criteria_choices()
    status = 200
    if form.validate_on_submit():
        try:
            plans.record_result(
                current_user,
                inspection,
                form.result.data or "",
                form.findings.data or "",
                form.criterion.data or plans.DEFAULT_CODE,
            )
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
            status = 400
        else:
            db.session.commit()
            name = inspection.agency.name
            if inspection.result == "failed":
                flash(
                    _(
                        "已登记「%(name)s」检查不合格，并据此报告不良行为记录（编号 %(id)s），"
                        "待机构陈述申辩后认定",
                        name=name,
                        id=inspection.record_id,
                    ),
                    "warning",
                )
            else:
                flash(_("已登记「%(name)s」检查合格", name=name), "success")
            return redirect(url_for(".inspection_plan", plan_id=plan.id) + "#sample")
    elif form.is_submitted():
        status = 400
    return render_template(
        "credit/inspection_result.html", plan=plan, inspection=inspection, form=form
    ), status
