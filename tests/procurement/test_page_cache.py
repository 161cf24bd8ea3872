"""A notice's public page is rendered once per version of the notice for visitors who are not
signed in (core.pagecache, procurement.versions), and is never older than what it shows."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from market.core import pagecache
from market.procurement import services as procurement
from market.procurement.models import Notice

from .. import factories as make
from ..sql import page_statements


@pytest.fixture
def page(kept_page):
    """A notice's public page as a visitor gets it now, checked against one rendered afresh."""
    return lambda notice: kept_page(f"/notices/{notice.id}")


def test_a_second_visitor_gets_the_page_kept_for_the_first(client, db):
    notice, _, _ = make.evaluated_notice()
    path = f"/notices/{notice.id}"
    first_cost, first = page_statements(client, db, path)
    second_cost, second = page_statements(client, db, path)
    assert second == first and "已评价" in second
    # Kept: only the notice's row is read (its deadlines, who may see it, its version).
    assert second_cost == 1 < first_cost


def test_every_step_of_a_notice_shows_at_once(client, page, frozen_clock):
    buyer, winner, rival = make.purchaser(), make.agency(), make.agency()
    notice = make.notice(buyer)
    published = page(notice)
    assert "报价中" in published

    winning = make.bid(winner, notice, 80_000_00)
    make.bid(rival, notice, 90_000_00)
    assert page(notice) == published  # sealed: not even that a quote exists shows

    make.close_bidding(notice)
    assert page(notice) != published
    procurement.select_bid(buyer, notice, winning.id, "报价最低，业绩良好")
    assert "结果公示中" in page(notice)

    objection = procurement.file_objection(rival, notice, "中选机构业绩材料不实")
    assert 'id="objection-' in page(notice)
    procurement.answer_objection(buyer, notice, objection.id, "业绩材料经核实无误")
    answered = page(notice)
    regulator = make.regulator_for(notice)
    procurement.decide_objection(regulator, notice, objection.id, False, "异议不成立")
    assert page(notice) != answered and "异议不成立" in page(notice)

    frozen_clock.set(notice.publicity_end_dt + timedelta(minutes=1))
    assert "已中选" in page(notice)  # the award, applied by the visit itself
    procurement.sign_contract(buyer, notice, make.contract_pdf())
    assert "采购人签署合同" in page(notice)
    procurement.sign_contract(winner, notice)
    assert "服务中" in page(notice)

    procurement.mark_delivered(winner, notice, "报告书5份")
    assert "报告书5份" in page(notice)
    procurement.return_delivery(buyer, notice, "缺少附图")
    returned = page(notice)
    procurement.mark_delivered(winner, notice, "补充附图后的报告书")
    assert page(notice) != returned
    procurement.accept_delivery(buyer, notice)
    assert "已验收" in page(notice)
    procurement.evaluate(buyer, notice, make.GOOD_SCORES, "成果扎实")
    procurement.evaluate(winner, notice, make.GOOD_SCORES, "配合顺畅")
    assert "成果扎实" in page(notice)


def test_a_failed_notice_links_the_notice_it_was_published_again_as(page):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    make.close_bidding(notice)
    assert "流标" in page(notice)
    copy = procurement.republish_notice(buyer, notice)
    assert f"/notices/{copy.id}" in page(notice)


def test_every_change_raises_the_version_in_its_own_transaction(db):
    notice, buyer, winner = make.contracted_notice()

    def version():
        return db.session.scalar(select(Notice.page_version).where(Notice.id == notice.id))

    before = version()
    procurement.mark_delivered(winner, notice, "报告书5份")  # a delivery: the contract's row
    db.session.flush()
    assert version() > before


def test_a_quote_before_the_deadline_leaves_the_version_alone(db, frozen_clock):
    """Sealed: a page rendered afresh after a quote would tell that one exists."""
    notice = make.notice()

    def version():
        return db.session.scalar(select(Notice.page_version).where(Notice.id == notice.id))

    before = version()
    bids = [make.bid(make.agency(), notice, amount_fen=amount) for amount in (80_000_00, 90_000_00)]
    db.session.flush()
    assert version() == before
    make.close_bidding(notice)  # opened: from now on a bid's change is public
    db.session.flush()
    opened = version()
    assert opened > before
    bids[0].status = "invalidated"
    db.session.flush()
    assert version() > opened


def test_signed_in_users_never_get_a_kept_page(client, auth):
    buyer = make.purchaser()
    notice = make.notice(buyer)
    anonymous = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert 'id="cancel-notice"' not in anonymous
    auth.login(buyer)
    own = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert 'id="cancel-notice"' in own  # the purchaser's own page, with its actions
    auth.logout()
    client.get("/")  # where the farewell message shows
    assert client.get(f"/notices/{notice.id}").get_data(as_text=True) == anonymous


def test_a_page_showing_a_message_is_neither_kept_nor_served_from_memory(client, auth):
    notice = make.notice()
    client.get(f"/notices/{notice.id}")  # kept
    auth.login(make.agency())
    auth.logout()  # leaves a message for the next page
    assert "您已安全退出" in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "您已安全退出" not in client.get(f"/notices/{notice.id}").get_data(as_text=True)


def test_a_kept_page_is_dropped_after_its_time(client, db, monkeypatch):
    notice = make.notice()
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    client.get(f"/notices/{notice.id}")
    org = notice.purchaser
    org.name = "重庆更名后的置业有限公司"  # outside the notice: no new version
    db.session.flush()
    assert org.name not in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    now[0] += 61  # PUBLIC_PAGE_SECONDS is 60
    assert org.name in client.get(f"/notices/{notice.id}").get_data(as_text=True)


def test_a_process_keeps_at_most_its_number_of_pages(client, app, monkeypatch, db):
    monkeypatch.setitem(app.config, "PUBLIC_PAGE_ENTRIES", 2)
    notices = [make.notice() for _ in range(3)]
    for notice in notices:
        client.get(f"/notices/{notice.id}")
    assert page_statements(client, db, f"/notices/{notices[2].id}")[0] == 1  # kept
    assert page_statements(client, db, f"/notices/{notices[0].id}")[0] > 1  # the oldest, dropped


def test_the_notice_list_is_rendered_once_per_content(
    client, app, db, monkeypatch, frozen_clock, kept_page, templates_rendered
):
    def visit():
        return kept_page("/notices/")

    buyer = make.purchaser()
    notice = make.notice(buyer, title="礼嘉智慧公园环评服务采购")
    assert "礼嘉智慧公园环评服务采购" in visit()
    with templates_rendered() as rendered:
        client.get("/notices/")
    assert "procurement/index.html" not in rendered  # the same rows: the kept page

    make.notice(buyer, title="悦来片区水土保持方案编制")
    assert "悦来片区水土保持方案编制" in visit()
    buyer.organisation.name = "重庆两江新区更名后的置业有限公司"  # a name the rows show
    db.session.flush()
    assert "重庆两江新区更名后的置业有限公司" in visit()
    # The deadline passes; with no row applied on reading, the row says it awaits its update.
    monkeypatch.setitem(app.config, "DUE_ON_READ_LIMIT", 0)
    assert "状态更新中" not in visit()
    frozen_clock.set(notice.deadline_dt + timedelta(minutes=1))
    assert "状态更新中" in visit()
