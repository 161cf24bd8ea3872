"""Reading the workspace pages in tests: a request, a section, a badge, a query count."""

import re
from datetime import timedelta

from sqlalchemy import event

from market.core import clock
from market.procurement import services as procurement
from market.procurement.runner import apply_due


def dashboard(client):
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page, name):
    return re.search(rf'id="{name}".*?</section>', page, re.S).group(0)


def badge(html):
    """The count in a section's heading."""
    return int(re.search(r'<span class="badge[^"]*">(\d+)</span>', html).group(1))


def figure(page, label):
    """A big number above its label (home page and operator workspace)."""
    match = re.search(rf'fw-bold">([^<]+)</div><div class="text-muted small">{label}</div>', page)
    assert match, label
    return match.group(1)


#: how far contract_for takes a notice, in order
STAGES = ("publicity", "awarded", "contracted", "delivered", "accepted")


def contract_for(
    make, winner, buyer=None, title="两江新区某项目环评服务", until="contracted", rival=None
):
    """A notice `winner` has won, taken as far as `until` (see STAGES): in publicity; awarded,
    the contract unsigned; contracted, signed by both; delivered; accepted, not yet rated.
    A `rival` quotes higher (and may object during publicity)."""
    buyer = buyer or make.purchaser()
    notice = make.notice(buyer, title=title)
    bid = make.bid(winner, notice)
    if rival is not None:
        make.bid(rival, notice, amount_fen=90_000_00)
    make.close_bidding(notice)
    procurement.select_bid(buyer, notice, bid.id, "报价合理，业绩良好")
    stage = STAGES.index(until)
    if stage >= STAGES.index("awarded"):
        clock.freeze(notice.publicity_end_dt + timedelta(minutes=1))
        apply_due(notice)
    if stage >= STAGES.index("contracted"):
        procurement.sign_contract(buyer, notice, make.contract_pdf())
        procurement.sign_contract(winner, notice)
    if stage >= STAGES.index("delivered"):
        procurement.mark_delivered(winner, notice, "环评报告书一式五份")
    if stage >= STAGES.index("accepted"):
        procurement.accept_delivery(buyer, notice)
    assert notice.state == until
    return notice


def count_queries(db, client):
    """Statements one dashboard request sends, with nothing cached from the test's own setup."""
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    db.session.commit()  # the setup's audit events are appended, as earlier requests did
    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        dashboard(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)
