"""The award notice (中选通知书) and the notice of non-selection (未中选通知) as PDF: who may
download them and when, what they say, and the messages that point to them."""

import io
from datetime import timedelta

from pypdf import PdfReader

from market.notifications.models import Notification
from market.procurement.runner import apply_due


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "")


def _awarded(make, frozen_clock):
    """A notice awarded at ¥80,000.00 over the rival's ¥81,000.00 (the publicity ended):
    (notice, purchaser, winner, rival) users."""
    notice, buyer, winner, rival = make.publicity_notice()
    frozen_clock.set(notice.publicity_end_dt + timedelta(minutes=1))
    apply_due(notice)
    return notice, buyer, winner, rival


def test_the_winner_and_the_purchaser_get_the_award_notice(client, auth, make, frozen_clock):
    notice, buyer, winner, _ = _awarded(make, frozen_clock)
    auth.login(winner)
    text = _text(client.get(f"/notices/{notice.id}/letters/award.pdf"))
    assert "中选通知书" in text
    assert winner.organisation.name in text and buyer.organisation.name in text
    assert "80,000.00" in text
    assert "无异议成立" in text and notice.title in text
    auth.logout()
    auth.login(buyer)
    assert "中选通知书" in _text(client.get(f"/notices/{notice.id}/letters/award.pdf"))
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "中选通知书（PDF）" in page and "未中选通知（PDF）" not in page


def test_a_bidder_not_chosen_gets_its_own_notice_with_the_reason(client, auth, make, frozen_clock):
    notice, _, winner, rival = _awarded(make, frozen_clock)
    auth.login(rival)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "未中选通知（PDF）" in page and "中选通知书（PDF）" not in page
    text = _text(client.get(f"/notices/{notice.id}/letters/outcome.pdf"))
    assert "未中选通知" in text
    assert "81,000.00" in text  # its own quote
    assert "80,000.00" in text and winner.organisation.name in text
    assert "未被确定为中选机构" in text
    # not the award notice, and the winner has no notice of non-selection
    assert client.get(f"/notices/{notice.id}/letters/award.pdf").status_code == 404
    auth.logout()
    auth.login(winner)
    assert client.get(f"/notices/{notice.id}/letters/outcome.pdf").status_code == 404


def test_no_letter_before_the_award_is_final_nor_for_others(client, auth, make, frozen_clock):
    in_publicity, _, winner, rival = make.publicity_notice()
    auth.login(winner)
    assert client.get(f"/notices/{in_publicity.id}/letters/award.pdf").status_code == 404
    auth.logout()
    auth.login(rival)
    assert client.get(f"/notices/{in_publicity.id}/letters/outcome.pdf").status_code == 404
    auth.logout()
    notice, _, _, _ = _awarded(make, frozen_clock)
    auth.login(make.agency())  # quoted on neither
    assert client.get(f"/notices/{notice.id}/letters/award.pdf").status_code == 404
    assert client.get(f"/notices/{notice.id}/letters/outcome.pdf").status_code == 404
    auth.logout()
    response = client.get(f"/notices/{notice.id}/letters/award.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_bidders_not_chosen_are_told_at_the_award(make, db, frozen_clock):
    notice, _, winner, rival = _awarded(make, frozen_clock)
    told = db.session.query(Notification).filter_by(kind="not_selected").all()
    assert [n.org_id for n in told] == [rival.organisation.id]
    assert told[0].title == f"「{notice.title}」未中选通知"
    assert winner.organisation.name in told[0].body
