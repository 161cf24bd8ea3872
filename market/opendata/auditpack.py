"""The audit pack of a notice (docs/opendata.md "Audit pack"): one zip holding what anyone
needs to re-check its procurement offline — the notice's public facts, the opened bids with
their openings, every selection round, the decisions, its OCDS record and its segment of the
audit chain linked to a published daily chain head — and verify.py (packverify.py), which
re-checks them with the standard library alone. Also the daily chain heads it is compared with.

A pack exists only once a selection has been run: by then the bids are open and the public
draw page lists their amounts. Before, the address is a 404 like any notice that does not
exist, whatever was quoted.
"""

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, or_, select

from ..core.audit import HASHED_FIELDS, canonical, day_head
from ..core.clock import local_today, to_local
from ..core.i18n import DEFAULT_LANGUAGE, in_language, plain
from ..core.models import AuditEvent
from ..extensions import db
from ..procurement import services as procurement
from ..procurement.contract_models import Contract
from ..procurement.models import Notice
from . import ocds, ocds_ids
from .records import record

#: the script packed as verify.py
VERIFY_SCRIPT = Path(__file__).with_name("packverify.py")
#: every member's time in the zip: the same data always gives the same bytes
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
#: public events whose actor stays private (the objector: known only to the parties and the
#: regulators, docs/procurement.md): packed as links of the chain, without their content
WITHHELD_ACTIONS = frozenset({"objection_filed"})
#: the events that make decisions.json
DECISION_ACTIONS = (
    "objection_filed",
    "objection_answered",
    "objection_decided",
    "award_suspended",
    "bid_excluded",
)

README = """\
审计包：公告 {notice_id}《{title}》
====================================

本审计包由网上中介超市公开生成，任何人可离线核验本项目的报价、选取与审计记录是否被改动。

文件
----
notice.json       公告的公开信息（编号、标题、选取方式、限价、截止时间、随机种子公开值 draw_salt）
bids.json         开标后公开的每份报价：承诺值（commitment）及其公开内容（opening：公告编号、
                  公告版本、机构、金额（分）、服务方案、引用资质与材料、随机数 nonce）。
                  服务方案只公开中选报价的（与公告页一致）；未中选报价的方案不公开
                  （plan_withheld），其承诺值不能离线重算，verify.py 标为“未核验”，
                  该机构可凭自己的报价回执核验
selections.json   每一轮选取：候选报价、种子输入、种子、算法、参数、结果、报价排序
decisions.json    选取理由、异议及其处理结果（公开部分；异议人不公开）
events.json       本项目在审计链上的公开事件（含哈希所覆盖的全部字段、hash、prev_hash），
                  其间其他事件仅给出编号、prev_hash、hash（不含内容），以及链头
ocds-record.json  本项目的 OCDS 记录（与 /api/ocds/records/<ocid> 相同）
verify.py         核验脚本，仅需 Python 3.11 及以上版本的标准库

如何核验
--------
解压后在本目录运行：

    python verify.py

或直接对压缩包运行：

    python verify.py audit-pack-{notice_id}.zip

脚本会：由每份报价的公开内容重算承诺值；由公告编号、轮次、draw_salt 和候选承诺值重算随机种子；
按公布的算法版本重新运行选取（竞价、均价、综合评审、随机选取、信用择优；采购人直接选定的
结果属于人的决定，标为“未核验 not checked”）；核对报价排序；逐个重算事件哈希并沿 prev_hash
走到链头。全部通过时输出 "all checks passed" 并返回 0，否则列出每一项未通过的核验并返回 1。

与公布的链头比对
----------------
平台每天（北京时间）在 {heads_url} 公布当日最后一个审计事件的编号和哈希，任何人都可以存档。
events.json 的 "head" 给出本审计包所链接到的链头：
- "published_day" 不为空时，打开上述页面中该日期所在的月份，核对该日的事件编号与哈希
  和 "head" 的 event_id、hash 相同。相同即说明本审计包中的事件就是当日已公布的审计链的一部分，
  事后无法在不改变已公布链头的情况下改写。
- "published_day" 为空时，链头是本项目最近的事件，当日尚未结束、链头尚未公布；
  次日重新下载审计包即可与当日公布的链头比对。
"""  # i18n: data (the audit pack is a reproducible published file)


@dataclass
class Pack:
    """A built pack: its bytes and its file name."""

    data: bytes
    filename: str


def available(notice: Notice | None) -> bool:
    """Whether the notice has a pack: published, its bids opened and a selection run."""
    return (
        notice is not None
        and notice.published_dt is not None
        and not procurement.bids_sealed(notice)
        and bool(notice.selections)
    )


def _iso(moment: datetime | None) -> str | None:
    return ocds_ids.iso(moment) if moment is not None else None


def _notice_facts(notice: Notice) -> dict:
    return {
        "id": notice.id,
        "ocid": ocds_ids.ocid(notice.id),
        "title": notice.title,
        "purchaser": notice.purchaser.name,
        "item": {"code": notice.item.code, "name": notice.item.name},
        "method": notice.method,
        "method_label": notice.method_label,
        "method_reason": notice.method_reason,
        "ceiling_fen": notice.ceiling_fen,
        "floor_fen": notice.floor_fen,
        "fixed_price": notice.is_fixed_price,
        "revision": notice.revision,
        "draw_salt": notice.draw_salt,
        "published": _iso(notice.published_dt),
        "deadline": _iso(notice.deadline_dt),
        "state": notice.state,
        "state_label": notice.state_label,
    }


def _bids(notice: Notice) -> list[dict]:
    """The opened bids that took part in a selection round, with what their commitment
    covers (what the public draw page shows, and the opening that proves it). A service plan
    is public only for a selected bid (the notice page shows the winner's alone): the others'
    plans are withheld, and their commitments cannot be recomputed offline."""
    used = {c["bid_id"] for s in notice.selections for c in s.candidates}
    winners = {s.winner_bid_id for s in notice.selections if s.winner_bid_id}
    return [
        _bid(bid, plan_public=bid.id in winners)
        for bid in sorted(notice.bids, key=lambda b: b.id)
        if bid.id in used
    ]


def _bid(bid, plan_public: bool) -> dict:
    opening = procurement.commitment_payload(bid)
    if not plan_public:
        opening["plan"] = None
    return {
        "bid_id": bid.id,
        "agency_org_id": bid.agency_org_id,
        "agency": bid.agency.name,
        "amount_fen": bid.amount_fen,
        "status": bid.status,
        "commitment": bid.commitment,
        "plan_withheld": not plan_public,
        "opening": opening,
    }


def _selections(notice: Notice) -> list[dict]:
    rows = []
    for s in sorted(notice.selections, key=lambda s: s.round):
        ranking = sorted(s.candidates, key=lambda c: (c["amount_fen"], c["bid_id"]))
        rows.append(
            {
                "round": s.round,
                "method": s.method,
                "algorithm": s.algorithm,
                "candidates": s.candidates,
                "seed_inputs": s.seed_inputs,
                "seed": s.seed,
                "parameters": s.parameters,
                "winner_bid_id": s.winner_bid_id,
                "failure": s.failure,
                "reason": s.reason,
                "price_ranking": [c["bid_id"] for c in ranking],
                "selected": _iso(s.created_dt),
            }
        )
    return rows


def _events(notice: Notice) -> list[AuditEvent]:
    """The public events of the notice and of its contract, in chain order."""
    subjects = [and_(AuditEvent.subject_type == "notice", AuditEvent.subject_id == notice.id)]
    contract_id = db.session.scalar(select(Contract.id).where(Contract.notice_id == notice.id))
    if contract_id is not None:
        subjects.append(
            and_(AuditEvent.subject_type == "contract", AuditEvent.subject_id == contract_id)
        )
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.public.is_(True), or_(*subjects))
            .order_by(AuditEvent.id)
        )
    )


def _hashed(event: AuditEvent) -> dict:
    """The event's fields exactly as its hash covers them (the chain's canonical form)."""
    values = {field: getattr(event, field) for field in HASHED_FIELDS}
    return json.loads(canonical(values)) | {"hash": event.hash}


def month_heads(year: int, month: int) -> list[tuple[date, int, str]]:
    """(day, event id, hash) for each day of the month that is over and had events."""
    today = local_today()
    day, heads = date(year, month, 1), []
    while day.month == month and day < today:
        head = day_head(day)
        if head is not None:
            heads.append((day, *head))
        day += timedelta(days=1)
    return heads


def _chain_segment(notice: Notice) -> dict:
    """The notice's events, the links in between and the head they lead to."""
    events = _events(notice)
    shown = [e for e in events if e.action not in WITHHELD_ACTIONS]
    last = events[-1]
    day = to_local(last.created_dt).date()
    published = day < local_today() and day_head(day)
    head_id, head_hash = published if published else (last.id, last.hash)
    shown_ids = {e.id for e in shown}
    links = db.session.execute(
        select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash)
        .where(AuditEvent.id >= events[0].id, AuditEvent.id <= head_id)
        .order_by(AuditEvent.id)
    ).all()
    return {
        "about": "events: 本项目的公开审计事件（哈希覆盖的字段）；"
        "between: 其间其他事件的编号与哈希；head: 本审计包链接到的链头",  # i18n: data
        "events": [_hashed(e) for e in shown],
        "between": [
            {"id": r.id, "prev_hash": r.prev_hash, "hash": r.hash}
            for r in links
            if r.id not in shown_ids
        ],
        "head": {
            "event_id": head_id,
            "hash": head_hash,
            "published_day": day.isoformat() if published else None,
        },
    }


def _decisions(notice: Notice, events: list[dict]) -> dict:
    by_round = {s.round: s for s in notice.selections}
    objections = []
    for e in events:
        if e["action"] in DECISION_ACTIONS:
            objections.append(
                {"event_id": e["id"], "action": e["action"], "at": e["occurred_dt"]}
                | {"data": e["data"]}
            )
    return {
        "selection_reason": notice.selection_reason,
        "outcome_note": notice.outcome_note,
        "rounds": [
            {"round": r, "reason": s.reason, "failure": s.failure, "winner_bid_id": s.winner_bid_id}
            for r, s in sorted(by_round.items())
        ],
        "objections": objections,
    }


def _dump(value) -> bytes:
    return (
        json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=plain) + "\n"
    ).encode()


def build(notice: Notice, heads_url: str) -> Pack:
    """The notice's pack (the caller checked available()): in Chinese, whatever the language
    of whoever asks (its verify.py and README are Chinese, and its bytes are reproducible)."""
    with in_language(DEFAULT_LANGUAGE):
        return _build(notice, heads_url)


def _build(notice: Notice, heads_url: str) -> Pack:
    chain = _chain_segment(notice)
    withheld = [e for e in _events(notice) if e.action in WITHHELD_ACTIONS]
    decision_events = chain["events"] + [
        {
            "id": e.id,
            "action": e.action,
            "occurred_dt": _hashed(e)["occurred_dt"],
            "data": {"objection_id": (e.data or {}).get("objection_id")},
        }
        for e in withheld
    ]
    decision_events.sort(key=lambda e: e["id"])
    releases = ocds.releases_for([notice])[notice.id]
    files = {
        "README.txt": README.format(
            notice_id=notice.id, title=notice.title, heads_url=heads_url
        ).encode(),
        "notice.json": _dump(_notice_facts(notice)),
        "bids.json": _dump({"bids": _bids(notice)}),
        "selections.json": _dump({"selections": _selections(notice)}),
        "decisions.json": _dump(_decisions(notice, decision_events)),
        "events.json": _dump(chain),
        "ocds-record.json": _dump(record(releases) if releases else {}),
        "verify.py": VERIFY_SCRIPT.read_bytes(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return Pack(buffer.getvalue(), f"audit-pack-{notice.id}.zip")
