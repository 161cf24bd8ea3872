"""Users, organisations and memberships."""

from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.clock import utcnow
from ..core.i18n import _l
from ..core.types import UTCDateTime
from ..extensions import db

ORG_KINDS = {
    "agency": _l("中介机构"),
    "purchaser": _l("采购人"),
    "regulator": _l("监管部门"),
    "operator": _l("平台运营方"),
}


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(f"kind IN {tuple(ORG_KINDS)}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    region: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    contact_email: Mapped[str] = mapped_column(String(120), default="")
    commitment_signed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: for a regulator: the approving department (审批部门) whose catalogue items it supervises
    department: Mapped[str] = mapped_column(String(100), default="")
    #: 业务授权人: the member who acts for the organisation in procurement
    authorised_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when its admin last changed its registered data (its public page says so)
    data_changed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organisation", order_by="Membership.id"
    )
    authorised_user: Mapped["User | None"] = relationship(foreign_keys=[authorised_user_id])

    @property
    def kind_label(self):
        return str(ORG_KINDS[self.kind])


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: wrong passwords given since the last successful login (reset by it, or by unlocking)
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    #: set when too many wrong passwords locked the account; an e-mailed link unlocks it
    locked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set while a registration waits for its e-mail to be confirmed (when the link was sent);
    #: None for a confirmed address
    confirmation_sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the language the user chose for pages, mail and messages ("zh", "en"); "" until they
    #: choose (then the visitor's choice, else Chinese: core/i18n.py)
    locale: Mapped[str] = mapped_column(String(5), default="", server_default="")

    #: the token of the login session this object was loaded for (not stored on the user)
    login_token = None

    membership: Mapped["Membership | None"] = relationship(back_populates="user", uselist=False)

    # UserMixin compares get_id(), which now names a login session too: one user is one user.
    __hash__ = object.__hash__

    def __eq__(self, other):
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    def get_id(self) -> str:
        """The session's user id: the user and the login session, so ending the session in the
        database ends it in every browser holding a copy of the cookie."""
        return f"{self.id}.{self.login_token}" if self.login_token else ""

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):
        return self.active

    @property
    def organisation(self) -> Organisation | None:
        return self.membership.organisation if self.membership else None

    @property
    def role(self) -> str | None:
        org = self.organisation
        return org.kind if org else None

    @property
    def procures(self) -> bool:
        """A purchaser's member: may start notices and invite agencies."""
        return self.role == "purchaser"

    @property
    def quotes(self) -> bool:
        """An agency's member: may quote on notices."""
        return self.role == "agency"

    @property
    def supervises(self) -> bool:
        """A regulator's member: records conduct and decides within its department."""
        return self.role == "regulator"

    @property
    def is_org_admin(self) -> bool:
        return bool(self.membership and self.membership.role == "admin")


class LoginSession(db.Model):
    """One login of a user in one browser: the cookie carries its token, the database decides
    whether it still counts (ended by logout, a password change, or its expiry)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 of the token: a copy of the database does not give working cookies
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Membership(db.Model):
    """A user's place in one organisation (a user belongs to exactly one)."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="membership")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


ORG_ROLES = {"admin": _l("管理员"), "member": _l("成员")}


class Invitation(db.Model):
    """An org admin's invitation to one e-mail address; the link token is stored hashed."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(120), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User] = relationship()

    def is_pending(self, now) -> bool:
        return self.accepted_dt is None and self.revoked_dt is None and self.expires_dt > now


COMMITMENT_SUBJECTS = {
    "registration": _l("入驻注册"),
    "profile": _l("机构信息变更"),
    "offering": _l("服务事项变更"),
    "qualification": _l("资质声明"),
    "practitioner": _l("从业人员声明"),
}


class Commitment(db.Model):
    """One signature of the integrity commitment (告知承诺书), kept for every change it covers."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None]
    text_version: Mapped[str] = mapped_column(String(20))
    signed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def subject_label(self):
        return str(COMMITMENT_SUBJECTS.get(self.subject, self.subject))
