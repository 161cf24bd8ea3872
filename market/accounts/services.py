"""Registration (zero threshold: format checks only, active at once), login, user creation."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from stdnum.cn import uscc as uscc_lib
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import ServiceError
from ..core.i18n import _, _l
from ..core.signals import organisation_registered
from ..extensions import db
from .models import COMMITMENT_SUBJECTS, Commitment, Membership, Organisation, User
from .passwords import check_password

#: the version of the integrity commitment text (告知承诺书) users sign; see COMMITMENT_TEXT
COMMITMENT_VERSION = "2026-1"
#: pages and forms show COMMITMENT_LABEL, in their language; COMMITMENT_TEXT is the source
#: text (Chinese), as signed
COMMITMENT_LABEL = _l(
    "本单位承诺：所填报的单位信息、资质、从业人员及服务信息真实、准确、完整、有效；"
    "如有虚假，自愿承担虚假承诺的法律责任，接受信用惩戒并依法撤销相关资格。"
)
COMMITMENT_TEXT = str(COMMITMENT_LABEL)  # read outside any request: the Chinese

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def normalise_uscc(value: str) -> str:
    """Validate a 统一社会信用代码 (GB 32100-2015) and return it compacted and upper-case."""
    try:
        return uscc_lib.validate(value or "")
    except InvalidLength as exc:
        raise ServiceError(_("统一社会信用代码应为18位"), "uscc") from exc
    except InvalidChecksum as exc:
        raise ServiceError(_("统一社会信用代码校验位不正确，请核对后重新输入"), "uscc") from exc
    except ValidationError as exc:
        raise ServiceError(
            _("统一社会信用代码格式不正确（应为18位数字或大写字母）"), "uscc"
        ) from exc


@dataclass
class Registration:
    kind: str
    org_name: str
    uscc: str
    legal_representative: str
    region: str
    address: str
    contact_name: str
    contact_phone: str
    email: str
    password: str
    commitment_signed: bool


def register_organisation(reg: Registration) -> User:
    """Register an agency or purchaser with its first user as org admin; active at once."""
    if reg.kind not in ("agency", "purchaser"):
        raise ServiceError(_("只能注册中介机构或采购人账号"))
    uscc = normalise_uscc(reg.uscc)
    if db.session.scalar(select(Organisation.id).where(Organisation.uscc == uscc)):
        raise ServiceError(_("该统一社会信用代码已注册，如需加入该单位请联系单位管理员"), "uscc")
    if not PHONE_RE.match(reg.contact_phone.strip()):
        raise ServiceError(
            _("联系电话格式不正确（手机号11位，或座机如 023-67001234）"), "contact_phone"
        )
    if not reg.commitment_signed:
        raise ServiceError(_("请阅读并签署信用承诺书"), "commitment")
    people = (reg.org_name, reg.contact_name, reg.legal_representative)
    email = check_new_login(reg.email, reg.password, people)

    org = Organisation(
        kind=reg.kind,
        name=reg.org_name.strip(),
        uscc=uscc,
        legal_representative=reg.legal_representative.strip(),
        region=reg.region.strip(),
        address=reg.address.strip(),
        contact_name=reg.contact_name.strip(),
        contact_phone=reg.contact_phone.strip(),
        contact_email=email,
        commitment_signed_dt=utcnow(),
    )
    user = User(email=email, name=reg.contact_name.strip(), phone=reg.contact_phone.strip())
    user.set_password(reg.password)
    db.session.add_all([org, user, Membership(user=user, organisation=org, role="admin")])
    db.session.flush()
    # The person who registers acts for the organisation until an admin names someone else.
    org.authorised_user_id = user.id
    sign_commitment(user, "registration", org.id)
    record_event("organisation", org.id, "registered", actor=user, data={"kind": reg.kind})
    organisation_registered.send(org)
    return user


def choose_language(user: User, language: str) -> None:
    """Keep `language` ("zh" or "en") as the user's, for pages, mail and messages."""
    user.locale = language
    db.session.flush()


def sign_commitment(user, subject: str, subject_id: int | None = None) -> Commitment:
    """Record that `user` signed the integrity commitment for a registration or a change."""
    if subject not in COMMITMENT_SUBJECTS:
        raise ValueError(f"unknown commitment subject {subject!r}")
    org = user.organisation
    commitment = Commitment(
        organisation_id=org.id,
        user_id=user.id,
        subject=subject,
        subject_id=subject_id,
        text_version=COMMITMENT_VERSION,
        signed_dt=utcnow(),
    )
    db.session.add(commitment)
    org.commitment_signed_dt = commitment.signed_dt
    db.session.flush()
    return commitment


def require_commitment(signed: bool) -> None:
    """Every change an agency declares is covered by a fresh signature (告知承诺)."""
    if not signed:
        raise ServiceError(_("请阅读并勾选信用承诺书后再提交"), "commitment")


class EmailAlreadyRegistered(ServiceError):
    """The e-mail has an account already (`user`): a registration form answers as for a new
    one and mails that address instead, so the answer tells nobody which addresses exist."""

    def __init__(self, user: User):
        super().__init__(_("该邮箱已被注册，请直接登录或使用其他邮箱"), "email")
        self.user = user


def check_new_login(email: str, password: str, inputs=()) -> str:
    """The normalised e-mail for a new account, its password checked first (so an address in
    use is the last thing a form learns); EmailAlreadyRegistered if it has an account.
    `inputs` are the names typed with it, which the password must not hold."""
    try:
        email = validate_email((email or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ServiceError(_("邮箱格式不正确"), "email") from exc
    email = email.lower()
    check_password(password, email, inputs)
    existing = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if existing is not None:
        raise EmailAlreadyRegistered(existing)
    return email


def _link_token(purpose: str, user: User, moment) -> str:
    """The signed token of an e-mailed link for `user`, naming the moment it belongs to (a
    link is void once that moment is no longer the user's: a newer link, a new lock)."""
    signer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=purpose)
    return signer.dumps([user.id, moment.isoformat()])


def _link_opened(purpose: str, token: str, invalid: str) -> tuple[User | None, str]:
    """The user an e-mailed link was made for (None if gone) and the moment it names;
    ServiceError(`invalid`) for a token this site did not sign for `purpose`."""
    signer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=purpose)
    try:
        user_id, moment = signer.loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise ServiceError(invalid) from exc
    return (db.session.get(User, user_id) if isinstance(user_id, int) else None), moment


def await_confirmation(user: User) -> str:
    """Hold a new registration until its e-mail is confirmed; returns the link's token (a new
    one each time it is sent, valid REGISTRATION_CONFIRM_DAYS)."""
    user.confirmation_sent_dt = utcnow()
    return _link_token("confirm-registration", user, user.confirmation_sent_dt)


def confirm_registration(token: str) -> User:
    """Confirm the e-mail of a registration from its link; the user may then log in."""
    invalid = _("确认链接无效或已过期。请用同一邮箱重新提交注册，系统将发送新的确认邮件。")
    user, sent_at = _link_opened("confirm-registration", token, invalid)
    if user is None or user.confirmation_sent_dt is None:
        raise ServiceError(_("该邮箱已确认，请直接登录。"))
    if user.confirmation_sent_dt.isoformat() != sent_at:
        raise ServiceError(invalid)  # a newer link was sent since
    days = current_app.config["REGISTRATION_CONFIRM_DAYS"]
    if utcnow() > user.confirmation_sent_dt + timedelta(days=days):
        raise ServiceError(invalid)
    user.confirmation_sent_dt = None
    record_event("user", user.id, "email_confirmed", actor=user)
    return user


class LoginRefused(ServiceError):
    """Login refused; `just_locked` is the user whose account this attempt locked (the view
    mails them the unlock link)."""

    def __init__(self, message, just_locked: User | None = None):
        super().__init__(message)
        self.just_locked = just_locked


WRONG_CREDENTIALS = _l("邮箱或密码不正确")
LOCKED = _l(
    "该账号因连续多次密码错误已被锁定。解锁链接已发送到注册邮箱，请打开邮件中的链接解锁后再登录。"
)


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials, or a LoginRefused that reveals nothing more.

    Each wrong password counts against the account; at LOGIN_LOCK_AFTER in a row it is locked
    until the link mailed to its address unlocks it. The answer says so only to someone who
    gave the right password: to anyone else a locked account looks like any other."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        # The same hash check as for a registered address, so the answer's time does not
        # tell whether an e-mail has an account.
        check_password_hash(_unused_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        raise LoginRefused(WRONG_CREDENTIALS)
    right = user.check_password(password)
    if user.locked_dt is not None:
        raise LoginRefused(LOCKED if right else WRONG_CREDENTIALS)
    if right and user.confirmation_sent_dt is not None:
        raise LoginRefused(
            _(
                "请先打开确认邮件中的链接完成注册。没有收到邮件的，请用同一邮箱重新提交注册，"
                "系统将重新发送。"
            )
        )
    if not right:
        # Counted in SQL: simultaneous wrong guesses each count.
        user.failed_logins = User.failed_logins + 1
        db.session.flush()
        db.session.refresh(user, ["failed_logins"])
        if user.failed_logins >= current_app.config["LOGIN_LOCK_AFTER"]:
            user.locked_dt = utcnow()
            record_event("user", user.id, "locked", data={"failed_logins": user.failed_logins})
            db.session.flush()
            raise LoginRefused(WRONG_CREDENTIALS, just_locked=user)
        raise LoginRefused(WRONG_CREDENTIALS)
    if not user.active:
        raise LoginRefused(_("该账号已停用，请联系单位管理员"))
    user.failed_logins = 0
    user.last_login_dt = utcnow()
    return user


def unlock_token(user: User) -> str:
    """The token of the link that unlocks `user`'s account from this lock (only this one)."""
    return _link_token("account-unlock", user, user.locked_dt)


def unlock_account(token: str) -> User:
    """Unlock the account the link was made for, if it is still locked by that same lock and
    the lock is at most UNLOCK_LINK_HOURS old; the link works once."""
    invalid = _("解锁链接无效或已过期。请再次登录，账号仍锁定时将发送新的解锁链接。")
    user, locked_at = _link_opened("account-unlock", token, invalid)
    if user is None or user.locked_dt is None or user.locked_dt.isoformat() != locked_at:
        raise ServiceError(_("该解锁链接已使用过或已失效，账号无需再次解锁。"))
    # The link's age is the lock's, read on the application's clock.
    if utcnow() > user.locked_dt + timedelta(hours=current_app.config["UNLOCK_LINK_HOURS"]):
        raise ServiceError(invalid)
    user.locked_dt = None
    user.failed_logins = 0
    record_event("user", user.id, "unlocked")
    return user


@cache
def _unused_hash(method: str) -> str:
    """A hash of a random password, made once per process with the accounts' method."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def create_staff_user(
    role: str, email: str, name: str, password: str, org_name: str, department: str = ""
) -> User:
    """Create a regulator or operator user (CLI only), creating the department if needed.

    A regulator's `department` is the approving department (审批部门) whose catalogue items it
    supervises; it defaults to the organisation's name.
    """
    if role not in ("regulator", "operator"):
        raise ServiceError(_("命令行只用于创建监管部门或运营方账号"), "role")
    email = check_new_login(email, password, (name, org_name))
    org = db.session.scalar(
        select(Organisation).where(Organisation.kind == role, Organisation.name == org_name)
    )
    is_new_org = org is None
    if is_new_org:
        org = Organisation(kind=role, name=org_name)
        if role == "regulator":
            org.department = (department or org_name).strip()
        db.session.add(org)
    user = User(email=email, name=name)
    user.set_password(password)
    db.session.add_all(
        [user, Membership(user=user, organisation=org, role="admin" if is_new_org else "member")]
    )
    db.session.flush()
    record_event("user", user.id, "created", data={"role": role, "organisation": org.name})
    return user


def organisation_names(ids) -> dict[int, str]:
    """Organisation id → name for `ids`, in one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return dict(rows.all())
