"""The agency's document library, qualifications and practitioners, and the regulators'
verification of declared qualifications (告知承诺: usable at once, checked afterwards)."""

import os

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..accounts.models import User
from ..catalogue.models import ServiceItem
from ..catalogue.services import item_query
from ..core.auth import role_required
from ..core.clock import local_today
from ..core.converters import id_arg
from ..core.errors import NotAllowed, ServiceError, apply_to_form, format_size
from ..core.i18n import _
from ..core.paging import paginate, requested_page
from ..extensions import db
from . import documents as library
from . import practitioners as staff
from . import qualifications as quals
from .library_forms import (
    PractitionerForm,
    QualificationForm,
    RejectForm,
    UploadForm,
    VerifyForm,
    document_choices,
)
from .models import Agency, Document, Practitioner, Qualification
from .services import agency_of

bp = Blueprint("library", __name__)

#: how many of the department's latest decisions the verification page shows
RECENT_DECISIONS = 10


# --- documents ------------------------------------------------------------------------------


@bp.route("/agency/documents", methods=["GET", "POST"], endpoint="documents")
@role_required("agency")
def documents_page():
    agency = agency_of(current_user)
    form = UploadForm()
    limit = format_size(current_app.config["UPLOAD_MAX_BYTES"])
    form.file.description = _(
        "%(types)s 文件，单个文件不超过 %(limit)s", types=library.ALLOWED_LABEL, limit=limit
    )
    if form.validate_on_submit():
        storage = form.file.data
        upload = library.Upload(
            kind=form.kind.data,
            title=form.title.data or "",
            filename=storage.filename if storage else "",
            content=storage.read() if storage else b"",
        )
        try:
            document = library.store_document(current_user, upload)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(
                _("已上传「%(title)s」，报价和资质声明中可直接引用", title=document.title),
                "success",
            )
            return redirect(url_for(".documents"))
    return render_template(
        "agencies/library/documents.html",
        form=form,
        documents=library.library(agency.org_id),
        format_size=format_size,
    )


@bp.route("/agency/documents/<int:document_id>/archive", methods=["GET", "POST"])
@role_required("agency")
def archive_document(document_id):
    if request.method == "GET":
        document = db.session.get(Document, document_id)
        if document is None or document.org_id != current_user.organisation.id:
            raise NotAllowed(_("只能管理本单位的材料"))
        if document.archived:
            flash(_("「%(title)s」已移出资料库", title=document.title), "info")
            return redirect(url_for(".documents"))
        return render_template(
            "confirm.html",
            heading=_("确认移出资料库"),
            subject=_(
                "%(title)s（%(filename)s）", title=document.title, filename=document.filename
            ),
            warning=_(
                "移出后，该材料不再出现在资料库中，新的报价和资质不能再引用它；"
                "已引用它的报价、资质仍可查看该文件。"
            ),
            action=url_for(".archive_document", document_id=document.id),
            button=_("确认移出"),
            back=url_for(".documents"),
        )
    document = library.archive_document(current_user, document_id)
    db.session.commit()
    flash(
        _("已将「%(title)s」移出资料库；已引用它的报价仍可查看该文件", title=document.title),
        "info",
    )
    return redirect(url_for(".documents"))


@bp.route("/documents/<int:document_id>")
def download(document_id):
    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    # Public files (a published notice's attachments) need no login; the rest do.
    if not library.is_public(document):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not library.can_read(current_user, document):
            raise NotAllowed(_("您无权查看该材料"))
    path = library.document_path(document)
    if not os.path.isfile(path):
        abort(404)
    response = send_file(path, mimetype=document.content_type, download_name=document.filename)
    # The type was recognised from the content on upload; browsers must not guess another.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


# --- qualifications -------------------------------------------------------------------------


def _item_label(item: ServiceItem) -> str:
    label = f"{item.code} {item.name}"
    if not item.implementing_requirement:
        return label
    return _("%(label)s（%(requirement)s）", label=label, requirement=item.implementing_requirement)


@bp.route("/agency/qualifications", methods=["GET", "POST"], endpoint="qualifications")
@role_required("agency")
def qualifications_page():
    agency = agency_of(current_user)
    items = db.session.scalars(item_query()).all()
    form = QualificationForm()
    form.item_id.choices = [
        SelectChoice("", _("请选择事项")),
        *(SelectChoice(i.id, _item_label(i)) for i in items),
    ]
    form.document_id.choices = document_choices(library.library(agency.org_id))
    if request.method == "GET":
        form.item_id.data = id_arg("item")
    chosen = next((i for i in items if i.id == form.item_id.data), None)
    if chosen is not None and chosen.implementing_requirement:
        form.type.description = _(
            "该事项的执业要求：%(requirement)s", requirement=chosen.implementing_requirement
        )
    if form.validate_on_submit():
        data = quals.QualificationData(
            item_id=form.item_id.data,
            type=form.type.data or "",
            grade=form.grade.data or "",
            number=form.number.data or "",
            issuer=form.issuer.data or "",
            valid_until=form.valid_until.data,
            document_id=form.document_id.data,
            commitment_signed=form.commitment.data,
        )
        try:
            qualification = quals.declare_qualification(current_user, data)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(
                _(
                    "已声明资质「%(type)s」（证书编号 %(number)s），即日起可在报价中使用；"
                    "%(department)s核验前标注为“已声明”",
                    type=qualification.type,
                    number=qualification.number,
                    department=qualification.item.approving_department,
                ),
                "success",
            )
            return redirect(url_for(".qualifications"))
    rows = db.session.scalars(
        select(Qualification)
        .where(Qualification.agency_id == agency.org_id)
        .options(selectinload(Qualification.item), selectinload(Qualification.document))
        .order_by(Qualification.declared_dt.desc(), Qualification.id.desc())
    ).all()
    requirements = sorted({i.implementing_requirement for i in items if i.implementing_requirement})
    return render_template(
        "agencies/library/qualifications.html",
        form=form,
        qualifications=rows,
        requirements=requirements,
        today=local_today(),
    )


# --- practitioners --------------------------------------------------------------------------


@bp.route("/agency/practitioners", methods=["GET", "POST"], endpoint="practitioners")
@role_required("agency")
def practitioners_page():
    agency = agency_of(current_user)
    form = PractitionerForm()
    form.document_id.choices = document_choices(library.library(agency.org_id))
    if form.validate_on_submit():
        data = staff.PractitionerData(
            name=form.name.data or "",
            certificate=form.certificate.data or "",
            certificate_number=form.certificate_number.data or "",
            id_number=form.id_number.data or "",
            document_id=form.document_id.data,
            commitment_signed=form.commitment.data,
        )
        try:
            practitioner = staff.add_practitioner(current_user, data)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("已登记从业人员%(name)s", name=practitioner.name), "success")
            return redirect(url_for(".practitioners"))
    rows = db.session.scalars(
        select(Practitioner)
        .where(Practitioner.agency_id == agency.org_id)
        .options(selectinload(Practitioner.document))
        .order_by(Practitioner.active.desc(), Practitioner.id)
    ).all()
    return render_template(
        "agencies/library/practitioners.html",
        form=form,
        practitioners=rows,
        masked=staff.masked_id_number,
    )


@bp.route("/agency/practitioners/<int:practitioner_id>/active", methods=["POST"])
@role_required("agency")
def set_practitioner_active(practitioner_id):
    # Another agency's practitioner: the 403 page, whatever the form holds.
    staff.own_practitioner(current_user, practitioner_id)
    value = request.form.get("active")
    if value not in ("0", "1"):
        abort(400)
    practitioner = staff.set_practitioner_active(current_user, practitioner_id, value == "1")
    db.session.commit()
    if practitioner.active:
        message = _("已将%(name)s标记为在职", name=practitioner.name)
    else:
        message = _("已将%(name)s标记为已离职", name=practitioner.name)
    flash(message, "info")
    return redirect(url_for(".practitioners"))


# --- verification by the owning department --------------------------------------------------


def _recent_decisions(department: str) -> list[Qualification]:
    return list(
        db.session.scalars(
            select(Qualification)
            .join(Qualification.item)
            .where(
                ServiceItem.approving_department == department,
                Qualification.decided_by_id.is_not(None),
                Qualification.status.in_(("verified", "rejected")),
            )
            .options(
                selectinload(Qualification.agency).selectinload(Agency.organisation),
                selectinload(Qualification.item),
            )
            .order_by(Qualification.decided_dt.desc(), Qualification.id.desc())
            .limit(RECENT_DECISIONS)
        )
    )


@bp.route("/supervision/qualifications")
@role_required("regulator")
def pending():
    department = current_user.organisation.department
    page, recent, deciders = None, [], {}
    if department:
        # Past its valid-until date a declaration has nothing left to verify.
        stmt = (
            quals.pending_for_department(department)
            .where(Qualification.valid_until >= local_today())
            .options(
                selectinload(Qualification.agency).selectinload(Agency.organisation),
                selectinload(Qualification.document),
            )
        )
        page = paginate(stmt)
        recent = _recent_decisions(department)
        ids = {q.decided_by_id for q in recent}
        if ids:
            deciders = dict(
                db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
            )
    return render_template(
        "agencies/library/pending.html",
        department=department,
        page=page,
        recent=recent,
        deciders=deciders,
    )


def _first_error(form) -> str:
    return next((e for errors in form.errors.values() for e in errors), _("提交的内容无效"))


def _back_to_pending():
    return redirect(url_for(".pending", page=requested_page()))


@bp.route("/supervision/qualifications/<int:qualification_id>/verify", methods=["POST"])
@role_required("regulator")
def verify_qualification(qualification_id):
    # Another department: the 403 page, whatever the form holds.
    quals.check_decider(current_user, qualification_id)
    form = VerifyForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return _back_to_pending()
    try:
        qualification = quals.verify_qualification(
            current_user, qualification_id, form.note.data or ""
        )
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(
            _(
                "已核验%(agency)s的「%(type)s」（证书编号 %(number)s）",
                agency=qualification.agency.organisation.name,
                type=qualification.type,
                number=qualification.number,
            ),
            "success",
        )
    return _back_to_pending()


@bp.route("/supervision/qualifications/<int:qualification_id>/reject", methods=["POST"])
@role_required("regulator")
def reject_qualification(qualification_id):
    # Another department: the 403 page, whatever the form holds.
    quals.check_decider(current_user, qualification_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return _back_to_pending()
    try:
        # The real user, not the request-bound proxy: signal listeners may keep the actor.
        actor = current_user._get_current_object()
        qualification = quals.reject_qualification(actor, qualification_id, form.reason.data or "")
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(
            _(
                "已认定%(agency)s的「%(type)s」（证书编号 %(number)s）核验不通过："
                "该资质不能再用于报价，涉嫌虚假声明的情况已记录",
                agency=qualification.agency.organisation.name,
                type=qualification.type,
                number=qualification.number,
            ),
            "warning",
        )
    return _back_to_pending()
