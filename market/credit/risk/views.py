"""Risk alert pages: a regulator's list (its department's alerts) and an alert's evidence, with
turning it into a conduct record or dismissing it; operators read every alert."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length

from ...accounts.models import User
from ...core.auth import role_required
from ...core.clock import to_local
from ...core.errors import NotAllowed, ServiceError, apply_to_form
from ...core.forms import BaseForm
from ...core.i18n import _, _l
from ...extensions import db
from .. import criteria
from ..blueprint import bp, paginate
from . import handling
from . import rules as risk
from .models import ALERT_STATES


def _optional_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReportAlertForm(BaseForm):
    # Choices are offered, not enforced here: the service says what is wrong with another value.
    code = SelectField(_l("认定标准"), validate_choice=False)
    org_id = SelectField(_l("被记录机构"), coerce=_optional_int, validate_choice=False)
    facts = TextAreaField(
        _l("违规事实"), validators=[Length(max=5000, message=_l("违规事实不超过 5000 字"))]
    )


class DismissAlertForm(BaseForm):
    reason = TextAreaField(
        _l("排除理由"), validators=[Length(max=1000, message=_l("排除理由不超过 1000 字"))]
    )


def _alert_or_404(alert_id):
    try:
        return handling.get_alert(alert_id)
    except ServiceError:
        abort(404)


def _department():
    """None for an operator (every alert); a regulator's department otherwise."""
    org = current_user.organisation
    return None if org.kind == "operator" else (org.department or "").strip()


@bp.route("/risks")
@role_required("regulator", "operator")
def risks():
    department = _department()
    rule = request.args.get("rule") if request.args.get("rule") in risk.RULES else None
    status = request.args.get("status", "open")
    status = status if status in ALERT_STATES else "all"
    page = None
    if department != "":
        page = paginate(handling.alerts_query(department, rule, status))
    return render_template(
        "credit/risk_list.html",
        page=page,
        department=department,
        rules=risk.RULES,
        rule=rule,
        status=status,
        states=ALERT_STATES,
        counts=handling.rule_counts(department, status) if department != "" else {},
    )


def _report_form(alert, form=None):
    form = form or ReportAlertForm()
    agency_criteria = criteria.in_force("agency")
    form.code.choices = [SelectChoice(c.code, f"{c.code} {c.behaviour}") for c in agency_criteria]
    orgs = handling.involved(alert)
    form.org_id.choices = [SelectChoice(o.id, o.name) for o in orgs]
    if not form.is_submitted():
        form.code.data = handling.DEFAULT_CODE
        form.facts.data = handling.default_facts(alert)
        if len(orgs) == 1:
            form.org_id.data = orgs[0].id
    return form


def _render(alert, status=200, report_form=None, dismiss_form=None):
    if not handling.can_view(alert, current_user):
        raise NotAllowed(
            _("该预警由「%(department)s」处理，您所在部门无权查看", department=alert.department)
        )
    may_handle = True
    try:
        handling.check_handler(current_user, alert)
    except NotAllowed:
        may_handle = False
    return render_template(
        "credit/risk_detail.html",
        alert=alert,
        rule=risk.RULES[alert.rule],
        description=risk.rule_description(alert.rule),
        orgs=handling.involved(alert),
        records=handling.records_of(alert),
        may_handle=may_handle,
        report_form=_report_form(alert, report_form),
        dismiss_form=dismiss_form or DismissAlertForm(),
        has_record_page="credit.record" in current_app.view_functions,
        handler=db.session.get(User, alert.handled_by_id) if alert.handled_by_id else None,
    ), status


@bp.route("/risks/<int:alert_id>")
@role_required("regulator", "operator")
def risk_alert(alert_id):
    return _render(_alert_or_404(alert_id))


@bp.route("/risks/<int:alert_id>/report", methods=["POST"])
@role_required("regulator")
def report_risk(alert_id):
    alert = _alert_or_404(alert_id)
    form = _report_form(alert, ReportAlertForm())
    if form.validate_on_submit():
        try:
            # The real user, not the request proxy: the record's listeners keep the actor.
            user = current_user._get_current_object()
            record = handling.report_alert(
                user, alert.id, form.org_id.data, form.code.data or "", form.facts.data or ""
            )
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(
                _(
                    "已生成不良行为记录 %(number)s（%(name)s），被记录机构可于 %(due)s 前陈述申辩",
                    number=record.number,
                    name=record.subject.name,
                    due=f"{to_local(record.response_due_dt):%Y-%m-%d %H:%M}",
                ),
                "success",
            )
            return redirect(url_for(".risk_alert", alert_id=alert.id))
    return _render(alert, 400, report_form=form)


@bp.route("/risks/<int:alert_id>/dismiss", methods=["POST"])
@role_required("regulator")
def dismiss_risk(alert_id):
    alert = _alert_or_404(alert_id)
    form = DismissAlertForm()
    if form.validate_on_submit():
        try:
            handling.dismiss_alert(current_user, alert.id, form.reason.data or "")
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("已排除该风险预警"), "info")
            return redirect(url_for(".risk_alert", alert_id=alert.id))
    return _render(alert, 400, dismiss_form=form)
