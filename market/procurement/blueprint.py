"""The procurement blueprint and what its view modules share: loading a notice for a
request, one-button actions, and the notice page, whose panels each module contributes."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.paging import paginate  # noqa: F401 (the views' pager)
from ..extensions import db
from . import services
from .access import notice_access
from .notice_page import load_page
from .panels import PANELS, detail_panel  # noqa: F401 (the view modules' registry)
from .states import party_of

bp = Blueprint("procurement", __name__)


def read_or_404(notice_id, reading=False, apply=True):
    """The notice read (services.read_notice), brought up to date; one never published (a
    draft, or a draft cancelled) exists only for its purchaser. A page that only reads
    (`reading`) commits a deadline it applied; an action commits it with its own change (if
    it fails, the next read applies it again: apply_due is idempotent)."""
    read = services.read_notice(notice_id, apply)
    if read.notice is None:
        abort(404)
    if read.notice.published_dt is None and party_of(read.notice, current_user) != "purchaser":
        abort(404)
    if reading and read.applied:
        db.session.commit()
    return read


def notice_or_404(notice_id, reading=False):
    """The notice, brought up to date (see read_or_404)."""
    return read_or_404(notice_id, reading).notice


def offered(allowed: bool, form_class, **kwargs):
    """A fresh form for an action the user may take now, else None: a visitor who can do
    nothing gets no forms built (a dozen of them cost the notice page a tenth of its time)."""
    return form_class(**kwargs) if allowed else None


def render_detail(notice, **forms):
    """The notice page; `forms` carries a re-displayed form with its errors. The templates
    read what the user may see and do from `access` (access.py)."""
    user = current_user if current_user.is_authenticated else None
    load_page(notice)
    access = notice_access(notice, user)
    context = {"notice": notice, "access": access, "method": notice.selection_method}
    for provider in PANELS:
        context.update(provider(notice, user, forms, access))
    context.update(forms)
    return render_template("procurement/detail.html", **context)


def checked(form) -> None:
    """A one-button action's form validated, or its first message as a ServiceError (flashed
    as a service's refusal is)."""
    if not form.validate_on_submit():
        raise ServiceError(next(e for errors in form.errors.values() for e in errors))


def action(notice_id, do, success):
    """Run a one-button action on a notice: service → commit → redirect, or flash the error."""
    notice = notice_or_404(notice_id)
    try:
        do(notice)
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("procurement.detail", notice_id=notice.id))


def form_action(notice, form, form_name, do, success, anchor="", **context):
    """A notice form's POST: validate → do(form) → one commit → flash → back to the notice; a
    refusal puts the service's message on the form and shows the page again (422)."""
    if form.validate_on_submit():
        try:
            do(form)
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("procurement.detail", notice_id=notice.id) + anchor)
    return render_detail(notice, **{form_name: form}, **context), 422
