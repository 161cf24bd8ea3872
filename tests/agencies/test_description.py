"""An agency's introduction (机构简介): written by its admins on the organisation page, shown on
its public page, searched; too long is refused with the text kept."""

from sqlalchemy import select

from market.agencies.services import agency_of
from market.core.models import AuditEvent
from market.search import sync

INTRO = "专注山地城市边坡生态修复与消落带治理，完成三峡库区项目四十余个。"


def test_the_admin_writes_it_on_the_organisation_page_and_everyone_sees_it(
    app, client, auth, make, db
):
    admin = make.agency(org_name="重庆青山生态技术有限公司")
    auth.login(admin)
    page = client.get("/org/data").get_data(as_text=True)
    assert 'id="description"' in page and "机构简介" in page
    response = client.post("/agency/description", data={"description": f"  {INTRO}  "})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/org/data#description"
    )
    assert agency_of(admin).description == INTRO
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "description_updated")
    ).one()
    assert event.subject_id == admin.organisation.id
    assert "机构简介已保存" in client.get("/org/data").get_data(as_text=True)
    auth.logout()
    public = client.get(f"/agencies/{admin.organisation.id}").get_data(as_text=True)
    assert INTRO in public


def test_it_is_searched(app, client, auth, make, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", str(tmp_path / "search"))
    admin = make.agency(org_name="重庆青山生态技术有限公司", items=("ZJ010",))
    auth.login(admin)
    client.post("/agency/description", data={"description": INTRO})
    sync.drain()
    page = client.get("/search?type=agencies&q=消落带").get_data(as_text=True)
    assert "重庆青山生态技术有限公司" in page


def test_too_long_is_refused_beside_the_field_and_the_text_kept(client, auth, make):
    admin = make.agency()
    auth.login(admin)
    text = "长" * 2001
    response = client.post("/agency/description", data={"description": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "机构简介不能超过 2000 字" in page and text in page
    assert agency_of(admin).description == ""


def test_only_an_agency_admin_may_write_it(client, auth, make):
    admin = make.agency()
    colleague = make.member(admin)
    auth.login(colleague)
    assert client.get("/agency/description").status_code == 403
    assert client.post("/agency/description", data={"description": INTRO}).status_code == 403
    assert agency_of(admin).description == ""
    auth.logout()
    buyer = make.purchaser()
    auth.login(buyer)
    assert 'id="description"' not in client.get("/org/data").get_data(as_text=True)
    assert client.post("/agency/description", data={"description": INTRO}).status_code == 403
