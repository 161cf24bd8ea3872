"""Agency profiles, offerings, standing (can_bid, credit_factor) and rating totals."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..accounts.services import require_commitment, sign_commitment
from ..catalogue.models import ServiceItem
from ..core.audit import record_event
from ..core.clock import to_local, utcnow
from ..core.errors import NotAllowed, ServiceError
from ..core.i18n import _, _l
from ..core.money import format_bp, format_fen
from ..extensions import db
from ..notifications.services import link_to, notify
from .models import FEE_KINDS, RATING_DIMENSIONS, Agency, Offering, PastPerformance


def ensure_profile(org) -> Agency:
    """The Agency row for an agency organisation, created on first need."""
    agency = db.session.get(Agency, org.id)
    if agency is None:
        agency = Agency(org_id=org.id, organisation=org)
        db.session.add(agency)
        db.session.flush()
    return agency


def agency_of(user) -> Agency:
    """The agency the user acts for; NotAllowed if the user is not in an agency."""
    org = getattr(user, "organisation", None)
    if org is None or org.kind != "agency":
        raise NotAllowed(_("只有中介机构账号可以执行此操作"))
    return ensure_profile(org)


def can_bid(agency: Agency, now=None) -> tuple[bool, str]:
    """Whether the agency may respond to notices now, and if not, why and until when.

    The measures lift by themselves: a blacklisting or suspension whose end has passed no
    longer blocks, even before the nightly recompute clears it."""
    now = now or utcnow()
    reason = _("（%(reason)s）", reason=agency.standing_reason) if agency.standing_reason else ""
    if agency.blacklisted and (agency.blacklisted_until is None or agency.blacklisted_until > now):
        until = (
            _("，至 %(date)s 止", date=to_local(agency.blacklisted_until).strftime("%Y-%m-%d"))
            if agency.blacklisted_until
            else ""
        )
        return False, _("该机构已被列入严重失信名单，不能参与投标") + reason + until
    if agency.suspended_until and agency.suspended_until > now:
        until = to_local(agency.suspended_until).strftime("%Y-%m-%d")
        return False, _("该机构被暂停参与投标") + reason + _("，至 %(date)s 止", date=until)
    return True, ""


def credit_factor(standing: "Agency | int") -> float:
    """The one credit factor search ranking and selection use, in [0.5, 1.0]:
    0.5 + score / 200 (an agency, or a score). See docs/credit.md."""
    score = standing if isinstance(standing, int) else standing.credit_score
    return 0.5 + score / 200


@dataclass
class OfferingData:
    item_id: int
    fee_kind: str
    promised_days: int
    fee_min_fen: int | None = None
    fee_max_fen: int | None = None
    fee_rate_bp: int | None = None
    fee_note: str = ""
    description: str = ""
    service_area: str = ""
    commitment_signed: bool = False


def check_fee(item: ServiceItem, data: OfferingData) -> None:
    """A fee standard must be complete for its kind and, for government-priced items, in range."""
    kind = data.fee_kind
    if kind not in FEE_KINDS:
        raise ServiceError(_("请选择收费方式"), "fee_kind")
    if kind in ("fixed", "range") and not (data.fee_min_fen or 0) > 0:
        message = (
            _("请填写固定收费金额（大于 0 元）")
            if kind == "fixed"
            else _("请填写收费区间下限（大于 0 元）")
        )
        raise ServiceError(message, "fee_min")
    if kind == "range" and not (data.fee_max_fen or 0) > data.fee_min_fen:
        raise ServiceError(_("收费区间上限应高于下限"), "fee_max")
    if kind == "rate" and not (data.fee_rate_bp or 0) > 0:
        raise ServiceError(_("请填写费率（百分数，例如 0.35）"), "fee_rate")
    if kind in ("rate", "negotiable") and not data.fee_note.strip():
        message = (
            _("请在收费说明中写明计费基数，例如“按工程造价计取”")
            if kind == "rate"
            else _("请在收费说明中说明收费如何确定")
        )
        raise ServiceError(message, "fee_note")
    if not item.is_government_priced:
        return
    basis = _(
        "「%(name)s」实行政府指导价（%(basis)s）",
        name=item.name,
        basis=item.fee_basis or _("政府定价"),
    )
    if item.fee_is_rate:
        low, high = item.fee_rate_min_bp, item.fee_rate_max_bp
        if kind != "rate":
            raise ServiceError(_("%(basis)s，应按费率收费", basis=basis), "fee_kind")
        if not low <= data.fee_rate_bp <= high:
            raise ServiceError(
                _(
                    "%(basis)s，费率应在 %(low)s–%(high)s 之间",
                    basis=basis,
                    low=format_bp(low),
                    high=format_bp(high),
                ),
                "fee_rate",
            )
        return
    low, high = item.fee_min_fen, item.fee_max_fen
    if kind not in ("fixed", "range"):
        raise ServiceError(_("%(basis)s，应填写固定金额或金额区间", basis=basis), "fee_kind")
    top = data.fee_min_fen if kind == "fixed" else data.fee_max_fen
    if data.fee_min_fen < low or top > high:
        field = "fee_min" if data.fee_min_fen < low else "fee_max"
        raise ServiceError(
            _(
                "%(basis)s，收费应在 %(low)s–%(high)s 之间",
                basis=basis,
                low=format_fen(low),
                high=format_fen(high),
            ),
            field,
        )


def _apply_offering(offering: Offering, data: OfferingData) -> None:
    fixed = data.fee_kind == "fixed"
    amounts = data.fee_kind in ("fixed", "range")
    offering.fee_kind = data.fee_kind
    offering.fee_min_fen = data.fee_min_fen if amounts else None
    offering.fee_max_fen = (data.fee_min_fen if fixed else data.fee_max_fen) if amounts else None
    offering.fee_rate_bp = data.fee_rate_bp if data.fee_kind == "rate" else None
    offering.fee_note = data.fee_note.strip()
    offering.promised_days = data.promised_days
    offering.description = data.description.strip()
    offering.service_area = data.service_area.strip()


def _check_offering(item: ServiceItem, data: OfferingData) -> None:
    if not 0 < data.promised_days <= 365:
        raise ServiceError(_("承诺办理时限应为 1–365 个工作日"), "promised_days")
    check_fee(item, data)
    require_commitment(data.commitment_signed)


def declare_offering(user, data: OfferingData) -> Offering:
    """Add a catalogue item to the agency's offerings (published or online items only)."""
    agency = agency_of(user)
    item = db.session.get(ServiceItem, data.item_id)
    if item is None or item.status not in ("published", "online"):
        raise ServiceError(_("所选中介服务事项不存在或未公布"), "item_id")
    if any(o.item_id == item.id for o in agency.offerings):
        raise ServiceError(_("已声明提供「%(name)s」，无需重复添加", name=item.name), "item_id")
    _check_offering(item, data)
    offering = Offering(agency=agency, item=item)
    _apply_offering(offering, data)
    db.session.add(offering)
    db.session.flush()
    sign_commitment(user, "offering", offering.id)
    record_event("agency", agency.org_id, "offering_declared", actor=user, data={"item": item.code})
    return offering


def update_offering(user, offering_id: int, data: OfferingData) -> Offering:
    """Change the fee standard, promised days or description of one of the agency's offerings."""
    offering = own_offering(user, offering_id)
    _check_offering(offering.item, data)
    _apply_offering(offering, data)
    db.session.flush()
    sign_commitment(user, "offering", offering.id)
    record_event(
        "agency",
        offering.agency_id,
        "offering_updated",
        actor=user,
        data={"item": offering.item.code},
    )
    return offering


def update_description(user, text: str) -> bool:
    """Set the agency's introduction (机构简介: its public page, its search document); only the
    organisation's admins. Returns whether it changed."""
    agency = agency_of(user)
    if not user.is_org_admin:
        raise NotAllowed(_("只有单位管理员可以修改机构简介"))
    text = (text or "").strip()
    if len(text) > 2000:
        raise ServiceError(
            _("机构简介不能超过 2000 字（现为 %(count)s 字）", count=len(text)), "description"
        )
    if text == (agency.description or ""):
        return False
    agency.description = text
    db.session.flush()
    record_event("agency", agency.org_id, "description_updated", actor=user)
    return True


def own_offering(user, offering_id: int) -> Offering:
    agency = agency_of(user)
    offering = db.session.get(Offering, offering_id)
    if offering is None or offering.agency_id != agency.org_id:
        raise NotAllowed(_("只能管理本机构的服务"))
    return offering


def withdraw_offering(user, offering_id: int) -> None:
    """Remove one of the agency's own offerings."""
    offering = own_offering(user, offering_id)
    agency = offering.agency
    code = offering.item.code
    agency.offerings.remove(offering)
    db.session.flush()
    record_event("agency", agency.org_id, "offering_withdrawn", actor=user, data={"item": code})


def offered_items(org_id):
    """SQL for the ids of the items the agency offers (`org_id` may be a bound parameter)."""
    return select(Offering.item_id).where(Offering.agency_id == org_id)


@cache
def _offered_by_org():
    return offered_items(bindparam("org_id"))


def offered_item_ids(org_id: int) -> set[int]:
    """The ids of the items the agency offers."""
    return set(db.session.scalars(_offered_by_org(), {"org_id": org_id}))


def offers_item(org_id: int, item_id: int) -> bool:
    return item_id in offered_item_ids(org_id)


def record_past_performance(
    contract_id, *, item_id, purchaser_name, agency_org_id, amount_fen, accepted_dt
) -> PastPerformance:
    """Note a contract the agency completed, for its storefront's past performance."""
    performance = PastPerformance(
        agency_id=agency_org_id,
        contract_id=contract_id,
        item_id=item_id,
        purchaser_name=purchaser_name,
        amount_fen=amount_fen,
        completed_dt=accepted_dt,
    )
    db.session.add(performance)
    return performance


def page_version(org_id: int) -> int | None:
    """The version of the agency's public pages as the database holds it now (None: no such
    agency); raised by every change they show (versions.py)."""
    return db.session.scalar(_page_version(), {"org_id": org_id})


@cache
def _page_version():
    return select(Agency.page_version).where(Agency.org_id == bindparam("org_id"))


def public_agency(org_id: int) -> Agency | None:
    """An agency with its organisation, as its public pages show it (one query built once)."""
    return db.session.scalar(_public_agency(), {"org_id": org_id})


@cache
def _public_agency():
    return (
        select(Agency)
        .where(Agency.org_id == bindparam("org_id"))
        .options(joinedload(Agency.organisation))
    )


def past_performance(agency_id: int, limit: int = 20) -> list[PastPerformance]:
    """The agency's completed contracts on the platform, latest first."""
    return list(db.session.scalars(_past_performance(), {"agency_id": agency_id, "limit": limit}))


@cache
def _past_performance():
    return (
        select(PastPerformance)
        .where(PastPerformance.agency_id == bindparam("agency_id"))
        .options(joinedload(PastPerformance.item))
        .order_by(PastPerformance.completed_dt.desc())
        .limit(bindparam("limit"))
    )


def add_rating(agency_org_id: int, contract_id: int, scores: dict[str, int]) -> None:
    """Add one evaluation's scores to the agency's totals and to that contract's performance."""
    performance = db.session.scalar(
        select(PastPerformance).where(PastPerformance.contract_id == contract_id)
    )
    if performance is not None:
        performance.rating = sum(scores.values()) / len(scores)
    agency = db.session.get(Agency, agency_org_id)
    agency.rating_count += 1
    for dimension in RATING_DIMENSIONS:
        setattr(
            agency,
            f"rating_{dimension}",
            getattr(agency, f"rating_{dimension}") + scores[dimension],
        )


#: what an agency offering an item is told of the item's revisions (others are not news)
REVISION_NEWS = {
    "edited": (
        lambda name, reason: _l("您提供的服务事项「%(name)s」内容已调整", name=name),
        lambda name, reason: _l("调整理由：%(reason)s。请核对您的服务说明和收费。", reason=reason),
    ),
    "withdrawn": (
        lambda name, reason: _l("您提供的服务事项「%(name)s」已取消", name=name),
        lambda name, reason: _l(
            "取消理由：%(reason)s。该事项不能再发起新的采购，已发布的采购继续进行。",
            reason=reason,
        ),
    ),
}


def tell_offering_agencies(item, kind: str, reason: str) -> int:
    """Tell each agency offering `item` that its department changed or withdrew it."""
    news = REVISION_NEWS.get(kind)
    if news is None or (kind == "edited" and not item.is_public):
        return 0
    title, body = (part(item.name, reason) for part in news)
    link = link_to("catalogue.detail", code=item.code)
    org_ids = db.session.scalars(select(Offering.agency_id).where(Offering.item_id == item.id))
    told = 0
    for org_id in org_ids:
        notify(org_id, "catalogue", title, body, link)
        told += 1
    return told
