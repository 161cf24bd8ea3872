"""The gunicorn worker, run for real: every request is answered with the kernel's arrival
moment, also when more arrive at once than it has threads, and on a kept-alive connection."""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_port():
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "2"]
    command += ["-k", "market.core.serving.ArrivalThreadWorker", "-b", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "tests.core.stamp_app:app"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        give_up = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "gunicorn did not start"
                assert time.monotonic() < give_up, "gunicorn did not listen within a minute"
                time.sleep(0.1)  # waiting for a process to start, not ordering the test
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get(connection):
    connection.request("GET", "/")
    response = connection.getresponse()
    return response.status, response.read().decode()


def test_more_requests_than_threads_are_all_answered_with_their_arrival(gunicorn_port):
    answers, started = [], datetime.now(UTC)

    def one():
        connection = http.client.HTTPConnection("127.0.0.1", gunicorn_port, timeout=30)
        try:
            answers.append(_get(connection))
        finally:
            connection.close()

    clients = [threading.Thread(target=one) for _ in range(12)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(60)
    finished = datetime.now(UTC)
    assert len(answers) == 12 and {status for status, _ in answers} == {200}
    stamps = [datetime.fromisoformat(body) for _, body in answers]
    assert all(started - timedelta(milliseconds=1) <= s <= finished for s in stamps)


def test_a_kept_alive_connection_is_served_again(gunicorn_port):
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn_port, timeout=30)
    try:
        first, second = _get(connection), _get(connection)
    finally:
        connection.close()
    assert first[0] == second[0] == 200
    assert datetime.fromisoformat(first[1]) <= datetime.fromisoformat(second[1])
