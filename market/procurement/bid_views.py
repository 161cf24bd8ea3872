"""Quoting on a notice (with its receipt), the purchaser's selection step, and the public pages
of the opening (commitments) and of the selection (draw and its re-run)."""

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..agencies.documents import library
from ..agencies.qualifications import usable_qualifications
from ..core.arrival import received_at
from ..core.auth import role_required
from ..core.errors import ServiceError, apply_to_form
from ..core.hashing import canonical_json
from ..core.i18n import _
from ..core.logs import logged_as_route
from ..core.retry import retrying
from ..extensions import db
from . import arrivals, services
from .access import notice_access
from .bid_forms import BidForm
from .blueprint import bp, detail_panel, notice_or_404, offered, read_or_404, render_detail
from .selection import registered
from .states import party_of
from .timeline import stored_reason


def _user():
    return current_user if current_user.is_authenticated else None


def _reconfirm_form(own):
    """The bid form filled with the invalidated bid, to confirm or change it."""
    form = BidForm()
    if own is not None and not form.is_submitted():
        form.amount.data = f"{own.amount_fen // 100}.{own.amount_fen % 100:02d}"
        form.plan.data = own.plan
        form.qualification_ids.data = [q.id for q in own.qualifications]
        form.document_ids.data = [d.id for d in own.documents]
    return form


def _step_form(notice, eligible, **kwargs):
    """The form of the purchaser's selection step of the notice's method."""
    return notice.selection_method.step.form(eligible)(**kwargs)


@detail_panel
def _bids(notice, user, forms, access):
    own = services.own_bid(notice, user)
    eligible = services.eligible_bids(notice)
    attachable = access.may_quote or access.may_reconfirm or access.may_replace
    org_id = user.organisation.id if attachable else None
    return {
        "bids": services.visible_bids(notice, user),
        "bid_count": services.visible_bid_count(notice),
        "own_bid": own,
        "receipt": canonical_json(services.commitment_payload(own))
        if own and own.commitment
        else "",
        "bid_form": offered(access.may_quote, BidForm),
        "reconfirm_form": _reconfirm_form(own) if access.may_reconfirm else None,
        "replace_form": _reconfirm_form(own) if access.may_replace else None,
        "quote_barrier": services.quote_barrier(user, notice) if access.may_quote else "",
        "own_receipts": services.receipts_of(own),
        "superseded_labels": services.SUPERSEDED_LABELS,
        "step_form": _step_form(notice, eligible) if access.may_take_step else None,
        "eligible_ids": {b.id for b in eligible},
        "attachable_qualifications": usable_qualifications(org_id, notice.item_id)
        if attachable
        else [],
        "attachable_documents": library(org_id) if attachable else [],
    }


def _bid_arguments(form):
    return (
        form.amount.fen,
        form.plan.data or "",
        form.qualification_ids.data or (),
        form.document_ids.data or (),
    )


def _received(fixed_price: bool):
    if fixed_price:
        return _("报名已密封提交。截止前任何人（包括采购人）都看不到；请保存下方的承诺值回执。")
    return _("报价已密封提交。截止前任何人（包括采购人）都看不到；请保存下方的承诺值回执。")


#: g: the quote's journalled arrival (notice id, digest, token), written as its request started
JOURNALLED = "market_quote_arrival"
#: the endpoints that take a quote
QUOTING = frozenset({"procurement.bid", "procurement.reconfirm", "procurement.replace_bid"})


@bp.before_request
def _journal_quote_arrival():
    """A quote's arrival is journalled first thing (arrivals.py): the sender is the login
    session the cookie names (checked later, with the rest), the content the form as posted."""
    g.pop(JOURNALLED, None)
    if request.method != "POST" or request.endpoint not in QUOTING:
        return
    sender = session.get("_user_id")
    notice_id = (request.view_args or {}).get("notice_id")
    if not sender or notice_id is None:
        return  # not signed in: refused before any work
    digest = arrivals.quote_digest(str(sender).split(".")[0], notice_id, request.form)
    token = arrivals.arrived(notice_id, digest, received_at())
    setattr(g, JOURNALLED, (notice_id, digest, token))


@bp.after_request
def _quote_answered(response):
    """Any answer but a server error settles the quote: stored, or refused with a reason (an
    invalid form, an expired page too). Only a request that died or failed keeps lending its
    arrival to the same quote sent again."""
    journalled = g.pop(JOURNALLED, None)
    if journalled is not None and response.status_code < 500:
        notice_id, digest, __ = journalled
        arrivals.answered(notice_id, digest)
    return response


def _quote(notice_id, service, form):
    """Run the quoting `service` for the form and commit, as one unit that is tried again if
    the database connection drops; the quote keeps the moment it arrived: the same quote sent
    again because its first request died unanswered keeps the first one's moment (arrivals.py).
    Returns whether the notice has a fixed price (read before the commit, which expires it)."""
    arguments = _bid_arguments(form)
    received = received_at()
    journalled = g.get(JOURNALLED)
    if journalled is not None:
        __, digest, token = journalled
        earlier = arrivals.unanswered_since(notice_id, digest, token)
        if earlier is not None and earlier < received:
            received = earlier

    def work():
        # Locked and read in one statement; what was due is applied as of `received`.
        notice, __ = services.lock_for_quote(notice_id, _organisation_id(), received)
        if notice is None or notice.published_dt is None:
            abort(404)  # a draft exists only for its purchaser, who does not quote
        service(
            current_user,
            notice,
            *arguments,
            ip=request.remote_addr or "",
            received=received,
        )
        fixed_price = notice.is_fixed_price
        db.session.commit()
        return fixed_price

    return _stored_once(work)


def _stored_once(work):
    try:
        return retrying(work)
    except IntegrityError as error:
        if not _same_agency_quoted(error):
            raise
        # The agency's other submission (a second click) was stored first: run again, this
        # one is answered with it.
        db.session.rollback()
        return retrying(work)


def _organisation_id() -> int:
    organisation = current_user.organisation
    return organisation.id if organisation is not None else 0


def _same_agency_quoted(error: IntegrityError) -> bool:
    """The insert failed on the one-bid-per-agency key (quotes run side by side on
    PostgreSQL; SQLite takes them one at a time and never gets here)."""
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    return constraint == "uq_bids_notice_agency"


def _refused(notice_id, **forms):
    """The notice page with the refused form (422), as the quote found the notice: nothing is
    applied or written (the quote's transaction may hold the notice's shared lock, under
    which a write would wait for every other quote; the page hides the quoting box from the
    deadline on whatever the notice's state)."""
    with db.session.no_autoflush:
        return render_detail(read_or_404(notice_id, apply=False).notice, **forms), 422


@bp.route("/notices/<int:notice_id>/bid", methods=["POST"])
@logged_as_route  # the access line must not tell which notice was quoted on
@role_required("agency")
def bid(notice_id):
    form = BidForm()
    if form.validate_on_submit():
        try:
            fixed_price = _quote(notice_id, services.submit_bid, form)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            flash(_received(fixed_price), "success")
            return redirect(url_for(".detail", notice_id=notice_id, _anchor="receipt"))
    return _refused(notice_id, bid_form=form)


@bp.route("/notices/<int:notice_id>/bid/reconfirm", methods=["POST"])
@logged_as_route
@role_required("agency")
def reconfirm(notice_id):
    form = BidForm()
    if form.validate_on_submit():
        try:
            _quote(notice_id, services.reconfirm_bid, form)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            flash(_("已按修改后的公告重新确认，新的承诺值回执见下方。"), "success")
            return redirect(url_for(".detail", notice_id=notice_id, _anchor="receipt"))
    return _refused(notice_id, reconfirm_form=form)


@bp.route("/notices/<int:notice_id>/bid/replace", methods=["POST"])
@logged_as_route
@role_required("agency")
def replace_bid(notice_id):
    """Replace the agency's standing quote before the deadline (修改报价)."""
    form = BidForm()
    if form.validate_on_submit():
        try:
            _quote(notice_id, services.replace_bid, form)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            flash(_("报价已修改并重新密封，新的承诺值回执见下方；原回执已作废。"), "success")
            return redirect(url_for(".detail", notice_id=notice_id, _anchor="receipt"))
    return _refused(notice_id, replace_form=form)


@bp.route("/notices/<int:notice_id>/bid/withdraw", methods=["GET", "POST"])
@logged_as_route
@role_required("agency")
def withdraw_bid(notice_id):
    """Withdraw the agency's quote before the deadline (撤回报价), after a confirmation."""
    notice = notice_or_404(notice_id)
    own = services.own_bid(notice, current_user)
    if request.method == "GET":
        if own is None or not notice_access(notice, current_user).may_withdraw:
            flash(_("本机构当前没有可撤回的报价"), "warning")
            return redirect(url_for(".detail", notice_id=notice.id))
        return render_template("procurement/bid_withdraw.html", notice=notice, bid=own)
    try:
        services.withdraw_bid(current_user, notice, received=received_at())
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        db.session.commit()
        flash(_("报价已撤回，不参与本项目选取；截止前仍可重新报价。"), "success")
    return redirect(url_for(".detail", notice_id=notice_id))


@bp.route("/notices/<int:notice_id>/selection", methods=["POST"])
@role_required("purchaser")
def take_step(notice_id):
    """The purchaser's step of the notice's method (a direct choice, technical scores)."""
    notice = notice_or_404(notice_id)
    services.own_notice(current_user, notice)
    step = notice.selection_method.step
    if step is None:
        flash(_("本项目采用「%(method)s」，由系统自动选取", method=notice.method_label), "danger")
        return redirect(url_for(".detail", notice_id=notice.id))
    # Before the deadline the form has no bid to read (a technical score's field per bid
    # would tell, by how the form answers, that quotes exist); the service then refuses.
    bids = [] if services.bids_sealed(notice) else services.eligible_bids(notice)
    form = _step_form(notice, bids)
    if form.validate_on_submit():
        try:
            values = step.read(form)
            selection = services.take_step(current_user, notice, values)
        except ServiceError as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            if selection.winner_bid_id:
                flash(str(step.done), "success")
            else:
                reason = stored_reason(selection.failure)
                flash(_("本次选取未能产生结果：%(reason)s", reason=reason), "warning")
            return redirect(url_for(".detail", notice_id=notice.id))
    return render_detail(notice, step_form=form), 422


@bp.route("/notices/<int:notice_id>/commitments")
def commitments(notice_id):
    """The commitments published at the deadline; a bidder checks its own (supervisors and
    the purchaser, who see every quote anyway, check all)."""
    notice = notice_or_404(notice_id, reading=True)
    user = _user()
    sealed = services.visible_bid_count(notice) is None
    own = services.own_bid(notice, user)
    supervising = party_of(notice, user) in services.SUPERVISING
    rows = []
    for b in [] if sealed else services.opened_bids(notice):
        checks = (own is not None and b is own) or supervising
        rows.append((b, services.commitment_matches(b) if checks else None))
    # Superseded receipts (replaced or withdrawn quotes) are published with the rest, never
    # before: even their number would tell that someone quoted.
    superseded = {} if sealed else services.superseded_receipts(notice)
    opened = {b.id for b, __ in rows}
    withdrawn = [b for b in notice.bids if b.id in superseded and b.id not in opened]
    return render_template(
        "procurement/commitments.html",
        notice=notice,
        sealed=sealed,
        rows=rows,
        own_bid=own,
        superseded=superseded,
        withdrawn=withdrawn,
        superseded_labels=services.SUPERSEDED_LABELS,
    )


@bp.route("/notices/<int:notice_id>/draw")
def draw(notice_id):
    """Every selection round with its candidates, seed, algorithm, parameters and result,
    re-run on the spot."""
    notice = notice_or_404(notice_id, reading=True)
    rounds = [(sel, services.verify_selection(sel)) for sel in notice.selections]
    return render_template(
        "procurement/draw.html", notice=notice, rounds=rounds, methods=registered()
    )
