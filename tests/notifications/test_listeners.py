"""Each procurement event reaches the parties that must act on it, and nobody else."""

from datetime import timedelta

from market.agencies.models import Agency
from market.core import clock
from market.core.clock import from_local, to_local
from market.notifications.models import Notification
from market.procurement import services
from market.procurement.runner import apply_due

from .helpers import inbox, mailed_to, rows


def _when(moment):
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def test_a_published_notice_tells_the_agencies_offering_its_item(db, make, mail_on_commit):
    offering, other_item = make.agency(), make.agency(items=("ZJ010",))
    avoided, suspended = make.agency(), make.agency()
    db.session.get(Agency, suspended.organisation.id).suspended_until = from_local(
        clock.utcnow().replace(tzinfo=None) + timedelta(days=90)
    )
    buyer = make.purchaser()
    notice = make.notice(buyer, avoidances=[(avoided.organisation.id, "与建设单位存在股权关系")])
    db.session.commit()

    assert inbox(offering) == [f"新的匹配公告：{notice.title}"]
    for nobody in (other_item, avoided, suspended, buyer):
        assert inbox(nobody) == []
    assert mailed_to(mail_on_commit) == [
        ([offering.email], f"【网上中介超市】新的匹配公告：{notice.title}")
    ]
    assert "报价截止时间 " + _when(notice.deadline_dt) in mail_on_commit[0].get_content()


def test_a_direct_invitation_tells_only_the_invited_agency(db, make):
    invited, bystander = make.agency(), make.agency()
    notice = make.notice(invited_org_id=invited.organisation.id, ceiling_fen=80_000_00)
    assert inbox(invited) == [f"新的匹配公告：{notice.title}"]
    assert inbox(bystander) == []


def test_an_edit_asks_only_the_bidders_to_reconfirm(db, make):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    bidders = [make.agency(), make.agency()]
    for user in bidders:
        make.bid(user, notice)
    onlooker = make.agency()
    services.update_notice(
        buyer, notice, make.notice_data(deadline=notice.deadline_dt + timedelta(days=2))
    )
    title = f"「{notice.title}」公告已修改，请重新确认报价"
    for user in bidders:
        assert inbox(user)[-1] == title
    assert title not in inbox(onlooker) and title not in inbox(buyer)


def test_selection_tells_the_winner_and_the_rival_and_publicity_invites_objections(db, make):
    notice, buyer, winner, rival = make.publicity_notice()
    assert inbox(winner)[-1] == f"「{notice.title}」：贵机构被选定为中选机构"
    assert inbox(rival)[-2:] == [
        f"「{notice.title}」选取结果已产生",
        f"「{notice.title}」结果公示中",
    ]
    # The purchaser chose: nobody tells it what it did.
    assert inbox(buyer) == []
    (publicity,) = rows(rival, "publicity")
    assert f"可在 {_when(notice.publicity_end_dt)} 前提出异议" in publicity.body


def test_objections_reach_the_parties_at_each_step(db, make):
    notice, buyer, winner, rival = make.publicity_notice()
    regulator = make.regulator_for(notice)
    before = {u.id: len(inbox(u)) for u in (buyer, winner, rival, regulator)}

    def new(user):
        return inbox(user)[before[user.id] :]

    objection = services.file_objection(rival, notice, "中选机构报价明显低于成本")
    assert new(buyer) == [f"「{notice.title}」收到异议，请答复"]
    assert new(winner) == [f"「{notice.title}」中选结果被提出异议"]
    assert new(regulator) == [f"「{notice.title}」收到异议"]
    assert new(rival) == []

    services.answer_objection(buyer, notice, objection.id, "报价经核实不低于成本")
    assert new(rival) == [f"「{notice.title}」采购人已答复您的异议"]
    assert new(regulator)[-1] == f"「{notice.title}」异议待处理"
    assert len(new(buyer)) == 1

    services.decide_objection(regulator, notice, objection.id, False, "经核查，报价合理")
    outcome = f"「{notice.title}」异议处理结果：异议不成立"
    for user in (rival, buyer, winner):
        assert new(user)[-1] == outcome
    assert outcome not in new(regulator)


def test_the_award_asks_both_parties_to_sign_by_the_deadline(db, make):
    notice, buyer, winner = make.awarded_notice()
    title = f"「{notice.title}」已确定中选，请签订合同"
    assert inbox(buyer)[-1] == title and inbox(winner)[-1] == title
    rival = notice.bids[1].agency_org_id
    assert title not in inbox(rival)
    (row,) = rows(buyer, "sign")
    assert f"请在 {_when(notice.sign_deadline_dt)} 前签订合同" in row.body


def test_delivery_asks_the_purchaser_to_accept_and_acceptance_asks_both_to_evaluate(db, make):
    notice, buyer, winner = make.delivered_notice()
    assert inbox(buyer)[-1] == f"「{notice.title}」成果已交付，请验收"
    assert f"「{notice.title}」成果已交付，请验收" not in inbox(winner)

    services.accept_delivery(buyer, notice)
    for user in (buyer, winner):
        assert f"「{notice.title}」已验收，请评价" in inbox(user)[-2:]
    # and the purchaser, to pay the fee now due (payments)
    assert inbox(buyer)[-2:] == [
        f"「{notice.title}」已验收，请评价",
        f"请按期支付「{notice.title}」的服务费",
    ]


def test_automatic_acceptance_also_asks_for_evaluations(db, make):
    notice, buyer, winner = make.delivered_notice()
    clock.freeze(notice.accept_deadline_dt + timedelta(minutes=1))
    apply_due(notice)
    assert notice.state == "accepted"
    (row,) = rows(winner, "evaluate")
    assert row.body.startswith("系统已自动验收")


def test_a_termination_tells_the_other_party_not_the_one_who_ended_it(db, make):
    notice, buyer, winner = make.contracted_notice()
    services.terminate_contract(buyer, notice, "项目因规划调整取消")
    assert inbox(winner)[-1] == f"「{notice.title}」服务中止"
    assert f"「{notice.title}」服务中止" not in inbox(buyer)
    (row,) = rows(winner, "ended")
    assert "项目因规划调整取消" in row.body


def test_a_notice_without_bids_fails_and_tells_its_purchaser(db, make):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    make.close_bidding(notice)
    assert notice.state == "failed"
    assert inbox(buyer) == [f"「{notice.title}」流标"]


def test_cancelling_a_draft_tells_nobody(db, make):
    buyer = make.purchaser()
    notice = make.notice(buyer, publish=False)
    make.agency()
    services.cancel_notice(buyer, notice, "需求变更，暂不采购")
    assert db.session.query(Notification).count() == 0
