"""Agency profiles, offerings, standing and the public directory."""


def init_app(app):
    from ..accounts.panels import org_data_panel
    from ..catalogue.panels import item_panel
    from ..core import signals
    from ..core.worker import register_task
    from . import listeners, models, versions  # noqa: F401 (tables; page versions raised)
    from .directory import offering_agencies_panel
    from .library_views import bp as library_bp
    from .views import bp, description_panel

    listeners.connect(signals)
    every = app.config["WORKER_INTERVALS"]
    register_task(app, "qualifications", listeners.expire_qualifications, every["qualifications"])
    register_task(app, "held-uploads", listeners.discard_held_uploads, every["held-uploads"])
    item_panel(offering_agencies_panel)
    org_data_panel(description_panel)
    app.register_blueprint(bp)
    app.register_blueprint(library_bp)
