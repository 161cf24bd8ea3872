"""The notice page's public timeline: every public step in order, in Chinese, with who acted;
no amount while bids are sealed; links to the commitments and the draw."""

import re
from datetime import timedelta

from market.core import clock
from market.core.audit import record_event
from market.procurement import services
from market.procurement.runner import apply_due
from market.procurement.timeline import ACTION_LABELS, GENERIC_LABEL, public_timeline


def timeline_html(client, notice):
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    match = re.search(r'<ul class="timeline[^"]*" id="timeline">(.*?)</ul>', page, re.S)
    assert match, "the notice page has a timeline"
    return match.group(1)


def labels(html):
    return re.findall(r'<strong class="timeline-label">(.*?)</strong>', html)


def test_a_notice_walked_through_its_life_shows_every_public_step_in_order(client, make):
    notice, buyer, winner, rival = make.publicity_notice(amount_fen=80_000_00)
    regulator = make.regulator_for(notice)
    objection = services.file_objection(rival, notice, "中选机构报价明显低于成本，且未提供说明")
    services.answer_objection(buyer, notice, objection.id, "经核实报价不低于成本")
    services.decide_objection(regulator, notice, objection.id, False, "经核查，报价合理")
    clock.freeze(notice.publicity_end_dt + timedelta(minutes=1))
    apply_due(notice)
    services.sign_contract(buyer, notice, make.contract_pdf())
    services.sign_contract(winner, notice)
    services.mark_delivered(winner, notice, "报告书 5 份")
    services.return_delivery(buyer, notice, "结论部分缺少监测数据")
    services.mark_delivered(winner, notice, "补充监测数据后的报告书 5 份")
    services.accept_delivery(buyer, notice)
    services.evaluate(buyer, notice, make.GOOD_SCORES, "成果扎实")
    services.evaluate(winner, notice, make.GOOD_SCORES, "配合顺畅")

    html = timeline_html(client, notice)
    assert labels(html) == [
        "公告发布",
        "报价截止，开启报价",
        "公开报价承诺值",
        "执行选取（第 1 轮）",
        "选定中选机构",
        "中选结果公示",
        "收到异议",
        "采购人答复异议",
        "监管部门作出异议处理决定",
        "公示期满，确定中选",
        "采购人签署合同",
        "中选机构签署合同",
        "双方签订合同",
        "中选机构提交交付成果",
        "采购人退回交付成果，待修改后重新提交",
        "中选机构提交交付成果",
        "采购人验收通过",
        "付款进展",  # the fee falls due at acceptance (payments)
        "采购人评价中选机构（评价内容待双方提交后公开）",
        "中选机构评价采购人（评价内容待双方提交后公开）",
        "评价公开，项目办结",
    ]
    assert "中选报价 ¥80,000.00" in html and "异议不成立" in html
    assert "第 2 次提交" in html
    assert "服务费（¥80,000.00）：付款条件已满足，开始计算付款期限" in html
    # Who acted: organisation names, the platform as 系统, the objector never by name.
    assert buyer.organisation.name in html and winner.organisation.name in html
    assert regulator.organisation.name in html and "系统" in html
    assert rival.organisation.name not in html and "参与报价的机构" in html
    # Private details stay out: the return reason, the objection's reasons and answer.
    for private in ("结论部分缺少监测数据", "明显低于成本", "经核实报价不低于成本"):
        assert private not in html
    # Links to the published commitments and to the draw's record.
    assert f'href="/notices/{notice.id}/commitments"' in html
    assert f'href="/notices/{notice.id}/draw"' in html


def test_no_amount_or_bid_count_shows_while_the_bids_are_sealed(client, make):
    notice = make.notice()
    make.bid(make.agency(), notice, 87_654_00)
    make.bid(make.agency(), notice, 91_234_00)
    html = timeline_html(client, notice)
    assert labels(html) == ["公告发布"]
    assert "87,654" not in html and "91,234" not in html and "家" not in html

    make.close_bidding(notice)
    html = timeline_html(client, notice)
    assert "有效报价 2 家" in html
    assert "87,654" not in html  # opened, but no result yet


def test_an_edit_failure_and_republication_read_in_chinese_with_links(client, make):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    services.update_notice(
        buyer, notice, make.notice_data(deadline=notice.deadline_dt + timedelta(days=1))
    )
    make.close_bidding(notice)
    assert notice.state == "failed"
    copy = services.republish_notice(buyer, notice)

    html = timeline_html(client, notice)
    assert labels(html) == [
        "公告发布",
        "公告修改（第 2 版）",
        "流标",
        "流标后重新发布",
    ]
    assert "原因：报价截止时无机构报价" in html and "no_bids" not in html
    assert f'href="/notices/{copy.id}"' in html
    assert labels(timeline_html(client, copy)) == ["重新发布"]


def test_cancellation_and_termination_show_their_reasons(client, make):
    buyer = make.purchaser()
    cancelled = make.notice(buyer)
    services.cancel_notice(buyer, cancelled, "项目规划调整，暂停采购")
    html = timeline_html(client, cancelled)
    assert labels(html)[-1] == "公告撤销" and "原因：项目规划调整，暂停采购" in html

    notice, buyer, _ = make.contracted_notice()
    services.terminate_contract(buyer, notice, "建设单位撤回许可申请")
    html = timeline_html(client, notice)
    assert labels(html)[-2:] == ["服务中止", "付款进展"] and "原因：建设单位撤回许可申请" in html
    assert "服务费（¥80,000.00）：合同中止，付款节点取消" in html


def test_an_unknown_action_reads_as_a_generic_chinese_label(make):
    notice = make.notice()
    record_event("notice", notice.id, "something_new", actor=notice.created_by)
    record_event("notice", notice.id, "private_note", public=False)
    entries = public_timeline(notice)
    assert [e.label for e in entries] == ["公告发布", GENERIC_LABEL]
    assert entries[-1].who == notice.purchaser.name
    assert all(re.search(r"[a-z_]{4,}", e.label) is None for e in entries)


def test_every_action_others_record_publicly_has_a_label():
    # The actions the procurement services record as public events (grep record_event).
    for action in (
        "revised",
        "republished",
        "commitments_published",
        "selection",
        "bid_excluded",
        "objection_filed",
        "objection_answered",
        "objection_decided",
        "award_suspended",
        "contract_signed",
        "evaluation_submitted",
        "payment",
    ):
        assert action in ACTION_LABELS
