"""Risk alerts (风险预警): each detector fires on a planted pattern and stays quiet on a clean
one, re-runs repeat nothing, and regulators see, report and dismiss their department's alerts."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.core.clock import utcnow
from market.core.models import AuditEvent
from market.credit.models import ConductRecord
from market.credit.risk import listeners as risk
from market.credit.risk.handling import dismiss_alert
from market.credit.risk.models import RiskAlert
from market.extensions import db
from market.procurement import services as procurement
from market.procurement.models import Bid
from market.procurement.runner import apply_due

_n = itertools.count(1)


def agency(make, item="ZJ012", **overrides):
    """An agency whose phone and legal representative are its own (the factory shares them)."""
    n = next(_n)
    values = {"contact_phone": f"139{n:08d}", "legal_representative": f"法人{n}号", **overrides}
    return make.agency(items=(item,), **values)


def org(user):
    return user.organisation


def alerts(rule=None):
    stmt = select(RiskAlert).order_by(RiskAlert.id)
    if rule:
        stmt = stmt.where(RiskAlert.rule == rule)
    return db.session.scalars(stmt).all()


def closed(make, quotes, method="direct", item="ZJ012", buyer=None, ips=None):
    """A notice of `item` with one quote per (agency user, amount), its bidding closed."""
    notice = make.method_notice(method, buyer, code=item)
    for i, (user, amount) in enumerate(quotes):
        ip = ips[i] if ips else ""
        procurement.submit_bid(user, notice, amount, "方案", ip=ip)
    make.close_bidding(notice)
    return notice


def award(make, frozen_clock, buyer, winner, others=(), item="ZJ012", amount=80_000_00):
    """A notice of `buyer` awarded to `winner` against `others`, then the clock a month on."""
    notice = make.notice(buyer, code=item)
    bid = procurement.submit_bid(winner, notice, amount, "方案")
    for i, rival in enumerate(others, 1):
        procurement.submit_bid(rival, notice, amount + i * 5000_00, "方案")
    make.close_bidding(notice)
    procurement.select_bid(buyer, notice, bid.id, "综合比较后选定")
    frozen_clock.set(notice.publicity_end_dt + timedelta(minutes=1))
    apply_due(notice)
    assert notice.state == "awarded"
    frozen_clock.advance(days=30)
    return notice


# --- identical and near-identical quotes ----------------------------------------------------


def test_identical_quotes_fire_with_the_bids_as_evidence(make, client, auth):
    a, b, c = agency(make), agency(make), agency(make)
    notice = closed(make, [(a, 80_000_00), (b, 80_000_00), (c, 90_000_00)])

    [alert] = alerts()
    assert alert.rule == "same_quote"
    assert alert.org_ids == sorted([org(a).id, org(b).id])
    assert alert.department == "生态环境部门" == notice.item.approving_department
    assert alert.notice_id == notice.id

    auth.login(make.regulator_for(notice))
    page = client.get(f"/credit/risks/{alert.id}").get_data(as_text=True)
    assert "相同报价" in page and "报价金额完全相同" in page
    assert "¥80,000.00" in page and "¥90,000.00" in page
    assert org(a).name in page and org(b).name in page
    assert f"/notices/{notice.id}" in page and f"/agencies/{org(a).id}" in page


def test_different_quotes_and_fixed_prices_raise_nothing(make):
    closed(make, [(agency(make), 80_000_00), (agency(make), 85_000_00)])
    # random draw: everyone registers at the notice's price
    closed(make, [(agency(make), None), (agency(make), None)], method="random")
    assert alerts() == []


def test_quotes_within_half_a_percent_fire(make, client, auth):
    a, b, c = agency(make), agency(make), agency(make)
    # 0.5% of 80,000 is 400: 80,400 is within, 81,000 is not
    notice = closed(make, [(a, 80_000_00), (b, 80_400_00), (c, 81_000_00)])

    [alert] = alerts()
    assert alert.rule == "near_quote"
    assert alert.org_ids == sorted([org(a).id, org(b).id])
    [pair] = alert.evidence["pairs"]
    assert (pair["gap_fen"], pair["gap_bp"]) == (400_00, 50)

    auth.login(make.regulator_for(notice))
    page = client.get(f"/credit/risks/{alert.id}").get_data(as_text=True)
    assert "报价高度接近" in page and "0.50%" in page and "¥400.00" in page


def test_quotes_just_over_the_threshold_raise_nothing(make):
    closed(make, [(agency(make), 80_000_00), (agency(make), 80_401_00)])
    assert alerts() == []


def test_threshold_is_configurable(make, app, monkeypatch):
    monkeypatch.setitem(app.config, "RISK_NEAR_QUOTE_BP", 100)
    closed(make, [(agency(make), 80_000_00), (agency(make), 80_700_00)])
    assert [a.rule for a in alerts()] == ["near_quote"]


# --- shared contacts ------------------------------------------------------------------------


def test_shared_phone_legal_representative_and_address_fire(make, client, auth):
    a = agency(make, contact_phone="023-67001234", legal_representative="赵 六")
    b = agency(make, contact_phone="02367001234", legal_representative="赵六")
    c = agency(make)
    notice = closed(
        make,
        [(a, 80_000_00), (b, 85_000_00), (c, 95_000_00)],
        ips=["10.0.0.8", "", "10.0.0.8"],
    )

    [alert] = alerts()
    assert alert.rule == "shared_contact"
    assert alert.org_ids == sorted([org(a).id, org(b).id, org(c).id])
    shared = {m["label"]: {o["id"] for o in m["orgs"]} for m in alert.evidence["matches"]}
    assert shared == {
        "联系电话": {org(a).id, org(b).id},
        "法定代表人": {org(a).id, org(b).id},
        "报价 IP 地址": {org(a).id, org(c).id},
    }

    auth.login(make.regulator_for(notice))
    page = client.get(f"/credit/risks/{alert.id}").get_data(as_text=True)
    assert "报价机构信息雷同" in page
    assert "023-67001234" in page and "10.0.0.8" in page and "赵 六" in page


def test_distinct_contacts_and_empty_addresses_raise_nothing(make):
    closed(make, [(agency(make), 80_000_00), (agency(make), 90_000_00)], ips=["", ""])
    assert alerts() == []


# --- single response ------------------------------------------------------------------------


def test_a_single_response_fires(make, client, auth):
    only = agency(make)
    notice = closed(make, [(only, 80_000_00)])

    [alert] = alerts()
    assert (alert.rule, alert.org_ids) == ("single_bid", [org(only).id])
    auth.login(make.regulator_for(notice))
    page = client.get(f"/credit/risks/{alert.id}").get_data(as_text=True)
    assert "单一响应" in page and "仅 1 家有效报价" in page and org(only).name in page


def test_a_direct_invitation_answered_by_its_agency_raises_nothing(make):
    invited = agency(make)
    buyer = make.purchaser()
    notice = make.notice(buyer, invited_org_id=org(invited).id, ceiling_fen=50_000_00)
    procurement.submit_bid(invited, notice, 45_000_00, "方案")
    make.close_bidding(notice)
    assert notice.state != "published"
    assert alerts() == []


# --- winners ---------------------------------------------------------------------------------


def test_one_agency_winning_most_of_a_purchasers_awards_fires(make, frozen_clock, client, auth):
    buyer, winner = make.purchaser(), agency(make)
    notices = [
        award(make, frozen_clock, buyer, winner, [agency(make)]),
        award(make, frozen_clock, buyer, winner, [agency(make)]),
    ]
    assert alerts("repeat_winner") == []
    notices.append(award(make, frozen_clock, buyer, winner, [agency(make)]))

    [alert] = alerts("repeat_winner")
    assert alert.org_ids == [org(winner).id]
    assert alert.notice_id == notices[-1].id
    assert (alert.evidence["wins"], alert.evidence["awards"]) == (3, 3)

    # a fourth win brings the same alert up to date rather than raising another
    notices.append(award(make, frozen_clock, buyer, winner, [agency(make)]))
    [alert] = alerts("repeat_winner")
    assert alert.evidence["wins"] == 4

    auth.login(make.regulator_for(notices[0]))
    page = client.get(f"/credit/risks/{alert.id}").get_data(as_text=True)
    assert "同一采购人频繁中选" in page and "100%" in page
    assert all(f"/notices/{n.id}" in page for n in notices)


def test_wins_spread_over_more_than_a_year_raise_nothing(make, frozen_clock):
    buyer, winner = make.purchaser(), agency(make)
    award(make, frozen_clock, buyer, winner, [agency(make)])
    frozen_clock.advance(days=365)
    award(make, frozen_clock, buyer, winner, [agency(make)])
    award(make, frozen_clock, buyer, winner, [agency(make)])
    assert alerts("repeat_winner") == []


def test_three_wins_below_sixty_percent_raise_nothing(make, frozen_clock):
    buyer, winner = make.purchaser(), agency(make)
    for _ in range(3):  # different winners first: none of them wins three
        award(make, frozen_clock, buyer, agency(make))
    for _ in range(3):
        award(make, frozen_clock, buyer, winner)
    assert alerts("repeat_winner") == []


def test_wins_rotating_in_a_closed_group_fire(make, frozen_clock, client, auth):
    buyer = make.purchaser()
    a, b, c = agency(make), agency(make), agency(make)
    notices = [
        award(make, frozen_clock, buyer, a, [b, c]),
        award(make, frozen_clock, buyer, b, [c, a]),
        award(make, frozen_clock, buyer, c, [a, b]),
    ]

    [alert] = alerts("rotation")
    assert alert.org_ids == sorted(org(u).id for u in (a, b, c))
    assert alert.evidence["notice_ids"] == [n.id for n in notices]
    assert alerts("repeat_winner") == []

    auth.login(make.regulator_for(notices[0]))
    page = client.get(f"/credit/risks/{alert.id}").get_data(as_text=True)
    assert "固定圈子轮流中选" in page
    assert all(org(u).name in page for u in (a, b, c))


def test_the_same_group_with_one_winner_or_other_bidders_is_no_rotation(make, frozen_clock):
    buyer = make.purchaser()
    a, b, c = agency(make), agency(make), agency(make)
    award(make, frozen_clock, buyer, a, [b, c])
    award(make, frozen_clock, buyer, b, [a])  # not the same group
    award(make, frozen_clock, buyer, a, [b, c])
    assert alerts("rotation") == []


# --- re-runs and the command ----------------------------------------------------------------


def test_rerunning_repeats_no_alert(make, app, frozen_clock):
    buyer = make.purchaser()
    a, b, c = agency(make), agency(make), agency(make)
    closed(make, [(a, 80_000_00), (b, 80_000_00)])
    for winner, rivals in ((a, [b, c]), (b, [a, c]), (c, [a, b])):
        award(make, frozen_clock, buyer, winner, rivals)
    before = [(x.rule, x.fingerprint) for x in alerts()]
    assert {"same_quote", "rotation"} <= {rule for rule, _ in before}

    assert sum(risk.detect_history().values()) == 0
    result = app.test_cli_runner().invoke(args=["credit", "detect-risks"])
    assert result.exit_code == 0, result.output
    assert "新增风险预警 0 条" in result.output
    assert [(x.rule, x.fingerprint) for x in alerts()] == before


def test_the_command_finds_past_patterns_by_rule(make, app, frozen_clock):
    closed(make, [(agency(make), 80_000_00), (agency(make), 80_000_00)])
    closed(make, [(agency(make), 70_000_00)])
    for alert in alerts():
        db.session.delete(alert)
    db.session.flush()
    frozen_clock.advance(days=3)

    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")
    result = app.test_cli_runner().invoke(args=["credit", "detect-risks", "--since", later])
    assert "新增风险预警 0 条" in result.output

    result = app.test_cli_runner().invoke(args=["credit", "detect-risks"])
    assert result.exit_code == 0, result.output
    assert "新增风险预警 2 条" in result.output
    assert "相同报价（same_quote）：1 条" in result.output
    assert "单一响应（single_bid）：1 条" in result.output
    assert sorted(a.rule for a in alerts()) == ["same_quote", "single_bid"]


# --- the regulator's pages ------------------------------------------------------------------


@pytest.fixture
def two_departments(make):
    """A same-quote alert of 生态环境部门 (ZJ012) and a single-bid one of 水利部门 (ZJ010)."""
    a, b = agency(make), agency(make)
    env_notice = closed(make, [(a, 80_000_00), (b, 80_000_00)])
    water_notice = closed(make, [(agency(make, item="ZJ010"), 60_000_00)], item="ZJ010")
    env, water = alerts()
    return env, water, env_notice, water_notice, a, b


def test_the_list_shows_the_departments_alerts_with_counts(make, client, auth, two_departments):
    env, water, env_notice, *_ = two_departments
    auth.login(make.staff("regulator", "生态环境部门"))
    page = client.get("/credit/risks").get_data(as_text=True)
    assert f"/credit/risks/{env.id}" in page and f"/credit/risks/{water.id}" not in page
    assert 'data-rule="same_quote">1<' in page and 'data-rule="single_bid">0<' in page

    page = client.get("/credit/risks?rule=single_bid").get_data(as_text=True)
    assert f"/credit/risks/{env.id}" not in page and "没有符合条件的风险预警" in page
    page = client.get("/credit/risks?status=dismissed").get_data(as_text=True)
    assert f"/credit/risks/{env.id}" not in page

    auth.login(make.staff("operator", "平台运营方"))
    page = client.get("/credit/risks").get_data(as_text=True)
    assert f"/credit/risks/{env.id}" in page and f"/credit/risks/{water.id}" in page


def test_operators_read_but_do_not_act(make, client, auth, two_departments):
    env, *_ = two_departments
    auth.login(make.staff("operator", "平台运营方"))
    page = client.get(f"/credit/risks/{env.id}").get_data(as_text=True)
    assert "相同报价" in page and "转为不良行为记录</button>" not in page
    assert client.post(f"/credit/risks/{env.id}/dismiss", data={"reason": "x"}).status_code == 403


def test_reporting_makes_a_record_per_involved_agency(make, client, auth, two_departments):
    env, _, notice, _, a, b = two_departments
    regulator = make.regulator_for(notice)
    auth.login(regulator)
    page = client.get(f"/credit/risks/{env.id}").get_data(as_text=True)
    assert '<option selected value="A02">' in page and "（系统风险预警第" in page

    response = client.post(
        f"/credit/risks/{env.id}/report",
        data={"code": "A02", "org_id": org(a).id, "facts": "两家机构报价完全相同，经核查系围标。"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已生成不良行为记录" in page
    [record] = db.session.scalars(select(ConductRecord)).all()
    assert (record.source, record.status) == ("risk_alert", "reported")
    assert record.subject_org_id == org(a).id
    assert record.criterion.code == "A02" and record.notice_id == notice.id
    assert record.evidence["risk_alert_id"] == env.id
    assert (env.status, env.record_id, env.handled_by_id) == ("reported", record.id, regulator.id)
    assert record.number in page
    # The reported agency sees the alert's evidence on its record, for its statement.
    auth.logout()
    auth.login(a)
    own = client.get(f"/credit/records/{record.id}").get_data(as_text=True)
    assert "预警证据" in own and 'id="evidence-main"' in own
    auth.logout()
    auth.login(regulator)

    response = client.post(
        f"/credit/risks/{env.id}/report", data={"code": "A02", "org_id": org(b).id, "facts": "同上"}
    )
    assert response.status_code == 302 and env.status == "reported"
    assert db.session.scalar(select(func.count()).select_from(ConductRecord)) == 2
    events = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.subject_type == "risk_alert", AuditEvent.subject_id == env.id
        )
    ).all()
    assert events == ["reported", "reported"]

    again = client.post(
        f"/credit/risks/{env.id}/report", data={"code": "A02", "org_id": org(a).id, "facts": "再报"}
    )
    assert again.status_code == 400 and "已就本预警对" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"code": "Z99"}, "认定标准「Z99」不存在、已废止或不适用于中介机构"),
        ({"code": "P01"}, "认定标准「P01」不存在、已废止或不适用于中介机构"),
        ({"org_id": "outsider"}, "所选机构不是该预警涉及的机构"),
        ({"facts": "  "}, "请写明违规事实"),
    ],
)
def test_bad_report_input_changes_nothing(make, client, auth, two_departments, data, message):
    env, _, notice, _, a, _ = two_departments
    if data.get("org_id") == "outsider":
        data = {"org_id": org(agency(make)).id}
    auth.login(make.regulator_for(notice))
    form = {"code": "A02", "org_id": org(a).id, "facts": "事实", **data}
    response = client.post(f"/credit/risks/{env.id}/report", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert env.status == "open" and db.session.scalar(select(func.count(ConductRecord.id))) == 0


def test_dismissing_needs_a_reason(make, client, auth, two_departments):
    env, _, notice, *_ = two_departments
    auth.login(make.regulator_for(notice))
    response = client.post(f"/credit/risks/{env.id}/dismiss", data={"reason": " "})
    assert response.status_code == 400 and "请说明排除理由" in response.get_data(as_text=True)
    assert env.status == "open"

    response = client.post(
        f"/credit/risks/{env.id}/dismiss",
        data={"reason": "两家均按财政评审价报价，属正常情形"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "已排除该风险预警" in page and "两家均按财政评审价报价" in page
    assert env.status == "dismissed" and env.handled_dt is not None
    assert "转为不良行为记录</button>" not in page
    refused = client.post(
        f"/credit/risks/{env.id}/report",
        data={"code": "A02", "org_id": env.org_ids[0], "facts": "x"},
    )
    assert refused.status_code == 400 and "该预警已排除" in refused.get_data(as_text=True)


def test_another_departments_regulator_is_refused(make, client, auth, two_departments):
    env, _, _, _, a, _ = two_departments
    outsider = make.staff("regulator", "水利部门")
    auth.login(outsider)
    response = client.get(f"/credit/risks/{env.id}")
    assert response.status_code == 403 and "生态环境部门" in response.get_data(as_text=True)
    response = client.post(
        f"/credit/risks/{env.id}/report", data={"code": "A02", "org_id": org(a).id, "facts": "x"}
    )
    assert response.status_code == 403 and "无权处理" in response.get_data(as_text=True)
    response = client.post(f"/credit/risks/{env.id}/dismiss", data={"reason": "不构成违规"})
    assert response.status_code == 403
    assert env.status == "open"
    with pytest.raises(Exception, match="无权处理"):
        dismiss_alert(outsider, env.id, "不构成违规")


def test_agencies_and_purchasers_cannot_see_alerts(make, client, auth, two_departments):
    env, *_, a, _ = two_departments
    auth.login(a)
    assert client.get("/credit/risks").status_code == 403
    assert client.get(f"/credit/risks/{env.id}").status_code == 403


# --- where quotes come from -----------------------------------------------------------------


def test_a_quote_records_the_address_it_came_from(make, client, auth):
    bidder = agency(make)
    notice = make.notice()
    auth.login(bidder)
    response = client.post(
        f"/notices/{notice.id}/bid",
        data={"amount": "80000", "plan": "方案"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    bid = db.session.scalar(select(Bid).where(Bid.notice_id == notice.id))
    assert bid.submitted_ip == "192.0.2.7"
