"""A small market whose every figure is counted by hand in the tests (test_figures.py).

From Tuesday 2026-11-24 10:00 (Shanghai), the test clock's start:

- agencies A1, A2 (重庆市渝北区) offering ZJ012 (生态环境部门); A3 (四川省成都市) and A4
  (陕西省西安市) offering ZJ010 (水利部门); purchasers P1, P2; all registered 2026-11-24;
- N1 lowest price, ZJ012, P1, ceiling ¥100,000: A1 ¥80,000, A2 ¥90,000 → A1 wins;
- N2 random draw, ZJ010, P2, fixed price ¥50,000: A3 and A4 register → one is drawn;
- N3 direct selection, ZJ012, P1, ceiling ¥100,000: A2 alone ¥80,000, chosen two working
  days after the deadline;
  all three published 2026-11-24, closing Tue 2026-12-01; N1 and N2 awarded Fri 2026-12-04
  (8 working days after publication), N3 Tue 2026-12-08 (10); all three contracts signed;
  N1 signed 2026-12-04 and accepted Tue 2026-12-08 (2 working days);
- conduct records (A05, reported by the 生态环境部门 regulator 2026-11-24, confirmed
  2026-11-27): A1's disclosed at once (on time), A3's disclosed 2026-12-09 (the deadline was
  2026-12-08: late), A2's never disclosed; A1's repaired 2027-03-02;
- A4's grade is C (set directly: the figures read it, however it came);
- N4 lowest price, ZJ012, P2, published 2027-03-02 and still taking quotes (the clock is
  left there): nobody has quoted on it yet (the sealed tests quote).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from market.agencies.services import agency_of
from market.core import clock
from market.credit.records import appeals
from market.credit.records import services as records
from market.procurement import services as procurement
from market.procurement.runner import apply_due

from .. import factories as make

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def at(year, month, day, hour=10, minute=0):
    """A Shanghai wall-clock time as the clock holds it (UTC)."""
    return datetime(year, month, day, hour - 8, minute, tzinfo=UTC)


@dataclass
class World:
    a1: object
    a2: object
    a3: object
    a4: object
    p1: object
    p2: object
    regulator: object
    n1: object
    n2: object
    n3: object
    n4: object
    undisclosed: object  # A2's record, confirmed and never disclosed


def build() -> World:
    clock.freeze(START)
    a1 = make.agency(items=("ZJ012",))
    a2 = make.agency(items=("ZJ012",))
    a3 = make.agency(items=("ZJ010",), region="四川省成都市")
    a4 = make.agency(items=("ZJ010",), region="陕西省西安市")
    p1, p2 = make.purchaser(), make.purchaser()
    regulator = make.staff("regulator", "生态环境部门")

    n1 = make.method_notice("lowest", p1, title="礼嘉智慧公园环评", ceiling_fen=100_000_00)
    n2 = make.method_notice("random", p2, code="ZJ010", title="悦来水保方案", ceiling_fen=50_000_00)
    n3 = make.method_notice("direct", p1, title="江北嘴环评", ceiling_fen=100_000_00)
    won = make.bid(a1, n1, 80_000_00)
    make.bid(a2, n1, 90_000_00)
    make.bid(a3, n2, 50_000_00)
    make.bid(a4, n2, 50_000_00)
    chosen = make.bid(a2, n3, 80_000_00)
    reports = {
        name: make.conduct_report(user, "A05", regulator)[0]
        for name, user in (("a1", a1), ("a2", a2), ("a3", a3))
    }

    clock.freeze(at(2026, 11, 27, 10, 1))  # the statements' window is over
    for n, record in enumerate(reports.values(), 1):
        records.decide(regulator, record.id, "confirmed", f"生环信决〔2026〕{n}号", "事实清楚")
    records.publish(regulator, reports["a1"].id)  # on the day: on time

    clock.freeze(at(2026, 12, 1, 10, 1))  # bidding closed: N1 and N2 select by themselves
    for notice in (n1, n2, n3):
        apply_due(notice)
    assert n1.selected_bid.id == won.id and n2.state == "publicity"

    clock.freeze(at(2026, 12, 3))
    procurement.select_bid(p1, n3, chosen.id, "唯一响应，报价合理")

    clock.freeze(at(2026, 12, 4, 10, 2))  # N1's and N2's publicity is over
    for notice in (n1, n2):
        apply_due(notice)
    assert n1.state == n2.state == "awarded"
    procurement.sign_contract(p1, n1, make.contract_pdf())
    procurement.sign_contract(a1, n1)
    procurement.sign_contract(p2, n2, make.contract_pdf())
    procurement.sign_contract(_user_of(n2, a3, a4), n2)

    clock.freeze(at(2026, 12, 8, 10, 1))  # N3's publicity is over; N1 delivered and accepted
    apply_due(n3)
    procurement.sign_contract(p1, n3, make.contract_pdf())
    procurement.sign_contract(a2, n3)
    procurement.mark_delivered(a1, n1, "报告书5份")
    procurement.accept_delivery(p1, n1)

    clock.freeze(at(2026, 12, 9))
    records.publish(regulator, reports["a3"].id)  # a day after its deadline: late

    clock.freeze(at(2027, 3, 1))
    appeals.request_repair(a1, reports["a1"].id, "已完善签约流程", [make.contract_pdf("整改证明")])
    clock.freeze(at(2027, 3, 2))
    appeals.decide_repair(regulator, reports["a1"].id, True)

    agency_of(a4).credit_grade = "C"
    n4 = make.method_notice("lowest", p2, title="两江协同创新区环评", ceiling_fen=100_000_00)
    return World(a1, a2, a3, a4, p1, p2, regulator, n1, n2, n3, n4, reports["a2"])


def _user_of(notice, *users):
    """The user of the agency whose quote was drawn."""
    winner = notice.selected_bid.agency_org_id
    return next(u for u in users if u.organisation.id == winner)
