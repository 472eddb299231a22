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

    from zwgk.bench.distributed import local_redis

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server 未安装：分布式抓取测试需要它（.ci/run 会安装）")
    with local_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def chromium(tmp_path):
    """Debian's headless Chromium, driven over the DevTools pipe by the project's own client (zwgk/core/chromium.py)."""
    from zwgk.core.chromium import Chromium, chromium_path

    if not chromium_path():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    browser = Chromium(tmp_path / "chromium-profile")
    yield browser
    browser.close()
