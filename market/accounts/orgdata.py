"""An organisation's registered data, edited by its admins (agencies and purchasers).

The name and the legal representative are the facts its 统一社会信用代码 was issued for: a change
to either is covered by a fresh signature of the integrity commitment, and audited with the
values before and after (as every change is). Every change dates the data
(`Organisation.data_changed_dt`), which the public pages show. An agency's pages and its search
document follow by themselves: agencies.versions raises the page version and search.sync queues
the document for any Organisation row written.
"""

from dataclasses import asdict, dataclass

from email_validator import EmailNotValidError, validate_email

from ..core.audit import record_event
from ..core.clock import utcnow
from ..core.errors import NotAllowed, ServiceError, raise_all
from ..core.i18n import _, _l
from ..extensions import db
from .models import Organisation
from .services import PHONE_RE, sign_commitment

#: field → (label, most characters): what the columns hold
FIELDS = {
    "name": (_l("单位名称"), 200),
    "legal_representative": (_l("法定代表人"), 50),
    "region": (_l("所在地区"), 50),
    "address": (_l("注册地址"), 200),
    "contact_name": (_l("联系人姓名"), 50),
    "contact_phone": (_l("联系电话"), 30),
    "contact_email": (_l("联系邮箱"), 120),
}
#: the facts bound to the organisation's code: changing one needs the commitment signed again
BOUND = ("name", "legal_representative")
EDITABLE_KINDS = ("agency", "purchaser")
ADMIN_ONLY = _l("只有单位管理员可以修改单位信息")


@dataclass
class OrgData:
    name: str
    legal_representative: str
    region: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str


def editable_organisation(actor) -> Organisation:
    """The organisation `actor` may edit the registered data of; NotAllowed otherwise."""
    if actor is None or not actor.active or not actor.is_org_admin:
        raise NotAllowed(ADMIN_ONLY)
    org = actor.organisation
    if org.kind not in EDITABLE_KINDS:
        raise NotAllowed(_("本单位的信息由平台运营方维护"))
    return org


def may_edit(user) -> bool:
    """Whether `user` may edit their organisation's registered data (the account page asks)."""
    try:
        editable_organisation(user)
    except NotAllowed:
        return False
    return True


def current_data(org: Organisation) -> OrgData:
    """The organisation's registered data as the form starts with it."""
    return OrgData(**{field: getattr(org, field) or "" for field in FIELDS})


def _checked(data: OrgData) -> tuple[dict[str, str], list[ServiceError]]:
    """The values trimmed (an e-mail normalised), and an error for every field that is wrong."""
    values = {field: (value or "").strip() for field, value in asdict(data).items()}
    errors = []
    for field, (label, most) in FIELDS.items():
        if not values[field]:
            errors.append(ServiceError(_("请填写%(label)s", label=label), field))
        elif len(values[field]) > most:
            errors.append(
                ServiceError(_("%(label)s不能超过 %(most)s 个字", label=label, most=most), field)
            )
    phone = values["contact_phone"]
    if phone and len(phone) <= FIELDS["contact_phone"][1] and not PHONE_RE.match(phone):
        errors.append(
            ServiceError(
                _("联系电话格式不正确（手机号11位，或座机如 023-67001234）"), "contact_phone"
            )
        )
    email = values["contact_email"]
    if email and len(email) <= FIELDS["contact_email"][1]:
        try:
            values["contact_email"] = validate_email(
                email, check_deliverability=False
            ).normalized.lower()
        except EmailNotValidError:
            errors.append(ServiceError(_("联系邮箱格式不正确"), "contact_email"))
    return values, errors


def update_registered_data(admin, data: OrgData, commitment_signed: bool) -> list[str]:
    """Apply the admin's edit of the registered data; returns the fields changed (none: nothing
    is written). Every problem is reported at once."""
    org = editable_organisation(admin)
    values, errors = _checked(data)
    changed = [field for field in FIELDS if values[field] != (getattr(org, field) or "")]
    resign = any(field in changed for field in BOUND)
    if resign and not commitment_signed:
        errors.append(
            ServiceError(_("修改单位名称或法定代表人，须重新阅读并勾选信用承诺书"), "commitment")
        )
    if errors:
        raise_all(errors)
    if not changed:
        return []
    before = {field: getattr(org, field) for field in changed}
    for field in changed:
        setattr(org, field, values[field])
    org.data_changed_dt = utcnow()
    if resign:
        sign_commitment(admin, "profile", org.id)
    record_event(
        "organisation",
        org.id,
        "data_changed",
        actor=admin,
        public=False,
        data={
            "changes": {field: {"from": before[field], "to": values[field]} for field in changed},
            "commitment_signed": resign,
        },
    )
    db.session.flush()
    return changed
