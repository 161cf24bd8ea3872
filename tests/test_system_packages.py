"""scripts/system-packages.sh: what the suite needs from Debian, installed when it may be,
otherwise named with the command that installs it, never failing `make test`; and the Redis
server the tests needing one get."""

import os
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-packages.sh"
PACKAGES = "postgresql chromium fonts-wqy-microhei redis-server libpango-1.0-0 libpangoft2-1.0-0"


@pytest.fixture
def unprivileged(tmp_path):
    """A PATH where no package is installed, we are not root and sudo asks for a password."""
    shims = tmp_path / "bin"
    shims.mkdir()
    for name, body in {
        "dpkg-query": "exit 1",  # knows no package
        "id": "echo 1000",
        "sudo": "exit 1",  # a password would be needed
        "apt-get": "echo apt-get must not run >&2; exit 3",
    }.items():
        shim = shims / name
        shim.write_text(f"#!/bin/sh\n{body}\n")
        shim.chmod(0o755)
    return {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}"}


def _run(env, *args):
    """The script's exit status and what it wrote."""
    done = subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    return done.returncode, done.stdout + done.stderr


def test_missing_packages_are_named_with_their_command_and_the_suite_goes_on(unprivileged):
    status, output = _run(unprivileged)
    assert status == 0
    assert f"system packages missing: {PACKAGES}" in output
    assert f"sudo apt-get install -y --no-install-recommends {PACKAGES}" in output
    assert "apt-get must not run" not in output


def test_ci_requires_every_package(unprivileged):
    status, output = _run(unprivileged, "--require")
    assert status == 1 and "system packages missing" in output


def test_redis_server_fixture_serves_a_fresh_loopback_server(redis_server):
    url = urlsplit(redis_server)
    assert (url.scheme, url.hostname, url.path) == ("redis", "127.0.0.1", "/0")
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(b"SET probe 1\r\nGET probe\r\n")
        reply = b""
        while not reply.endswith(b"$1\r\n1\r\n"):
            chunk = conn.recv(64)
            if not chunk:
                break
            reply += chunk
    assert reply == b"+OK\r\n$1\r\n1\r\n"
