"""Search: Whoosh indexes with a Chinese analyzer, credit-aware ranking, a durable outbox sync
(see docs/search.md). Reads every domain to its left; none imports it."""


def init_app(app):
    from ..core.signals import standing_changed
    from . import models, sync  # noqa: F401 (the outbox model; the session events)
    from .cli import search_cli
    from .views import bp

    standing_changed.connect(sync.on_standing_changed)
    app.after_request(sync.drain_after_request)
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
