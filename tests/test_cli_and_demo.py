"""The `flask market` commands: demo data, catalogue loading, the due-time runner, overrides."""

import re
from datetime import date, datetime

from sqlalchemy import func, select

from market.accounts.models import Organisation, User
from market.agencies.models import Agency, Document, PastPerformance, Practitioner, Qualification
from market.catalogue.models import ServiceItem
from market.core.clock import SHANGHAI
from market.core.models import CalendarOverride
from market.core.workdays import add_working_days
from market.procurement.models import Bid, Notice

LASTING_STATES = {
    "draft",
    "published",
    "bidding_closed",
    "publicity",
    "contracted",
    "delivered",
    "evaluated",
    "failed",
    "cancelled",
}


def market(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["market", *args], **kwargs)


def org_counts(db):
    rows = db.session.execute(select(Organisation.kind, func.count()).group_by(Organisation.kind))
    return dict(rows.all())


def totals(db):
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Organisation, User, Notice, Bid, ServiceItem)
    )


def login(app, email, password="demo1234"):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# --- demo-data ----------------------------------------------------------------------------


def test_demo_data_fills_the_market_and_its_logins_work(app, db):
    result = market(app, "demo-data")
    assert result.exit_code == 0, result.output
    assert "演示数据已加载" in result.output
    assert "密码均为 demo1234" in result.output
    for email in ("purchaser01@demo.cn", "agency01@demo.cn", "regulator@demo.cn"):
        assert email in result.output

    assert org_counts(db) == {"agency": 50, "purchaser": 20, "regulator": 3, "operator": 1}
    states = set(db.session.scalars(select(Notice.state).distinct()))
    assert states >= LASTING_STATES
    demo_buyer = db.session.scalar(select(User).where(User.email == "purchaser01@demo.cn"))
    own_states = set(
        db.session.scalars(
            select(Notice.state).where(Notice.purchaser_org_id == demo_buyer.organisation.id)
        )
    )
    assert own_states == LASTING_STATES  # the demo purchaser has one of each to show

    buyer = login(app, "purchaser01@demo.cn")
    page = buyer.get("/purchaser/notices").get_data(as_text=True)
    assert "流标" in page and "已撤销" in page and "已评价（办结）" in page

    star = db.session.scalar(select(User).where(User.email == "agency01@demo.cn"))
    agency_client = login(app, "agency01@demo.cn")
    page = agency_client.get("/agency/opportunities").get_data(as_text=True)
    listed = {int(n) for n in re.findall(r'href="/notices/(\d+)"', page)}
    bid_on = set(
        db.session.scalars(select(Bid.notice_id).where(Bid.agency_org_id == star.organisation.id))
    )
    assert listed - bid_on, "agency01 should have an open notice it can still quote on"
    assert db.session.get(Agency, star.organisation.id).rating_count >= 2

    regulator = login(app, "regulator@demo.cn")
    assert regulator.get("/supervision/audit").status_code == 200


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
    assert "错误：第 2 行缺少字段：name" in result.output
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
