"""Notices, sealed bids, selection, contracts, delivery and evaluation."""


def init_app(app):
    from ..agencies.documents import register_sharer
    from . import (  # noqa: F401 (routes)
        bid_views,
        contract_models,
        contract_views,
        models,
        notice_views,
        objection_views,
        rectification_views,
        views,
    )
    from .blueprint import bp
    from .parties import party_document_readers
    from .services import bid_document_readers, notice_attachment_readers

    # A purchaser may read the files a bid cites once that bid is open, never while sealed.
    register_sharer(app, bid_document_readers)
    # A published notice's attachments are public (documents.PUBLIC); a draft's stay private.
    register_sharer(app, notice_attachment_readers)
    # Objections' files, the signed contract and the deliverables: the notice's parties.
    register_sharer(app, party_document_readers)
    app.register_blueprint(bp)
