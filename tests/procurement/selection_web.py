"""What the per-method walkthroughs share: people logged in, and the pages they read."""

import re

from .. import factories


def login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def text(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def publish(app, notice):
    """The purchaser publishes the draft from its page."""
    client = login(app, notice.created_by)
    assert client.post(f"/notices/{notice.id}/publish").status_code == 302
    assert notice.state == "published" and notice.draw_salt
    return client


def respond(app, notice, amounts, credit_scores=None):
    """One new agency per amount quotes (or registers, amount None) through the bid form and
    reads its receipt; returns [(client, bid)]."""
    from market.agencies.services import agency_of

    people = []
    for i, amount in enumerate(amounts):
        user = factories.agency(items=(notice.item.code,))
        if credit_scores is not None:
            agency_of(user).credit_score = credit_scores[i]
        client = login(app, user)
        data = {"plan": "组建专项项目组"} | ({} if amount is None else {"amount": amount})
        response = client.post(f"/notices/{notice.id}/bid", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        bid = next(b for b in notice.bids if b.agency_org_id == user.organisation.id)
        page = text(client, f"/notices/{notice.id}")
        assert bid.commitment in page and bid.nonce in page  # the receipt
        people.append((client, bid))
    return people


def verified_draw(app, notice, rounds=1):
    """The public draw page (read anonymously) re-runs every round and shows the match."""
    page = text(app.test_client(), f"/notices/{notice.id}/draw")
    assert page.count("复核一致 ✓") == 2 * rounds and "复核不一致" not in page
    return page


def winner_on_page(page, notice):
    match = re.search(r"中选结果：</strong>([^，]+)，中选价 ([^（]+)", page)
    assert match, "no result on the notice page"
    return match.group(1), match.group(2)
