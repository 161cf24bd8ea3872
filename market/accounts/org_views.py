"""The organisation's registered data page (its admins edit it), on the members blueprint."""

from dataclasses import asdict

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.i18n import _
from ..extensions import db
from . import orgdata
from .credential_forms import OrgDataForm
from .member_views import admin_required, bp
from .panels import panels_for
from .services import COMMITMENT_LABEL


@bp.route("/org/data", methods=["GET", "POST"])
@admin_required
def org_data():
    # A regulator's or the operator's admin: the 403 page, whatever the form holds.
    org = orgdata.editable_organisation(current_user)
    form = OrgDataForm(data=asdict(orgdata.current_data(org)))
    if form.validate_on_submit():
        data = orgdata.OrgData(**{field: form[field].data or "" for field in orgdata.FIELDS})
        try:
            changed = orgdata.update_registered_data(current_user, data, form.commitment.data)
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            if not changed:
                flash(_("单位信息没有变化，未作修改。"), "info")
            else:
                db.session.commit()
                resigned = any(field in changed for field in orgdata.BOUND)
                flash(
                    _("单位信息已更新，信用承诺书已重新签署。")
                    if resigned
                    else _("单位信息已更新。"),
                    "success",
                )
            return redirect(url_for(".org_data"))
    return render_template(
        "accounts/org_data.html",
        form=form,
        org=org,
        commitment_text=COMMITMENT_LABEL,
        bound_labels=_("、").join(str(orgdata.FIELDS[field][0]) for field in orgdata.BOUND),
        panels=panels_for(org, current_user),
    )
