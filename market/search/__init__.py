"""Search: Whoosh indexes with a Chinese analyzer, credit-aware ranking, a durable outbox sync
(see docs/search.md). Reads every domain to its left; none imports it."""


def init_app(app):
    from ..core.health import register_check
    from ..core.signals import standing_changed
    from ..core.worker import register_task
    from . import engine, models, sync  # noqa: F401 (the outbox model; the session events)
    from .cli import search_cli
    from .views import bp

    standing_changed.connect(sync.on_standing_changed)
    # Committed changes are indexed by the worker within WORKER_INTERVALS["search"] seconds.
    register_task(app, "search", sync.drain, app.config["WORKER_INTERVALS"]["search"])
    # A broken or outdated index is reported, not a 503: the search pages say so meanwhile
    # and the rest of the site works.
    register_check(app, "search", engine.health, critical=False)
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
