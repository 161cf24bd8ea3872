"""The inbox page: an organisation's own notifications, unread first; read one or all."""

from flask_login import login_user

from market.notifications.models import Notification
from market.notifications.services import notify
from market.notifications.views import unread_notifications


def _three(org_id):
    first = notify(org_id, "new_notice", "第一条", "正文一", "/notices/1")
    second = notify(org_id, "selected", "第二条", "正文二", "/notices/2")
    third = notify(org_id, "due_soon", "第三条", "正文三", "")
    return first, second, third


def test_the_inbox_lists_the_organisations_notifications_unread_first(client, auth, db, make):
    user = make.agency()
    colleague = make.member(user)
    first, second, third = _three(user.organisation.id)
    notify(make.agency().organisation.id, "new_notice", "别家的消息", "正文", "")
    first.read_dt = first.created_dt
    db.session.flush()

    auth.login(colleague)  # any member reads the organisation's inbox
    page = client.get("/inbox").get_data(as_text=True)
    assert "别家的消息" not in page
    assert page.index("第三条") < page.index("第二条") < page.index("第一条")
    assert "2 条未读" in page
    assert "新的匹配公告" in page and "期限提醒" in page  # kinds in words, not codes
    # each row's form marks that row read
    for notification in (first, second, third):
        assert f'action="/inbox/{notification.id}/read"' in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, auth, db, make):
    user = make.agency()
    first, _, _ = _three(user.organisation.id)
    auth.login(user)
    response = client.post(f"/inbox/{first.id}/read", data={"open": "1"})
    assert response.status_code == 302 and response.location == "/notices/1"
    assert first.read_dt is not None
    assert "1 条未读" not in client.get("/inbox").get_data(as_text=True)
    assert "2 条未读" in client.get("/inbox").get_data(as_text=True)


def test_marking_all_read_clears_the_badge(client, auth, db, make):
    user = make.agency()
    _three(user.organisation.id)
    other = make.agency()
    (foreign,) = [notify(other.organisation.id, "selected", "别家", "正文", "")]
    auth.login(user)
    response = client.post("/inbox/read-all", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已将 3 条消息标为已读" in page and "条未读" not in page
    assert foreign.read_dt is None
    assert (
        db.session.query(Notification)
        .filter_by(org_id=user.organisation.id)
        .filter(Notification.read_dt.is_(None))
        .count()
        == 0
    )


def test_another_organisations_notification_is_not_found(client, auth, db, make):
    other = make.purchaser()
    (foreign, _, _) = _three(other.organisation.id)
    auth.login(make.agency())
    assert client.post(f"/inbox/{foreign.id}/read").status_code == 404
    assert client.post("/inbox/999999/read").status_code == 404
    assert foreign.read_dt is None


def test_the_inbox_needs_a_login(client):
    response = client.get("/inbox")
    assert response.status_code == 302 and "/login" in response.location


def test_the_unread_badge_counts_only_unread_of_ones_own_organisation(app, db, make):
    user = make.purchaser()
    first, _, _ = _three(user.organisation.id)
    first.read_dt = first.created_dt
    _three(make.agency().organisation.id)
    db.session.flush()
    with app.test_request_context():
        assert unread_notifications() == {"unread_notifications": 0}  # logged out
        login_user(user)
        assert unread_notifications() == {"unread_notifications": 2}
