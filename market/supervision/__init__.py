"""The public portal's figures and the regulator and operator workspaces."""


def init_app(app):
    from .navigation import navigation, search_first, site_header
    from .views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        navigation=navigation, search_first=search_first, site_header=site_header
    )
