"""The catalogue of intermediary services: items and their revisions, batches, the Excel
import and the exports, the public list and its change log (docs/catalogue.md)."""


def init_app(app):
    from ..core.worker import register_task
    from . import contract_views, models  # noqa: F401 (routes)
    from .tasks import apply_due_changes
    from .views import bp

    register_task(app, "catalogue", apply_due_changes, app.config["WORKER_INTERVALS"]["catalogue"])
    app.register_blueprint(bp)
