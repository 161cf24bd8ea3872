"""Users, organisations, memberships, login and registration."""


def init_app(app):
    from flask_login import user_loaded_from_cookie

    from ..core.i18n import _l
    from ..core.worker import register_task
    from ..extensions import db, login_manager
    from . import credential_views, org_views  # noqa: F401  (their routes, on these blueprints)
    from .member_views import bp as members_bp
    from .sessions import purge_sessions, user_for_session
    from .signin import restored_from_cookie
    from .views import bp

    login_manager.login_view = "accounts.login"
    # lazy: written in the language of the request that needs the sign-in
    login_manager.login_message = _l("请先登录")
    login_manager.localize_callback = str
    login_manager.login_message_category = "warning"

    # The cookie names a login session; it counts while that session is live in the database
    # and the user active (a deactivated user's session ends at their next request).
    login_manager.user_loader(user_for_session)
    user_loaded_from_cookie.connect(restored_from_cookie, app)

    def purge():
        count = purge_sessions()
        db.session.commit()
        return count

    register_task(app, "login-sessions", purge, app.config["WORKER_INTERVALS"]["login-sessions"])

    app.register_blueprint(bp)
    app.register_blueprint(members_bp)
