"""Pages for the password (change, forgotten, reset by link) and the login e-mail (change by
link), on the accounts blueprint."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..core.clock import utcnow
from ..core.errors import ServiceError, apply_to_form
from ..core.i18n import _, _l, current_language, in_language
from ..core.mail import send_mail_after_commit
from ..core.templating import external_url
from ..extensions import db
from . import credentials
from .credential_forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
)
from .signin import sign_out
from .views import bp


def _no_referrer(response):
    # The page's address holds a link's token: never send it to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _mail_password_changed(user, how):
    """Tell the user their password was changed (`how`: change or reset), and what to do if
    it was not them."""
    with in_language(user.locale or current_language()):
        body = render_template(
            "mail/password_changed.txt",
            user=user,
            how=how,
            at=utcnow(),
            forgot=external_url("accounts.forgot_password"),
        )
        subject = _("网上中介超市：您的登录密码已修改")
    send_mail_after_commit(user.email, subject, body)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = credentials.change_password(
                current_user, form.current_password.data, form.password.data
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            _mail_password_changed(current_user, "change")
            db.session.commit()
            if ended:
                flash(_("密码已修改，其他 %(n)s 处登录已退出。", n=ended), "success")
            else:
                flash(_("密码已修改。"), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user, token = credentials.password_reset_for(form.email.data)
        # The mail is written either way and sent only to an account: the same work, and the
        # same answer, whether or not the address has one.
        with in_language((user.locale if user else None) or current_language()):
            body = render_template(
                "mail/password_reset.txt",
                name=user.name if user else "",
                email=user.email if user else form.email.data.strip(),
                link=external_url("accounts.reset_password", token=token),
                minutes=credentials.reset_minutes(),
            )
            subject = _("网上中介超市：重置登录密码")
        if user is not None:
            send_mail_after_commit(user.email, subject, body)
        db.session.commit()
        return render_template(
            "accounts/forgot_password.html",
            sent_to=form.email.data.strip(),
            minutes=credentials.reset_minutes(),
        )
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user = credentials.user_for_reset(token)
    except ServiceError as err:
        page = render_template("accounts/reset_password.html", problem=err.message)
        return _no_referrer(make_response(page, 410))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            credentials.reset_password(token, form.password.data)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            _mail_password_changed(user, "reset")
            # Signed out here too: the new password opens a new session.
            sign_out(user)
            flash(_("密码已重置，所有登录已退出。请使用新密码登录。"), "success")
            return redirect(url_for("accounts.login"))
    page = render_template("accounts/reset_password.html", form=form, user=user)
    return _no_referrer(make_response(page))


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            change = credentials.request_email_change(
                current_user, form.email.data, form.password.data
            )
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            hours = credentials.email_change_hours()
            if change.token is None:
                template, subject = (
                    "mail/email_change_taken.txt",
                    _l("网上中介超市：该邮箱已有账号"),
                )
                link = None
            else:
                template, subject = "mail/email_change.txt", _l("网上中介超市：请确认新的登录邮箱")
                link = external_url("accounts.confirm_email", token=change.token)
            # written for the user asking (the address is theirs to confirm)
            with in_language(current_user.locale or current_language()):
                body = render_template(
                    template, user=current_user, address=change.address, link=link, hours=hours
                )
                subject = str(subject)
            send_mail_after_commit(change.address, subject, body)
            db.session.commit()
            # The same answer whether or not another account uses the address.
            return render_template(
                "accounts/change_email.html", sent_to=change.address, hours=hours
            )
    return render_template("accounts/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>")
def confirm_email(token):
    try:
        user, old = credentials.confirm_email_change(token)
    except ServiceError as err:
        flash(err.message, "warning")
    else:
        with in_language(user.locale or current_language()):
            body = render_template("mail/email_changed.txt", user=user, old=old, at=utcnow())
            subject = _("网上中介超市：您的登录邮箱已修改")
        send_mail_after_commit(old, subject, body)
        db.session.commit()
        flash(_("登录邮箱已改为 %(email)s，请使用新邮箱登录。", email=user.email), "success")
    target = "accounts.account" if current_user.is_authenticated else "accounts.login"
    return _no_referrer(redirect(url_for(target)))
