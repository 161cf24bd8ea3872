"""网上中介超市: the application factory."""

from flask import Flask

from .config import load_config
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

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)

    from . import accounts, agencies, catalogue, core, notifications, procurement, supervision

    for module in (core, accounts, catalogue, agencies, procurement, notifications, supervision):
        module.init_app(app)

    from .cli import market_cli

    app.cli.add_command(market_cli)
    return app
