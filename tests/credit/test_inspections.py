"""Graded supervision (双随机抽查): the draw by grade from a published seed, the CLI, the
regulator's pages, the public plan page with its re-run, and recording results."""

import hashlib

import pytest
from sqlalchemy import func, select

from market.agencies.services import agency_of
from market.credit.inspections.models import Inspection, InspectionPlan
from market.credit.inspections.services import ALGORITHM, create_plan, draw_sample, sample_size
from market.credit.models import ConductRecord
from market.extensions import db

SEED = "5eed" * 16
FINDINGS = "报告书引用的监测数据与原始记录不符"
DEFAULT_BP = {"A": 500, "B": 1000, "C": 2000, "D": 10000}


def population(**counts):
    """[[org_id, grade], ...]: ids numbered from 1 in grade order, e.g. population(A=20, D=3)."""
    rows, next_id = [], 1
    for grade, n in counts.items():
        for _ in range(n):
            rows.append([next_id, grade])
            next_id += 1
    return rows


def grades_of(sample, pop):
    grades = dict(pop)
    return [grades[org_id] for org_id in sample]


# --- the pure draw --------------------------------------------------------------------------


def test_draw_takes_ceil_of_rate_times_count_per_grade():
    pop = population(A=21, B=10, C=5, D=3)
    sample = draw_sample(SEED, pop, DEFAULT_BP)
    grades = grades_of(sample, pop)
    # A: ⌈5% × 21⌉ = 2, B: ⌈10% × 10⌉ = 1, C: ⌈20% × 5⌉ = 1, D: all 3
    assert [grades.count(g) for g in "ABCD"] == [2, 1, 1, 3]
    assert sample == sorted(sample)
    assert sample_size(500, 20) == 1 and sample_size(500, 21) == 2 and sample_size(1, 1) == 1


def test_every_d_agency_is_drawn_and_a_zero_rate_draws_none():
    pop = population(A=8, D=6)
    sample = draw_sample(SEED, pop, {"A": 0, "B": 1000, "C": 2000, "D": 10000})
    assert sample == [org_id for org_id, grade in pop if grade == "D"]


def test_draw_is_the_published_rule_and_reproducible():
    pop = population(A=30, B=7)
    sample = draw_sample(SEED, pop, DEFAULT_BP)
    assert draw_sample(SEED, [list(r) for r in pop], dict(DEFAULT_BP)) == sample

    def first(grade, k):
        ids = [org_id for org_id, g in pop if g == grade]
        return sorted(ids, key=lambda i: hashlib.sha256(f"{SEED}:{i}".encode()).hexdigest())[:k]

    assert sample == sorted(first("A", 2) + first("B", 1))


def test_another_seed_draws_another_sample():
    pop = population(A=100)
    one = draw_sample(SEED, pop, DEFAULT_BP)
    other = draw_sample("ab" * 32, pop, DEFAULT_BP)
    assert len(one) == len(other) == 5
    assert one != other


# --- setting up agencies --------------------------------------------------------------------


def graded_agencies(make, grades, items=("ZJ012",)):
    """Agencies (users) offering `items`, with the given credit grades."""
    users = []
    for grade in grades:
        user = make.agency(items=items)
        agency_of(user).credit_grade = grade
        users.append(user)
    db.session.flush()
    return users


def org_id(user):
    return user.organisation.id


def plan_count():
    return db.session.scalar(select(func.count(InspectionPlan.id)))


# --- CLI ------------------------------------------------------------------------------------


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["credit", *args])


def test_cli_draws_a_plan_for_a_department(app, make):
    a, d = graded_agencies(make, ["A", "D"])
    (elsewhere,) = graded_agencies(make, ["D"], items=("ZJ006",))  # 气象部门
    result = invoke(
        app,
        "inspection-plan",
        "--rate-by-grade",
        "A=0,B=10,C=20,D=100",
        "--department",
        "生态环境部门",
        "--seed",
        SEED,
        "--title",
        "2026年第四季度环评机构抽查",
    )
    assert result.exit_code == 0, result.output
    plan = db.session.scalar(select(InspectionPlan))
    assert f"抽查计划 {plan.id}「2026年第四季度环评机构抽查」· 生态环境部门" in result.output
    assert f"随机种子 {SEED}" in result.output
    assert "A 级：比例 0%，名单 1 家，抽取 0 家" in result.output
    assert "D 级：比例 100%，名单 1 家，抽取 1 家" in result.output
    assert f"#{org_id(d)} {d.organisation.name}（D 级）" in result.output
    assert d.organisation.name in result.output and elsewhere.organisation.name not in result.output
    assert plan.population == [[org_id(a), "A"], [org_id(d), "D"]]
    assert plan.rates_bp == {"A": 0, "B": 1000, "C": 2000, "D": 10000}
    assert plan.algorithm == ALGORITHM and plan.department == "生态环境部门"
    assert [(i.agency_org_id, i.grade, i.result) for i in plan.inspections] == [
        (org_id(d), "D", "pending")
    ]


def test_cli_without_department_draws_from_every_agency_with_a_random_seed(app, make):
    users = graded_agencies(make, ["D", "D"], items=("ZJ006",))
    users += graded_agencies(make, ["D"])
    result = invoke(app, "inspection-plan")
    assert result.exit_code == 0, result.output
    plan = db.session.scalar(select(InspectionPlan))
    assert plan.department == "" and "全平台" in result.output
    assert len(plan.seed) == 64 and f"随机种子 {plan.seed}" in result.output
    assert {i.agency_org_id for i in plan.inspections} == {org_id(u) for u in users}


@pytest.mark.parametrize(
    "rates, message",
    [
        ("A=5,E=10", "未知的信用等级「E」"),
        ("A=150", "等级 A 的抽查比例应在 0–100（%）之间"),
        ("A=-1", "等级 A 的抽查比例应在 0–100（%）之间"),
        ("A5,B=10", "无法识别「A5」"),
        ("A=abc", "等级 A 的抽查比例「abc」不是数字"),
        ("A=5,A=6", "等级 A 重复填写"),
        ("A=0,B=0,C=0,D=0", "各等级的抽查比例不能全部为 0"),
    ],
)
def test_cli_refuses_bad_rates_and_writes_nothing(app, make, rates, message):
    graded_agencies(make, ["A"])
    result = invoke(app, "inspection-plan", "--rate-by-grade", rates)
    assert result.exit_code == 1
    assert f"错误：{message}" in result.output
    assert plan_count() == 0


def test_cli_refuses_an_unknown_department_and_a_bad_seed(app, make):
    graded_agencies(make, ["A"])
    result = invoke(app, "inspection-plan", "--department", "不存在部门")
    assert result.exit_code == 1 and "目录中没有审批部门「不存在部门」" in result.output
    result = invoke(app, "inspection-plan", "--seed", "xyz")
    assert result.exit_code == 1 and "随机种子应为 1–64 位十六进制字符" in result.output
    assert plan_count() == 0


def test_cli_verifies_a_plan(app, make):
    users = graded_agencies(make, ["A", "B", "D"])
    rates = {**DEFAULT_BP, "A": 0}
    plan = create_plan(None, rates, department="生态环境部门", seed=SEED)
    result = invoke(app, "verify-inspection", str(plan.id))
    assert result.exit_code == 0, result.output
    assert "复核结果：一致" in result.output
    outside = [u for u in users if org_id(u) not in {i.agency_org_id for i in plan.inspections}]
    plan.inspections[0].agency_org_id = org_id(outside[0])
    db.session.flush()
    db.session.expire(plan)
    result = invoke(app, "verify-inspection", str(plan.id))
    assert result.exit_code == 1
    assert "复核结果：不一致" in result.output
    assert "按种子不应抽中，却列入了计划" in result.output
    result = invoke(app, "verify-inspection", "999999")
    assert result.exit_code == 1 and "抽查计划 999999 不存在" in result.output


# --- the regulator's pages ------------------------------------------------------------------


def test_the_plans_page_prefills_the_default_rates(client, auth, make):
    auth.login(make.staff("regulator", "生态环境部门"))
    page = client.get("/credit/inspections").get_data(as_text=True)
    assert "本部门还没有抽查计划" in page
    for grade, value in zip("ABCD", ("5", "10", "20", "100"), strict=True):
        assert f'name="rate_{grade}"' in page
        assert f'value="{value}"' in page


def draw(client, **overrides):
    data = {"title": "环评机构抽查", "rate_A": "5", "rate_B": "10", "rate_C": "20", "rate_D": "100"}
    data.update(overrides)
    return client.post("/credit/inspections", data=data)


def test_a_regulator_draws_a_plan_anyone_can_verify(client, auth, make):
    a, b, d = graded_agencies(make, ["A", "B", "D"])
    graded_agencies(make, ["D"], items=("ZJ006",))  # another department's agency
    auth.login(make.staff("regulator", "生态环境部门"))
    response = draw(client)
    assert response.status_code == 302
    plan = db.session.scalar(select(InspectionPlan))
    assert response.location.endswith(f"/credit/inspections/{plan.id}")
    # ⌈5% × 1⌉ = 1 of each grade: every one of the three
    assert [i.agency_org_id for i in plan.inspections] == [org_id(a), org_id(b), org_id(d)]
    assert "从 3 家机构中抽中 3 家" in client.get(response.location).get_data(as_text=True)
    assert "环评机构抽查" in client.get("/credit/inspections").get_data(as_text=True)

    auth.logout()
    page = client.get(f"/credit/inspections/{plan.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert plan.seed in text and ALGORITHM in text
    assert d.organisation.name in text and "待检查" in text
    assert "复核一致 ✓" in text and "登记结果" not in text


def test_tampering_with_a_stored_inspection_shows_the_mismatch(client, make):
    graded_agencies(make, ["A", "B", "C"])
    plan = create_plan(None, {"A": 0, "B": 0, "C": 10000, "D": 0}, seed=SEED)
    assert len(plan.inspections) == 1
    (extra,) = graded_agencies(make, ["D"])  # registered after the draw
    plan.inspections[0].grade = "A"
    db.session.add(Inspection(plan_id=plan.id, agency_org_id=org_id(extra), grade="D"))
    db.session.flush()
    db.session.expire(plan)
    text = client.get(f"/credit/inspections/{plan.id}").get_data(as_text=True)
    assert "复核不一致 ✗" in text
    assert "列入计划时的等级为 A，抽取名单中为 C" in text
    assert f"{extra.organisation.name}（机构编号 {org_id(extra)}）不在抽取名单中" in text


def test_a_bad_rate_shows_the_form_again(client, auth, make):
    graded_agencies(make, ["A"])
    auth.login(make.staff("regulator", "生态环境部门"))
    response = draw(client, rate_B="120")
    assert response.status_code == 400
    assert "等级 B 的抽查比例应在 0–100（%）之间" in response.get_data(as_text=True)
    response = draw(client, rate_C="2.555")
    assert "等级 C 的抽查比例最多保留两位小数" in response.get_data(as_text=True)
    assert plan_count() == 0


def test_a_department_without_agencies_has_nothing_to_draw(client, auth, make):
    auth.login(make.staff("regulator", "文物部门"))
    response = draw(client)
    assert response.status_code == 400
    assert "文物部门没有入驻的中介机构，无从抽取" in response.get_data(as_text=True)


# --- results --------------------------------------------------------------------------------


@pytest.fixture
def drawn(make):
    """A plan of 生态环境部门 holding both of its agencies, and its regulator."""
    users = graded_agencies(make, ["C", "D"])
    plan = create_plan(None, DEFAULT_BP, department="生态环境部门", seed=SEED)
    assert len(plan.inspections) == 2
    return plan, users, make.staff("regulator", "生态环境部门")


def result_url(plan, inspection):
    return f"/credit/inspections/{plan.id}/results/{inspection.id}"


def test_recording_a_passed_inspection(client, auth, drawn):
    plan, users, regulator = drawn
    inspection = plan.inspections[0]
    auth.login(regulator)
    assert "登记结果" in client.get(f"/credit/inspections/{plan.id}").get_data(as_text=True)
    form = client.get(result_url(plan, inspection)).get_data(as_text=True)
    assert inspection.agency.name in form and '<option selected value="A09">' in form
    response = client.post(result_url(plan, inspection), data={"result": "passed"})
    assert response.status_code == 302
    assert inspection.result == "passed" and inspection.record_id is None
    assert "检查合格" in client.get(response.location).get_data(as_text=True)
    again = client.post(result_url(plan, inspection), data={"result": "failed", "findings": "x"})
    assert again.status_code == 400
    assert "已登记该机构的检查结果（合格），不能重复登记" in again.get_data(as_text=True)


def test_a_failed_inspection_becomes_a_conduct_report(client, auth, drawn):
    plan, users, regulator = drawn
    inspection = plan.inspections[1]
    auth.login(regulator)
    response = client.post(
        result_url(plan, inspection),
        data={
            "result": "failed",
            "findings": "报告书引用的监测数据与原始记录不符",
            "criterion": "A09",
        },
    )
    assert response.status_code == 302
    record = db.session.get(ConductRecord, inspection.record_id)
    assert record.source == "inspection" and record.status == "reported"
    assert record.subject_org_id == inspection.agency_org_id
    assert record.criterion.code == "A09" and record.department == "生态环境部门"
    assert FINDINGS in record.facts
    assert inspection.result == "failed"
    page = client.get(response.location).get_data(as_text=True)
    assert "不合格" in page and f"不良行为记录 {record.id}" in page

    auth.logout()
    public = client.get(f"/credit/inspections/{plan.id}").get_data(as_text=True)
    assert "不合格" in public and FINDINGS not in public


def test_failed_without_findings_or_with_a_purchaser_criterion_is_refused(client, auth, drawn):
    plan, users, regulator = drawn
    inspection = plan.inspections[0]
    auth.login(regulator)
    response = client.post(result_url(plan, inspection), data={"result": "failed"})
    assert response.status_code == 400
    assert "不合格的，请写明检查发现的问题" in response.get_data(as_text=True)
    response = client.post(
        result_url(plan, inspection),
        data={"result": "failed", "findings": "问题", "criterion": "P01"},
    )
    assert response.status_code == 400
    assert "请选择适用于中介机构的认定标准" in response.get_data(as_text=True)
    response = client.post(result_url(plan, inspection), data={"findings": "未选结果"})
    assert "请选择检查结果：合格或不合格" in response.get_data(as_text=True)
    assert inspection.result == "pending"
    assert db.session.scalar(select(func.count(ConductRecord.id))) == 0


def test_another_departments_regulator_is_refused(client, auth, make, drawn):
    plan, users, regulator = drawn
    inspection = plan.inspections[0]
    auth.login(make.staff("regulator", "气象部门"))
    response = client.post(result_url(plan, inspection), data={"result": "passed"})
    assert response.status_code == 403
    assert "该抽查计划由「生态环境部门」组织，您所在部门无权登记检查结果" in response.get_data(
        as_text=True
    )
    assert client.get(result_url(plan, inspection)).status_code == 403
    assert inspection.result == "pending"
    listing = client.get("/credit/inspections").get_data(as_text=True)
    assert plan.title not in listing
    auth.logout()
    auth.login(users[0])
    assert client.post(result_url(plan, inspection), data={"result": "passed"}).status_code == 403


def test_a_blacklisted_agency_is_drawn_as_d(make):
    a, b = graded_agencies(make, ["A", "B"])
    agency_of(b).blacklisted = True
    db.session.flush()
    plan = create_plan(None, {"A": 0, "B": 0, "C": 0, "D": 10000}, department="生态环境部门")
    assert plan.population == [[org_id(a), "A"], [org_id(b), "D"]]
    assert [(i.agency_org_id, i.grade) for i in plan.inspections] == [(org_id(b), "D")]
