"""Notices, sealed bids, selection, contracts, delivery and evaluation."""


def init_app(app):
    from ..agencies.documents import register_sharer
    from . import models  # noqa: F401
    from .services import bid_document_readers
    from .views import bp

    # A purchaser may read the files a bid cites once that bid is open, never while sealed.
    register_sharer(app, bid_document_readers)
    app.register_blueprint(bp)
