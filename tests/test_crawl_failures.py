"""Sites that cannot be crawled are recorded as unreachable with their error, and the run goes on."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys

import pytest
import yaml

from tests.conftest import AS_OF

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_down_and_refused_sites_do_not_stop_the_run(fixture_server, fixture_profiles, tmp_path):
    fgw = yaml.safe_load([p for p in fixture_profiles if p.stem == "fgw"][0].read_text(encoding="utf-8"))
    port = closed_port()
    down = dict(fgw, id="down", homepage=f"http://127.0.0.1:{port}/", allowed_domains=[f"127.0.0.1:{port}"])
    down["limits"] = dict(fgw["limits"], timeout=2)
    refused = dict(fgw, id="noprivate")
    refused.pop("allow_private_hosts")
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [fgw, down, refused]}, allow_unicode=True), encoding="utf-8")

    workspace = tmp_path / "ws"
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "crawl", str(path), "--workspace", str(workspace),
                             "--as-of", AS_OF.isoformat(), "--no-progress"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    status = {r[0]: (r[1], r[2]) for r in db.execute("SELECT site_id, status, error FROM run_sites")}
    assert status["fgw"][0] == "done"
    assert status["down"][0] == "unreachable" and "首页无法访问" in status["down"][1]
    assert status["noprivate"][0] == "unreachable" and "私有或本机地址" in status["noprivate"][1]
    assert db.execute("SELECT COUNT(*) FROM pages WHERE site_id='fgw'").fetchone()[0] > 50
    assert "无法访问" in result.stdout
