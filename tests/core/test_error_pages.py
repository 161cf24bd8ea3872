"""Error pages are in Chinese, keep the site's navigation and return the right status."""

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

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


def test_an_unexpected_error_shows_the_chinese_500_page(tmp_path):
    from market import create_app

    broken = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite3'}"}
    )

    @broken.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = broken.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "服务器内部错误" in page and "RuntimeError" not in page
