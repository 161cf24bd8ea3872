"""Notices, sealed bids, selection, contracts, delivery and evaluation.

Other domains use `procurement.services` (the public interface) and the models; the rest of
the package is its own business.
"""


def init_app(app):
    from ..agencies.documents import register_sharer
    from ..agencies.versions import shown_on_agency_pages
    from ..core.worker import register_task
    from . import (  # noqa: F401 (routes; deadline handlers and arrival hooks register)
        arrivals,
        bid_views,
        contract_models,
        contract_views,
        contracts,
        evaluations,
        letter_views,
        messages,
        models,
        notice_views,
        objection_views,
        question_views,
        receipt_views,
        rectification_views,
        versions,
        views,
    )
    from . import selecting as running  # noqa: F401 (close_bidding registers)
    from .blueprint import bp
    from .contract_models import Evaluation
    from .evaluations import agency_replies
    from .parties import party_document_readers
    from .services import bid_document_readers, notice_attachment_readers
    from .states import NOTICE
    from .tasks import apply_deadlines, send_reminders

    NOTICE.check_complete()
    every = app.config["WORKER_INTERVALS"]
    register_task(app, "deadlines", apply_deadlines, every["deadlines"])
    register_task(app, "reminders", send_reminders, every["reminders"])
    register_task(app, "arrival-journal", arrivals.purge, every["arrival-journal"])
    # A purchaser may read the files a bid cites once that bid is open, never while sealed.
    register_sharer(app, bid_document_readers)
    # A published notice's attachments are public (documents.PUBLIC); a draft's stay private.
    register_sharer(app, notice_attachment_readers)
    # Objections' files, the signed contract and the deliverables: the notice's parties.
    register_sharer(app, party_document_readers)
    # The rated agency's reply shows beside the rating on its storefront's past performance.
    shown_on_agency_pages(Evaluation, "shown_agency_org_id")
    app.jinja_env.globals["evaluation_replies"] = agency_replies
    app.register_blueprint(bp)
