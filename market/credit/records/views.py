"""Conduct records: reporting, the record page with each step of the due process, the lists
(the regulator's queue with bulk confirmation and late disclosures; a party's own records)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ...accounts.models import Organisation
from ...agencies.library_forms import uploads_of
from ...core.auth import role_required
from ...core.clock import utcnow
from ...core.converters import as_id, id_arg
from ...core.errors import NotAllowed, ServiceError, apply_to_form
from ...core.forms import BaseForm
from ...core.i18n import _, _l
from ...core.models import AuditEvent
from ...extensions import db
from ...procurement.models import Notice
from ...procurement.services import bids_sealed, took_part
from .. import criteria
from ..blueprint import bp, paginate
from ..models import ConductRecord
from ..states import ACTION_LABELS, RECORD
from . import appeals
from . import services as records
from .forms import (
    AppealDecisionForm,
    BulkConfirmForm,
    DecideForm,
    RepairDecisionForm,
    RepairForm,
    ReportForm,
    StatementForm,
)
from .lists import late_disclosures, records_query

STAGES = {
    "report": _l("证据材料"),
    "response": _l("陈述申辩材料"),
    "appeal": _l("复核申请材料"),
    "repair": _l("整改证明材料"),
}
#: how the evidence the system attaches is labelled on the record page
EVIDENCE_LABELS = {
    "fact": _l("事实"),
    "notice_id": _l("公告编号"),
    "notice_title": _l("项目"),
    "sign_deadline": _l("签约期限"),
    "due": _l("应完成日期"),
    "delivered": _l("实际交付日期"),
    "accept_deadline": _l("验收期限"),
    "score": _l("评价综合得分"),
    "scores": _l("各项评分（1–5）"),
    "reason": _l("采购人所述原因"),
    "qualification_id": _l("资质编号"),
}
FACT_LABELS = {
    "contract_not_signed": _l("未在期限内签订合同"),
    "selection_abandoned": _l("报价截止后放弃选取"),
    "delivery_late": _l("逾期交付"),
    "acceptance_late": _l("逾期未验收（系统自动验收）"),
    "payment_late": _l("逾期未付款"),
    "poor_evaluation": _l("服务评价低于 60 分"),
    "qualification_rejected": _l("资质核验不通过"),
}


def _record_or_404(record_id) -> ConductRecord:
    record = db.session.get(ConductRecord, record_id)
    if record is None or not records.can_view(record, current_user):
        abort(404)
    return record


def _criteria_choices(party=None):
    return [
        (
            c.code,
            _(
                "%(code)s %(behaviour)s（%(measure)s）",
                code=c.code,
                behaviour=c.behaviour,
                measure=c.measure_label,
            ),
        )
        for c in criteria.in_force(party)
    ]


def render_record(record, status=200, **forms):
    decide_form = forms.get("decide_form") or DecideForm(code=record.criterion.code)
    decide_form.code.choices = _criteria_choices(record.party)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "conduct_record", AuditEvent.subject_id == record.id)
        .order_by(AuditEvent.id)
    ).all()
    now = utcnow()
    return render_template(
        "credit/record.html",
        record=record,
        now=now,
        may_respond=records.may_respond(record, current_user, now),
        may_appeal=appeals.may_appeal(record, current_user, now),
        may_request_repair=appeals.may_request_repair(record, current_user, now),
        may_decide=records.decisions_open(record, current_user),
        documents={stage: record.documents_at(stage) for stage in STAGES},
        stages=STAGES,
        events=events,
        event_labels=ACTION_LABELS,
        evidence_labels=EVIDENCE_LABELS,
        fact_labels=FACT_LABELS,
        respond_form=forms.get("respond_form") or StatementForm(),
        appeal_form=forms.get("appeal_form") or StatementForm(),
        repair_form=forms.get("repair_form") or RepairForm(),
        decide_form=decide_form,
        appeal_decision_form=forms.get("appeal_decision_form") or AppealDecisionForm(),
        repair_decision_form=forms.get("repair_decision_form") or RepairDecisionForm(),
    ), status


@bp.route("/records/<int:record_id>")
@login_required
def record(record_id):
    return render_record(_record_or_404(record_id))


def _subject(record):
    records.check_subject(record, current_user)


def _department(record):
    records.check_department(current_user, record.department)


def _action(record_id, check, form_cls, form_name, do, success):
    """A record form's POST: `check(record)` says who may act (NotAllowed: the 403 page,
    whatever the form holds) → validate → do → one commit → back to the record; a refusal
    shows the page again with the service's message on the form (422)."""
    record = _record_or_404(record_id)
    check(record)
    form = form_cls()
    if form_name == "decide_form":
        form.code.choices = _criteria_choices(record.party)
    if form.validate_on_submit():
        try:
            do(record, form)
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("credit.record", record_id=record.id))
    return render_record(record, 422, **{form_name: form})


@bp.route("/records/<int:record_id>/respond", methods=["POST"])
@login_required
def respond(record_id):
    def do(record, form):
        records.respond(current_user, record.id, form.text.data, uploads_of(form.files, "evidence"))

    return _action(
        record_id,
        _subject,
        StatementForm,
        "respond_form",
        do,
        _("陈述申辩已提交，监管部门将据此作出决定"),
    )


@bp.route("/records/<int:record_id>/decide", methods=["POST"])
@role_required("regulator")
def decide(record_id):
    def do(record, form):
        records.decide(
            current_user,
            record.id,
            form.outcome.data or "",
            form.decision_number.data,
            form.reason.data,
            code=form.code.data or None,
        )

    return _action(record_id, _department, DecideForm, "decide_form", do, _("已作出决定"))


@bp.route("/records/<int:record_id>/publish", methods=["POST"])
@role_required("regulator")
def publish(record_id):
    def do(record, form):
        records.publish(current_user, record.id)

    return _action(record_id, _department, BaseForm, "publish_form", do, _("已公示"))


@bp.route("/records/<int:record_id>/appeal", methods=["POST"])
@login_required
def appeal(record_id):
    def do(record, form):
        appeals.appeal(current_user, record.id, form.text.data, uploads_of(form.files, "evidence"))

    return _action(record_id, _subject, StatementForm, "appeal_form", do, _("复核申请已提交"))


@bp.route("/records/<int:record_id>/appeal-decision", methods=["POST"])
@role_required("regulator")
def decide_appeal(record_id):
    def do(record, form):
        appeals.decide_appeal(
            current_user,
            record.id,
            form.outcome.data or "",
            form.decision_number.data,
            form.reason.data,
        )

    return _action(
        record_id,
        _department,
        AppealDecisionForm,
        "appeal_decision_form",
        do,
        _("已作出复核决定"),
    )


@bp.route("/records/<int:record_id>/repair", methods=["POST"])
@login_required
def request_repair(record_id):
    def do(record, form):
        appeals.request_repair(
            current_user, record.id, form.text.data, uploads_of(form.files, "evidence")
        )

    return _action(record_id, _subject, RepairForm, "repair_form", do, _("信用修复申请已提交"))


@bp.route("/records/<int:record_id>/repair-decision", methods=["POST"])
@role_required("regulator")
def decide_repair(record_id):
    def do(record, form):
        # The service checks the department before the outcome: another department's form,
        # however empty, gets the 403 page.
        approve = {"approve": True, "refuse": False}.get(form.outcome.data)
        appeals.decide_repair(current_user, record.id, approve, form.reason.data)

    return _action(
        record_id,
        _department,
        RepairDecisionForm,
        "repair_decision_form",
        do,
        _("已办理信用修复申请"),
    )


# --- lists ----------------------------------------------------------------------------------


@bp.route("/records/")
@login_required
def record_list():
    org = current_user.organisation
    if org is None or org.kind not in ("agency", "purchaser", "regulator", "operator"):
        abort(403)
    status = request.args.get("status") or None
    if status not in RECORD:
        status = None
    page = paginate(records_query(org, status))
    deciding = org.kind == "regulator"
    headings = {
        "regulator": _("%(department)s · 不良行为记录", department=org.department),
        "operator": _("不良行为记录（全部）"),
    }
    return render_template(
        "credit/records.html",
        page=page,
        status=status,
        states=RECORD.labels(),
        org=org,
        heading=headings.get(org.kind) or _("本单位的信用记录"),
        # regulators record conduct and confirm the reports of their department in bulk
        deciding=deciding,
        late=late_disclosures(org.department) if deciding else [],
        bulk_form=BulkConfirmForm(),
        now=utcnow(),
    )


def _record_ids() -> list[int]:
    """The ticked records' ids; a value no record id can be (text, "²", beyond MAX_ID) is
    left out, as an unticked box."""
    ids = []
    for value in request.form.getlist("record_ids"):
        try:
            ids.append(as_id(value))
        except ValueError:
            continue
    return ids


@bp.route("/records/bulk-confirm", methods=["POST"])
@role_required("regulator")
def bulk_confirm():
    form = BulkConfirmForm()
    ids = _record_ids()
    if form.validate_on_submit():
        try:
            confirmed, skipped = records.bulk_confirm(
                current_user, ids, form.decision_number.data, form.reason.data
            )
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            db.session.commit()
            if confirmed:
                flash(
                    _(
                        "已认定 %(count)s 条记录（%(number)s）",
                        count=len(confirmed),
                        number=form.decision_number.data.strip(),
                    ),
                    "success",
                )
            for record_id, message in skipped:
                flash(
                    _("记录 %(id)s 未认定：%(message)s", id=record_id, message=message), "warning"
                )
    else:
        flash(_("请求无效，请刷新页面后重试"), "danger")
    return redirect(url_for("credit.record_list", status="reported"))


# --- reporting ------------------------------------------------------------------------------


def _report_subjects(notice, org):
    """Who can be reported on this notice: its bidders once its quotes are no longer sealed
    (before, nobody but a bidder may learn who quoted), and, by a regulator, its purchaser."""
    seen = {}
    for bid in [] if bids_sealed(notice) else filter(took_part, notice.bids):
        seen.setdefault(bid.agency_org_id, bid.agency.name)
    if org.kind == "regulator":
        seen[notice.purchaser_org_id] = _("%(name)s（采购人）", name=notice.purchaser.name)
    return [(str(k), v) for k, v in seen.items()]


@bp.route("/report", methods=["GET", "POST"])
@role_required("purchaser", "regulator")
def report():
    org = current_user.organisation
    notice_id = id_arg("notice_id", request.values)
    notice = db.session.get(Notice, notice_id) if notice_id else None
    if notice_id and notice is None:
        abort(404)
    if org.kind == "purchaser" and (notice is None or notice.purchaser_org_id != org.id):
        flash(_("请从本单位的采购项目页面报告中选或参与机构的不良行为"), "warning")
        return redirect(url_for("procurement.my_notices"))
    form = ReportForm(notice_id=notice_id or "")
    form.subject_org_id.choices = [("", _("请选择"))] + (
        _report_subjects(notice, org) if notice else []
    )
    form.code.choices = _criteria_choices("agency" if org.kind == "purchaser" else None)
    if form.validate_on_submit():
        try:
            record = records.report(current_user, _report_data(form, notice))
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("已报告，被报告单位将收到通知并可在 3 个工作日内陈述申辩"), "success")
            return redirect(url_for("credit.record", record_id=record.id))
    status = 422 if request.method == "POST" else 200
    return render_template("credit/report.html", form=form, notice=notice), status


def _report_data(form, notice) -> records.ReportData:
    subject_id = form.subject_org_id.data
    if not subject_id and (form.subject_uscc.data or "").strip():
        uscc = form.subject_uscc.data.strip().upper()
        subject = db.session.scalar(select(Organisation).where(Organisation.uscc == uscc))
        if subject is None:
            raise ServiceError(_("未找到该统一社会信用代码对应的入驻单位"), "subject_uscc")
        subject_id = subject.id
    try:
        # as_id, not isdigit(): "²" is a digit int() refuses, and beyond MAX_ID is no row
        subject_org_id = as_id(subject_id)
    except (TypeError, ValueError):
        raise ServiceError(_("请选择被报告单位"), "subject_org_id") from None
    return records.ReportData(
        subject_org_id=subject_org_id,
        code=form.code.data or "",
        facts=form.facts.data or "",
        notice_id=notice.id if notice else None,
        uploads=uploads_of(form.files, "evidence"),
    )
