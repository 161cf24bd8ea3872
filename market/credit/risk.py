"""Risk alerts (风险预警, DESIGN §2.6): detectors over bids and awards that point a regulator at
a pattern (identical or near quotes, shared contacts, one agency always winning, rotation in a
closed group, single responses), and what the regulator then does with an alert: turn it into
a conduct record against an involved agency, or dismiss it with a reason. Detectors only point;
people decide (risk_handling.py). Every alert carries its evidence as it stood when it fired."""

from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import Organisation
from ..core.audit import lock_chain
from ..core.batching import defer
from ..core.clock import to_local, utcnow
from ..core.money import format_bp, format_fen
from ..extensions import db
from ..procurement.bids import opened_bids
from ..procurement.contract_models import Contract
from ..procurement.models import Bid, Notice
from .risk_models import RiskAlert


@dataclass(frozen=True)
class Rule:
    name: str
    description: str


WINDOW_MONTHS = 12
REPEAT_MIN_WINS = 3
REPEAT_MIN_SHARE_PCT = 60
ROTATION_MIN_NOTICES = 3
ROTATION_GROUP_SIZES = range(2, 6)

#: code → what a regulator reads about the rule; {near} is the configured threshold
RULES = {
    "same_quote": Rule(
        "相同报价",
        "同一公告下两家及以上机构的报价金额完全相同。随机选取、信用择优等固定价格方式不比对"
        "（报名价格本就相同）。",
    ),
    "near_quote": Rule(
        "报价高度接近",
        "同一公告下两家机构的报价不同，但相差不超过较低报价的 {near}。",
    ),
    "shared_contact": Rule(
        "报价机构信息雷同",
        "同一公告的不同报价机构登记的联系电话、联系邮箱或法定代表人相同，或报价提交自同一网络"
        "地址（IP）。未填写的信息不比对。",
    ),
    "repeat_winner": Rule(
        "同一采购人频繁中选",
        f"近 {WINDOW_MONTHS} 个月内（按确定中选的时间），同一机构中选同一采购人的项目不少于 "
        f"{REPEAT_MIN_WINS} 个，且占该采购人同期中选项目的 {REPEAT_MIN_SHARE_PCT}% 及以上。",
    ),
    "rotation": Rule(
        "固定圈子轮流中选",
        f"近 {WINDOW_MONTHS} 个月内，同一采购人同一服务事项至少 {ROTATION_MIN_NOTICES} 个项目的"
        "报价机构都是同一组 2–5 家机构，且中选机构在组内轮换（至少 2 家不同机构中选）。",
    ),
    "single_bid": Rule(
        "单一响应",
        "公告报价截止时只有 1 家有效报价（直接邀请一家机构的项目除外）。",
    ),
}
#: Organisation fields compared among the bidders of one notice, with their labels
CONTACT_FIELDS = {
    "contact_phone": "联系电话",
    "contact_email": "联系邮箱",
    "legal_representative": "法定代表人",
}


def rule_description(code: str) -> str:
    near = format_bp(current_app.config["RISK_NEAR_QUOTE_BP"])
    return RULES[code].description.format(near=near)


def _moment(dt) -> str:
    return f"{to_local(dt):%Y-%m-%d %H:%M}"


def _day(dt) -> str:
    return f"{to_local(dt):%Y-%m-%d}"


def _org(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name}


def _notice_ref(notice: Notice) -> dict:
    return {
        "id": notice.id,
        "title": notice.title,
        "item": f"{notice.item.code} {notice.item.name}",
        "method": notice.method_label,
        "ceiling_fen": notice.ceiling_fen,
        "floor_fen": notice.floor_fen,
        "purchaser": _org(notice.purchaser),
        "deadline": _moment(notice.deadline_dt),
    }


def _bid_row(bid: Bid) -> dict:
    return {
        "bid_id": bid.id,
        "org_id": bid.agency_org_id,
        "org_name": bid.agency.name,
        "amount_fen": bid.amount_fen,
        "submitted": _moment(bid.submitted_dt),
        "ip": bid.submitted_ip,
    }


def _names(names) -> str:
    return "、".join(f"「{n}」" for n in names)


def _raise(rule, fingerprint, notice, org_ids, summary, evidence) -> RiskAlert | None:
    """Store an alert unless its fingerprint is known: a re-run never repeats one."""
    # No flush of the whole session for each alert (the runner closes thousands of notices
    # in one transaction). A fingerprint names one notice's closing, which one transaction
    # never detects twice; the unique constraint stands behind this check.
    with db.session.no_autoflush:
        if db.session.scalar(select(RiskAlert.id).where(RiskAlert.fingerprint == fingerprint)):
            return None
    alert = RiskAlert(
        rule=rule,
        fingerprint=fingerprint,
        department=notice.item.approving_department,
        notice_id=notice.id,
        purchaser_org_id=notice.purchaser_org_id,
        org_ids=sorted(set(org_ids)),
        summary=summary,
        evidence=evidence,
        created_dt=utcnow(),
    )
    db.session.add(alert)
    return alert


# --- per notice, when its bidding closes ----------------------------------------------------


def _same_quote(notice: Notice, bids: list[Bid]):
    if notice.is_fixed_price:
        return None  # everyone registers at the notice's price
    by_amount = defaultdict(list)
    for bid in bids:
        by_amount[bid.amount_fen].append(bid)
    groups = [group for _, group in sorted(by_amount.items()) if len(group) > 1]
    if not groups:
        return None
    rows, sentences = [], []
    for group in groups:
        amount = group[0].amount_fen
        note = {notice.ceiling_fen: "等于最高限价", notice.floor_fen: "等于最低限价"}.get(
            amount, ""
        )
        rows.append(
            {"amount_fen": amount, "note": note, "org_ids": [b.agency_org_id for b in group]}
        )
        sentences.append(f"{_names(b.agency.name for b in group)}报价均为 {format_fen(amount)}")
    return _raise(
        "same_quote",
        f"same_quote:notice:{notice.id}",
        notice,
        [o for row in rows for o in row["org_ids"]],
        f"项目「{notice.title}」中{'；'.join(sentences)}。",
        {"notice": _notice_ref(notice), "bids": [_bid_row(b) for b in bids], "groups": rows},
    )


def _near_quote(notice: Notice, bids: list[Bid]):
    if notice.is_fixed_price:
        return None
    threshold = current_app.config["RISK_NEAR_QUOTE_BP"]
    ordered = sorted(bids, key=lambda b: (b.amount_fen, b.id))
    pairs = []
    for i, low in enumerate(ordered):
        for high in ordered[i + 1 :]:
            gap = high.amount_fen - low.amount_fen
            if gap * 10000 > threshold * low.amount_fen:
                break  # sorted: every later quote is further away
            if gap:
                pairs.append((low, high, gap, -(-gap * 10000 // low.amount_fen)))
    if not pairs:
        return None
    sentences = [
        f"「{a.agency.name}」{format_fen(a.amount_fen)}与「{b.agency.name}」"
        f"{format_fen(b.amount_fen)}相差 {format_bp(bp)}"
        for a, b, _, bp in pairs
    ]
    return _raise(
        "near_quote",
        f"near_quote:notice:{notice.id}",
        notice,
        [o for a, b, _, _ in pairs for o in (a.agency_org_id, b.agency_org_id)],
        f"项目「{notice.title}」中{'；'.join(sentences)}。",
        {
            "notice": _notice_ref(notice),
            "bids": [_bid_row(b) for b in bids],
            "threshold_bp": threshold,
            "pairs": [
                {"low": _bid_row(a), "high": _bid_row(b), "gap_fen": gap, "gap_bp": bp}
                for a, b, gap, bp in pairs
            ],
        },
    )


def _normalised(field: str, value: str) -> str:
    value = (value or "").strip()
    if field == "contact_phone":
        return "".join(c for c in value if c.isdigit())  # 023-6700 1234 is 02367001234
    if field == "contact_email":
        return value.lower()
    return "".join(value.split())


def _shared_contact(notice: Notice, bids: list[Bid]):
    matches = []
    for field, label in [*CONTACT_FIELDS.items(), ("submitted_ip", "报价 IP 地址")]:
        groups = defaultdict(list)
        for bid in bids:
            raw = bid.submitted_ip if field == "submitted_ip" else getattr(bid.agency, field)
            key = _normalised(field, raw)
            if key:  # an empty value never matches
                groups[key].append((bid, (raw or "").strip()))
        for members in groups.values():
            if len(members) > 1:
                shown = members[0][1]
                orgs = [_org(bid.agency) for bid, _ in members]
                matches.append({"field": field, "label": label, "value": shown, "orgs": orgs})
    if not matches:
        return None
    sentences = [
        f"{_names(o['name'] for o in m['orgs'])}{m['label']}相同（{m['value']}）" for m in matches
    ]
    return _raise(
        "shared_contact",
        f"shared_contact:notice:{notice.id}",
        notice,
        [o["id"] for m in matches for o in m["orgs"]],
        f"项目「{notice.title}」的报价机构中，{'；'.join(sentences)}。",
        {"notice": _notice_ref(notice), "bids": [_bid_row(b) for b in bids], "matches": matches},
    )


def _single_bid(notice: Notice, bids: list[Bid]):
    if len(bids) != 1 or notice.invited_org_id is not None:
        return None  # a direct invitation asks one agency by design
    bid = bids[0]
    period = f"{_moment(notice.published_dt)} 至 {_moment(notice.deadline_dt)}"
    return _raise(
        "single_bid",
        f"single_bid:notice:{notice.id}",
        notice,
        [bid.agency_org_id],
        f"项目「{notice.title}」报价截止时仅「{bid.agency.name}」1 家有效报价"
        f"（{format_fen(bid.amount_fen)}，最高限价 {format_fen(notice.ceiling_fen)}）。",
        {"notice": _notice_ref(notice), "bids": [_bid_row(bid)], "period": period},
    )


NOTICE_DETECTORS = (_same_quote, _near_quote, _shared_contact, _single_bid)


def detect_notice(notice: Notice) -> list[RiskAlert]:
    """Run the per-notice rules over the bids opened when the notice's bidding closed."""
    bids = opened_bids(notice)
    if not bids:
        return []
    lock_chain()  # one detector at a time: the fingerprints are checked, then written
    found = (detector(notice, bids) for detector in NOTICE_DETECTORS)
    return [alert for alert in found if alert is not None]


def _detect_closed(notices: list[Notice]) -> None:
    for notice in notices:
        detect_notice(notice)


def _detect_awarded(awards: list[tuple[Notice, object]]) -> None:
    from .risk_awards import detect_award

    for notice, at in awards:
        detect_award(notice, at)


def on_notice_transitioned(notice, from_state=None, to_state=None, at=None, data=None, **_):
    # In the runner's batch the checks run once its transitions are all written.
    if to_state == "bidding_closed" and not defer(_detect_closed, notice):
        _detect_closed([notice])
    elif to_state == "awarded" and not defer(_detect_awarded, (notice, at)):
        _detect_awarded([(notice, at)])


def connect(signals) -> None:
    signals.notice_transitioned.connect(on_notice_transitioned)


def detect_history(since=None) -> dict[str, int]:
    """Run every rule over past closings and awards (from `since`, aware UTC), oldest first;
    returns the new alerts by rule. Idempotent: known alerts are not repeated."""
    from ..core.models import AuditEvent
    from .risk_awards import detect_award

    counts = dict.fromkeys(RULES, 0)
    closed = (
        select(AuditEvent.subject_id)
        .where(
            AuditEvent.subject_type == "notice",
            AuditEvent.action == "transition",
            AuditEvent.to_state == "bidding_closed",
        )
        .group_by(AuditEvent.subject_id)
        .order_by(func.min(AuditEvent.occurred_dt), AuditEvent.subject_id)
    )
    if since is not None:
        closed = closed.having(func.max(AuditEvent.occurred_dt) >= since)
    for notice_id in db.session.scalars(closed).all():
        for alert in detect_notice(db.session.get(Notice, notice_id)):
            counts[alert.rule] += 1
    awarded = select(Contract).order_by(Contract.created_dt, Contract.id)
    if since is not None:
        awarded = awarded.where(Contract.created_dt >= since)
    for contract in db.session.scalars(awarded).all():
        for alert in detect_award(contract.notice, contract.created_dt):
            counts[alert.rule] += 1
    return counts
