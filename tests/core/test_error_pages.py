"""Error pages are in Chinese, keep the site's navigation and return the right status."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import IntegerConverter

from market.accounts.models import Organisation


def _page(response):
    return response.get_data(as_text=True)


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = _page(response)
    assert "页面不存在" in page and "您访问的页面不存在或已被删除。" in page
    assert "返回首页" in page and 'lang="zh-CN"' in page
    assert "Not Found" not in page


def test_forbidden_page_is_a_chinese_403(client, auth, make):
    auth.login(make.agency())
    response = client.get("/supervision/audit")
    assert response.status_code == 403
    page = _page(response)
    assert "无权访问" in page and "您没有权限执行此操作" in page
    assert "Forbidden" not in page


def test_wrong_method_is_a_chinese_405(client):
    response = client.get("/logout")
    assert response.status_code == 405
    page = _page(response)
    assert "请求方式不正确" in page and "该页面不支持此请求方式。" in page
    assert "Method Not Allowed" not in page


def _org_count(db):
    return db.session.scalar(select(func.count(Organisation.id)))


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(
    app, client, make, db, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = _org_count(db)

    response = client.post("/register/agency", data=make.registration_form("agency"))

    assert response.status_code == 400
    page = _page(response)
    assert "请求无效" in page
    assert "页面已过期或表单校验令牌无效，请刷新页面后重新提交。" in page
    assert "CSRF" not in page
    assert _org_count(db) == before


def test_forms_carry_a_csrf_token_when_protection_is_on(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert 'name="csrf_token"' in _page(client.get("/register/agency"))
    assert 'name="csrf_token"' in _page(client.get("/login"))


def test_a_lost_optimistic_lock_race_shows_the_chinese_409_page(app):
    # Any view whose flush loses a version_id_col race ends in this handler.
    with app.test_request_context("/notices/1/selection", method="POST"):
        response = app.make_response(
            app.handle_user_exception(StaleDataError("UPDATE matched 0 rows"))
        )
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "数据已变更" in page and "该记录刚刚被他人修改，您的操作未生效。" in page
        assert "UPDATE" not in page


def test_an_unexpected_error_shows_the_chinese_500_page_with_the_request_id(tmp_path):
    from market import create_app

    broken = create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite3'}",
            "LOG_JSON": False,
        }
    )

    @broken.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = broken.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "服务器内部错误" in page and "RuntimeError" not in page
    # Support finds the log lines by the number the user reads out.
    request_id = response.headers["X-Request-ID"]
    assert f"错误编号：<code>{request_id}</code>" in page

    response = broken.test_client().get("/boom", headers={"X-Request-ID": "lb-7f3a.1"})
    assert "错误编号：<code>lb-7f3a.1</code>" in response.get_data(as_text=True)


def test_only_a_server_error_shows_a_request_id(client):
    assert "错误编号" not in _page(client.get("/no-such-page"))


def _address(rule, number):
    """The rule's path with `number` for each integer part and "x" for any other."""
    path = rule.rule
    for name, converter in rule._converters.items():
        value = number if isinstance(converter, IntegerConverter) else "x"
        path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", value, path)
    return path


def test_an_id_beyond_64_bits_in_any_address_is_not_found(app, client):
    """Every <int:…> of every route: a number no row can have is a Chinese 404, never a 500."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        for number in ("9223372036854775808", "1" + "0" * 30):
            response = client.open(_address(rule, number), method=method)
            assert response.status_code == 404, (rule.rule, number, response.status_code)
            if rule.rule.startswith("/api/"):  # the APIs answer in JSON
                assert response.get_json()["message"] == "您访问的页面不存在或已被删除。"
            else:
                assert "页面不存在" in _page(response)
            checked += 1
    assert checked > 100  # every route that takes an id, two numbers each


HUGE = "99999999999999999999"


def test_an_id_beyond_64_bits_in_a_query_is_ignored(client, auth, make):
    for path in (f"/agencies/?item={HUGE}", f"/notices/?page={HUGE}", f"/agencies/?page={HUGE}"):
        assert client.get(path).status_code == 200, path
    auth.login(make.purchaser())
    page = client.get(f"/notices/new?item={HUGE}&invite={HUGE}")
    assert page.status_code == 200 and "发布采购" in _page(page)
    assert client.get(f"/credit/report?notice_id={HUGE}").status_code == 302  # to own notices


def test_an_id_beyond_64_bits_in_a_form_is_refused_with_its_message(client, auth, make, db):
    from market.procurement.models import Bid

    notice, agency_user = make.notice(), make.agency()
    auth.login(agency_user)
    response = client.post(
        f"/notices/{notice.id}/bid",
        data={"amount": "80000", "plan": "方案", "qualification_ids": HUGE},
        follow_redirects=True,
    )
    assert response.status_code == 422 and "所选资质无效" in _page(response)
    assert db.session.scalar(select(func.count(Bid.id)).where(Bid.notice_id == notice.id)) == 0


#: the first id an id column cannot hold on PostgreSQL (INTEGER: 32 bits)
BEYOND_32_BITS = str(2**31)


def test_an_id_beyond_32_bits_names_no_row(app, client, auth, make, db):
    """2³¹ overflows PostgreSQL's INTEGER ids: a 404, ignored, or an invalid choice, never a 500."""
    from market.core.converters import as_id
    from market.procurement.models import Bid

    with pytest.raises(ValueError):
        as_id(BEYOND_32_BITS)
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(_address(rule, BEYOND_32_BITS), method=method)
            assert response.status_code == 404, (rule.rule, response.status_code)
    notice, agency_user = make.notice(), make.agency()
    auth.login(agency_user)
    assert client.get(f"/notices/?page={BEYOND_32_BITS}").status_code == 200
    response = client.post(
        f"/notices/{notice.id}/bid",
        data={"amount": "80000", "plan": "方案", "qualification_ids": BEYOND_32_BITS},
    )
    assert response.status_code == 422 and "所选资质无效" in _page(response)
    assert db.session.scalar(select(func.count(Bid.id)).where(Bid.notice_id == notice.id)) == 0


@pytest.mark.parametrize(
    "path", ["/credit/disclosures?q=a%00b", "/shelves/ZJ012?region=%00", "/catalogue/ZJ%00012"]
)
def test_a_nul_in_an_address_is_a_chinese_400(client, path):
    """PostgreSQL text cannot hold a NUL: refused in a path or a query before any view runs."""
    response = client.get(path)
    assert response.status_code == 400 and "请求无效" in _page(response)
