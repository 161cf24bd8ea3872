"""The main public pages cost a fixed, small number of queries, whatever the data."""

import re

from sqlalchemy import event

from market.agencies.services import agency_of


def queries(client, db, path):
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    client.get(path)  # warm: the first request after a change may apply or cache things
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


def test_a_finished_notice_page_costs_at_most_twelve_queries(client, db, make):
    notice, buyer, winner = make.evaluated_notice()
    assert queries(client, db, f"/notices/{notice.id}") <= 12


def test_the_lists_and_storefront_cost_a_handful(client, db, make, app, monkeypatch):
    notice, buyer, winner = make.evaluated_notice()
    for _ in range(3):
        make.notice(make.purchaser())
    monkeypatch.setitem(app.config, "LIVE_FIGURES_SECONDS", 30)  # counted once, then cached
    assert queries(client, db, "/") == 1
    assert queries(client, db, "/notices/") == 1  # the rows, with their bounded count
    assert queries(client, db, f"/agencies/{agency_of(winner).org_id}") <= 6
    assert queries(client, db, "/agencies/") <= 5


def shown_figure(client, label):
    page = client.get("/").get_data(as_text=True)
    match = re.search(rf'fw-bold">(\d+)</div><div class="text-muted small">{label}<', page)
    return int(match.group(1))


def test_the_home_figures_are_counted_at_most_once_in_their_interval(
    client, make, app, monkeypatch, frozen_clock
):
    monkeypatch.setitem(app.config, "LIVE_FIGURES_SECONDS", 30)
    app.extensions.pop("market_live_figures", None)
    before = shown_figure(client, "入驻中介机构")
    make.agency()
    assert shown_figure(client, "入驻中介机构") == before  # counted less than 30 s ago
    monkeypatch.setitem(app.config, "LIVE_FIGURES_SECONDS", 0)
    assert shown_figure(client, "入驻中介机构") == before + 1


def test_a_notice_past_its_deadline_is_not_counted_as_taking_quotes(
    client, make, frozen_clock, app, monkeypatch
):
    monkeypatch.setitem(app.config, "DUE_ON_READ_LIMIT", 0)  # nobody has closed it yet
    notice = make.notice()
    assert shown_figure(client, "报价中公告") == 1
    frozen_clock.set(notice.deadline_dt)
    assert shown_figure(client, "报价中公告") == 0 and notice.state == "published"
