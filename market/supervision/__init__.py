"""The public portal's figures and the regulator and operator workspaces."""


def init_app(app):
    from .views import bp

    app.register_blueprint(bp)
