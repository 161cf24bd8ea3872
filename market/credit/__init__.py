"""Credit (信用): criteria, conduct records and their due process, the score engine, measures,
disclosure, repair, graded supervision and risk alerts. Listens to procurement's signals and
writes each agency's standing onto it; procurement and search never import this package."""


def init_app(app):
    from ..agencies.documents import register_sharer
    from ..agencies.versions import shown_on_agency_pages
    from ..core import signals
    from ..core.worker import register_task
    from . import agency_views, commands, criteria_views, models  # noqa: F401 (routes, commands)
    from .blueprint import bp
    from .cli import credit_cli
    from .disclosure import views as disclosure_views  # noqa: F401 (routes)
    from .inspections import models as inspection_models  # noqa: F401 (tables)
    from .inspections import views as inspection_views  # noqa: F401 (routes)
    from .records import listeners
    from .records import views as record_views  # noqa: F401 (routes)
    from .records.services import record_readers
    from .risk import listeners as risk
    from .risk import models as risk_models  # noqa: F401 (tables)
    from .risk import views as risk_views  # noqa: F401 (routes)
    from .tasks import nightly, recompute_expired

    # An agency's storefront and credit page show its records, red-list entries and history.
    shown_on_agency_pages(models.ConductRecord, "subject_org_id")
    shown_on_agency_pages(models.RedListEntry, "agency_org_id")
    shown_on_agency_pages(models.ScoreSnapshot, "agency_org_id")
    every = app.config["WORKER_INTERVALS"]
    register_task(app, "credit-expiries", recompute_expired, every["credit-expiries"])
    register_task(app, "credit-nightly", nightly, every["credit-nightly"])
    listeners.connect(signals)
    risk.connect(signals)
    register_sharer(app, record_readers)
    app.register_blueprint(bp)
    app.cli.add_command(credit_cli)
    app.jinja_env.globals["credit_panel"] = agency_views.profile_panel
