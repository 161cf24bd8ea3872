"""网上中介超市: the application factory."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .core.arrival import ArrivalStamp
from .core.converters import register_converters
from .core.limits import register_limits
from .core.prepared import keep_prepared_statements
from .core.testing_hooks import register_testing_hooks
from .extensions import bootstrap, csrf, db, login_manager, migrate


def create_app(test_config=None):
    """Build the application: config → extensions → blueprints → errors → CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    load_config(app, test_config)
    register_converters(app)
    if app.config["PROXY_COUNT"]:
        # Behind a reverse proxy, the client's address (recorded with each quote and compared
        # by the risk alerts) is in X-Forwarded-For, set by that many trusted proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=1)
    # Outermost: the moment each request arrived, before anything else is done for it.
    app.wsgi_app = ArrivalStamp(
        app.wsgi_app,
        trust_proxy=bool(app.config["PROXY_COUNT"]),
        skew_seconds=app.config["ARRIVAL_SKEW_SECONDS"],
    )

    db.init_app(app)
    # psycopg drops a connection's prepared statements at every rollback, which ends every
    # page: on PostgreSQL a transaction that only read commits instead (core/prepared.py).
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg:"):
        with app.app_context():
            for engine in db.engines.values():
                keep_prepared_statements(engine)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)

    from . import (
        accounts,
        agencies,
        alerts,
        catalogue,
        core,
        credit,
        notifications,
        opendata,
        payments,
        procurement,
        search,
        statistics,
        supervision,
    )

    modules = (
        core,
        accounts,
        catalogue,
        agencies,
        procurement,
        payments,
        credit,
        statistics,
        search,
        notifications,
        supervision,
        opendata,
        alerts,
    )
    for module in modules:
        module.init_app(app)

    # Last: the limits wrap views the blueprints above registered.
    register_limits(app)
    register_testing_hooks(app, csrf)

    from .cli import market_cli

    app.cli.add_command(market_cli)
    return app
