"""Per-notice risk rules, run over the bids opened when a notice's bidding closes: identical or
near-identical quotes, shared contacts or addresses among the bidders, a single response."""

from collections import defaultdict

from flask import current_app

from ...core.audit import lock_chain
from ...core.money import format_bp, format_fen
from ...procurement.models import Bid, Notice
from ...procurement.services import opened_bids
from .evidence import bid_row, moment, names, notice_ref, org_ref, raise_alert
from .models import RiskAlert
from .rules import CONTACT_FIELDS


def _same_quote(notice: Notice, bids: list[Bid]):
    if notice.is_fixed_price:
        return None  # everyone registers at the notice's price
    by_amount = defaultdict(list)
    for bid in bids:
        by_amount[bid.amount_fen].append(bid)
    groups = [group for __, group in sorted(by_amount.items()) if len(group) > 1]
    if not groups:
        return None
    rows, sentences = [], []
    for group in groups:
        amount = group[0].amount_fen
        # the summary and evidence are stored with the alert: Chinese, as its data
        note = {
            notice.ceiling_fen: "等于最高限价",  # i18n: data
            notice.floor_fen: "等于最低限价",  # i18n: data
        }.get(amount, "")
        rows.append(
            {"amount_fen": amount, "note": note, "org_ids": [b.agency_org_id for b in group]}
        )
        sentences.append(
            f"{names(b.agency.name for b in group)}报价均为 {format_fen(amount)}"  # i18n: data
        )
    return raise_alert(
        "same_quote",
        f"same_quote:notice:{notice.id}",
        notice,
        [o for row in rows for o in row["org_ids"]],
        f"项目「{notice.title}」中{'；'.join(sentences)}。",  # i18n: data
        {"notice": notice_ref(notice), "bids": [bid_row(b) for b in bids], "groups": rows},
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
        f"「{a.agency.name}」{format_fen(a.amount_fen)}与「{b.agency.name}」"  # i18n: data
        f"{format_fen(b.amount_fen)}相差 {format_bp(bp)}"  # i18n: data
        for a, b, __, bp in pairs
    ]
    return raise_alert(
        "near_quote",
        f"near_quote:notice:{notice.id}",
        notice,
        [o for a, b, __, ___ in pairs for o in (a.agency_org_id, b.agency_org_id)],
        f"项目「{notice.title}」中{'；'.join(sentences)}。",  # i18n: data
        {
            "notice": notice_ref(notice),
            "bids": [bid_row(b) for b in bids],
            "threshold_bp": threshold,
            "pairs": [
                {"low": bid_row(a), "high": bid_row(b), "gap_fen": gap, "gap_bp": bp}
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
    for field, label in [*CONTACT_FIELDS.items(), ("submitted_ip", "报价 IP 地址")]:  # i18n: data
        groups = defaultdict(list)
        for bid in bids:
            raw = bid.submitted_ip if field == "submitted_ip" else getattr(bid.agency, field)
            key = _normalised(field, raw)
            if key:  # an empty value never matches
                groups[key].append((bid, (raw or "").strip()))
        for members in groups.values():
            if len(members) > 1:
                shown = members[0][1]
                orgs = [org_ref(bid.agency) for bid, __ in members]
                matches.append({"field": field, "label": label, "value": shown, "orgs": orgs})
    if not matches:
        return None
    sentences = [
        f"{names(o['name'] for o in m['orgs'])}{m['label']}相同（{m['value']}）"  # i18n: data
        for m in matches
    ]
    return raise_alert(
        "shared_contact",
        f"shared_contact:notice:{notice.id}",
        notice,
        [o["id"] for m in matches for o in m["orgs"]],
        f"项目「{notice.title}」的报价机构中，{'；'.join(sentences)}。",  # i18n: data
        {"notice": notice_ref(notice), "bids": [bid_row(b) for b in bids], "matches": matches},
    )


def _single_bid(notice: Notice, bids: list[Bid]):
    if len(bids) != 1 or notice.invited_org_id is not None:
        return None  # a direct invitation asks one agency by design
    bid = bids[0]
    period = f"{moment(notice.published_dt)} 至 {moment(notice.deadline_dt)}"  # i18n: data
    return raise_alert(
        "single_bid",
        f"single_bid:notice:{notice.id}",
        notice,
        [bid.agency_org_id],
        f"项目「{notice.title}」报价截止时仅「{bid.agency.name}」1 家有效报价"  # i18n: data
        f"（{format_fen(bid.amount_fen)}，"  # i18n: data
        f"最高限价 {format_fen(notice.ceiling_fen)}）。",  # i18n: data
        {"notice": notice_ref(notice), "bids": [bid_row(bid)], "period": period},
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
