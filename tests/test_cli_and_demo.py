"""The `flask market` commands: demo data, catalogue loading, the due-time runner, overrides."""

import re
from datetime import date, datetime

from sqlalchemy import func, select

from market.accounts.models import Organisation, User
from market.agencies.models import Agency, Document, PastPerformance, Practitioner, Qualification
from market.catalogue.models import ServiceItem
from market.core.audit import verify_chain
from market.core.clock import SHANGHAI
from market.core.models import AuditEvent, CalendarOverride, OutgoingMail
from market.core.workdays import add_working_days
from market.notifications.models import Notification
from market.procurement.contract_models import Contract, Delivery, Rectification
from market.procurement.models import Bid, Notice, Objection, Selection
from market.procurement.services import verify_selection

#: every state a notice rests in, for every selection method…
RESTING = {
    "draft",
    "published",
    "publicity",
    "awarded",
    "contracted",
    "delivered",
    "accepted",
    "evaluated",
    "failed",
    "cancelled",
    "terminated",
}
#: …and bidding_closed only where the purchaser selects: the other methods select at once
DEMO_TABLE = {
    "direct": RESTING | {"bidding_closed"},
    "random": RESTING,
    "lowest": RESTING,
    "mean": RESTING,
    "scored": RESTING | {"bidding_closed"},
    "credit": RESTING,
}


def market(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["market", *args], **kwargs)


def org_counts(db):
    rows = db.session.execute(select(Organisation.kind, func.count()).group_by(Organisation.kind))
    return dict(rows.all())


def totals(db):
    models = (Organisation, User, Notice, Bid, ServiceItem, Selection, Objection, Contract)
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in models]
    return (*counts, db.session.scalar(select(func.count()).select_from(AuditEvent)))


def login(app, email, password="demo1234"):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# --- demo-data ----------------------------------------------------------------------------


def user(db, email):
    return db.session.scalar(select(User).where(User.email == email))


def notices_of(db, **where):
    return db.session.scalars(select(Notice).filter_by(**where).order_by(Notice.id)).all()


def offers_form(pages, notices, state, action, when=lambda n: True):
    """Some notice in `state` (and `when`) whose page holds a form posting to `action`."""
    hits = [n for n in notices if n.state == state and when(n)]
    return any(f'action="{action.format(n=n)}"' in pages[n.id] for n in hits)


def test_demo_data_holds_every_method_in_every_resting_state_and_verifies(app, db):
    result = market(app, "demo-data")
    assert result.exit_code == 0, result.output
    assert "演示数据已加载" in result.output
    assert "密码均为 demo1234" in result.output
    for email in ("purchaser01@demo.cn", "agency01@demo.cn", "regulator@demo.cn"):
        assert email in result.output
    assert org_counts(db) == {"agency": 50, "purchaser": 20, "regulator": 4, "operator": 1}

    found = {tuple(row) for row in db.session.execute(select(Notice.method, Notice.state))}
    assert found == {(m, s) for m, states in DEMO_TABLE.items() for s in states}

    ok, bad_id, checked = verify_chain()
    assert ok, f"audit chain broken at event {bad_id}"
    assert checked > 1000
    selections = db.session.scalars(select(Selection)).all()
    assert {s.method for s in selections} == set(DEMO_TABLE)
    for selection in selections:
        assert verify_selection(selection).ok, (selection.notice_id, selection.round)
    # Draws: random draws, and two equal lowest quotes decided by the draw.
    assert any(s.method == "lowest" and "draw" in s.parameters for s in selections)
    assert any(s.method == "random" and s.parameters.get("draw") for s in selections)

    # The inboxes tell the story; the e-mail it would have sent is discarded.
    assert db.session.scalar(select(func.count()).select_from(Notification)) > 100
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_demo_data_tells_each_story_of_the_procurement_process(app, db):
    assert market(app, "demo-data").exit_code == 0
    objections = db.session.scalars(select(Objection).order_by(Objection.id)).all()
    assert {o.status for o in objections} == {"open", "answered", "rejected", "upheld"}
    assert all(o.documents for o in objections)  # reasons come with a file
    upheld = next(o for o in objections if o.status == "upheld")
    assert upheld.exclude_winner and [s.round for s in upheld.notice.selections] == [1, 2]
    assert "excluded" in {b.status for b in upheld.notice.bids}
    rejected = next(o for o in objections if o.status == "rejected")
    assert rejected.notice.state == "contracted"

    returned = db.session.scalar(select(Delivery).where(Delivery.status == "returned"))
    assert returned.contract.notice.state == "evaluated"
    assert [d.status for d in returned.contract.deliveries] == ["returned", "accepted"]
    auto = db.session.scalars(select(Contract).where(Contract.auto_accepted.is_(True))).all()
    assert {c.notice.state for c in auto} == {"accepted", "evaluated"}
    cases = db.session.scalars(select(Rectification)).all()
    assert {c.status for c in cases} == {"answered", "followed_up"}
    assert all(c.evaluation.is_poor for c in cases)

    notices = notices_of(db)
    assert {n.funding_type for n in notices} == {"fiscal", "social"}
    extras = [n for n in notices if n.avoidances and n.attachments]
    assert extras and extras[0].attachments[0].filename.endswith(".pdf")
    page = app.test_client().get(f"/documents/{extras[0].attachments[0].id}")  # public
    assert page.status_code == 200 and page.get_data().startswith(b"%PDF-")
    page.close()
    copy = next(n for n in notices if n.republished_from_id)
    assert db.session.get(Notice, copy.republished_from_id).state == "failed"
    assert copy.state == "published" and copy.bids
    edited = next(n for n in notices if n.revision > 1 and n.state == "publicity")
    assert {b.status for b in edited.bids} == {"selected", "submitted", "invalidated"}
    assert all(b.notice_revision == 2 for b in edited.bids if b.status != "invalidated")
    scored = db.session.scalars(select(Selection).where(Selection.method == "scored")).all()
    assert scored and all(c["technical_score"] is not None for s in scored for c in s.candidates)
    lapsed = notices_of(db, state="failed")
    assert any("修改" in n.outcome_note for n in lapsed)  # bids never reconfirmed
    assert any(n.outcome_note.startswith("有效响应不足") for n in lapsed)
    assert any(
        e.data.get("unsigned")
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.to_state == "terminated"))
    )


def test_demo_data_tells_the_credit_stories(app, db):
    from market.credit.inspections.models import Inspection
    from market.credit.models import ConductRecord, RedListEntry
    from market.credit.risk.models import RiskAlert

    assert market(app, "demo-data").exit_code == 0
    records = db.session.scalars(select(ConductRecord)).all()
    assert {r.status for r in records} >= {
        "reported",
        "confirmed",
        "appealed",
        "revoked",
        "repaired",
        "dismissed_evidence",
    }
    assert {r.source for r in records} >= {"regulator", "system", "inspection"}
    agencies = db.session.scalars(select(Agency)).all()
    blacklisted = [a for a in agencies if a.blacklisted]
    assert len(blacklisted) == 1 and blacklisted[0].credit_grade == "B"
    assert any(a.suspended_until for a in agencies)
    star = user(db, "agency01@demo.cn").organisation.id
    assert any(r.subject_org_id == star and r.status == "appealed" for r in records)
    assert db.session.scalar(select(func.count(RedListEntry.id))) == 2
    assert {i.result for i in db.session.scalars(select(Inspection))} >= {"passed", "failed"}
    assert db.session.scalar(select(func.count(RiskAlert.id))) > 0

    public = app.test_client()
    disclosures = public.get("/credit/disclosures").get_data(as_text=True)
    assert "渝规资信决〔2026〕5号" in disclosures and "复核中" in disclosures
    assert "渝环信决〔2026〕11号" not in disclosures  # repaired
    page = public.get(f"/credit/agencies/{blacklisted[0].org_id}").get_data(as_text=True)
    assert "严重失信名单" in page and "A02" in page
    regulator = login(app, "regulator-env@demo.cn")
    workspace = regulator.get("/dashboard").get_data(as_text=True)
    assert "信用监管" in workspace and "逾期未公示" in workspace
    for path in ("/credit/records/?status=reported", "/credit/risks", "/credit/inspections"):
        assert regulator.get(path).status_code == 200, path


def test_demo_logins_have_something_to_do_and_their_pages_render(app, db):
    assert market(app, "demo-data").exit_code == 0

    buyer = user(db, "purchaser01@demo.cn")
    own = notices_of(db, purchaser_org_id=buyer.organisation.id)
    assert {n.method for n in own} == set(DEMO_TABLE)
    client = login(app, "purchaser01@demo.cn")
    for path in ("/dashboard", "/purchaser/notices", "/inbox", "/notices/"):
        assert client.get(path).status_code == 200, path
    pages = {}
    for notice in own:
        response = client.get(f"/notices/{notice.id}")
        assert response.status_code == 200, (notice.id, notice.state)
        pages[notice.id] = response.get_data(as_text=True)

    # Something to do in every state that waits for the purchaser.
    for state, action, when in (
        ("bidding_closed", "/notices/{n.id}/selection", lambda n: n.method == "direct"),
        ("bidding_closed", "/notices/{n.id}/selection", lambda n: n.method == "scored"),
        ("awarded", "/notices/{n.id}/sign", lambda n: not n.contract.purchaser_signed_dt),
        ("delivered", "/notices/{n.id}/accept", lambda n: True),
        ("accepted", "/notices/{n.id}/evaluate", lambda n: not n.contract.evaluations),
        (
            "publicity",
            "/notices/{n.id}/objections/{n.objections[0].id}/answer",
            lambda n: n.objections and n.objections[0].status == "open",
        ),
    ):
        assert offers_form(pages, own, state, action, when), action

    star = user(db, "agency01@demo.cn")
    org_id = star.organisation.id
    agency = login(app, "agency01@demo.cn")
    for path in ("/dashboard", "/agency/opportunities", "/agency/bids", "/inbox"):
        assert agency.get(path).status_code == 200, path
    listed = {
        int(n)
        for n in re.findall(r'href="/notices/(\d+)"', agency.get("/agency/opportunities").text)
    }
    bid_on = {
        b.notice_id for b in db.session.scalars(select(Bid).where(Bid.agency_org_id == org_id))
    }
    assert listed - bid_on, "agency01 should have an open notice it can still quote on"
    mine = [db.session.get(Notice, i) for i in sorted(bid_on)]
    assert any(n.state == "published" for n in mine)  # quotes in progress
    contracts = [n for n in mine if n.contract and n.contract.agency_org_id == org_id]
    pages = {n.id: agency.get(f"/notices/{n.id}").get_data(as_text=True) for n in contracts}
    assert offers_form(pages, contracts, "awarded", "/notices/{n.id}/sign")
    assert offers_form(pages, contracts, "contracted", "/notices/{n.id}/deliver")
    assert offers_form(
        pages,
        contracts,
        "accepted",
        "/notices/{n.id}/evaluate",
        lambda n: all(e.by_org_id != org_id for e in n.contract.evaluations),
    )
    assert db.session.get(Agency, org_id).rating_count >= 2

    for email, codes in (("regulator@demo.cn", {"ZJ009"}), ("regulator-env@demo.cn", {"ZJ012"})):
        regulator = login(app, email)
        assert regulator.get("/dashboard").status_code == 200
        assert regulator.get("/supervision/audit").status_code == 200
        department = user(db, email).organisation.department
        open_ = [
            o
            for o in db.session.scalars(select(Objection))
            if o.is_open and o.notice.item.approving_department == department
        ]
        assert {o.notice.item.code for o in open_} & codes, email
        page = regulator.get(f"/notices/{open_[0].notice_id}").get_data(as_text=True)
        assert f"/objections/{open_[0].id}/decide" in page

    operator = login(app, "operator@demo.cn")
    assert operator.get("/dashboard").status_code == 200
    page = operator.get("/operator/rectifications").get_data(as_text=True)
    answered = db.session.scalar(select(Rectification).where(Rectification.status == "answered"))
    assert f"/rectifications/{answered.id}/followup" in page

    anonymous = app.test_client()
    for notice in notices_of(db):
        paths = [f"/notices/{notice.id}"]
        if notice.selections:
            paths += [f"/notices/{notice.id}/draw", f"/notices/{notice.id}/commitments"]
        for path in paths:
            # Never published (drafts, and drafts cancelled): never public.
            expected = 404 if notice.published_dt is None else 200
            assert anonymous.get(path).status_code == expected


def test_demo_storefronts_have_qualifications_practitioners_and_past_performance(app, db):
    assert market(app, "demo-data").exit_code == 0
    statuses = dict(
        db.session.execute(
            select(Qualification.status, func.count()).group_by(Qualification.status)
        ).all()
    )
    # Some verified, some still declared (the regulators' queue), one found false, some expired.
    assert statuses["verified"] and statuses["declared"] and statuses["rejected"]
    assert statuses.get("expired")
    star = db.session.scalar(select(User).where(User.email == "agency01@demo.cn"))
    page = app.test_client().get(f"/agencies/{star.organisation.id}").get_data(as_text=True)
    practitioner = db.session.scalar(
        select(Practitioner).where(Practitioner.agency_id == star.organisation.id)
    )
    assert practitioner.name in page and practitioner.id_number not in page
    performance = db.session.scalar(
        select(PastPerformance).where(PastPerformance.agency_id == star.organisation.id)
    )
    assert performance is not None and performance.purchaser_name in page
    assert db.session.scalar(select(func.count(Document.id))) >= 50 * 3


def test_demo_data_runs_twice_without_duplicating_anything(app, db):
    assert market(app, "demo-data").exit_code == 0
    before = totals(db)
    result = market(app, "demo-data")
    assert result.exit_code == 0, result.output
    assert "演示数据已存在，未重复加载" in result.output
    assert totals(db) == before


# --- load-catalogue -----------------------------------------------------------------------

HEADER = "code,name,licensing_item,legal_basis,approving_department,category,list,status\n"


def test_load_catalogue_reports_the_shipped_list_unchanged(app):
    result = market(app, "load-catalogue")
    assert result.exit_code == 0, result.output
    assert "中介服务事项：新增 0 项，更新 0 项，共 34 项" in result.output


def test_load_catalogue_from_a_file_adds_and_updates(app, tmp_path, make):
    path = tmp_path / "items.csv"
    path.write_text(
        HEADER + "ZJ033,房地产估价,国有土地上房屋征收补偿,《国有土地上房屋征收与补偿条例》,"
        "住房城乡建设部门,资产评估,other,online\n"
        + "ZJ035,节能验收评估,固定资产投资项目节能验收,《中华人民共和国节约能源法》,"
        "发展改革部门,节能评估,licensing,published\n",
        encoding="utf-8",
    )
    result = market(app, "load-catalogue", str(path))
    assert result.exit_code == 0, result.output
    assert "中介服务事项：新增 1 项，更新 1 项，共 2 项" in result.output
    assert make.item("ZJ033").is_online
    assert make.item("ZJ035").status == "published"


def test_load_catalogue_refuses_a_bad_file_in_chinese(app, tmp_path, db):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "ZJ036,,审批,依据,部门,类别,licensing,online\n", encoding="utf-8")
    before = db.session.scalar(select(func.count(ServiceItem.id)))
    result = market(app, "load-catalogue", str(path))
    assert result.exit_code == 1
    assert "错误：第 2 行：请填写中介服务事项名称" in result.output
    assert db.session.scalar(select(func.count(ServiceItem.id))) == before


def test_load_catalogue_refuses_a_missing_file(app, tmp_path):
    result = market(app, "load-catalogue", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2


# --- run-due ------------------------------------------------------------------------------


def test_run_due_closes_bidding_once_the_deadline_has_passed(app, make, frozen_clock):
    with_bid, without_bid = make.notice(), make.notice()
    make.bid(make.agency(), with_bid)

    result = market(app, "run-due")
    assert result.exit_code == 0 and "已处理到期公告 0 个" in result.output
    assert with_bid.state == "published"

    frozen_clock.set(with_bid.deadline_dt)
    result = market(app, "run-due")
    assert "已处理到期公告 2 个" in result.output
    assert (with_bid.state, without_bid.state) == ("bidding_closed", "failed")

    assert "已处理到期公告 0 个" in market(app, "run-due").output  # idempotent


# --- calendar-override --------------------------------------------------------------------


def test_calendar_override_makes_a_day_a_working_day(app, db):
    thursday = datetime(2027, 2, 4, 10, 0, tzinfo=SHANGHAI)
    assert add_working_days(thursday, 1).astimezone(SHANGHAI).date() == date(2027, 2, 11)

    result = market(app, "calendar-override", "2027-02-06", "--working", "--note", "国办发明电")
    assert result.exit_code == 0, result.output
    assert "2027-02-06 已设为工作日" in result.output
    row = db.session.get(CalendarOverride, date(2027, 2, 6))
    assert row.is_working_day and row.note == "国办发明电"
    assert add_working_days(thursday, 1).astimezone(SHANGHAI) == datetime(
        2027, 2, 6, 10, 0, tzinfo=SHANGHAI
    )


def test_calendar_override_can_be_changed_back(app, db):
    market(app, "calendar-override", "2027-02-06", "--working")
    result = market(app, "calendar-override", "2027-02-06", "--holiday")
    assert "2027-02-06 已设为休息日" in result.output
    assert db.session.scalar(select(func.count()).select_from(CalendarOverride)) == 1
    assert db.session.get(CalendarOverride, date(2027, 2, 6)).is_working_day is False


def test_calendar_override_makes_a_weekday_a_holiday(app):
    assert market(app, "calendar-override", "2027-03-01", "--holiday").exit_code == 0
    friday = datetime(2027, 2, 26, 9, 0, tzinfo=SHANGHAI)
    assert add_working_days(friday, 1).astimezone(SHANGHAI).date() == date(2027, 3, 2)


def test_calendar_override_refuses_bad_input(app, db):
    assert market(app, "calendar-override", "2027-02-30", "--working").exit_code == 2
    assert market(app, "calendar-override", "2027-02-06").exit_code == 2  # which kind of day?
    assert db.session.scalar(select(func.count()).select_from(CalendarOverride)) == 0


def test_demo_data_tells_the_payment_stories(app, db):
    from market.credit.models import ConductRecord
    from market.payments.models import Milestone

    assert market(app, "demo-data").exit_code == 0
    milestones = db.session.scalars(select(Milestone)).all()
    states = {m.state for m in milestones}
    assert {"paid", "overdue", "disputed", "refunded", "due", "scheduled"} <= states
    late = [m for m in milestones if m.state == "paid" and m.days_late]
    assert [m.days_late for m in late] == [6]  # paid six days late, every other one on time
    (refunded,) = [m for m in milestones if m.state == "refunded"]
    assert 0 < refunded.refunded_fen < refunded.amount_fen  # partly refunded
    (unpaid,) = [m for m in milestones if m.state == "overdue"]
    assert unpaid.reported_dt is not None
    reports = db.session.scalars(
        select(ConductRecord).where(ConductRecord.subject_org_id == unpaid.purchaser_org_id)
    ).all()
    assert any(r.evidence.get("milestone_id") == unpaid.id for r in reports)
    # lowest-price and scored notices announce an advance at signing and a balance
    assert {(m.label, m.percent) for m in milestones} >= {("预付款", 30), ("尾款", 70)}
    client = login(app, "purchaser01@demo.cn")
    assert client.get(f"/purchasers/{unpaid.purchaser_org_id}").status_code == 200
