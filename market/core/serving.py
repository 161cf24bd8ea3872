"""Serving with gunicorn: its threaded worker, stamping each request with the moment its first
bytes could be read, before it waits for a free thread (core/arrival.py uses that stamp).

    gunicorn -w 2 -k market.core.serving.ArrivalThreadWorker --threads 16 wsgi:app
"""

import threading

from gunicorn.workers.gthread import ThreadWorker

from .arrival import SERVER_STAMP_KEY
from .clock import utcnow

_handling = threading.local()


class ArrivalThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that records when each request became readable."""

    def on_client_socket_readable(self, conn, client):
        # The poller's thread: the request is here, though every thread may still be busy.
        conn.market_readable_at = utcnow()
        super().on_client_socket_readable(conn, client)

    def handle(self, conn):
        _handling.readable_at = getattr(conn, "market_readable_at", None)
        try:
            return super().handle(conn)
        finally:
            _handling.readable_at = None

    def load_wsgi(self):
        super().load_wsgi()
        inner = self.wsgi

        def stamped(environ, start_response):
            readable_at = getattr(_handling, "readable_at", None)
            if readable_at is not None:
                environ[SERVER_STAMP_KEY] = readable_at
            return inner(environ, start_response)

        self.wsgi = stamped
