"""The platform's public accounting: figures counted from the data by SQL (registrations,
notices, savings, working days, competition, concentration, credit), shown as charts with
their tables, JSON and CSV, on the statistics page, the operators' workspace and the
monthly report (docs/statistics.md)."""


def init_app(app):
    from .tables import shown
    from .views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(stat_value=shown)
