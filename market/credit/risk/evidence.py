"""What every detector shares: the evidence rows an alert carries, and raising an alert once
(its fingerprint names what it saw, so a re-run never repeats it)."""

from sqlalchemy import select

from ...accounts.models import Organisation
from ...core.clock import to_local, utcnow
from ...core.i18n import in_language
from ...extensions import db
from ...procurement.models import Bid, Notice
from .models import RiskAlert


def moment(dt) -> str:
    return f"{to_local(dt):%Y-%m-%d %H:%M}"


def day(dt) -> str:
    return f"{to_local(dt):%Y-%m-%d}"


def org_ref(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name}


def notice_ref(notice: Notice) -> dict:
    # stored with the alert (JSON): the method's label as text, in Chinese like the rest
    with in_language("zh"):
        method = str(notice.method_label)
    return {
        "id": notice.id,
        "title": notice.title,
        "item": f"{notice.item.code} {notice.item.name}",
        "method": method,
        "ceiling_fen": notice.ceiling_fen,
        "floor_fen": notice.floor_fen,
        "purchaser": org_ref(notice.purchaser),
        "deadline": moment(notice.deadline_dt),
    }


def bid_row(bid: Bid) -> dict:
    return {
        "bid_id": bid.id,
        "org_id": bid.agency_org_id,
        "org_name": bid.agency.name,
        "amount_fen": bid.amount_fen,
        "submitted": moment(bid.submitted_dt),
        "ip": bid.submitted_ip,
    }


def names(names) -> str:
    # part of an alert's stored summary: Chinese, as its data
    return "、".join(f"「{n}」" for n in names)  # i18n: data


def raise_alert(rule, fingerprint, notice, org_ids, summary, evidence) -> RiskAlert | None:
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
