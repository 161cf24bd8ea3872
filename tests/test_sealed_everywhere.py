"""Sealed means sealed everywhere: before the deadline no page, export, log, count or message
reveals a quote, or that one exists, to anyone but its bidder — supervisors included.

A world is built around a notice taking quotes: its purchaser, agencies offering its item (a
rival of the bidder's has quoted already, unless the bidder's is the first quote), another
purchaser with a notice of its own, regulators of the owning and of another department, an
operator; and, for the pages that need them, a notice
whose quotes were opened (its selection, draw, commitments and risk alert), a draft, a conduct
record, an inspection plan and a pending invitation. Each role signs in, and everything is
snapshotted:
- every GET rule of the app, its arguments filled from the world, with the query strings that
  matter, as each role gets it (status, headers, body, the message it flashed, the log records
  the request emitted); a rule the world cannot fill must be listed in NOT_APPLICABLE;
- requests a role may send to learn something, each refused before the deadline (probes);
- the inbox of every organisation, the mail (queued rows and the messages sent), the audit log
  rows as the supervisors get them, and the versions that decide whether a visitor gets a kept
  public page or one rendered afresh;
after a round of the background worker. Then an agency quotes through the real form (or, after
the purchaser revised the notice, reconfirms its quote), and everything is snapshotted again.
For every role but the bidder it must be byte for byte the same; only the bidder's own pages
may change. (A quote cannot be revised other than by reconfirming it after an edit of the
notice: test_a_quote_is_changed_only_by_reconfirming_it.)

What is normalised, because it changes with every request whatever the data:
- the request id (`X-Request-ID` header, and `request_id` on log records): a new uuid each time;
- `Set-Cookie`: the session cookie is signed with the real time, not the frozen clock;
- the `Date` header of a file sent (a document): the real time too;
- CSRF tokens of the forms that carry one (`csrf_token()`): signed with the real time;
- `duration_ms` of the access log line: wall-clock time;
- a sent mail's `Message-ID`: random. (Its `Date` is the frozen clock, and stays.)
Nothing else is: the clock is frozen, so every "now" on a page is the same instant.
"""

import difflib
import itertools
import logging
import re
from dataclasses import dataclass, field
from pprint import pformat
from urllib.parse import urlencode

import pytest
from flask import current_app
from sqlalchemy import delete, select

from market.accounts.members import invite_member
from market.agencies.models import Agency
from market.agencies.services import agency_of
from market.core import worker
from market.core.clock import local_today, utcnow
from market.core.mail import outbox, send_queued_mail
from market.core.models import OutgoingMail, WorkerHeartbeat
from market.credit.inspections.services import create_plan
from market.credit.risk.models import RiskAlert
from market.credit.standing import recompute_all
from market.extensions import db
from market.notifications.models import Notification
from market.opendata import bulk
from market.payments import services as payments
from market.procurement import services as procurement
from market.procurement.models import Notice
from market.search import engine as search_engine
from market.search.models import SearchOutbox
from market.statistics.cache import data_version as statistics_version
from market.supervision.services import SUBJECT_LABELS, audit_query

from . import factories as make
from . import fuzz_scenes as scenes

ROLES = (
    "anonymous",
    "bidder",  # the quoting agency's admin
    "rival",  # another agency offering the item: it quotes first (unless the bidder does)
    "other_agency",  # offers the notice's item, has not quoted
    "purchaser",
    "other_purchaser",
    "regulator",  # of the department that approves the notice's item
    "other_regulator",
    "operator",
)

#: GET rules not snapshotted, and why
NOT_APPLICABLE = {
    "static": "the site's own stylesheets and scripts: files, no data",
    "bootstrap.static": "Bootstrap's files: no data",
    "accounts.language": "the language switch: a redirect back, no data (and it would change "
    "the language of every page read after it)",
    "accounts.unlock": "a one-time link mailed to a locked account: the world locks none, and "
    "any other token gets the same refusal",
    "accounts.confirm_registration": "a one-time link mailed to a new registration: the world "
    "has none waiting, and any other token gets the same refusal",
    "accounts.reset_password": "a one-time link mailed to whoever forgot a password: the world "
    "asked for none, and any other token gets the same refusal",
    "accounts.confirm_email": "a one-time link mailed to a new login address: the world asked "
    "for none, and any other token gets the same refusal",
}

STATISTICS_TABLES = (
    "registrations",
    "notices",
    "lottery_reasons",
    "savings",
    "durations",
    "competition",
    "concentration",
    "grades",
    "violations",
    "disclosures",
)

#: the bidder's pages its quote (or its reconfirmation, replacement, withdrawal) may change:
#: the notice, its workspace and lists (已报价), its receipt and the withdrawal's confirmation
BIDDER_PAGES = re.compile(
    r"^/notices/\d+(/bid/(receipt(\.json|\.pdf)?|withdraw))?$"
    r"|^/dashboard$|^/agency/(bids|opportunities)$"
)


@dataclass
class World:
    users: dict
    notice: Notice  # taking quotes: the one quoted on
    #: URL argument (or (endpoint, argument)) → the world's values for it
    values: dict = field(default_factory=dict)
    #: endpoint → the query strings to read it with, besides none
    queries: dict = field(default_factory=dict)
    #: (role, path, form): requests refused before the deadline, whose answer must not change
    probes: list = field(default_factory=list)
    organisations: list = field(default_factory=list)
    quote_form: dict = field(default_factory=dict)


def _world(rival_quotes: bool) -> World:
    # A contract signed (the clock moves through its deadlines first): its advance recorded as
    # paid by bank transfer, on the milestone's and the receipt's pages.
    contracted, contract_buyer, _ = make.contracted_notice(
        payment_plan=[("预付款", 30, "signing", 10), ("尾款", 70, "acceptance", 10)]
    )
    advance = payments.contract_milestones(contracted.contract.id)[0]
    payment = make.bank_transfer(contract_buyer, advance)
    buyer, other_buyer = make.purchaser(), make.purchaser()
    bidder, rival, other = make.agency(), make.agency(), make.agency()
    regulator = make.staff("regulator", "生态环境部门")  # approves ZJ012
    other_regulator = make.staff("regulator", "发展改革部门")
    operator = make.staff("operator", "平台运营中心")

    # A notice of the same purchaser, quoted on by the same agencies and opened: its
    # selection, draw, commitments and the risk alert of their equal quotes.
    opened = make.notice(buyer, title="悦来片区环评服务采购")
    first = make.bid(bidder, opened, 80_000_00)
    make.bid(rival, opened, 80_000_00)
    make.close_bidding(opened)
    procurement.select_bid(buyer, opened, first.id, "报价合理，业绩良好")
    assert opened.state == "publicity"
    alert = db.session.scalars(select(RiskAlert).order_by(RiskAlert.id)).first()
    record, _, _ = make.conduct_report(other, regulator=regulator)
    plan = create_plan(regulator, dict.fromkeys("ABCD", 10000), "年度双随机抽查")
    _, token = invite_member(bidder, "newcomer@example.cn", "member")

    # The notice quoted on, published now (after the opened one's deadline): scored, so that
    # the purchaser's step has a field per quote once they are opened; another purchaser's
    # notice taking quotes, and a draft.
    notice = make.method_notice("scored", buyer, title="礼嘉智慧公园环境影响评价服务采购")
    other_notice = make.notice(other_buyer, title="江北嘴中央公园水土保持方案编制")
    draft = make.notice(buyer, publish=False, title="尚未发布的草稿公告")
    qualification = make.qualification(bidder)
    document = make.document(bidder, kind="other", title="项目团队简介")
    rival_document = make.document(rival, kind="other", title="机构简介")
    if rival_quotes:
        procurement.submit_bid(rival, notice, 78_000_00, "方案", document_ids=[rival_document.id])

    users = dict(
        zip(
            ROLES,
            (None, bidder, rival, other, buyer, other_buyer, regulator, other_regulator, operator),
            strict=True,
        )
    )
    agencies = [bidder, rival, other]
    world = World(users, notice)
    world.organisations = [u.organisation for u in users.values() if u is not None]
    catalogue_batch = scenes.published_batch().args["number"]
    catalogue_import = scenes.checked_import().args["job_id"]
    world.quote_form = {
        "plan": "组建专项项目组，30 日内完成报告书编制",
        "qualification_ids": [qualification.id],
        "document_ids": [document.id],
    }
    world.values = {
        "notice_id": [notice.id, other_notice.id, opened.id, draft.id],
        "org_id": [u.organisation.id for u in agencies] + [buyer.organisation.id],
        "agency_id": [u.organisation.id for u in agencies],
        "offering_id": [o.id for u in agencies for o in agency_of(u).offerings],
        "document_id": [document.id, rival_document.id],
        "record_id": [record.id],
        "alert_id": [alert.id],
        "plan_id": [plan.id],
        "inspection_id": [i.id for i in plan.inspections],
        "token": [token],
        "milestone_id": [advance.id],
        "payment_id": [payment.id],
        "kind": ["agency", "purchaser"],
        ("catalogue.export", "kind"): ["csv", "json", "xlsx"],
        "item_id": [notice.item_id],
        # a batch of the department and ZJ012's first version
        "number": [catalogue_batch, 1],
        "job_id": [catalogue_import],
        # the OCDS records of the notices: the one being quoted on must not change either
        "ocid": [
            f"{current_app.config['OCDS_PREFIX']}-{n.id}"
            for n in (notice, other_notice, opened, draft)
        ],
        ("catalogue.detail", "code"): [notice.item.code],
        ("catalogue.version", "code"): [notice.item.code],
        ("catalogue.contract_model", "code"): [notice.item.code],
        ("api_catalogue.item", "code"): [notice.item.code],
        ("api_catalogue.versions", "code"): [notice.item.code],
        ("agencies.shelf", "code"): [notice.item.code],
        ("credit.criterion", "code"): [record.criterion.code],
        # every statistics table as CSV (the competition's would count a quote first)
        "table": list(STATISTICS_TABLES),
        # the bulk download files of the day, which the worker's round writes (and, the day's
        # written, does not write again): every file and the day's manifest
        "day": [local_today().isoformat()],
        "name": list(bulk.FILE_NAMES),
    }
    world.queries = {
        "portal.audit_log": [{"type": t} for t in SUBJECT_LABELS],
        "search.results": [
            {"type": "notices"},
            {"type": "notices", "q": "环境影响评价"},
            {"type": "notices", "state": "published"},
            {"type": "notices", "sort": "newest"},
            {"type": "agencies", "q": bidder.organisation.name},
            {"type": "agencies", "can_bid": "1"},
        ],
        "procurement.index": [{"state": "published"}, {"state": "publicity"}],
        "procurement.my_notices": [{"state": "published"}, {"state": "draft"}],
        "credit.report": [{"notice_id": notice.id}, {"notice_id": opened.id}],
        "procurement.create": [{"item": notice.item_id, "invite": bidder.organisation.id}],
        "agencies.directory": [{"q": bidder.organisation.name}, {"item": notice.item_id}],
        "agencies.shelf": [{"sort": s} for s in ("credit", "rating", "fee", "newest")],
        "credit.record_list": [{"status": "reported"}],
        "credit.risks": [{"status": "all"}, {"rule": alert.rule}],
        "credit.disclosures": [{"q": other.organisation.name}],
        "catalogue.index": [{"q": "环境影响评价"}],
        "ocds.releases": [{"published_from": "2026-01-01", "published_to": "2099-12-31"}],
        "ocds.records": [{"published_from": "2026-01-01"}, {"page": "2"}],
        **{
            endpoint: [
                {"from": "2026-01", "to": "2026-12"},
                {"department": "生态环境部门"},
                {"item": notice.item_id},
            ]
            for endpoint in ("statistics.index", "statistics.data_json")
        },
    }
    report = {"notice_id": notice.id, "code": "A11", "facts": "报价明显低于成本"}
    world.probes = [
        # the purchaser's selection step (scored: a technical score for each quote)
        ("purchaser", f"/notices/{notice.id}/selection", {}),
        # reporting the conduct of an agency on the notice: the one about to quote, one that
        # quoted, one that did not
        *(
            ("purchaser", "/credit/report", report | {"subject_org_id": u.organisation.id})
            for u in agencies
        ),
        # objecting to a result (only bidders may, once it is published)
        ("other_agency", f"/notices/{notice.id}/objections", {"reason": "异议"}),
    ]
    return world


# --- what gets snapshotted -----------------------------------------------------------------


def _fillable(world, endpoint, arguments):
    """Each argument's values from the world, or None if one of them has none."""
    found = []
    for name in sorted(arguments):
        values = world.values.get((endpoint, name), world.values.get(name))
        if values is None:
            return None
        found.append([(name, v) for v in values])
    return found


def _urls(app, world) -> list[str]:
    """Every GET rule's URLs, arguments from the world, with its query variants; fails on a
    rule neither filled nor listed as not applicable."""
    urls, unfilled = [], []
    adapter = app.url_map.bind("localhost")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(NOT_APPLICABLE) <= endpoints, "NOT_APPLICABLE names a rule that is gone"
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "GET" not in rule.methods or rule.endpoint in NOT_APPLICABLE:
            continue
        filled = _fillable(world, rule.endpoint, rule.arguments)
        if filled is None:
            unfilled.append(rule.rule)
            continue
        for combination in itertools.product(*filled):
            path = adapter.build(rule.endpoint, dict(combination))
            urls.append(path)
            urls += [f"{path}?{urlencode(q)}" for q in world.queries.get(rule.endpoint, [])]
    assert not unfilled, (
        "GET rules the world cannot fill: give the world such an object, or list the rule in "
        f"NOT_APPLICABLE with the reason: {unfilled}"
    )
    return urls


CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')
UNSTABLE_HEADERS = {"X-Request-ID", "Set-Cookie", "Date"}


def _read(client, method, url, caplog, data=None) -> tuple:
    """One request as its sender gets it: status, headers, body, what it flashed, and the log
    records it emitted (normalised: see the module's docstring)."""
    db.session.expire_all()  # each request reads the database afresh, as in a server
    caplog.clear()
    response = client.open(url, method=method, data=data)
    body = response.get_data()
    response.close()  # a file sent (a document) stays open until then
    if response.mimetype == "text/html":
        body = CSRF.sub(r"\1<csrf>\2", body.decode()).encode()
    headers = tuple(sorted((k, v) for k, v in response.headers if k not in UNSTABLE_HEADERS))
    flashed = ()
    if "Set-Cookie" in response.headers:
        # A redirect's message is for the page it leads to, which is not followed: taken
        # here, so that each request starts without the one before's.
        with client.session_transaction() as session:
            flashed = tuple(session.pop("_flashes", ()))
    logs = tuple(
        (r.name, r.levelname, r.getMessage(), getattr(r, "path", None), getattr(r, "status", None))
        for r in caplog.records
    )
    return response.status_code, headers, body, flashed, logs


def _mail() -> dict:
    """Each recipient's mail: the queued rows and the messages sent (the memory backend)."""
    by_recipient = {}
    for row in db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)):
        for to in row.recipients:
            by_recipient.setdefault(("queued", to), []).append((row.subject, row.body))
    for message in outbox():
        headers = tuple((k, v) for k, v in message.items() if k != "Message-ID")
        by_recipient.setdefault(("sent", message["To"]), []).append(
            (headers, message.get_content())
        )
    return by_recipient


def _inboxes(world) -> dict:
    inboxes = {}
    for org in world.organisations:
        rows = db.session.scalars(
            select(Notification).where(Notification.org_id == org.id).order_by(Notification.id)
        )
        inboxes[org.id] = [(n.kind, n.title, n.body, n.link, n.created_dt, n.read_dt) for n in rows]
    return inboxes


def _audit() -> dict:
    """The audit log rows as the supervisors get them (the page's query), all and by type."""
    shown = {}
    for subject_type in (None, *SUBJECT_LABELS):
        shown[subject_type] = [
            (e.id, e.subject_type, e.subject_id, e.action, e.actor_org_id, e.data)
            for e in db.session.scalars(audit_query(subject_type))
        ]
    return shown


def _versions() -> dict:
    """The versions kept public pages are served by: a raised one makes the next visitor's
    page rendered afresh, which the time it takes would tell (the statistics are kept per
    version of the data too)."""
    notices = db.session.execute(select(Notice.id, Notice.page_version)).all()
    agencies = db.session.execute(select(Agency.org_id, Agency.page_version)).all()
    return {
        "notices": sorted(notices),
        "agencies": sorted(agencies),
        "statistics": statistics_version(),
    }


def _worker_round(app) -> None:
    """What the background worker does meanwhile: a round of each task (deadlines, reminders,
    the search index, credit…), the credit recompute the nightly task runs once a day, and
    the mail (sent inside this transaction: the worker's own round claims the rows on a
    connection of its own, which would wait for this test's uncommitted one)."""
    db.session.merge(WorkerHeartbeat(hostname="worker", pid=1, last_seen_dt=utcnow()))
    for task in worker.tasks(app):
        if task.name != "mail":
            task.run()
    recompute_all()
    send_queued_mail()


@dataclass
class Snapshot:
    pages: dict  # (role, method, url) → _read()
    mail: dict
    inboxes: dict
    audit: dict
    versions: dict


def _snapshot(app, world, clients, urls, caplog) -> Snapshot:
    _worker_round(app)
    pages = {}
    for role, client in clients.items():
        for url in urls:
            pages[role, "GET", url] = _read(client, "GET", url, caplog)
    for role, path, form in world.probes:
        pages[role, "POST", path, repr(form)] = _read(clients[role], "POST", path, caplog, form)
    db.session.expire_all()
    return Snapshot(pages, _mail(), _inboxes(world), _audit(), _versions())


def _diff(before, after) -> str:
    """The lines of a request's answer (status, headers, body, flashes, logs) that changed."""

    def lines(value):
        return (
            # (a file sent may be binary: a workbook)
            value.decode(errors="replace").splitlines()
            if isinstance(value, bytes)
            else pformat(value).splitlines()
        )

    return "\n".join(
        line
        for a, b in zip(before, after, strict=True)
        if a != b
        for line in difflib.unified_diff(lines(a), lines(b), lineterm="", n=0)
    )


def _check(before: Snapshot, after: Snapshot, world) -> None:
    """Nothing changed for anyone but the bidder; the bidder's quote shows on its own pages."""
    bidder = world.users["bidder"]
    changed = [key for key in before.pages if before.pages[key] != after.pages[key]]
    leaked = [key for key in changed if key[0] != "bidder"]
    assert not leaked, f"changed for someone else than the bidder: {leaked}\n" + "\n".join(
        _diff(before.pages[key], after.pages[key]) for key in leaked[:5]
    )
    own = [key[2] for key in changed]
    assert all(BIDDER_PAGES.search(url) for url in own), own
    assert f"/notices/{world.notice.id}" in own  # the receipt
    mail = [
        k for k in before.mail.keys() | after.mail.keys() if before.mail.get(k) != after.mail.get(k)
    ]
    assert all(to == bidder.email for _, to in mail), mail
    inboxes = [k for k in before.inboxes if before.inboxes[k] != after.inboxes[k]]
    assert set(inboxes) <= {bidder.organisation.id}, inboxes
    assert after.audit == before.audit
    assert after.versions == before.versions


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture
def build_world(app, db, monkeypatch, tmp_path):
    """Builds the world (see _world) with every page rendered afresh and a search index of the
    test's own."""
    # A kept public page (core/pagecache.py) would be "the same" after the quote only because
    # it was kept from before: every page is rendered afresh, so that a change would show.
    # (Whether the kept page's version moves is checked apart: Snapshot.versions.)
    monkeypatch.setitem(app.config, "PUBLIC_PAGE_SECONDS", 0)
    assert app.config["LIVE_FIGURES_SECONDS"] == 0  # the home page's figures, counted afresh
    assert app.config["STATISTICS_CACHE_ENTRIES"] == 0  # the statistics too
    # An index of this test's own (Whoosh is not rolled back with the database): the
    # catalogue and the world, then what the outbox brings before each snapshot.
    monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", str(tmp_path / "search"))
    db.session.execute(delete(SearchOutbox))
    outbox().clear()

    def build(rival_quotes: bool) -> World:
        world = _world(rival_quotes)
        search_engine.rebuild()
        return world

    return build


def _clients(app, world) -> dict:
    clients = {}
    for role, user in world.users.items():
        client = app.test_client()
        if user is not None:
            data = {"email": user.email, "password": make.PASSWORD}
            response = client.post("/login", data=data)
            assert response.status_code == 302, role
            # The workspace it leads to shows the welcome (and creates an agency's profile).
            assert client.get(response.location).status_code == 200
        clients[role] = client
    return clients


def _quote(client, path, form, caplog) -> None:
    """Quote (or reconfirm) through the form and read the receipt it leads to (which shows,
    and takes from the session, the message flashed about it). The request's log records
    name the route, not the notice."""
    caplog.clear()
    response = client.post(path, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    route = re.sub(r"^/notices/\d+/", "/notices/<int:notice_id>/", path)
    assert [(r.getMessage(), getattr(r, "path", None)) for r in caplog.records] == [
        (f"POST {route} 302", route)
    ]
    assert client.get(response.location).status_code == 200


#: what the bidder does, and whether the rival has quoted first (the first quote tells that one
#: exists, a second one how many there are)
ACTIONS = {
    "first quote": False,
    "second quote": True,
    "reconfirmation": True,
    "replacement": True,
    "withdrawal": True,
}
#: the quotes in progress on the bidder's workspace, before and after its action
QUOTING = {"reconfirmation": [1, 1], "replacement": [1, 1], "withdrawal": [1, 0]}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_quote_changes_nothing_anyone_but_its_bidder_sees(app, build_world, caplog, action):
    caplog.set_level(logging.INFO)
    world = build_world(rival_quotes=ACTIONS[action])
    notice, users = world.notice, world.users
    clients = _clients(app, world)
    path = f"/notices/{notice.id}/bid"
    if action == "reconfirmation":
        _quote(clients["bidder"], path, world.quote_form | {"amount": "75000.00"}, caplog)
        revision = notice.revision
        data = make.notice_data(
            method="scored",
            **make.METHOD_FIELDS["scored"],
            title=notice.title,
            scope="编制环境影响报告书（含公众参与）",
            deadline=notice.deadline_dt,
        )
        assert procurement.update_notice(users["purchaser"], notice, data)
        assert notice.revision == revision + 1
        path += "/reconfirm"
    if action in ("replacement", "withdrawal"):
        # its quote stands before the snapshot; the action replaces or withdraws it
        _quote(clients["bidder"], path, world.quote_form | {"amount": "75000.00"}, caplog)
        path += "/replace" if action == "replacement" else "/withdraw"
    urls = _urls(app, world)
    before = _snapshot(app, world, clients, urls, caplog)

    form = {} if action == "withdrawal" else world.quote_form | {"amount": "76000.00"}
    _quote(clients["bidder"], path, form, caplog)
    own = procurement.own_bid(notice, users["bidder"])
    if action == "withdrawal":
        assert own.status == "withdrawn"
    else:
        assert (own.status, own.amount_fen, own.notice_revision) == (
            "submitted",
            76_000_00,
            notice.revision,
        )
    assert notice.state == "published" and utcnow() < notice.deadline_dt

    after = _snapshot(app, world, clients, urls, caplog)
    _check(before, after, world)
    # The counts, which byte-identity already covers, read out: the notice's stays sealed to
    # everyone (the bidder included), and the bidder's workspace counts its own quote.
    for role in ROLES:
        page = after.pages[role, "GET", f"/notices/{notice.id}"][2].decode()
        assert 'id="bid-count">密封中，截止后公开<' in page, role
    quoting = [_quoting(s.pages["bidder", "GET", "/dashboard"]) for s in (before, after)]
    assert quoting == QUOTING.get(action, [0, 1])


def _quoting(answer) -> int:
    """The count of quotes in progress on an agency's workspace."""
    page = answer[2].decode()
    return int(re.search(r'报价中 <span class="badge[^"]*">(\d+)</span>', page).group(1))


def test_a_quote_is_changed_only_by_reconfirming_it(client, auth):
    """No revision of a valid quote: a second one is refused, and so is reconfirming a quote
    the notice's edit did not invalidate (the snapshot test above covers both ways a quote
    comes to be)."""
    notice, bidder = make.notice(), make.agency()
    make.bid(bidder, notice, 80_000_00)
    auth.login(bidder)
    again = client.post(f"/notices/{notice.id}/bid", data={"amount": "70000", "plan": "新方案"})
    assert again.status_code == 422 and "不能重复提交" in again.get_data(as_text=True)
    reconfirm = client.post(
        f"/notices/{notice.id}/bid/reconfirm", data={"amount": "70000", "plan": "新方案"}
    )
    assert reconfirm.status_code == 422 and "无需重新确认" in reconfirm.get_data(as_text=True)
    assert procurement.own_bid(notice, bidder).amount_fen == 80_000_00
