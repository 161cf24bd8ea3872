"""The inbox page: the organisation's notifications, marked read one by one or all at once."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.i18n import _
from ..core.paging import paginate
from ..extensions import db
from . import services
from .services import KIND_LABELS, READ_STATES

bp = Blueprint("notifications", __name__)


def _member_only():
    if current_user.organisation is None:
        abort(403)


@bp.route("/inbox")
@login_required
def inbox():
    _member_only()
    notes = []
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KIND_LABELS:
        notes.append(_("未知的消息类型，已显示全部类型。"))
        kind = None
    status = request.args.get("status") or "all"
    if status not in READ_STATES:
        notes.append(_("未知的阅读状态，已显示全部消息。"))
        status = "all"
    stmt, params = services.inbox_query(current_user, kind, status)
    page = paginate(stmt, params=params)
    return render_template(
        "notifications/inbox.html",
        page=page,
        kind_labels=KIND_LABELS,
        read_states=READ_STATES,
        kind=kind,
        status=status,
        notes=notes,
    )


@bp.route("/inbox/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id):
    """Mark one read; with `open`, go on to the page it points to."""
    _member_only()
    notification = services.own_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification)
    db.session.commit()
    if request.form.get("open") and notification.link.startswith("/"):
        return redirect(notification.link)
    # back to the list as it was filtered (values it does not know are left out)
    kept = {
        "kind": request.form.get("kind") if request.form.get("kind") in KIND_LABELS else None,
        "status": request.form.get("status") if request.form.get("status") in READ_STATES else None,
    }
    return redirect(url_for("notifications.inbox", **{k: v for k, v in kept.items() if v}))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def read_all():
    _member_only()
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(
        _("已将 %(count)s 条消息标为已读", count=count) if count else _("没有未读消息"), "success"
    )
    return redirect(url_for("notifications.inbox"))


def unread_notifications():
    """Template context: the unread count for the navigation badge (0 when logged out)."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    # Asked by the page and again by its header (rendered on its own): counted once a request,
    # with the user when the user was loaded from the session.
    kept = request.environ
    if UNREAD_KEY not in kept:
        facts = getattr(current_user, "facts", None) or {}
        found = facts.get(UNREAD_FACT)
        kept[UNREAD_KEY] = found if found is not None else services.unread_count(current_user)
    return {"unread_notifications": kept[UNREAD_KEY]}


UNREAD_KEY = "market.unread_notifications"
#: the name of the unread count read with the signed-in user
UNREAD_FACT = "unread_notifications"
