"""Payments: the contract's milestones, offline bank transfers (the embedded default) and
online payment with held funds (资金托管) through Stripe, webhooks, reconciliation, receipts,
and purchasers held to pay on time. Listens to procurement's signals; procurement and
credit never import this package (late payments reach credit through a signal)."""


def init_app(app):
    from ..agencies.documents import register_sharer
    from ..core.worker import register_task
    from ..procurement import services as procurement
    from . import listeners, models, views  # noqa: F401 (tables, routes)
    from .blueprint import bp
    from .cli import payments_cli
    from .documents import voucher_readers
    from .panel import contract_panel
    from .states import MILESTONE
    from .tasks import apply_deadlines, daily_reconciliation

    MILESTONE.check_complete()
    every = app.config["WORKER_INTERVALS"]
    register_task(app, "payments", apply_deadlines, every["payments"])
    register_task(app, "payments-reconcile", daily_reconciliation, every["payments-reconcile"])
    listeners.connect()
    # The purchaser's bank vouchers: the agency it paid reads them too.
    register_sharer(app, voucher_readers)
    # The notice page's payment panel and timeline follow milestones' changes.
    procurement.detail_panel(contract_panel)
    procurement.shown_on_notice_page(models.Milestone)
    app.register_blueprint(bp)
    app.cli.add_command(payments_cli)
