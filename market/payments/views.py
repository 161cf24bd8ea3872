"""Payment pages: a milestone's page with the steps its parties may take, online payment
(Checkout and its return), the gateway's webhook, the agency's payout account, receipts, the
operators' and regulators' payments list with CSV, and a purchaser's public payment record."""

from datetime import datetime, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.models import Organisation
from ..agencies.documents import library
from ..agencies.library_forms import document_choices, uploads_of
from ..core.auth import role_required
from ..core.clock import from_local, to_local
from ..core.converters import id_arg
from ..core.csvfile import csv_bytes, csv_download
from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.i18n import _, _l
from ..core.paging import paginate
from ..extensions import csrf, db
from ..procurement import services as procurement
from ..procurement.models import Notice
from . import gateway, receipts, services, webhooks
from .blueprint import bp
from .forms import ButtonForm, DecideForm, DisputeForm, RefundForm, TransferForm
from .models import METHODS, Milestone, Payment
from .record import purchaser_record, recent_milestones
from .states import MILESTONE

# --- a milestone's page -------------------------------------------------------------------


def _milestone_or_404(milestone_id: int) -> Milestone:
    milestone = services.load(milestone_id)
    if milestone is None or not services.can_read(current_user, milestone):
        abort(404)
    return milestone


def _page(milestone: Milestone, status=200, **forms):
    may = services.steps(current_user, milestone)

    def offered(allowed, form_class):
        return forms.get(form_class.__name__) or (form_class() if allowed else None)

    transfer_form = offered(may.may_record, TransferForm)
    if transfer_form is not None:
        transfer_form.document_id.choices = document_choices(
            library(current_user.organisation.id, kind="voucher")
        )
    context = {
        "milestone": milestone,
        "contract": milestone.contract,
        "notice": milestone.contract.notice,
        "transfer_form": transfer_form,
        "pay_form": offered(may.may_pay, ButtonForm),
        "confirm_form": ButtonForm() if may.may_confirm else None,
        "dispute_form": offered(may.may_confirm, DisputeForm),
        "decide_form": offered(may.may_decide, DecideForm),
        "refund_form": offered(may.may_refund, RefundForm),
    }
    return render_template("payments/milestone.html", **context), status


@bp.route("/payments/milestones/<int:milestone_id>")
@role_required("purchaser", "agency", "regulator", "operator")
def milestone(milestone_id):
    milestone = _milestone_or_404(milestone_id)
    db.session.commit()  # a deadline applied while loading
    return _page(milestone)[0]


def _done(milestone: Milestone, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".milestone", milestone_id=milestone.id))


def _step(milestone_id: int, form_class, do, success: str):
    """A milestone form's POST: validate → do(milestone, form) → commit → back to its page;
    a refusal shows the page again with the message on the form (422)."""
    milestone = _milestone_or_404(milestone_id)
    form = form_class()
    if form.validate_on_submit():
        try:
            do(milestone, form)
        except NotAllowed:
            raise
        except ServiceError as err:
            # The services check everything before writing: nothing to undo.
            apply_to_form(form, err)
        else:
            return _done(milestone, success)
    return _page(milestone, 422, **{form_class.__name__: form})


@bp.route("/payments/milestones/<int:milestone_id>/transfer", methods=["POST"])
@role_required("purchaser")
def record_transfer(milestone_id):
    def do(milestone, form):
        uploads = uploads_of(form.file, "voucher")
        services.record_transfer(
            current_user,
            milestone,
            paid_on=form.paid_on.data,
            amount_fen=form.amount.fen,
            bank_reference=form.bank_reference.data or "",
            document_id=form.document_id.data,
            upload=uploads[0] if uploads else None,
        )

    return _step(milestone_id, TransferForm, do, _("付款已登记，等待中选机构确认收款"))


@bp.route("/payments/milestones/<int:milestone_id>/confirm", methods=["POST"])
@role_required("agency")
def confirm(milestone_id):
    return _step(
        milestone_id,
        ButtonForm,
        lambda m, form: services.confirm_receipt(current_user, m),
        _("已确认收款"),
    )


@bp.route("/payments/milestones/<int:milestone_id>/dispute", methods=["POST"])
@role_required("agency")
def dispute(milestone_id):
    return _step(
        milestone_id,
        DisputeForm,
        lambda m, form: services.dispute_payment(current_user, m, form.reason.data or ""),
        _("异议已提交，采购人和监管部门将看到"),
    )


@bp.route("/payments/milestones/<int:milestone_id>/decide", methods=["POST"])
@role_required("regulator")
def decide(milestone_id):
    return _step(
        milestone_id,
        DecideForm,
        lambda m, form: services.decide_dispute(
            current_user, m, form.outcome.data == "paid", form.note.data or ""
        ),
        _("付款争议已认定"),
    )


@bp.route("/payments/milestones/<int:milestone_id>/refund", methods=["POST"])
@role_required("regulator")
def refund(milestone_id):
    return _step(
        milestone_id,
        RefundForm,
        lambda m, form: services.refund_held(
            current_user, m, form.amount.fen, form.reason.data or ""
        ),
        _("已退款，未退部分在验收后划转中选机构"),
    )


@bp.route("/payments/milestones/<int:milestone_id>/receipt.pdf")
@role_required("purchaser", "agency", "regulator", "operator")
def receipt(milestone_id):
    milestone = _milestone_or_404(milestone_id)
    if not milestone.has_receipt:
        flash(
            _(
                "%(milestone)s当前为「%(state)s」，尚无付款凭证",
                milestone=milestone.label,
                state=milestone.state_label,
            ),
            "warning",
        )
        return redirect(url_for(".milestone", milestone_id=milestone.id))
    try:
        pdf = receipts.receipt_pdf(milestone)
    except receipts.ReceiptUnavailable:
        current_app.logger.exception("receipt PDFs need pango (docs/operations.md)")
        flash(_("暂时无法生成 PDF 付款凭证，请稍后再试或联系平台运营方"), "warning")
        return redirect(url_for(".milestone", milestone_id=milestone.id))
    name = receipts.receipt_number(milestone)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


# --- online payment --------------------------------------------------------------------------


@bp.route("/payments/milestones/<int:milestone_id>/checkout", methods=["POST"])
@role_required("purchaser")
def checkout(milestone_id):
    milestone = _milestone_or_404(milestone_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请刷新后重试"), "danger")
        return redirect(url_for(".milestone", milestone_id=milestone.id))
    try:
        payment = services.open_attempt(current_user, milestone)
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
        return redirect(url_for(".milestone", milestone_id=milestone.id))
    # The attempt is committed before the gateway hears of it: a crash in between leaves a
    # row reconciliation closes or completes.
    db.session.commit()
    back = url_for(".checkout_return", payment_id=payment.id, _external=True)
    try:
        url = services.send_attempt(payment, back + "?result=success", back + "?result=cancel")
    except ServiceError as err:
        db.session.commit()  # the attempt, marked failed
        flash(err.message, "danger")
        return redirect(url_for(".milestone", milestone_id=milestone.id))
    db.session.commit()
    return redirect(url, code=303)


@bp.route("/payments/checkout/<int:payment_id>/return")
@role_required("purchaser")
def checkout_return(payment_id):
    payment = db.session.get(Payment, payment_id)
    if payment is None or not services.can_read(current_user, payment.milestone):
        abort(404)
    if request.args.get("result") == "success":
        flash(_("支付已提交，到账以支付平台的通知为准，通常在几秒钟内更新"), "info")
    else:
        flash(_("已取消支付，未产生扣款"), "warning")
    return redirect(url_for(".milestone", milestone_id=payment.milestone_id))


@bp.route("/payments/stripe/webhook", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    payload = request.get_data()
    try:
        event = gateway.verified_event(payload, request.headers.get("Stripe-Signature"))
    except gateway.BadSignature:
        return {"error": "invalid signature"}, 400
    except ValueError:
        return {"error": "invalid payload"}, 400
    if not isinstance(event, dict):
        return {"error": "invalid payload"}, 400
    outcome = webhooks.receive(event)
    db.session.commit()
    return {"received": True, "outcome": outcome}


# --- the agency's payout account -------------------------------------------------------------


@bp.route("/agency/payout-account", methods=["POST"])
@role_required("agency")
def payout_account():
    form = ButtonForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请刷新后重试"), "danger")
        return redirect(url_for("portal.dashboard"))
    try:
        account = services.ensure_payout_account(current_user)
        db.session.commit()
        url = services.onboarding_url(
            account,
            refresh_url=url_for(".payout_account_return", _external=True),
            return_url=url_for(".payout_account_return", _external=True),
        )
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
        return redirect(url_for("portal.dashboard"))
    return redirect(url, code=303)


@bp.route("/agency/payout-account/return")
@role_required("agency")
def payout_account_return():
    account = services.payout_account(current_user.organisation.id)
    if account is None:
        return redirect(url_for("portal.dashboard"))
    try:
        services.refresh_account(account)
    except ServiceError as err:
        flash(err.message, "warning")
    else:
        db.session.commit()
        if account.ready:
            flash(_("收款账户已开通，托管资金将在验收后划转至该账户"), "success")
        else:
            flash(_("收款账户资料尚未完善，完成后才能接收托管资金"), "warning")
    return redirect(url_for("portal.dashboard"))


# --- the payments list -----------------------------------------------------------------------


#: the payments list's filters (query arguments)
FILTERS = ("state", "from", "to", "purchaser", "agency")


def _list_query():
    """The payments list for the signed-in supervisor, filtered by the request's arguments."""
    start, end = _day_arg("from"), _day_arg("to")
    return services.milestones_query(
        current_user,
        state=request.args.get("state", ""),
        purchaser_id=id_arg("purchaser"),
        agency_id=id_arg("agency"),
        due_from=start and from_local(start),
        due_before=end and from_local(end + timedelta(days=1)),
    )


def _day_arg(name: str) -> datetime | None:
    """A yyyy-mm-dd date argument (local), None when absent or not a date this century."""
    value = request.args.get(name, "")
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2099 else None


@bp.route("/payments")
@role_required("operator", "regulator")
def payments_list():
    page = paginate(_list_query())
    # Only the list's own filters go back into its links (CSV, pages).
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    return render_template(
        "payments/list.html",
        page=page,
        states=MILESTONE.labels(),
        args=args,
        online=services.online(),
    )


CSV_COLUMNS = (
    (_l("合同编号"), lambda m: m.contract.number),
    (_l("项目"), lambda m: m.contract.notice.title),
    (_l("采购人"), lambda m: m.purchaser.name),
    (_l("中选机构"), lambda m: m.agency.name),
    (_l("付款节点"), lambda m: m.label),
    (_l("比例（%）"), lambda m: m.percent),
    (_l("金额（元）"), lambda m: f"{m.amount_fen / 100:.2f}"),
    (_l("状态"), lambda m: m.state_label),
    (_l("应付时间"), lambda m: m.due_dt and f"{to_local(m.due_dt):%Y-%m-%d %H:%M}"),
    (_l("付款时间"), lambda m: m.paid_dt and f"{to_local(m.paid_dt):%Y-%m-%d}"),
    (_l("逾期天数"), lambda m: m.days_late),
    (_l("支付方式"), lambda m: METHODS[m.payments[-1].method] if m.payments else ""),
    (_l("已退款（元）"), lambda m: f"{m.refunded_fen / 100:.2f}" if m.refunded_fen else ""),
)
CSV_MAX_ROWS = 50_000


@bp.route("/payments.csv")
@role_required("operator", "regulator")
def payments_csv():
    rows = db.session.scalars(_list_query().limit(CSV_MAX_ROWS))
    content = csv_bytes(
        [str(header) for header, __ in CSV_COLUMNS],
        ([value(m) for __, value in CSV_COLUMNS] for m in rows),
    )
    return csv_download(content, "payments")


# --- a purchaser's public payment record ----------------------------------------------------


@bp.route("/purchasers/<int:org_id>")
def purchaser(org_id):
    org = db.session.get(Organisation, org_id)
    if org is None or org.kind != "purchaser":
        abort(404)
    published = procurement.public_notices_query().where(Notice.purchaser_org_id == org_id)
    return render_template(
        "payments/purchaser.html",
        purchaser=org,
        record=purchaser_record(org_id),
        recent=recent_milestones(org_id, current_app.config["PER_PAGE"]),
        notices=procurement.as_rows(db.session.execute(published.limit(10))),
    )
