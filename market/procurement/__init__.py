"""Notices, sealed bids, selection, contracts, delivery and evaluation."""


def init_app(app):
    from ..agencies.documents import register_sharer
    from . import bid_views, contract_models, contract_views, models, notice_views, views  # noqa: F401  # noqa: F401 (routes)
    from .blueprint import bp
    from .services import bid_document_readers

    # A purchaser may read the files a bid cites once that bid is open, never while sealed.
    register_sharer(app, bid_document_readers)
    app.register_blueprint(bp)
