"""Users, organisations, memberships, login and registration."""


def init_app(app):
    from ..extensions import db, login_manager
    from .models import User
    from .views import bp

    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(User, int(user_id))

    app.register_blueprint(bp)
