from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.errors import ServiceError, apply_to_form
from ..core.mail import send_mail_after_commit
from ..core.templating import external_url
from ..extensions import db
from . import orgdata, services
from .forms import REGIONS, LoginForm, RegistrationForm
from .models import ORG_KINDS
from .signin import sign_in, sign_out

bp = Blueprint("accounts", __name__)


def _safe_next(target):
    """A local path to return to after login, or None (never another site)."""
    if not target or any(c < " " or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.LoginRefused as err:
            if err.just_locked is not None:
                _mail_unlock_link(err.just_locked)
            db.session.commit()  # the wrong password counts (and a lock holds)
            apply_to_form(form, err)
        else:
            sign_in(user, remember=form.remember.data)
            flash(f"欢迎回来，{user.name}", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("portal.dashboard"))
    return render_template("accounts/login.html", form=form)


def _mail_unlock_link(user):
    """Queue the mail that tells `user` their account was locked and how to unlock it."""
    link = external_url("accounts.unlock", token=services.unlock_token(user))
    body = render_template("mail/unlock.txt", user=user, link=link)
    send_mail_after_commit(user.email, "网上中介超市：您的账号已被锁定", body)


@bp.route("/login/unlock/<token>")
def unlock(token):
    try:
        services.unlock_account(token)
    except ServiceError as err:
        flash(err.message, "warning")
    else:
        db.session.commit()
        flash(
            "账号已解锁，请使用密码登录。如果不是您本人多次尝试登录，建议尽快修改密码。", "success"
        )
    return redirect(url_for("accounts.login"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sign_out(current_user)
    flash("您已安全退出", "info")
    return redirect(url_for("portal.home"))


@bp.route("/register")
def register_choice():
    return render_template("accounts/register_choice.html")


@bp.route("/register/<kind>", methods=["GET", "POST"])
def register(kind):
    if kind not in ("agency", "purchaser"):
        abort(404)
    form = RegistrationForm()
    if form.validate_on_submit():
        reg = services.Registration(
            kind=kind,
            org_name=form.org_name.data,
            uscc=form.uscc.data,
            legal_representative=form.legal_representative.data,
            region=form.region.data,
            address=form.address.data,
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            email=form.email.data,
            password=form.password.data,
            commitment_signed=form.commitment.data,
        )
        try:
            user = services.register_organisation(reg)
        except services.EmailAlreadyRegistered as taken:
            # The same answer as for a new address; the address's owner is told by mail.
            _mail_attempt(taken.user, kind)
            return _check_your_mail(reg.email)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            _mail_confirmation(user)
            return _check_your_mail(user.email)
    return render_template(
        "accounts/register.html",
        form=form,
        kind=kind,
        kind_label=ORG_KINDS[kind],
        regions=REGIONS,
    )


def _check_your_mail(email):
    db.session.commit()  # the registration (if new) and the queued mail
    return render_template("accounts/register_sent.html", email=email.strip())


def _mail_confirmation(user):
    """Queue the mail with the link that completes `user`'s registration."""
    link = external_url("accounts.confirm_registration", token=services.await_confirmation(user))
    body = render_template("mail/confirm_registration.txt", user=user, link=link)
    send_mail_after_commit(user.email, "网上中介超市：请确认您的注册邮箱", body)


def _mail_attempt(user, kind):
    """Someone registered with `user`'s address: tell its owner (and resend the link if the
    address still waits for confirmation)."""
    if user.confirmation_sent_dt is not None:
        _mail_confirmation(user)
        return
    body = render_template("mail/registration_attempt.txt", user=user, kind_label=ORG_KINDS[kind])
    send_mail_after_commit(user.email, "网上中介超市：有人尝试用您的邮箱注册", body)


@bp.route("/register/confirm/<token>")
def confirm_registration(token):
    try:
        user = services.confirm_registration(token)
    except ServiceError as err:
        flash(err.message, "warning")
        return redirect(url_for("accounts.login"))
    sign_in(user)
    flash(f"注册成功，{user.organisation.name} 已入驻平台，无需审核即可使用。", "success")
    return redirect(url_for("portal.dashboard"))


@bp.route("/account")
@login_required
def account():
    return render_template(
        "accounts/account.html", user=current_user, edits_org_data=orgdata.may_edit(current_user)
    )
