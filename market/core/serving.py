"""Serving with gunicorn: its threaded worker, stamping each request with the moment its first
bytes reached the machine, before it waited for the worker or a free thread (core/arrival.py
uses that stamp).

    gunicorn -w 2 -k market.core.serving.ArrivalThreadWorker --threads 16 wsgi:app

The moment is the kernel's: the listening sockets ask for receive timestamps (SO_TIMESTAMPNS,
inherited by each accepted connection), and before gunicorn reads a request the worker peeks
at its first byte, which comes with the time the kernel received it. A worker busy at a
deadline reads the request late; the kernel's time does not move. Where the kernel gives no
timestamp (another system, a TLS socket), the moment the poller saw the request readable is
used.

The worker also takes a new connection only when it has a thread free for it: the others
wait in the kernel's queue of the listening socket, which the master holds. A worker that dies
at a deadline (killed, out of memory) then loses only the requests it was working on, which
have journalled their arrival (procurement/arrivals.py), never a queue of requests it had not
started; another worker serves those, with their kernel arrival times. Connections kept alive
between requests do not count as busy.
"""

import contextlib
import os
import selectors
import socket
import struct
import threading
from concurrent import futures
from datetime import UTC, datetime
from functools import partial

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
        # A request finishing wakes the loop, which may then take a new connection.
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        super().init_process()

    def finish_request(self, fs):
        super().finish_request(fs)
        with contextlib.suppress(OSError):  # full: the loop is awake already (or stopping)
            os.write(self._wake_write, b"x")

    def _woken(self, _fileobj):
        with contextlib.suppress(OSError):
            os.read(self._wake_read, 4096)

    def _busy(self) -> int:
        """Connections taken and not idle between requests (new ones, and in the threads)."""
        return self.nr_conns - len(self._keep)

    def run(self):
        # gunicorn's gthread loop, except that the listening sockets are watched only while a
        # thread is free (see the module's docstring).
        acceptors = {}
        for sock in self.sockets:
            sock.setblocking(False)
            acceptors[sock] = partial(self.accept, sock.getsockname())
        self.poller.register(self._wake_read, selectors.EVENT_READ, self._woken)
        accepting = False
        while self.alive:
            self.notify()
            free = self._busy() < min(self.cfg.threads, self.worker_connections)
            if free != accepting:
                with self._lock:
                    for sock, acceptor in acceptors.items():
                        if free:
                            self.poller.register(sock, selectors.EVENT_READ, acceptor)
                        else:
                            self.poller.unregister(sock)
                accepting = free
            for key, _ in self.poller.select(1.0):
                key.data(key.fileobj)
            done = futures.wait(self.futures, timeout=0, return_when=futures.FIRST_COMPLETED)
            for fut in done.done:
                self.futures.remove(fut)
            if not self.is_parent_alive():
                break
            self.murder_keepalived()

        self.tpool.shutdown(False)
        self.poller.close()
        for sock in self.sockets:
            sock.close()
        futures.wait(self.futures, timeout=self.cfg.graceful_timeout)

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
