from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..core.errors import ServiceError, apply_to_form
from ..core.i18n import SESSION_KEY as LANGUAGE_KEY
from ..core.i18n import _, current_language, in_language, language_choice
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
            flash(_("欢迎回来，%(name)s", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("portal.dashboard"))
    return render_template("accounts/login.html", form=form)


def _mail_unlock_link(user):
    """Queue the mail that tells `user` their account was locked and how to unlock it."""
    link = external_url("accounts.unlock", token=services.unlock_token(user))
    with in_language(user.locale or current_language()):
        body = render_template("mail/unlock.txt", user=user, link=link)
        subject = _("网上中介超市：您的账号已被锁定")
    send_mail_after_commit(user.email, subject, body)


@bp.route("/login/unlock/<token>")
def unlock(token):
    try:
        services.unlock_account(token)
    except ServiceError as err:
        flash(err.message, "warning")
    else:
        db.session.commit()
        flash(
            _("账号已解锁，请使用密码登录。如果不是您本人多次尝试登录，建议尽快修改密码。"),
            "success",
        )
    return redirect(url_for("accounts.login"))


@bp.route("/language/<lang>")
def language(lang):
    """Switch the language of the pages (and, for a signed-in user, of their mail and
    messages), then go back to the page the switch was on. A link, not a form: the switch sits
    on pages kept for every visitor, which hold no one's token, and a changed language harms
    nobody."""
    language = language_choice(lang)
    if language is None:
        abort(404)
    session[LANGUAGE_KEY] = language
    if current_user.is_authenticated and current_user.locale != language:
        services.choose_language(current_user, language)
        db.session.commit()
    return redirect(_safe_next(request.args.get("next")) or _same_site_referrer() or "/")


def _same_site_referrer():
    """The path of the page that linked here, when it is one of ours (the header's switch,
    kept alike for every page of an endpoint, cannot carry the page's own address)."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return None
    return _safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sign_out(current_user)
    flash(_("您已安全退出"), "info")
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
    with in_language(user.locale or current_language()):
        body = render_template("mail/confirm_registration.txt", user=user, link=link)
        subject = _("网上中介超市：请确认您的注册邮箱")
    send_mail_after_commit(user.email, subject, body)


def _mail_attempt(user, kind):
    """Someone registered with `user`'s address: tell its owner (and resend the link if the
    address still waits for confirmation)."""
    if user.confirmation_sent_dt is not None:
        _mail_confirmation(user)
        return
    with in_language(user.locale or current_language()):
        body = render_template(
            "mail/registration_attempt.txt", user=user, kind_label=ORG_KINDS[kind]
        )
        subject = _("网上中介超市：有人尝试用您的邮箱注册")
    send_mail_after_commit(user.email, subject, body)


@bp.route("/register/confirm/<token>")
def confirm_registration(token):
    try:
        user = services.confirm_registration(token)
    except ServiceError as err:
        flash(err.message, "warning")
        return redirect(url_for("accounts.login"))
    sign_in(user)
    flash(
        _("注册成功，%(name)s 已入驻平台，无需审核即可使用。", name=user.organisation.name),
        "success",
    )
    return redirect(url_for("portal.dashboard"))


@bp.route("/account")
@login_required
def account():
    return render_template(
        "accounts/account.html", user=current_user, edits_org_data=orgdata.may_edit(current_user)
    )
