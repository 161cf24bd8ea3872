"""Risk alerts over a purchaser's awards (repeat winner, rotation in a closed group), run
when a notice is awarded. Screening counts in the database without flushing; only a rule that
may fire reads its evidence. The rule texts: rules.py; the evidence helpers: evidence.py."""

from dataclasses import dataclass

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import selectinload

from ...core.audit import lock_chain
from ...core.clock import add_months
from ...extensions import db
from ...procurement.contract_models import Contract
from ...procurement.models import Bid, Notice
from ...procurement.services import OPENED_STATUSES, opened_bids
from .evidence import day, names, org_ref, raise_alert
from .models import RiskAlert
from .rules import (
    REPEAT_MIN_SHARE_PCT,
    REPEAT_MIN_WINS,
    ROTATION_GROUP_SIZES,
    ROTATION_MIN_NOTICES,
    WINDOW_MONTHS,
)


@dataclass(frozen=True)
class _Award:
    """An award as the screening needs it (no ORM objects: a busy purchaser has hundreds)."""

    contract_id: int
    notice_id: int
    agency_org_id: int
    item_id: int


def _in_window(purchaser_org_id: int, at) -> tuple:
    """The purchaser's awards (a contract is created at the award) in the window up to `at`."""
    return (
        Contract.purchaser_org_id == purchaser_org_id,
        Contract.created_dt > add_months(at, -WINDOW_MONTHS),
        Contract.created_dt <= at,
    )


def _award_facts(purchaser_org_id: int, at) -> list[_Award]:
    """The purchaser's awards in the window, oldest first."""
    rows = db.session.execute(
        select(Contract.id, Contract.notice_id, Contract.agency_org_id, Notice.item_id)
        .join(Notice, Notice.id == Contract.notice_id)
        .where(*_in_window(purchaser_org_id, at))
        .order_by(Contract.created_dt, Contract.id)
    )
    return [_Award(*row) for row in rows]


def _win_counts(contract: Contract, at) -> tuple[int, int]:
    """(the winner's wins, all awards) of the purchaser in the window, this award included,
    counted by the database: a busy purchaser's award history is never loaded to screen one
    award. Runs without flushing: this award may not be written yet, so it is added here.
    The winner's own awards (few) are counted first; most winners stop there."""
    window = (*_in_window(contract.purchaser_org_id, at), Contract.id != contract.id)
    wins = db.session.scalar(
        select(func.count(Contract.id)).where(
            Contract.agency_org_id == contract.agency_org_id, *window
        )
    )
    if wins + 1 < REPEAT_MIN_WINS:
        return wins + 1, None
    total = db.session.scalar(select(func.count(Contract.id)).where(*window))
    return wins + 1, total + 1


def _same_group_awards(notice: Notice, group: frozenset[int], at, but=None) -> list[_Award]:
    """The purchaser's awards in the window for this item whose opened bidders are exactly
    `group` (the database compares the bidder sets); `but` leaves one contract out."""
    opened = and_(
        Bid.notice_id == Notice.id,
        Bid.status.in_(OPENED_STATUSES),
        Bid.notice_revision == Notice.revision,
    )
    in_group = case((Bid.agency_org_id.in_(group), Bid.agency_org_id))
    rows = db.session.execute(
        select(Contract.id, Contract.notice_id, Contract.agency_org_id, Notice.item_id)
        .join(Notice, Notice.id == Contract.notice_id)
        .join(Bid, opened)
        .where(
            *_in_window(notice.purchaser_org_id, at),
            Notice.item_id == notice.item_id,
            Contract.id != but if but is not None else True,
        )
        .group_by(Contract.id, Contract.notice_id, Contract.agency_org_id, Notice.item_id)
        .having(
            func.count(distinct(Bid.agency_org_id)) == len(group),
            func.count(distinct(in_group)) == len(group),
        )
        .order_by(func.min(Contract.created_dt), Contract.id)
    )
    return [_Award(*row) for row in rows]


def _contracts(awards: list[_Award]) -> list[Contract]:
    """The contracts of the awards that made a rule fire, loaded for the evidence, in order."""
    ids = [a.contract_id for a in awards]
    loaded = db.session.scalars(
        select(Contract)
        .where(Contract.id.in_(ids))
        .options(
            selectinload(Contract.agency),
            selectinload(Contract.notice).selectinload(Notice.bids).selectinload(Bid.agency),
            selectinload(Contract.notice).selectinload(Notice.item),
        )
    ).all()
    by_id = {c.id: c for c in loaded}
    return [by_id[i] for i in ids]


def _award_row(contract: Contract) -> dict:
    return {
        "id": contract.notice_id,
        "title": contract.notice.title,
        "item": f"{contract.notice.item.code} {contract.notice.item.name}",
        "awarded": day(contract.created_dt),
        "winner": org_ref(contract.agency),
        "amount_fen": contract.amount_fen,
    }


def _episode(rule, prefix, notice, org_ids, summary, evidence) -> RiskAlert | None:
    """One alert per continuing pattern: while the pattern's notices overlap an earlier
    alert's, that alert is brought up to date (if still open) instead of repeated."""
    earlier = db.session.scalars(
        select(RiskAlert)
        .where(RiskAlert.rule == rule, RiskAlert.fingerprint.startswith(prefix, autoescape=True))
        .order_by(RiskAlert.id.desc())
    ).first()
    ids = evidence["notice_ids"]
    if earlier is not None and set(earlier.evidence.get("notice_ids", ())) & set(ids):
        if earlier.status == "open" and earlier.evidence != evidence:
            earlier.summary, earlier.evidence = summary, evidence
            earlier.org_ids = sorted(set(org_ids))
        return None
    return raise_alert(rule, f"{prefix}{ids[0]}", notice, org_ids, summary, evidence)


def _period(at) -> dict:
    return {"from": day(add_months(at, -WINDOW_MONTHS)), "to": day(at)}


def _repeat_winner_may_fire(notice: Notice, at) -> bool:
    count, total = _win_counts(notice.contract, at)
    return total is not None and count * 100 >= REPEAT_MIN_SHARE_PCT * total


def _repeat_winner(notice: Notice, at):
    winner = notice.contract.agency
    awards = _award_facts(notice.purchaser_org_id, at)
    wins = [a for a in awards if a.agency_org_id == winner.id]
    share = len(wins) * 100 // len(awards)
    purchaser = notice.purchaser
    return _episode(
        "repeat_winner",
        f"repeat_winner:{purchaser.id}:{winner.id}:",
        notice,
        [winner.id],
        # the summary is stored with the alert: Chinese, as its data
        f"「{winner.name}」近 {WINDOW_MONTHS} 个月中选采购人「{purchaser.name}」"  # i18n: data
        f"{len(wins)} 个项目，占其同期 {len(awards)} 个中选项目的 {share}%。",  # i18n: data
        {
            "purchaser": org_ref(purchaser),
            "agency": org_ref(winner),
            "period": _period(at),
            "wins": len(wins),
            "awards": len(awards),
            "share_pct": share,
            "notice_ids": [a.notice_id for a in wins],
            "notices": [_award_row(c) for c in _contracts(awards)],
        },
    )


def _bidders(notice: Notice) -> frozenset[int]:
    return frozenset(b.agency_org_id for b in opened_bids(notice))


def _rotation_may_fire(notice: Notice, at) -> bool:
    group = _bidders(notice)
    if len(group) not in ROTATION_GROUP_SIZES:
        return False
    others = _same_group_awards(notice, group, at, but=notice.contract.id)
    winners = {a.agency_org_id for a in others} | {notice.contract.agency_org_id}
    return len(others) + 1 >= ROTATION_MIN_NOTICES and len(winners) >= 2


def _rotation(notice: Notice, at):
    group = _bidders(notice)
    same = _same_group_awards(notice, group, at)
    if len(same) < ROTATION_MIN_NOTICES or len({a.agency_org_id for a in same}) < 2:
        return None
    contracts = _contracts(same)
    winners = list(dict.fromkeys(c.agency.name for c in contracts))
    members = sorted(
        {b.agency_org_id: b.agency for b in opened_bids(notice)}.values(), key=lambda o: o.id
    )
    rows = []
    for contract in contracts:
        amounts = {b.agency_org_id: b.amount_fen for b in opened_bids(contract.notice)}
        rows.append({**_award_row(contract), "amounts": [amounts.get(m.id) for m in members]})
    purchaser, item = notice.purchaser, notice.item
    return _episode(
        "rotation",
        f"rotation:{purchaser.id}:{item.id}:{'-'.join(str(m.id) for m in members)}:",
        notice,
        [m.id for m in members],
        f"采购人「{purchaser.name}」的「{item.name}」"  # i18n: data
        f"近 {WINDOW_MONTHS} 个月有 {len(same)} 个项目"  # i18n: data
        f"均由{names(m.name for m in members)}报价，"  # i18n: data
        f"中选机构在其中轮换（{names(winners)}）。",  # i18n: data
        {
            "purchaser": org_ref(purchaser),
            "item": {"id": item.id, "code": item.code, "name": item.name},
            "period": _period(at),
            "group": [org_ref(m) for m in members],
            "notice_ids": [c.notice_id for c in contracts],
            "notices": rows,
        },
    )


def detect_award(notice: Notice, at=None) -> list[RiskAlert]:
    """Run the winner rules over the purchaser's awards up to this notice's award."""
    contract = notice.contract
    if contract is None:
        return []
    at = at or contract.created_dt
    if contract.created_dt > at:
        return []
    # Screen without flushing (the runner awards thousands of notices in one transaction);
    # only a rule that may fire flushes and reads its evidence.
    with db.session.no_autoflush:
        rules = [
            rule
            for rule, may_fire in (
                (_repeat_winner, _repeat_winner_may_fire),
                (_rotation, _rotation_may_fire),
            )
            if may_fire(notice, at)
        ]
    if not rules:
        return []
    lock_chain()
    db.session.flush()  # the award's contract is read back with the purchaser's others
    found = (rule(notice, at) for rule in rules)
    return [alert for alert in found if alert is not None]
