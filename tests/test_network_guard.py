"""The suite never touches the network: a connection to any address but this machine's is
refused and fails the test (tests/conftest.py)."""

import socket

import pytest

from . import conftest


def test_a_connection_outside_this_machine_is_refused_and_noted():
    with pytest.raises(ConnectionRefusedError, match="outside this machine"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1, never routed
    assert conftest.OUTSIDE_CONNECTIONS == [("192.0.2.1", 443)]
    conftest.OUTSIDE_CONNECTIONS.clear()  # this test meant to try


def test_loopback_connections_go_through():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
    assert conftest.OUTSIDE_CONNECTIONS == []
