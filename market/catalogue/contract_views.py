"""An item's model contract (合同示范文本): public to read, every version listed; its
department's regulators save new versions (model_contracts.py)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.auth import role_required
from ..core.errors import ServiceError, apply_to_form
from ..core.i18n import _
from ..extensions import db
from . import access, model_contracts
from .forms import ContractModelForm
from .views import bp, item_or_404, kept_item


@bp.route("/<code>/contract-model")
def contract_model(code):
    item = item_or_404(code)
    versions = model_contracts.model_versions(item)
    return render_template(
        "catalogue/contract_model.html",
        item=item,
        current=versions[0] if versions else None,
        versions=versions,
        general=model_contracts.general_text(),
        general_title=model_contracts.GENERAL_TITLE,
        placeholders=model_contracts.PLACEHOLDERS,
        may_keep=access.keeps(current_user, item),
    )


@bp.route("/manage/items/<int:item_id>/contract-model", methods=["GET", "POST"])
@role_required("regulator")
def edit_contract_model(item_id):
    item = kept_item(item_id)
    current = model_contracts.current_model(item)
    if request.method == "GET":
        form = ContractModelForm(formdata=None)
        form.title.data = current.title if current else model_contracts.GENERAL_TITLE
        form.body.data = current.body if current else model_contracts.general_text()
    else:
        form = ContractModelForm()
    if form.validate_on_submit():
        try:
            model = model_contracts.save_model(
                current_user, item, form.title.data, form.body.data, form.note.data
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(
                _(
                    "合同示范文本已保存（第 %(version)s 版），此后生成的合同使用该版本",
                    version=model.version,
                ),
                "success",
            )
            return redirect(url_for("catalogue.contract_model", code=item.code))
    return render_template(
        "catalogue/contract_model_form.html",
        form=form,
        item=item,
        current=current,
        # each placeholder as the text writes it, with what it stands for
        placeholders={
            f"【{key}】": meaning  # i18n: data (the placeholder's brackets)
            for key, meaning in model_contracts.PLACEHOLDERS.items()
        },
    ), (400 if form.errors else 200)
