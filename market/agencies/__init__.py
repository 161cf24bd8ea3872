"""Agency profiles, offerings, standing and the public directory."""


def _on_organisation_registered(org, **_):
    from .services import ensure_profile

    if org.kind == "agency":
        ensure_profile(org)


def _on_contract_completed(contract, **facts):
    from .services import record_past_performance

    record_past_performance(contract.id, **facts)


def _on_contract_evaluated(evaluation, contract_id, agency_org_id, scores, **_):
    from .services import add_rating

    add_rating(agency_org_id, contract_id, scores)


def init_app(app):
    from ..core.signals import contract_completed, contract_evaluated, organisation_registered
    from . import models  # noqa: F401
    from .library_views import bp as library_bp
    from .views import bp

    organisation_registered.connect(_on_organisation_registered)
    contract_completed.connect(_on_contract_completed)
    contract_evaluated.connect(_on_contract_evaluated)
    app.register_blueprint(bp)
    app.register_blueprint(library_bp)
