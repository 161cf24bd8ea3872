"""Serving with gunicorn: its threaded worker, stamping each request with the moment its first
bytes reached the machine, before it waited for the worker or a free thread (core/arrival.py
uses that stamp).

    gunicorn -w 2 -k market.core.serving.ArrivalThreadWorker --threads 4 wsgi:app

The moment is the kernel's: the listening sockets ask for receive timestamps (SO_TIMESTAMPNS,
inherited by each accepted connection), and before gunicorn reads a request the worker peeks
at its first byte, which comes with the time the kernel received it. A worker busy at a
deadline reads the request late; the kernel's time does not move. Where the kernel gives no
timestamp (another system, a TLS socket), the moment the poller saw the request readable is
used.
"""

import socket
import struct
import threading
from datetime import UTC, datetime

from gunicorn.workers.gthread import ThreadWorker

from .arrival import SERVER_STAMP_KEY
from .clock import utcnow

#: Linux values (socket.h), where Python does not name them
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
_TIMESPEC = struct.Struct("@qq")

_handling = threading.local()


def ask_for_timestamps(listener) -> bool:
    """Have the kernel stamp what `listener`'s connections receive; False if it cannot."""
    try:
        listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except (OSError, AttributeError):
        return False
    return True


def kernel_arrival(sock) -> datetime | None:
    """When the kernel received the first unread byte of `sock` (peeked: gunicorn still
    reads it), or None if it does not say."""
    try:
        _, ancillary, _, _ = sock.recvmsg(
            1, socket.CMSG_SPACE(_TIMESPEC.size), socket.MSG_PEEK | socket.MSG_DONTWAIT
        )
    except (OSError, AttributeError, NotImplementedError, ValueError):
        return None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = _TIMESPEC.unpack(data[: _TIMESPEC.size])
            if seconds > 0:
                return datetime.fromtimestamp(seconds + nanoseconds / 1e9, UTC)
    return None


class ArrivalThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that records when each request reached the machine."""

    def init_process(self):
        for listener in self.sockets:
            ask_for_timestamps(listener)
        super().init_process()

    def on_client_socket_readable(self, conn, client):
        # The poller's thread: the request is here, though every thread may still be busy.
        conn.market_readable_at = utcnow()
        super().on_client_socket_readable(conn, client)

    def handle(self, conn):
        readable_at = getattr(conn, "market_readable_at", None)
        _handling.readable_at = kernel_arrival(conn.sock) or readable_at
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
