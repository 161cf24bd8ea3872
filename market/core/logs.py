"""Request ids and structured logs.

Every request has an id: the incoming `X-Request-ID` header when it is a sane token (at most 64
of A–Z, a–z, 0–9, `.`, `_`, `-`; a proxy in front may set it), a new uuid4 otherwise. It is sent
back in the `X-Request-ID` response header, carried by every log record emitted during the
request (`record.request_id`), and shown on the 500 page so that support can find the log lines.
Each request ends with one access line at INFO on the `market.access` logger: method, path,
status, duration in milliseconds.

Outside tests (`LOG_JSON`, not TESTING) every record goes to stderr as one JSON object per line.
Nothing a request carries beyond its method and path is logged: no body, query string, cookie
or header; a path holding a secret (an invitation token), or one that tells what must stay
sealed (which notice an agency quoted on: `logged_as_route`), is logged as its route pattern.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import current_app, has_request_context, request
from flask.logging import default_handler

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ID_KEY = "market.request_id"
_STARTED_KEY = "market.request_started"
#: view arguments that are secrets: a path holding one is logged as its route pattern
SECRET_VIEW_ARGS = frozenset({"token"})
#: the access line's fields, written to the JSON object when a record has them
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


def request_id() -> str | None:
    """The current request's id (decided on first use); None outside a request."""
    if not has_request_context():
        return None
    environ = request.environ
    found = environ.get(_ID_KEY)
    if found is None:
        incoming = request.headers.get(HEADER, "")
        found = environ[_ID_KEY] = incoming if _SANE.fullmatch(incoming) else uuid.uuid4().hex
    return found


def logged_as_route(view):
    """Mark a view whose path itself must not be logged (a quote names the notice, and before
    the deadline nobody may learn that one exists): its log lines name the route pattern."""
    view.market_logged_as_route = True
    return view


def loggable_path() -> str:
    """The request's path without its query string; its route pattern when it holds a secret
    or its view is `logged_as_route`."""
    rule, args = request.url_rule, request.view_args or {}
    if rule is None:
        return request.path
    view = current_app.view_functions.get(rule.endpoint)
    if SECRET_VIEW_ARGS.intersection(args) or getattr(view, "market_logged_as_route", False):
        return rule.rule
    return request.path


def _install_record_factory() -> None:
    """Give every log record `request_id` (None outside a request), whatever its logger or
    handler: pytest's caplog and gunicorn's handlers see it too. Installed once per process."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "market_request_id", False):
        return

    def factory(*args, **kwargs):
        """A log record carrying the current request's id."""
        record = previous(*args, **kwargs)
        record.request_id = request_id()
        return record

    factory.market_request_id = True
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, request_id,
    the access line's fields when present, and the traceback of an exception."""

    def format(self, record):
        """The record as one line of JSON."""
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Chinese messages stay readable; newlines inside are escaped, so one record, one line.
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to sys.stderr as it is at each record, not as it was when the handler was made
    (a test runner or a server may replace it meanwhile)."""

    market_json = True

    @property
    def stream(self):
        """The process's stderr now."""
        return sys.stderr

    @stream.setter
    def stream(self, value):
        """Ignored: the handler always writes to the current stderr."""


def configure_logging(app, handler: logging.Handler | None = None) -> logging.Handler:
    """Send every record at LOG_LEVEL and above to `handler` (stderr) as JSON lines, replacing
    the JSON handler an earlier app of this process installed."""
    handler = handler or _StderrHandler()
    handler.market_json = True
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "market_json", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # Flask's own plain-text handler would write each of the app's records a second time.
    app.logger.removeHandler(default_handler)
    return handler


def _start() -> None:
    """Fix the request's id and its start time before any view runs."""
    request_id()
    request.environ[_STARTED_KEY] = time.perf_counter()


def _finish(response):
    """Send the id back and write the access line (an after_request hook)."""
    response.headers[HEADER] = request_id()
    started = request.environ.get(_STARTED_KEY)
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    path = loggable_path()
    logging.getLogger("market.access").info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": duration,
        },
    )
    return response


def _log_exception(exc_info) -> None:
    """Flask's log line for an unhandled error, naming the loggable path."""
    current_app.logger.error(
        "Exception on %s [%s]", loggable_path(), request.method, exc_info=exc_info
    )


def register_logging(app) -> None:
    """Request ids, the access line and, outside tests, JSON lines on stderr."""
    _install_record_factory()
    if app.config["LOG_JSON"] and not app.testing:
        configure_logging(app)
    app.before_request(_start)
    app.after_request(_finish)
    app.log_exception = _log_exception
