"""The facts the system reports by itself map to criteria through data regulators keep: a code
in use cannot be retired until its facts are moved; after moving them every code the system
used can be retired, and the runner still applies every deadline and reports under the new
codes."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.core.errors import ServiceError
from market.core.models import AuditEvent
from market.credit import criteria
from market.credit.models import ConductRecord
from market.procurement import services as procurement
from market.procurement.runner import run_due

#: fact → the code the shipped list reports it under
SHIPPED = {
    "contract_unsigned_agency": "A05",
    "contract_unsigned_purchaser": "P02",
    "selection_abandoned": "P04",
    "delivery_late": "A06",
    "acceptance_late": "P03",
    "poor_evaluation": "A13",
    "qualification_rejected": "A01",
    "payment_late": "P03",
}


def row(page, row_id):
    """The list item with that id (empty if none)."""
    match = re.search(rf'<li [^>]*id="{row_id}".*?</li>', page, flags=re.S)
    return match.group(0) if match else ""


@pytest.fixture
def regulator(auth, make):
    user = make.staff("regulator", "发展改革部门")
    auth.login(user)
    return user


def add(user, code, party, behaviour):
    return criteria.save_criterion(
        user,
        criteria.CriterionData(code, party, behaviour, "general", 5, "warning", 0, 6),
    )


def records(db, org_id):
    return db.session.scalars(
        select(ConductRecord).where(ConductRecord.subject_org_id == org_id)
    ).all()


def test_the_criteria_page_shows_which_criterion_each_fact_is_reported_under(client):
    page = client.get("/credit/criteria").get_data(as_text=True)
    assert "系统自动报告" in page
    for fact, code in SHIPPED.items():
        assert f'href="/credit/criteria/{code}"' in row(page, f"fact-{fact}"), fact
    # the public reads the mapping; only regulators change it
    assert 'action="/credit/criteria/facts/' not in page


def test_a_code_in_use_cannot_be_retired_until_its_facts_move(client, regulator, db):
    refused = client.post("/credit/criteria/A05/retire", data={"note": "并入新标准"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "系统自动报告「中选后未在签约期限内签订合同（中选机构）」时使用标准 A05" in text
    assert criteria.current("A05").in_force

    add(regulator, "A20", "agency", "中选后逾期不签约（新）")
    moved = client.post(
        "/credit/criteria/facts/contract_unsigned_agency",
        data={"code": "A20", "note": "按 2027 年新办法调整"},
    )
    assert moved.status_code == 302
    page = client.get("/credit/criteria").get_data(as_text=True)
    assert 'href="/credit/criteria/A20"' in row(page, "fact-contract_unsigned_agency")
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "fact_remapped")
    ).all()
    assert event.data == {
        "fact": "contract_unsigned_agency",
        "from": "A05",
        "to": "A20",
        "note": "按 2027 年新办法调整",
    }
    assert client.post("/credit/criteria/A05/retire", data={"note": "并入 A20"}).status_code == 302


@pytest.mark.parametrize(
    ("code", "note", "message"),
    [
        ("P02", "对象不符", "「中选后未在签约期限内签订合同（中选机构）」是中介机构的行为"),
        ("Z99", "没有这个标准", "认定标准「Z99」不存在或已废止"),
        ("A13", "", "请说明调整原因"),
    ],
)
def test_a_bad_mapping_is_refused_and_changes_nothing(client, regulator, code, note, message):
    response = client.post(
        "/credit/criteria/facts/contract_unsigned_agency", data={"code": code, "note": note}
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    page = client.get("/credit/criteria").get_data(as_text=True)
    assert 'href="/credit/criteria/A05"' in row(page, "fact-contract_unsigned_agency")


@pytest.mark.parametrize("who", ["agency", "operator", "regulator of another department"])
def test_only_regulators_of_the_keeping_department_move_facts(client, auth, make, who):
    user = {
        "agency": make.agency,
        "operator": lambda: make.staff("operator", "平台运营中心"),
        "regulator of another department": lambda: make.staff("regulator", "生态环境部门"),
    }[who]()
    auth.login(user)
    for data in ({"code": "A13", "note": "x"}, {"code": "A" * 21, "note": ""}):
        response = client.post("/credit/criteria/facts/contract_unsigned_agency", data=data)
        assert response.status_code == 403, data
    page = client.get("/credit/criteria").get_data(as_text=True)
    assert 'action="/credit/criteria/facts/contract_unsigned_agency"' not in page


def test_every_code_the_system_uses_retired_and_the_runner_goes_on(make, db, frozen_clock):
    keeper = make.staff("regulator", "发展改革部门")
    new_codes = {}
    for n, (fact, old) in enumerate(SHIPPED.items(), start=1):
        party = "agency" if old.startswith("A") else "purchaser"
        code = f"{'A' if party == 'agency' else 'P'}{40 + n}"
        add(keeper, code, party, f"系统报告的事实 {n}")
        criteria.remap_fact(keeper, fact, code, "标准重新编号")
        new_codes[fact] = code
    for old in sorted(set(SHIPPED.values())):
        criteria.retire_criterion(keeper, old, "已重新编号")
    assert not any(c.code in SHIPPED.values() for c in criteria.in_force())

    # A deadline of every kind, all due at once (the runner's batch).
    quoted = make.notice()
    make.bid(make.agency(), quoted)
    lapsing, lapse_buyer, lapse_winner = make.awarded_notice()
    auto, auto_buyer, _ = make.delivered_notice()
    in_publicity, *_ = make.publicity_notice()
    rating, rating_buyer, rating_winner = make.accepted_notice()
    poor = dict.fromkeys(make.GOOD_SCORES, 2)  # 40 of 100, revealed when the window closes
    procurement.evaluate(rating_buyer, rating, poor, "")
    notices = [quoted, lapsing, auto, in_publicity, rating]
    frozen_clock.set(max(n.due_dt for n in notices) + timedelta(minutes=1))
    assert run_due() >= len(notices)
    # Every deadline applied, as far as the clock has gone; none left behind.
    assert quoted.state == "bidding_closed" and lapsing.state == "terminated"
    assert auto.contract.auto_accepted and rating.state == "evaluated"
    assert in_publicity.state in ("awarded", "terminated")
    assert all(n.due_dt is None or n.due_dt > frozen_clock.now for n in notices)

    def codes(org_id):
        return sorted(r.criterion.code for r in records(db, org_id))

    assert codes(lapse_winner.organisation.id) == [new_codes["contract_unsigned_agency"]]
    assert codes(lapse_buyer.organisation.id) == [new_codes["contract_unsigned_purchaser"]]
    assert codes(auto_buyer.organisation.id) == [new_codes["acceptance_late"]]
    assert codes(rating_winner.organisation.id) == [new_codes["poor_evaluation"]]


def test_retiring_without_moving_is_refused_in_the_service_too(make):
    keeper = make.staff("regulator", "发展改革部门")
    with pytest.raises(ServiceError, match="请先在「系统自动报告」中改用其他标准"):
        criteria.retire_criterion(keeper, "P03", "不再使用")
    assert criteria.current("P03").in_force
