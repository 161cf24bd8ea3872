"""Each role's workspace at /dashboard: counts, short lists, actions due and empty states."""

import re
from datetime import timedelta

from market.agencies.qualifications import verify_qualification
from market.agencies.services import ensure_profile
from market.procurement import services as procurement

from .pages import badge, contract_for, count_queries, dashboard, section

# --- agency ------------------------------------------------------------------------------


def test_a_new_agency_is_told_what_to_do_first(client, auth, make):
    user = make.agency(items=(), org_name="重庆新入驻咨询有限公司")
    make.notice(title="礼嘉智慧公园环评服务采购")
    auth.login(user)
    page = dashboard(client)

    assert "重庆新入驻咨询有限公司" in page
    new = section(page, "new-notices")
    assert "暂无与您服务匹配的新公告" in new and 'href="/agency/offerings"' in new
    assert "礼嘉智慧公园环评服务采购" not in page  # it offers nothing, so nothing matches
    assert "暂无进行中的报价" in section(page, "bids")
    assert "暂无合同" in section(page, "contracts")
    actions = section(page, "actions")
    assert "尚未声明任何服务" in actions and "资料库中还没有材料" in actions
    assert badge(actions) == 2
    standing = section(page, "standing")
    assert "A" in standing and "信用分 100" in standing and "可以正常参与报价" in standing
    assert f'href="/agencies/{user.organisation.id}"' in page and 'href="/org/members"' in page


def test_an_agency_that_offers_services_gets_no_link_to_declare_them(client, auth, make):
    user = make.agency(items=("ZJ012",))
    make.document(user)
    auth.login(user)
    page = dashboard(client)
    new = section(page, "new-notices")
    assert "暂无与您服务匹配的新公告" in new and 'href="/agency/offerings"' not in new
    assert badge(new) == 0
    assert "暂无待办事项" in section(page, "actions")


def test_new_notices_are_the_matching_open_ones_not_yet_quoted(client, auth, make):
    user = make.agency(items=("ZJ012",))
    make.notice(title="悦来片区环评A")
    make.notice(title="悦来片区环评B")
    quoted = make.notice(title="悦来片区环评已报价")
    make.bid(user, quoted)
    make.notice(title="悦来片区测绘", code="ZJ018")
    make.notice(title="悦来片区环评草稿", publish=False)
    auth.login(user)
    new = section(dashboard(client), "new-notices")

    assert badge(new) == 2
    assert "悦来片区环评A" in new and "悦来片区环评B" in new
    for title in ("悦来片区环评已报价", "悦来片区测绘", "悦来片区环评草稿"):
        assert title not in new
    assert 'href="/agency/opportunities"' in new


def test_new_notices_list_the_five_nearest_deadlines_and_count_them_all(
    client, auth, make, frozen_clock
):
    user = make.agency(items=("ZJ012",))
    buyer = make.purchaser()
    for n in range(7):
        deadline = frozen_clock.now + timedelta(days=10 + n)
        make.notice(buyer, title=f"第{n}号环评项目", deadline=deadline)
    auth.login(user)
    new = section(dashboard(client), "new-notices")
    assert badge(new) == 7
    assert all(f"第{n}号环评项目" in new for n in range(5))
    assert "第5号环评项目" not in new and "第6号环评项目" not in new


def test_a_bid_in_progress_shows_its_deadline_and_working_days_left(
    client, auth, make, frozen_clock
):
    user = make.agency()
    notice = make.notice(title="礼嘉智慧公园环评服务采购")  # deadline: 5 working days ahead
    make.bid(user, notice, amount_fen=75_000_00)
    auth.login(user)
    bids = section(dashboard(client), "bids")
    assert badge(bids) == 1
    assert "礼嘉智慧公园环评服务采购" in bids and "¥75,000.00" in bids
    assert "2026-12-01 10:00" in bids  # Beijing time
    assert "5 个工作日" in bids
    frozen_clock.set(notice.deadline_dt - timedelta(days=4))  # the Friday before: skip weekend
    assert "2 个工作日" in section(dashboard(client), "bids")
    frozen_clock.set(notice.deadline_dt - timedelta(hours=2))
    assert "今日截止" in section(dashboard(client), "bids")


def test_a_passed_deadline_is_applied_before_counting_bids(client, auth, make, frozen_clock):
    user = make.agency()
    notice = make.notice(title="礼嘉智慧公园环评服务采购")
    make.bid(user, notice)
    auth.login(user)
    assert badge(section(dashboard(client), "bids")) == 1

    frozen_clock.set(notice.deadline_dt)
    bids = section(dashboard(client), "bids")
    assert badge(bids) == 0 and "暂无进行中的报价" in bids
    assert notice.state == "bidding_closed"


def test_a_contract_shows_with_its_state_and_a_deliver_action(client, auth, make):
    user = make.agency()
    contract_for(make, make.agency(), title="别家中选的环评项目")
    notice = contract_for(make, user, title="礼嘉智慧公园环评服务采购")
    auth.login(user)
    page = dashboard(client)
    assert "别家中选的环评项目" not in page

    contracts = section(page, "contracts")
    assert badge(contracts) == 1
    assert "礼嘉智慧公园环评服务采购" in contracts and "服务中" in contracts
    assert notice.contract.number in contracts
    actions = section(page, "actions")
    assert "待交付 1 项" in actions
    assert f'href="/notices/{notice.id}#deliver-box"' in actions

    procurement.mark_delivered(user, notice, "环评报告书一式五份")
    page = dashboard(client)
    assert "已交付待验收" in section(page, "contracts")
    assert "待交付" not in section(page, "actions")


def test_a_qualification_expiring_within_30_days_is_a_warning(client, auth, make):
    user = make.agency()
    soon = make.qualification(user, valid_days=10)
    later = make.qualification(user, valid_days=60)
    auth.login(user)
    actions = section(dashboard(client), "actions")
    assert "资质即将过期" in actions and soon.number in actions
    assert "2026-12-04" in actions
    assert later.number not in actions
    assert 'href="/agency/qualifications"' in actions


def test_an_expired_qualification_is_a_warning_until_replaced(client, auth, make, frozen_clock):
    user = make.agency()
    old = make.qualification(user, valid_days=10)
    frozen_clock.advance(days=11)
    auth.login(user)
    actions = section(dashboard(client), "actions")
    assert "资质已过期" in actions and old.number in actions

    make.qualification(user, valid_days=365)
    assert old.number not in section(dashboard(client), "actions")


def test_a_suspended_or_blacklisted_agency_sees_why_and_until_when(
    client, auth, make, frozen_clock
):
    user = make.agency()
    agency = ensure_profile(user.organisation)
    agency.suspended_until = frozen_clock.now + timedelta(days=30)
    agency.credit_score, agency.credit_grade = 72, "C"
    auth.login(user)
    standing = section(dashboard(client), "standing")
    assert "C" in standing and "信用分 72" in standing
    assert "该机构被暂停参与投标，至 2026-12-24 止" in standing
    assert "可以正常参与报价" not in standing

    agency.suspended_until, agency.blacklisted = None, True
    assert "严重失信名单" in section(dashboard(client), "standing")


def test_the_agency_workspace_costs_the_same_queries_for_more_data(client, auth, make, db):
    user = make.agency()
    make.document(user)

    def plant(n):
        # Contracts first: winning them moves the clock past earlier deadlines.
        for _ in range(n):
            contract_for(make, user)
        for _ in range(n):
            make.bid(user, make.notice())
            make.notice()
            make.qualification(user, valid_days=10)

    plant(1)
    auth.login(user)
    few = count_queries(db, client)
    plant(4)
    page = dashboard(client)  # apply the deadlines the clock passed, outside the measurement
    assert badge(section(page, "bids")) == 4 and badge(section(page, "contracts")) == 5
    assert badge(section(page, "new-notices")) == 4
    assert count_queries(db, client) == few


def test_an_agency_workspace_with_nothing_waiting_costs_four_statements(client, auth, make, db):
    """Who is signed in (with the unread count), the agency's profile, every count (its due
    notices and offerings included), its qualifications: nothing else runs when nothing waits."""
    auth.login(make.agency())
    dashboard(client)
    assert count_queries(db, client) == 4


# --- purchaser ---------------------------------------------------------------------------


def test_a_new_purchaser_is_told_how_to_start(client, auth, make):
    auth.login(make.purchaser(org_name="重庆复盛置业有限公司"))
    page = dashboard(client)
    assert "重庆复盛置业有限公司" in page and "还没有发布过采购公告" in page
    assert 'href="/notices/new"' in page and "发起采购" in page
    assert 'href="/shelves/"' in page and "按服务事项选机构" in page
    assert "暂无待办事项" in section(page, "actions")


def test_notices_are_counted_by_state_with_links(client, auth, make):
    buyer = make.purchaser()
    make.notice(buyer, title="草稿一", publish=False)
    make.notice(buyer, title="报价中一")
    make.notice(buyer, title="报价中二")
    make.notice(make.purchaser(), title="别家的公告")
    auth.login(buyer)
    page = dashboard(client)
    states = section(page, "states")
    assert badge(states) == 3
    assert re.search(
        r'href="/purchaser/notices\?state=published">\s*<div class="fs-4 fw-bold">2</div>'
        r'<div class="text-muted small">报价中</div>',
        states,
    )
    assert 'href="/purchaser/notices?state=draft"' in states
    assert "state=bidding_closed" not in states  # no notice in that state, no tile
    assert "还没有发布过采购公告" not in page and "别家的公告" not in page
    drafts = section(page, "actions")
    assert "待发布的草稿（1）" in drafts and "草稿一" in drafts


def test_a_closed_notice_waits_for_selection_once_its_deadline_is_applied(
    client, auth, make, frozen_clock
):
    buyer = make.purchaser()
    notice = make.notice(buyer, title="礼嘉智慧公园环评服务采购")
    make.bid(make.agency(), notice)
    make.bid(make.agency(), notice)
    auth.login(buyer)
    assert "待选定中选机构" not in dashboard(client)

    frozen_clock.set(notice.deadline_dt)
    actions = section(dashboard(client), "actions")
    assert "报价已截止，待选定中选机构（1）" in actions
    assert "礼嘉智慧公园环评服务采购" in actions and "2 家机构报价" in actions
    assert notice.state == "bidding_closed"


def test_a_delivered_notice_asks_the_purchaser_to_accept_by_its_deadline(client, auth, make):
    buyer = make.purchaser()
    winner = make.agency()
    notice = contract_for(make, winner, buyer, title="礼嘉智慧公园环评服务采购")
    auth.login(buyer)
    assert "待验收" not in section(dashboard(client), "actions")

    procurement.mark_delivered(winner, notice, "环评报告书一式五份")
    actions = section(dashboard(client), "actions")
    assert "已交付，待验收（1）" in actions and "逾期未处理的系统自动验收" in actions
    assert f'href="/notices/{notice.id}#evaluation-box"' in actions
    assert "验收期限 2026-12-18 10:02" in actions  # 10 working days after the delivery


def test_publicity_is_shown_for_information_only(client, auth, make):
    buyer = make.purchaser()
    notice = make.notice(buyer, title="礼嘉智慧公园环评服务采购")
    bid = make.bid(make.agency(), notice)
    make.close_bidding(notice)
    procurement.select_bid(buyer, notice, bid.id, "报价合理")
    auth.login(buyer)
    actions = section(dashboard(client), "actions")
    assert "结果公示中（1）" in actions and "无需操作" in actions
    assert badge(actions) == 0 and "暂无待办事项" in actions


def test_the_purchaser_workspace_costs_the_same_queries_for_more_data(client, auth, make, db):
    buyer = make.purchaser()

    def plant():
        make.notice(buyer, publish=False)
        make.notice(buyer)
        closed = make.notice(buyer)
        make.bid(make.agency(), closed)
        make.close_bidding(closed)

    plant()
    auth.login(buyer)
    dashboard(client)
    few = count_queries(db, client)
    for _ in range(4):
        plant()
    dashboard(client)
    assert count_queries(db, client) == few


def test_a_purchaser_workspace_with_nothing_waiting_costs_two_statements(client, auth, make, db):
    """Who is signed in (with the unread count), and every count (its notices by state and its
    due notices included)."""
    buyer = make.purchaser()
    make.notice(buyer)
    auth.login(buyer)
    assert badge(section(dashboard(client), "states")) == 1
    assert count_queries(db, client) == 2


# --- regulator and operator --------------------------------------------------------------


def test_a_regulator_sees_pending_declarations_of_its_departments_items(client, auth, make):
    agency = make.agency(org_name="重庆华博环保科技有限公司")
    ours = make.qualification(agency, "ZJ012", type="环境影响评价资质")
    theirs = make.qualification(make.agency(), "ZJ018")
    checked = make.qualification(make.agency(), "ZJ012")
    regulator = make.staff("regulator", "生态环境部门")
    verify_qualification(regulator, checked.id)
    auth.login(regulator)
    page = dashboard(client)

    assert "生态环境部门" in page
    pending = section(page, "pending")
    assert badge(pending) == 1
    assert "重庆华博环保科技有限公司" in pending and ours.number in pending
    assert "环境影响评价资质" in pending and "2026-11-24 10:00" in pending
    assert theirs.number not in pending and checked.number not in pending
    assert 'href="/supervision/qualifications"' in pending
    assert 'href="/supervision/audit"' in page


def test_a_regulator_sees_the_ten_oldest_at_the_same_cost_as_one(
    client, auth, make, frozen_clock, db
):
    numbers = [make.qualification(make.agency(), "ZJ012").number]
    auth.login(make.staff("regulator", "生态环境部门"))
    one = count_queries(db, client)
    for _ in range(11):
        frozen_clock.advance(minutes=5)
        numbers.append(make.qualification(make.agency(), "ZJ012").number)
    assert count_queries(db, client) == one
    pending = section(dashboard(client), "pending")
    assert badge(pending) == 12
    assert all(n in pending for n in numbers[:10])
    assert numbers[10] not in pending and numbers[11] not in pending


def test_a_regulator_with_nothing_pending_or_no_department_is_told_so(client, auth, make):
    regulator = make.staff("regulator", "规划自然资源部门")
    make.qualification(make.agency(), "ZJ012")
    auth.login(regulator)
    pending = section(dashboard(client), "pending")
    assert "暂无待核验的资质声明" in pending and badge(pending) == 0

    regulator.organisation.department = ""
    pending = section(dashboard(client), "pending")
    assert "尚未设置所属审批部门" in pending
    assert "supervision/qualifications" not in pending


def test_the_operator_sees_the_live_figures(client, auth, make):
    make.agency()
    make.notice()
    auth.login(make.staff("operator", "平台运营中心"))
    page = dashboard(client)
    assert re.search(r'fw-bold">1</div><div class="text-muted small">入驻中介机构', page)
    assert re.search(r'fw-bold">1</div><div class="text-muted small">报价中公告', page)
    assert 'href="/supervision/audit"' in page
