"""The organisation's member page (every member reads it, admins manage) and invitation links."""

from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from ..core.errors import NotAllowed, ServiceError, apply_to_form
from ..core.i18n import _
from ..core.mail import send_mail
from ..core.templating import external_url
from ..extensions import db
from . import members
from .member_forms import AcceptInvitationForm, InviteForm, RoleForm
from .members import InvitationUnusable
from .models import ORG_ROLES
from .signin import sign_in

bp = Blueprint("members", __name__)

#: the last invitation link, shown once on the member page (there may be no mail server)
INVITE_LINK_KEY = "members_invite_link"


@bp.after_request
def _no_referrer(response):
    # These pages carry invitation tokens in their URLs or bodies: never leak them to other sites.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _organisation():
    org = current_user.organisation
    if org is None:
        abort(403)
    return org


def admin_required(view):
    """Only an admin of the user's organisation may call the view (else the 403 page)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        _organisation()
        if not current_user.is_org_admin:
            raise NotAllowed(members.ADMIN_ONLY)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/org/members")
@login_required
def index():
    return _render_index()


def _render_index(invite_form=None, status=200):
    org = _organisation()
    is_admin = current_user.is_org_admin
    return (
        render_template(
            "accounts/members.html",
            org=org,
            memberships=members.members_of(org),
            invitations=members.pending_invitations(org),
            is_admin=is_admin,
            invite_form=(invite_form or InviteForm()) if is_admin else None,
            invite_link=session.pop(INVITE_LINK_KEY, None) if is_admin else None,
            roles=ORG_ROLES,
            valid_days=current_app.config["INVITATION_VALID_DAYS"],
        ),
        status,
    )


@bp.route("/org/members/invite", methods=["POST"])
@admin_required
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation, token = members.invite_member(current_user, form.email.data, form.role.data)
        except NotAllowed:
            raise
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            link = external_url("members.accept", token=token)
            _mail_invitation(invitation, link)
            session[INVITE_LINK_KEY] = link
            return redirect(url_for(".index"))
    return _render_index(form, 422)


def _mail_invitation(invitation, link):
    """Send the invitation mail (after the commit) and tell the admin how it went."""
    org = invitation.organisation
    body = render_template(
        "mail/invitation.txt",
        invitation=invitation,
        org=org,
        inviter=current_user,
        role_label=ORG_ROLES[invitation.role],
        link=link,
    )
    try:
        send_mail(invitation.email, _("%(org)s 邀请您加入网上中介超市", org=org.name), body)
    except OSError:
        current_app.logger.exception("invitation mail %s not written", invitation.id)
        flash(
            _(
                "已创建对 %(email)s 的邀请，但邀请邮件未能发出。"
                "请复制下方链接，通过其他方式发给对方。",
                email=invitation.email,
            ),
            "warning",
        )
    else:
        flash(_("已向 %(email)s 发送邀请邮件。", email=invitation.email), "success")


def _act(do, success):
    """Run one admin action: service → commit → flash → back to the member page."""
    try:
        result = do()
    except NotAllowed:
        raise
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(success(result), "success")
    return redirect(url_for(".index"))


@bp.route("/org/invitations/<int:invitation_id>/revoke", methods=["POST"])
@admin_required
def revoke(invitation_id):
    return _act(
        lambda: members.revoke_invitation(current_user, invitation_id),
        lambda inv: _("已撤回对 %(email)s 的邀请，原链接已失效。", email=inv.email),
    )


@bp.route("/org/members/<int:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id):
    # Someone outside the organisation: the 403 page, whatever the form holds.
    members.own_member(current_user, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("请选择成员角色（管理员或成员）"), "danger")
        return redirect(url_for(".index"))
    return _act(
        lambda: members.set_member_role(current_user, user_id, form.role.data),
        lambda m: _("%(name)s 的角色已改为%(role)s。", name=m.user.name, role=ORG_ROLES[m.role]),
    )


@bp.route("/org/members/<int:user_id>/authorise", methods=["POST"])
@admin_required
def authorise(user_id):
    return _act(
        lambda: members.set_authorised_person(current_user, user_id),
        lambda org: _("已将 %(name)s 设为本单位的业务授权人。", name=org.authorised_user.name),
    )


@bp.route("/org/members/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate(user_id):
    return _act(
        lambda: members.set_member_active(current_user, user_id, False),
        lambda user: _("已停用 %(name)s 的账号，其登录状态已失效。", name=user.name),
    )


@bp.route("/org/members/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def reactivate(user_id):
    return _act(
        lambda: members.set_member_active(current_user, user_id, True),
        lambda user: _("已启用 %(name)s 的账号。", name=user.name),
    )


def _invitation_page(status=200, **context):
    return render_template("accounts/invitation.html", roles=ORG_ROLES, **context), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token):
    try:
        invitation = members.invitation_for_token(token)
    except InvitationUnusable as err:
        return _invitation_page(err.status, problem=err.message)
    if current_user.is_authenticated:
        # One account belongs to one organisation: a signed-in visitor cannot take this seat.
        status = 403 if request.method == "POST" else 200
        return _invitation_page(status, invitation=invitation, signed_in=True)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = members.accept_invitation(
                token, form.name.data, form.phone.data, form.password.data
            )
        except InvitationUnusable as err:
            return _invitation_page(err.status, problem=err.message)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            sign_in(user)
            flash(_("欢迎加入%(org)s，您的账号已开通。", org=user.organisation.name), "success")
            return redirect(url_for("portal.dashboard"))
    return _invitation_page(invitation=invitation, form=form)
