"""Atom feeds (RFC 4287) of new notices and of results — a selection put to publicity, or a
notice failed (流标) — for the whole platform, one catalogue item or one approving department,
so that anyone can follow what concerns them in a feed reader. Only what the notice pages
already show: no quote before its deadline, no quote's amount but the winner's."""

from datetime import datetime
from xml.etree import ElementTree

from flask import Blueprint, Response, abort, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import Organisation
from ..catalogue.models import ServiceItem
from ..catalogue.services import get_item_by_code
from ..core.clock import to_local, utcnow
from ..core.i18n import _, _l, current_language
from ..core.models import AuditEvent
from ..core.money import format_fen
from ..core.templating import external_url
from ..extensions import db
from ..procurement.models import Bid, Notice, Selection

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

ATOM = "http://www.w3.org/2005/Atom"
#: entries per feed: the latest ones (a reader polls; the lists and the open data hold the rest)
ENTRIES = 50
#: the notice moves a results feed reports
RESULT_STATES = {"publicity": _l("中选结果公示"), "failed": _l("流标")}


def _scope():
    """(the filter on notices, the feed's subject) from `item` or `department`; 404 for an
    item or department the public list does not know."""
    code = request.args.get("item", "").strip()[:20]
    department = request.args.get("department", "").strip()[:100]
    if code:
        item = get_item_by_code(code)
        if item is None or not item.ever_public:
            abort(404)
        return Notice.item_id == item.id, _("「%(code)s %(name)s」", code=item.code, name=item.name)
    if department:
        known = db.session.scalar(
            select(ServiceItem.id)
            .where(
                ServiceItem.approving_department == department,
                ServiceItem.first_public_on.is_not(None),
            )
            .limit(1)
        )
        if known is None:
            abort(404)
        return Notice.item_id.in_(
            select(ServiceItem.id).where(ServiceItem.approving_department == department)
        ), department
    return None, _("全部")


def _feed(title: str, entries: list[dict]) -> Response:
    """The Atom document: `entries` are dicts of id, title, link, updated, summary."""
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    feed.set(
        "{http://www.w3.org/XML/1998/namespace}lang",
        "en" if current_language() == "en" else "zh-CN",
    )
    _text(feed, "title", title)
    _text(feed, "id", external_url(request.endpoint, **request.args))
    link = ElementTree.SubElement(feed, f"{{{ATOM}}}link")
    link.set("rel", "self")
    link.set("href", external_url(request.endpoint, **request.args))
    updated = max((e["updated"] for e in entries), default=None) or utcnow()
    _text(feed, "updated", _iso(updated))
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", _("网上中介超市"))
    for entry in entries:
        element = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        _text(element, "id", entry["id"])
        _text(element, "title", entry["title"])
        alternate = ElementTree.SubElement(element, f"{{{ATOM}}}link")
        alternate.set("rel", "alternate")
        alternate.set("href", entry["link"])
        _text(element, "updated", _iso(entry["updated"]))
        _text(element, "summary", entry["summary"])
    body = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml")


def _text(parent, name: str, value: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}{name}").text = value


def _iso(moment: datetime) -> str:
    return to_local(moment).isoformat(timespec="seconds")


@bp.route("/notices.atom")
def notices():
    scope, subject = _scope()
    stmt = (
        select(Notice)
        .options(joinedload(Notice.purchaser), joinedload(Notice.item))
        .where(Notice.published_dt.is_not(None))
        .order_by(Notice.published_dt.desc(), Notice.id.desc())
        .limit(ENTRIES)
    )
    if scope is not None:
        stmt = stmt.where(scope)
    entries = [
        {
            "id": external_url("procurement.detail", notice_id=n.id),
            "title": n.title,
            "link": external_url("procurement.detail", notice_id=n.id),
            "updated": n.published_dt,
            "summary": _(
                "%(purchaser)s发布采购公告：%(code)s %(item)s，最高限价 %(ceiling)s，"
                "报价截止 %(deadline)s（北京时间）",
                purchaser=n.purchaser.name,
                code=n.item.code,
                item=n.item.name,
                ceiling=format_fen(n.ceiling_fen),
                deadline=to_local(n.deadline_dt).strftime("%Y-%m-%d %H:%M"),
            ),
        }
        for n in db.session.scalars(stmt)
    ]
    return _feed(_("网上中介超市 · 采购公告（%(subject)s）", subject=subject), entries)


@bp.route("/results.atom")
def results():
    scope, subject = _scope()
    stmt = (
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "notice",
            AuditEvent.public.is_(True),
            AuditEvent.to_state.in_(tuple(RESULT_STATES)),
        )
        .order_by(AuditEvent.id.desc())
        .limit(ENTRIES)
    )
    if scope is not None:
        stmt = stmt.where(AuditEvent.subject_id.in_(select(Notice.id).where(scope)))
    events = db.session.scalars(stmt).all()
    notices = {
        n.id: n
        for n in db.session.scalars(
            select(Notice).where(Notice.id.in_({e.subject_id for e in events}))
        )
    }
    winners = _winners(events)
    entries = []
    for event in events:
        notice = notices[event.subject_id]
        what = RESULT_STATES[event.to_state]
        if event.to_state == "publicity" and event.id in winners:
            name, amount = winners[event.id]
            summary = _(
                "中选机构：%(name)s，中选金额 %(amount)s", name=name, amount=format_fen(amount)
            )
        else:
            summary = _("%(title)s：%(what)s", title=notice.title, what=what)
        entries.append(
            {
                "id": external_url("procurement.detail", notice_id=notice.id) + f"#e{event.id}",
                "title": _("%(what)s：%(title)s", what=what, title=notice.title),
                "link": external_url("procurement.detail", notice_id=notice.id),
                "updated": event.occurred_dt,
                "summary": summary,
            }
        )
    return _feed(_("网上中介超市 · 采购结果（%(subject)s）", subject=subject), entries)


def _winners(events) -> dict[int, tuple[str, int]]:
    """event id → (winner's name, amount) of the selection each publicity event published:
    the latest selection of the notice made by then."""
    notice_ids = {e.subject_id for e in events if e.to_state == "publicity"}
    if not notice_ids:
        return {}
    rows = db.session.execute(
        select(Selection.notice_id, Selection.created_dt, Bid.amount_fen, Bid.agency_org_id)
        .join(Bid, Bid.id == Selection.winner_bid_id)
        .where(Selection.notice_id.in_(notice_ids))
        .order_by(Selection.round)
    ).all()
    names = dict(
        db.session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({r.agency_org_id for r in rows})
            )
        ).all()
    )
    found = {}
    for event in events:
        made = [
            r for r in rows if r.notice_id == event.subject_id and r.created_dt <= event.occurred_dt
        ]
        if made:
            found[event.id] = (names.get(made[-1].agency_org_id, ""), made[-1].amount_fen)
    return found
