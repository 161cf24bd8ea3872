"""Destructive actions of an agency are asked once more before they are done: withdrawing a
service and taking a file out of the library each show what they do, then one button."""

from market.agencies.models import Document, Offering


def test_withdrawing_a_service_asks_first(client, auth, make, db):
    agency = make.agency(items=("ZJ012", "ZJ005"))
    auth.login(agency)
    offering = db.session.query(Offering).filter_by(agency_id=agency.organisation.id).first()
    url = f"/agency/offerings/{offering.id}/withdraw"
    page = client.get("/agency/offerings").get_data(as_text=True)
    assert f'href="{url}"' in page  # a link to the question, not a form that withdraws
    asked = client.get(url).get_data(as_text=True)
    assert "确认撤下服务" in asked and offering.item.name in asked and "已提交的报价" in asked
    assert db.session.query(Offering).filter_by(id=offering.id).count() == 1  # nothing yet
    assert client.post(url).status_code == 302
    assert db.session.query(Offering).filter_by(id=offering.id).count() == 0
    auth.logout()
    auth.login(make.agency())
    other = db.session.query(Offering).filter_by(agency_id=agency.organisation.id).first()
    assert client.get(f"/agency/offerings/{other.id}/withdraw").status_code == 403


def test_archiving_a_file_asks_first(client, auth, make, db):
    agency = make.agency()
    document = make.document(agency, title="营业执照副本")
    auth.login(agency)
    url = f"/agency/documents/{document.id}/archive"
    asked = client.get(url).get_data(as_text=True)
    assert "确认移出资料库" in asked and "营业执照副本" in asked
    assert db.session.get(Document, document.id).archived is False
    client.post(url)
    assert db.session.get(Document, document.id).archived is True
    again = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "已移出资料库" in again
    auth.logout()
    auth.login(make.agency())
    assert client.get(url).status_code == 403
