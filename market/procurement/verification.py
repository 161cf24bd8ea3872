"""Re-running a stored selection from the notice's published data, and the lottery share."""

from dataclasses import dataclass, field

from sqlalchemy import select

from ..core.i18n import _
from ..extensions import db
from .models import Selection
from .selection.base import Outcome, method_for
from .selection.draw import seed_inputs, seed_of


@dataclass
class Verification:
    selection: Selection
    #: the seed recomputed from the notice id, round, draw salt and the bids' commitments
    seed: str
    rerun: Outcome
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_selection(selection: Selection) -> Verification:
    """Recompute the seed from the notice's data and re-run the method from the stored
    candidates; any difference from what was published is listed as a problem."""
    notice = selection.notice
    bids = {b.id: b for b in notice.bids}
    ids = [c["bid_id"] for c in selection.candidates]
    commitments = [bids[i].commitment if i in bids else "" for i in ids]
    inputs = seed_inputs(notice.id, selection.round, notice.draw_salt, commitments)
    seed = seed_of(inputs)
    problems = []
    if inputs != selection.seed_inputs or seed != selection.seed:
        problems.append(_("由公告与报价承诺值重算的随机种子与公布的不一致"))
    for c in selection.candidates:
        bid = bids.get(c["bid_id"])
        stored = (bid.agency_org_id, bid.amount_fen, bid.commitment) if bid else None
        if stored != (c["agency_org_id"], c["amount_fen"], c["commitment"]):
            problems.append(_("候选机构「%(agency)s」的报价记录与选取时不一致", agency=c["agency"]))
    settings = selection.parameters.get("settings", {})
    # The rule of the version the selection was made with: a later version (e.g. credit
    # breaking ties) must not turn an honest earlier selection into a mismatch.
    rule = method_for(selection.method).rule_for(selection.algorithm)
    if rule is None:
        problems.append(
            _("无法识别公布的选取算法版本「%(algorithm)s」", algorithm=selection.algorithm)
        )
        return Verification(selection, seed, Outcome(None, {}, _("算法版本未知")), problems)
    rerun = rule(selection.candidates, seed, settings)
    published = {k: v for k, v in selection.parameters.items() if k != "settings"}
    if (rerun.winner_bid_id, rerun.failure) != (selection.winner_bid_id, selection.failure):
        problems.append(_("重新运行得到的结果与公布的结果不同"))
    if rerun.parameters != published:
        problems.append(_("重新运行得到的参数（K 值、得分或抽签）与公布的不同"))
    return Verification(selection, seed, rerun, problems)


def lottery_share() -> tuple[int, int, float]:
    """(notices decided by lottery — random draw or a tie-break draw —, notices with a
    selection, share) for the operators' workspace."""
    rows = db.session.execute(
        select(Selection.notice_id, Selection.method, Selection.parameters, Selection.winner_bid_id)
    ).all()
    selected = {r.notice_id for r in rows}
    by_lottery = {
        r.notice_id
        for r in rows
        if r.winner_bid_id is not None and (r.method == "random" or "draw" in (r.parameters or {}))
    }
    return len(by_lottery), len(selected), (len(by_lottery) / len(selected) if selected else 0.0)
