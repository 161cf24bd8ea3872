"""Credit (信用): criteria, conduct records and their due process, the score engine, measures,
disclosure, repair, graded supervision and risk alerts. Listens to procurement's signals and
writes each agency's standing onto it; procurement and search never import this package."""


def init_app(app):
    from ..agencies.documents import register_sharer
    from ..core import signals
    from . import (  # noqa: F401 (models, commands and the view modules adding routes to bp)
        agency_views,
        commands,
        criteria_views,
        disclosure_views,
        inspection_models,
        inspection_views,
        listeners,
        models,
        record_views,
        risk,
        risk_models,
        risk_views,
    )
    from .blueprint import bp
    from .cli import credit_cli
    from .records import record_readers

    listeners.connect(signals)
    risk.connect(signals)
    register_sharer(app, record_readers)
    app.register_blueprint(bp)
    app.cli.add_command(credit_cli)
    app.jinja_env.globals["credit_panel"] = agency_views.profile_panel
