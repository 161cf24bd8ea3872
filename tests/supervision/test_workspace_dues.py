"""What the purchaser's and the agency's workspaces ask them to do through the whole process:
scores, objections, signing, acceptance, evaluation, rectification, reconfirming bids."""

import re

from market.procurement import services as procurement

from .pages import badge, contract_for, count_queries, dashboard, section

POOR = {"quality": 4, "timeliness": 2, "attitude": 4, "fees": 4, "conduct": 4}


def actions(client):
    return section(dashboard(client), "actions")


def block(page, key):
    """One kind of action in the purchaser's list, by its key."""
    match = re.search(rf'id="action-{key}".*?(?=<div class="border|</section>)', page, re.S)
    return match.group(0) if match else ""


# --- purchaser ---------------------------------------------------------------------------


def test_a_scored_notice_waits_for_the_purchasers_technical_scores(client, auth, make):
    buyer = make.purchaser()
    notice, bids = make.opened_notice(
        "scored", amounts=(80_000_00, 90_000_00), purchaser_user=buyer, title="悦来片区环评综合评审"
    )
    auth.login(buyer)
    page = actions(client)
    scores = block(page, "step-scored")
    assert "报价已截止，待录入技术评分（1）" in scores
    assert f'href="/notices/{notice.id}#scores"' in scores and "2 家机构报价" in scores
    assert "待选定中选机构" not in page  # direct selection is another step
    assert badge(page) == 1

    procurement.score_bids(buyer, notice, {bids[0].id: 80, bids[1].id: 70})
    page = actions(client)
    assert "待录入技术评分" not in page and badge(page) == 0
    assert "结果公示中（1）" in page


def test_an_open_objection_asks_the_purchaser_to_answer(client, auth, make):
    buyer, rival = make.purchaser(), make.agency(org_name="重庆异议咨询有限公司")
    notice = contract_for(make, make.agency(), buyer, "悦来片区环评", "publicity", rival)
    procurement.file_objection(rival, notice, "中选机构业绩造假")
    auth.login(buyer)
    page = actions(client)
    objection = block(page, "objection")
    assert "收到异议，待答复（1）" in objection and "重庆异议咨询有限公司" in objection
    assert f'href="/notices/{notice.id}#objections"' in objection
    assert "有异议待处理" in section(page, "actions")  # beside the result in publicity

    procurement.answer_objection(buyer, notice, notice.objections[0].id, "业绩均有合同为证")
    assert "收到异议" not in actions(client)


def test_an_award_asks_the_purchaser_to_sign_by_the_deadline(client, auth, make):
    buyer = make.purchaser()
    winner = make.agency(org_name="重庆中选环保有限公司")
    notice = contract_for(make, winner, buyer, "悦来片区环评", "awarded")
    auth.login(buyer)
    sign = block(actions(client), "awarded")
    assert "已确定中选，待签订合同（1）" in sign and "重庆中选环保有限公司" in sign
    assert "签订期限 2026-12-11 10:01" in sign  # 5 working days after the publicity ended
    assert f'href="/notices/{notice.id}#sign-box"' in sign
    assert "对方已签署" not in sign

    procurement.sign_contract(winner, notice, make.contract_pdf())
    assert "（对方已签署）" in block(actions(client), "awarded")
    procurement.sign_contract(buyer, notice)
    assert "待签订合同" not in actions(client)


def test_an_accepted_notice_asks_each_party_for_its_own_evaluation(client, auth, make):
    buyer, winner = make.purchaser(), make.agency()
    notice = contract_for(make, winner, buyer, "悦来片区环评", "accepted")
    auth.login(buyer)
    rate = block(actions(client), "accepted")
    assert "已验收，待评价机构（1）" in rate and "评价截止 2026-12-09 10:02" in rate
    assert f'href="/notices/{notice.id}#rating-box"' in rate

    procurement.evaluate(buyer, notice, make.GOOD_SCORES, "成果扎实")
    assert "待评价" not in actions(client)
    auth.logout()
    auth.login(winner)
    page = actions(client)
    assert "待评价采购人 1 项" in page and f'href="/notices/{notice.id}#rating-box"' in page
    assert "评价截止 2026-12-09 10:02" in page


def test_a_poor_rating_asks_the_rated_party_to_rectify(client, auth, make):
    buyer, winner = make.purchaser(), make.agency()
    notice = contract_for(make, winner, buyer, "悦来片区环评", "accepted")
    procurement.evaluate(buyer, notice, POOR, "严重超期")
    procurement.evaluate(winner, notice, POOR, "付款拖延")
    auth.login(buyer)
    case = block(actions(client), "rectification")
    assert "待整改（1）" in case and f'href="/notices/{notice.id}#rectification"' in case
    own = procurement.notice_rectifications(notice)
    mine = next(c for c in own if c.org_id == buyer.organisation.id)
    procurement.answer_rectification(buyer, mine.id, "已建立付款台账")
    assert "待整改" not in actions(client)

    auth.logout()
    auth.login(winner)
    page = actions(client)
    assert "待整改 1 项" in page and f'href="/notices/{notice.id}#rectification"' in page


def test_the_purchaser_workspace_costs_the_same_queries_with_every_action(
    client, auth, make, db, frozen_clock
):
    buyer = make.purchaser()
    start = frozen_clock.now

    def plant():
        # Every notice starts at the same moment, so one's steps never pass another's
        # deadline; the ones that go furthest come last and leave the clock after the others.
        make.notice(buyer, publish=False)
        for method in ("direct", "scored"):
            frozen_clock.set(start)
            make.opened_notice(method, purchaser_user=buyer)
        for until in ("publicity", "awarded", "delivered", "accepted"):
            frozen_clock.set(start)
            winner, rival = make.agency(), make.agency()
            notice = contract_for(make, winner, buyer, until=until, rival=rival)
            if until == "publicity":
                procurement.file_objection(rival, notice, "中选机构业绩造假")
        # A rectification case against the purchaser: the agency rated it poorly.
        frozen_clock.set(start)
        winner = make.agency()
        rated = contract_for(make, winner, buyer, until="accepted")
        procurement.evaluate(winner, rated, POOR, "付款拖延")
        procurement.evaluate(buyer, rated, make.GOOD_SCORES, "成果扎实")

    plant()
    auth.login(buyer)
    # What came due is applied first (the worker's work; a page applies 5 a request), so the
    # counts compare the workspace's own reads.
    procurement.run_due()
    dashboard(client)
    few = count_queries(db, client)
    for _ in range(6):
        frozen_clock.set(start)
        plant()
    procurement.run_due()
    page = dashboard(client)
    keys = ("draft", "step-direct", "step-scored", "objection", "awarded", "delivered")
    keys += ("accepted",)
    for key in (*keys, "rectification"):
        assert "（7）" in block(page, key), key
    assert count_queries(db, client) == few


# --- agency ------------------------------------------------------------------------------


def test_a_bid_invalidated_by_an_edit_asks_the_agency_to_reconfirm(client, auth, make):
    user = make.agency()
    buyer = make.purchaser()
    notice = make.notice(buyer, title="悦来片区环评")
    make.bid(user, notice, amount_fen=75_000_00)
    procurement.update_notice(buyer, notice, make.notice_data(title="悦来片区环评（修改）"))
    auth.login(user)
    page = dashboard(client)
    reconfirm = section(page, "actions")
    assert "待重新确认的报价 1 项" in reconfirm
    assert f'href="/notices/{notice.id}#bid-box"' in reconfirm
    assert "2026-12-01 10:00 截止" in reconfirm
    assert "待重新确认" in section(page, "bids")  # marked in the bids table too

    procurement.reconfirm_bid(user, notice, 75_000_00, "方案")
    page = dashboard(client)
    assert "待重新确认" not in page
    assert badge(section(page, "bids")) == 1


def test_an_award_asks_the_agency_to_sign_and_lists_the_contract(client, auth, make):
    user = make.agency()
    buyer = make.purchaser()
    notice = contract_for(make, user, buyer, "悦来片区环评", "awarded")
    auth.login(user)
    page = dashboard(client)
    sign = section(page, "actions")
    assert "待签订合同 1 项" in sign and f'href="/notices/{notice.id}#sign-box"' in sign
    assert "签订期限 2026-12-11 10:01" in sign and "采购人已签署" not in sign
    contracts = section(page, "contracts")
    assert badge(contracts) == 1 and "已中选" in contracts

    procurement.sign_contract(buyer, notice, make.contract_pdf())
    assert "采购人已签署" in section(dashboard(client), "actions")
    procurement.sign_contract(user, notice)
    actions = section(dashboard(client), "actions")
    assert "待签订合同" not in actions and "待交付 1 项" in actions


def test_a_returned_delivery_is_to_deliver_again_with_the_reason(client, auth, make):
    user = make.agency()
    buyer = make.purchaser()
    notice = contract_for(make, user, buyer, "悦来片区环评", "delivered")
    auth.login(user)
    assert "待交付" not in section(dashboard(client), "actions")

    procurement.return_delivery(buyer, notice, "缺少敏感目标分布图")
    deliver = section(dashboard(client), "actions")
    assert "待交付 1 项" in deliver and "已退回：缺少敏感目标分布图" in deliver
    assert f'href="/notices/{notice.id}#deliver-box"' in deliver


def test_the_agency_follows_the_objections_it_filed(client, auth, make):
    rival = make.agency()
    notice = contract_for(make, make.agency(), title="悦来片区环评", until="publicity", rival=rival)
    auth.login(rival)
    assert "暂无异议" in section(dashboard(client), "objections")

    procurement.file_objection(rival, notice, "中选机构业绩造假")
    objections = section(dashboard(client), "objections")
    assert badge(objections) == 1 and "悦来片区环评" in objections
    assert "待采购人答复" in objections and f'href="/notices/{notice.id}#objections"' in objections

    regulator = make.regulator_for(notice)
    objection = notice.objections[0]
    procurement.decide_objection(regulator, notice, objection.id, False, "业绩经核实属实")
    objections = section(dashboard(client), "objections")
    assert "异议不成立" in objections and "业绩经核实属实" in objections
    assert "待采购人答复" not in objections


def test_the_agency_workspace_costs_the_same_queries_with_every_action(
    client, auth, make, db, frozen_clock
):
    user = make.agency()
    make.document(user)
    start = frozen_clock.now

    def plant():
        for until in ("publicity", "awarded", "contracted", "delivered", "accepted", "accepted"):
            frozen_clock.set(start)
            winner = make.agency() if until == "publicity" else user
            rival = user if until == "publicity" else None
            notice = contract_for(make, winner, until=until, rival=rival)
            if until == "publicity":
                procurement.file_objection(user, notice, "中选机构业绩造假")
            elif until == "delivered":
                procurement.return_delivery(notice.created_by, notice, "缺图")
        # The last one, rated poorly by its purchaser: a rectification case.
        procurement.evaluate(notice.created_by, notice, POOR, "严重超期")
        procurement.evaluate(user, notice, make.GOOD_SCORES, "配合顺畅")
        # Bids last: the clock is now after every other deadline.
        edited = make.notice()
        make.bid(user, edited)
        procurement.update_notice(edited.created_by, edited, make.notice_data(title="已修改"))

    plant()
    auth.login(user)
    procurement.run_due()  # as in the purchaser's test: the counts compare the reads
    dashboard(client)
    few = count_queries(db, client)
    for _ in range(6):
        plant()
    procurement.run_due()
    page = dashboard(client)
    actions = section(page, "actions")
    for title in ("待重新确认的报价", "待签订合同", "待评价采购人", "待整改"):
        assert f"{title} 7 项" in actions, title
    assert "待交付 14 项" in actions  # contracted, and delivered but returned
    assert badge(section(page, "objections")) == 7
    assert count_queries(db, client) == few


def test_a_method_registered_later_adds_its_step_to_the_purchasers_workspace(make, db):
    from dataclasses import replace

    from market.procurement.selection import base
    from market.supervision.purchaser_workspace import purchaser_workspace

    buyer = make.purchaser()
    org = buyer.organisation
    assert "step-review" not in [d.key for d in purchaser_workspace(org).dues]
    direct = base.method_for("direct")
    step = replace(direct.step, todo=("报价已截止，待复核", "复核后选定"))
    base.register(replace(direct, key="review", label="复核选定", step=step))
    try:
        dues = {d.key: d for d in purchaser_workspace(org).dues}
        assert dues["step-review"].title == "报价已截止，待复核"
    finally:
        base.unregister("review")
    assert "step-review" not in [d.key for d in purchaser_workspace(org).dues]
