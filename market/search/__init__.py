"""Search: Whoosh indexes with a Chinese analyzer, credit-aware ranking, a durable outbox sync
(see docs/search.md). Reads every domain to its left; none imports it."""


def init_app(app):
    from ..core.signals import standing_changed
    from ..core.worker import register_task
    from . import models, sync  # noqa: F401 (the outbox model; the session events)
    from .cli import search_cli
    from .views import bp

    standing_changed.connect(sync.on_standing_changed)
    # Committed changes are indexed by the worker within WORKER_INTERVALS["search"] seconds.
    register_task(app, "search", sync.drain, app.config["WORKER_INTERVALS"]["search"])
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
