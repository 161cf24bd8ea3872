"""Hooks for the end-to-end tests (tests/e2e), which drive a real server from outside: move
its clock to a moment (deadlines, publicity periods, due dates pass), and run one round of
the background worker's tasks inside the server, on that clock.

They exist only in an application built with both TESTING and TESTING_HOOKS set;
`load_config` refuses TESTING_HOOKS without TESTING, and no deployed configuration sets
either (docs/operations.md). The server they drive runs as one process: the clock is the
process's own.
"""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, jsonify, request

from .clock import freeze, utcnow
from .worker import run_once

bp = Blueprint("testing_hooks", __name__, url_prefix="/_testing")


@bp.post("/clock")
def move_clock():
    """Set the clock to the ISO moment `to` (aware), or back to the real time when it is
    empty; answers the time now."""
    moment = request.form.get("to", "")
    if not moment:
        freeze(None)
    else:
        try:
            parsed = datetime.fromisoformat(moment)
        except ValueError:
            abort(400)
        if parsed.tzinfo is None:
            abort(400)
        freeze(parsed.astimezone(UTC))
    return jsonify(now=utcnow().isoformat())


@bp.post("/worker")
def run_worker():
    """One round of every worker task, as `flask market worker --once` runs it."""
    return jsonify(done=run_once(current_app._get_current_object()))


def register_testing_hooks(app, csrf) -> None:
    if not (app.config["TESTING"] and app.config["TESTING_HOOKS"]):
        return
    csrf.exempt(bp)
    app.register_blueprint(bp)
