"""The regulator's objections to decide, and the operator's figures: lottery share,
rectification and follow-up rates against the 100% target."""

from market.procurement import services as procurement

from .pages import badge, contract_for, count_queries, dashboard, figure, section

POOR = {"quality": 4, "timeliness": 2, "attitude": 4, "fees": 4, "conduct": 4}


def objected(make, objector_name="重庆异议咨询有限公司"):
    """A result in publicity with an open objection: (notice, purchaser, objector)."""
    buyer = make.purchaser()
    rival = make.agency(org_name=objector_name)
    notice = contract_for(make, make.agency(), buyer, "悦来片区环评", "publicity", rival)
    procurement.file_objection(rival, notice, "中选机构业绩造假")
    return notice, buyer, rival


# --- regulator ---------------------------------------------------------------------------


def test_a_regulator_sees_objections_to_its_departments_results_until_decided(client, auth, make):
    notice, buyer, _ = objected(make)
    regulator = make.regulator_for(notice)
    auth.login(make.staff("regulator", "规划自然资源部门"))
    assert badge(section(dashboard(client), "objections")) == 0  # another department's item
    auth.logout()
    auth.login(regulator)

    objections = section(dashboard(client), "objections")
    assert badge(objections) == 1
    assert "悦来片区环评" in objections and "重庆异议咨询有限公司" in objections
    assert "待采购人答复" in objections  # it may decide before the purchaser answers
    assert f'href="/notices/{notice.id}#objections"' in objections
    assert "2026-12-04 10:01" in objections  # the publicity it holds up ends then

    objection = notice.objections[0]
    procurement.answer_objection(buyer, notice, objection.id, "业绩均有合同为证")
    objections = section(dashboard(client), "objections")
    assert "待监管部门处理" in objections and "已答复" in objections

    procurement.decide_objection(regulator, notice, objection.id, False, "业绩经核实属实")
    objections = section(dashboard(client), "objections")
    assert badge(objections) == 0 and "暂无待处理的异议" in objections


def test_a_regulator_without_a_department_has_no_objection_list(client, auth, make):
    objected(make)
    regulator = make.staff("regulator", "生态环境部门")
    regulator.organisation.department = ""
    auth.login(regulator)
    page = dashboard(client)
    assert "尚未设置所属审批部门" in page and 'id="objections"' not in page


def test_the_regulator_workspace_costs_the_same_queries_for_more_objections(
    client, auth, make, db, frozen_clock
):
    start = frozen_clock.now
    notice, _, _ = objected(make)
    auth.login(make.regulator_for(notice))
    dashboard(client)
    one = count_queries(db, client)
    for _ in range(11):
        frozen_clock.set(start)
        objected(make)
    objections = section(dashboard(client), "objections")
    assert badge(objections) == 12 and "仅列出最早的 10 条" in objections
    assert count_queries(db, client) == one


# --- operator ----------------------------------------------------------------------------


def operator_page(client, auth, make):
    auth.login(make.staff("operator", "平台运营中心"))
    return dashboard(client)


def test_the_operator_sees_the_share_of_notices_decided_by_lottery(
    client, auth, make, frozen_clock
):
    start = frozen_clock.now
    page = operator_page(client, auth, make)
    assert figure(page, "随机抽取决定的项目占比") == "—"
    assert "暂无完成选取的项目" in section(page, "lottery")

    make.opened_notice("random", amounts=(None, None))  # drawn at the deadline
    frozen_clock.set(start)
    contract_for(make, make.agency(), until="publicity")  # chosen by the purchaser
    page = dashboard(client)
    assert figure(page, "随机抽取决定的项目占比") == "50%"
    assert "已完成选取的 2 个项目中，1 个由抽签决定" in section(page, "lottery")


def test_the_operator_sees_rectification_and_follow_up_rates_against_the_target(client, auth, make):
    page = operator_page(client, auth, make)
    rates = section(page, "rectification")
    assert figure(rates, "整改事项") == "0"
    assert figure(rates, "整改率") == "—" and figure(rates, "回访率") == "—"
    assert rates.count("目标 100%") == 2
    assert 'href="/operator/rectifications"' in rates

    operator = make.staff("operator", "平台运营中心")
    cases = []
    for _ in range(2):
        notice, _, winner = make.evaluated_notice(agency_scores=POOR)
        cases.append((winner, procurement.notice_rectifications(notice)[0]))
    winner, case = cases[0]
    procurement.answer_rectification(winner, case.id, "已增派项目负责人")
    rates = section(dashboard(client), "rectification")
    assert figure(rates, "整改事项") == "2"
    assert figure(rates, "整改率") == "50%" and figure(rates, "回访率") == "0%"

    procurement.record_followup(operator, case.id, "电话回访，采购人认可整改")
    rates = section(dashboard(client), "rectification")
    assert figure(rates, "整改率") == "50%" and figure(rates, "回访率") == "50%"


def test_the_operator_links_to_the_audit_log_and_the_rectification_cases(client, auth, make):
    page = operator_page(client, auth, make)
    assert 'href="/supervision/audit"' in page and 'href="/operator/rectifications"' in page
    assert client.get("/operator/rectifications").status_code == 200


def test_the_operator_workspace_costs_the_same_queries_for_more_data(
    client, auth, make, db, frozen_clock
):
    start = frozen_clock.now

    def plant():
        frozen_clock.set(start)
        make.opened_notice("random", amounts=(None, None))
        make.evaluated_notice(agency_scores=POOR)

    plant()
    page = operator_page(client, auth, make)
    few = count_queries(db, client)
    for _ in range(4):
        plant()
    page = dashboard(client)
    assert figure(page, "整改事项") == "5" and figure(page, "随机抽取决定的项目占比") == "50%"
    assert count_queries(db, client) == few
