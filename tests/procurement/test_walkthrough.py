"""The whole slice through the web layer, as the people using it would walk it."""

import io
import re
from datetime import timedelta

from market.core.clock import to_local
from market.extensions import db
from market.procurement.models import Notice


def _notice_id(response):
    return int(re.search(r"/notices/(\d+)", response.headers["Location"]).group(1))


def test_whole_lifecycle_through_the_browser_layer(app, make, frozen_clock):
    buyer = make.purchaser()
    winner = make.agency(items=("ZJ012",))
    rival = make.agency(items=("ZJ012",))
    buyer_client, winner_client, rival_client = (app.test_client() for _ in range(3))
    for c, user in ((buyer_client, buyer), (winner_client, winner), (rival_client, rival)):
        assert (
            c.post("/login", data={"email": user.email, "password": make.PASSWORD}).status_code
            == 302
        )

    # The purchaser drafts and publishes a notice.
    deadline = to_local(frozen_clock.now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    r = buyer_client.post(
        "/notices/new",
        data={
            "item_id": make.item("ZJ012").id,
            "title": "悦来会展片区环评服务采购",
            "scope": "编制环境影响报告书并协助报批",
            "ceiling": "120000",
            "service_days": "45",
            "deadline": deadline,
            "contact_name": "王五",
            "contact_phone": "023-67001234",
        },
    )
    assert r.status_code == 302
    notice_id = _notice_id(r)
    assert buyer_client.post(f"/notices/{notice_id}/publish").status_code == 302
    page = buyer_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "报价中" in page

    # Agencies offering the item see it and quote, sealed.
    assert "悦来会展片区环评服务采购" in winner_client.get("/agency/opportunities").get_data(
        as_text=True
    )
    assert (
        winner_client.post(
            f"/notices/{notice_id}/bid", data={"amount": "98000", "plan": "45天完成"}
        ).status_code
        == 302
    )
    assert (
        rival_client.post(
            f"/notices/{notice_id}/bid", data={"amount": "99500.50", "plan": "40天完成"}
        ).status_code
        == 302
    )
    sealed = buyer_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "¥98,000.00" not in sealed and "密封中" in sealed
    own = rival_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "¥99,500.50" in own and "¥98,000.00" not in own

    # After the deadline the purchaser sees both quotes and selects one.
    frozen_clock.advance(days=8)
    opened = buyer_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "报价已截止" in opened and "¥98,000.00" in opened and "¥99,500.50" in opened
    notice = db.session.get(Notice, notice_id)
    winning = next(b for b in notice.bids if b.amount_fen == 98_000_00)
    r = buyer_client.post(
        f"/notices/{notice_id}/selection", data={"bid_id": winning.id, "reason": "报价最低"}
    )
    assert r.status_code == 302
    assert "结果公示中" in buyer_client.get(f"/notices/{notice_id}").get_data(as_text=True)

    # Publicity ends after three working days: the contract is drawn up, waiting for signatures.
    frozen_clock.advance(days=5)
    page = winner_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "已中选" in page and "合同编号" in page and "¥98,000.00" in page
    assert "签订合同" in page

    # The purchaser uploads the signed contract; the agency confirms: the service starts.
    r = buyer_client.post(
        f"/notices/{notice_id}/sign",
        data={"file": (io.BytesIO(make.PDF_BYTES), "合同.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert "等待对方确认签署" in buyer_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert winner_client.post(f"/notices/{notice_id}/sign").status_code == 302
    assert "服务中" in winner_client.get(f"/notices/{notice_id}").get_data(as_text=True)

    # The agency delivers; the purchaser accepts and rates; the rating waits for the agency's.
    assert (
        winner_client.post(f"/notices/{notice_id}/deliver", data={"note": "报告书5份"}).status_code
        == 302
    )
    r = buyer_client.post(
        f"/notices/{notice_id}/accept",
        data={
            "evaluate": "1",
            "quality": "5",
            "timeliness": "4",
            "attitude": "5",
            "fees": "4",
            "conduct": "5",
            "comment": "成果扎实",
        },
    )
    assert r.status_code == 302
    assert "成果扎实" not in winner_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    r = winner_client.post(
        f"/notices/{notice_id}/evaluate",
        data={
            "quality": "5",
            "timeliness": "5",
            "attitude": "5",
            "fees": "4",
            "conduct": "5",
            "comment": "需求清楚，配合及时",
        },
    )
    assert r.status_code == 302
    page = buyer_client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "已评价（办结）" in page and "成果扎实" in page and "需求清楚，配合及时" in page

    # The rating shows on the agency's public profile, for anyone.
    profile = app.test_client().get(f"/agencies/{winner.organisation.id}").get_data(as_text=True)
    assert "1 次评价" in profile and "4.60" in profile
