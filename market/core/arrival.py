"""When a request reached the platform: the official time of a quote (以平台服务器接收时间为准).

A WSGI middleware, outside everything else the application does, stamps each request with the
clock's time as it arrives, before the session, the user and the database are touched: a quote
sent before the deadline counts even when the platform, busy at the deadline, processes it a
moment after. Under gunicorn with core/serving.py's worker the stamp is earlier still: when
the request's bytes could first be read, before it waited for a free thread.

Behind a trusted reverse proxy (PROXY_COUNT > 0) that sets `X-Request-Start:
t=<epoch seconds>` (nginx: `proxy_set_header X-Request-Start "t=${msec}";`), the proxy's time
is used: it is earlier still, before the request waited for a free worker. A proxy time that
is off the local clock by more than ARRIVAL_SKEW_SECONDS is ignored.
"""

import re
from datetime import UTC, datetime, timedelta

from flask import has_request_context, request

from .clock import utcnow

ENVIRON_KEY = "market.received_at"
#: set by the server when it knows an earlier moment (core/serving.py: when the request's
#: bytes could first be read, before it waited for a free thread)
SERVER_STAMP_KEY = "market.readable_at"
_REQUEST_START = re.compile(r"^t=(\d{9,11}(?:\.\d{1,6})?)$")


class ArrivalStamp:
    """WSGI middleware: environ["market.received_at"] = the moment the request arrived."""

    def __init__(self, wsgi_app, trust_proxy: bool = False, skew_seconds: float = 5.0):
        self.wsgi_app = wsgi_app
        self.trust_proxy = trust_proxy
        self.skew = timedelta(seconds=skew_seconds)

    def __call__(self, environ, start_response):
        now = utcnow()
        server = environ.get(SERVER_STAMP_KEY)
        arrived = min(server, now) if server is not None else now
        environ[ENVIRON_KEY] = self._from_proxy(environ, now) or arrived
        return self.wsgi_app(environ, start_response)

    def _from_proxy(self, environ, now):
        if not self.trust_proxy:
            return None
        match = _REQUEST_START.match(environ.get("HTTP_X_REQUEST_START", "").strip())
        if match is None:
            return None
        stamped = datetime.fromtimestamp(float(match[1]), UTC)
        # A proxy's clock a little ahead is tolerated up to now; far off is ignored.
        if abs(stamped - now) > self.skew:
            return None
        return min(stamped, now)


def received_at() -> datetime:
    """The moment the current request reached the platform (now, outside a request)."""
    stamped = request.environ.get(ENVIRON_KEY) if has_request_context() else None
    return stamped or utcnow()
