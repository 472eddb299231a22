"""Shared pytest fixtures: the fixture government sites served on 127.0.0.1 and their rendered profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.server import DEFAULT_AS_OF, FixtureServer

# The date every fixture page's dates are relative to; crawls of the fixture sites are deterministic.
AS_OF = DEFAULT_AS_OF


@pytest.fixture(scope="session")
def fixture_server():
    """A running FixtureServer for all fixture sites (cityportal, fgw) plus the external site."""
    with FixtureServer(as_of=AS_OF) as server:
        yield server


@pytest.fixture(scope="session")
def fixture_profiles(fixture_server, tmp_path_factory) -> list[Path]:
    """The sites' profile.yaml templates rendered for the running server (one file per site)."""
    return fixture_server.write_profiles(tmp_path_factory.mktemp("profiles"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on a free port of 127.0.0.1 for the distributed crawl tests (its URL)."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server 未安装：分布式抓取测试需要它（.ci/run 会安装）")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
