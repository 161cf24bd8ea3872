"""Organisation members: invitations by e-mail link, org roles, the 业务授权人, deactivation.

Works the same for every kind of organisation (agency, purchaser, regulator, operator).
"""

import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _, _l
from ..extensions import db
from .models import ORG_ROLES, Invitation, Membership, Organisation, User
from .services import PHONE_RE, check_new_login

ADMIN_ONLY = _l("只有单位管理员可以管理成员")


class InvitationUnusable(ServiceError):
    """The invitation link cannot be used; `status` is the HTTP status its page is shown with."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which an invitation token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _require_admin(actor) -> Organisation:
    if actor is None or not actor.active or not actor.is_org_admin:
        raise NotAllowed(ADMIN_ONLY)
    return actor.organisation


def _membership(org: Organisation, user_id: int) -> Membership:
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user_id))
    # A user of another organisation is answered like a missing one: nothing is revealed.
    if membership is None or membership.organisation_id != org.id:
        raise NotAllowed(_("该用户不是本单位成员"))
    return membership


def own_member(admin, user_id: int) -> Membership:
    """The membership of `user_id` in the admin's organisation; NotAllowed otherwise."""
    return _membership(_require_admin(admin), user_id)


def _check_role(role: str) -> None:
    if role not in ORG_ROLES:
        raise ServiceError(_("请选择成员角色（管理员或成员）"), "role")


def _normalise_email(email: str) -> str:
    try:
        normalised = validate_email((email or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ServiceError(_("邮箱格式不正确"), "email") from exc
    return normalised.lower()


def members_of(org: Organisation) -> list[Membership]:
    """The organisation's memberships with their users, in the order they joined."""
    stmt = (
        select(Membership)
        .where(Membership.organisation_id == org.id)
        .options(joinedload(Membership.user))
        .order_by(Membership.id)
    )
    return list(db.session.scalars(stmt))


def _has_account(email: str) -> bool:
    return db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None


def pending_invitations(org: Organisation) -> list[Invitation]:
    """The organisation's invitations that can still be accepted, newest first."""
    now = utcnow()
    stmt = (
        select(Invitation)
        .where(
            Invitation.organisation_id == org.id,
            Invitation.accepted_dt.is_(None),
            Invitation.revoked_dt.is_(None),
            Invitation.expires_dt > now,
        )
        .order_by(Invitation.id.desc())
    )
    return list(db.session.scalars(stmt))


def invite_member(admin, email: str, role: str) -> tuple[Invitation, str]:
    """Invite an e-mail address into the admin's organisation; returns the invitation and token."""
    org = _require_admin(admin)
    _check_role(role)
    email = _normalise_email(email)
    if _has_account(email):
        raise ServiceError(_("该邮箱已注册账号，每个账号只能属于一个单位"), "email")
    if any(inv.email == email for inv in pending_invitations(org)):
        raise ServiceError(_("已向该邮箱发出邀请，对方尚未接受；如需重发请先撤回"), "email")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        organisation_id=org.id,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by_id=admin.id,
        created_dt=now,
        expires_dt=now + timedelta(days=current_app.config["INVITATION_VALID_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    record_event(
        "invitation",
        invitation.id,
        "invited",
        actor=admin,
        public=False,
        data={"email": email, "role": role},
    )
    return invitation, token


def revoke_invitation(admin, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation so its link stops working."""
    org = _require_admin(admin)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != org.id:
        raise NotAllowed(_("该邀请不属于本单位"))
    if invitation.accepted_dt is not None:
        raise ServiceError(
            _(
                "%(email)s 已接受邀请，不能撤回；如需停用请在成员列表中操作",
                email=invitation.email,
            )
        )
    if invitation.revoked_dt is not None:
        raise ServiceError(_("该邀请已撤回"))
    if invitation.expires_dt <= utcnow():
        raise ServiceError(_("该邀请已过期，链接已失效，无需撤回"))
    invitation.revoked_dt = utcnow()
    db.session.flush()
    record_event(
        "invitation",
        invitation.id,
        "revoked",
        actor=admin,
        public=False,
        data={"email": invitation.email},
    )
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation behind a link, or InvitationUnusable saying why it cannot be used."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token or ""))
    )
    if invitation is None:
        raise InvitationUnusable(
            _("邀请链接无效。请核对链接是否完整，或联系单位管理员重新发送邀请。"), 404
        )
    if invitation.revoked_dt is not None:
        raise InvitationUnusable(
            _("该邀请已被单位管理员撤回，链接已失效。如有疑问请联系管理员。"), 410
        )
    if invitation.accepted_dt is not None:
        raise InvitationUnusable(_("该邀请链接已使用过，账号已开通，请直接登录。"), 410)
    if invitation.expires_dt <= utcnow():
        expired = to_local(invitation.expires_dt).strftime("%Y-%m-%d %H:%M")
        raise InvitationUnusable(
            _("该邀请已于 %(at)s（北京时间）过期。请联系单位管理员重新发送邀请。", at=expired),
            410,
        )
    return invitation


def accept_invitation(token: str, name: str, phone: str, password: str) -> User:
    """Create the invited user with the invited role in the inviting organisation."""
    invitation = invitation_for_token(token)
    name = (name or "").strip()
    phone = (phone or "").strip()
    if not name:
        raise ServiceError(_("请填写姓名"), "name")
    if len(name) > 50:
        raise ServiceError(_("姓名不能超过 50 个字"), "name")
    if not PHONE_RE.match(phone):
        raise ServiceError(_("联系电话格式不正确（手机号11位，或座机如 023-67001234）"), "phone")
    if _has_account(invitation.email):
        # Registered, or invited by another organisation and accepted, since this was sent.
        raise ServiceError(_("该邮箱已注册账号，每个账号只能属于一个单位。请直接登录。"))
    org = invitation.organisation
    email = check_new_login(invitation.email, password, (name, org.name))
    user = User(email=email, name=name, phone=phone)
    user.set_password(password)
    db.session.add_all([user, Membership(user=user, organisation=org, role=invitation.role)])
    invitation.accepted_dt = utcnow()
    db.session.flush()
    record_event(
        "user",
        user.id,
        "created",
        actor=user,
        public=False,
        data={"organisation": org.name, "role": invitation.role, "invitation_id": invitation.id},
    )
    record_event("invitation", invitation.id, "accepted", actor=user, public=False)
    return user


def set_member_role(admin, user_id: int, role: str) -> Membership:
    """Make a member an admin or a plain member; the organisation keeps at least one admin."""
    org = _require_admin(admin)
    membership = _membership(org, user_id)
    _check_role(role)
    if membership.role == role:
        return membership
    if membership.role == "admin" and _other_active_admins(org, user_id) == 0:
        raise ServiceError(_("单位至少需要一名管理员"))
    previous = membership.role
    membership.role = role
    db.session.flush()
    record_event(
        "user",
        user_id,
        "role_changed",
        actor=admin,
        public=False,
        data={"from": previous, "to": role},
    )
    return membership


def _other_active_admins(org: Organisation, user_id: int) -> int:
    stmt = (
        select(func.count(Membership.id))
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.organisation_id == org.id,
            Membership.role == "admin",
            Membership.user_id != user_id,
            User.active.is_(True),
        )
    )
    return db.session.scalar(stmt) or 0


def set_authorised_person(admin, user_id: int) -> Organisation:
    """Name the active member who acts for the organisation in procurement (业务授权人)."""
    org = _require_admin(admin)
    membership = _membership(org, user_id)
    if not membership.user.active:
        raise ServiceError(
            _(
                "%(name)s 的账号已停用，请先启用后再设为业务授权人",
                name=membership.user.name,
            )
        )
    if org.authorised_user_id == user_id:
        return org
    previous = org.authorised_user_id
    org.authorised_user = membership.user
    db.session.flush()
    record_event(
        "organisation",
        org.id,
        "authorised_person_set",
        actor=admin,
        public=False,
        data={"from_user_id": previous, "to_user_id": user_id},
    )
    return org


def set_member_active(admin, user_id: int, active: bool) -> User:
    """Deactivate (login refused, sessions ended) or reactivate a member of the organisation."""
    org = _require_admin(admin)
    membership = _membership(org, user_id)
    user = membership.user
    if user.id == admin.id and not active:
        raise ServiceError(_("不能停用自己的账号；如需停用，请由其他管理员操作"))
    if user.active == active:
        return user
    if not active and org.authorised_user_id == user.id:
        raise ServiceError(
            _(
                "%(name)s 是本单位的业务授权人，不能停用。"
                "请先将其他成员设为业务授权人，再停用该账号。",
                name=user.name,
            )
        )
    user.active = active
    db.session.flush()
    record_event(
        "user", user.id, "reactivated" if active else "deactivated", actor=admin, public=False
    )
    return user
