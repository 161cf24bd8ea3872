"""Alerts (订阅): saved searches, followed catalogue items and followed notices, told by
e-mail at once or in a daily digest, and reminded before a followed notice's deadline
(docs/alerts.md). Reads procurement and the catalogue; nothing imports it."""


def init_app(app):
    from ..core.worker import register_task
    from ..procurement import services as procurement
    from . import models  # noqa: F401 (the models)
    from .panels import follow_panel
    from .services import run
    from .views import bp

    procurement.detail_panel(follow_panel)
    register_task(app, "alerts", run, app.config["WORKER_INTERVALS"]["alerts"])
    app.register_blueprint(bp)
