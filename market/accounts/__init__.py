"""Users, organisations, memberships, login and registration."""


def init_app(app):
    from ..extensions import db, login_manager
    from .member_views import bp as members_bp
    from .models import User
    from .views import bp

    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def load_user(user_id):
        user = db.session.get(User, int(user_id))
        # A deactivated user's live session ends at their next request.
        return user if user is not None and user.active else None

    app.register_blueprint(bp)
    app.register_blueprint(members_bp)
