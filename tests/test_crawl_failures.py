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
    # neither keeps fgw's columns: a column off the site's hosts, or on a private address it does not allow,
    # is refused when the profile is read (tests/hostile/test_hostile_units.py)
    down = dict(fgw, id="down", homepage=f"http://127.0.0.1:{port}/", allowed_domains=[f"127.0.0.1:{port}"], columns=[])
    down["limits"] = dict(fgw["limits"], timeout=2)
    refused = dict(fgw, id="noprivate", columns=[])
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


def test_page_and_depth_limits_and_configured_columns(fixture_server, fixture_profiles, tmp_path):
    fgw = yaml.safe_load([p for p in fixture_profiles if p.stem == "fgw"][0].read_text(encoding="utf-8"))
    fgw["limits"].update(max_pages=15, max_depth=2)
    path = tmp_path / "fgw.yaml"
    path.write_text(yaml.safe_dump(fgw, allow_unicode=True), encoding="utf-8")
    workspace = tmp_path / "ws"
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "crawl", str(path), "--workspace", str(workspace),
                             "--as-of", AS_OF.isoformat(), "--no-progress"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    # the homepage and column pages are discovery, the 15 are everything reached beyond them
    columns = db.execute("SELECT COUNT(*) FROM columns").fetchone()[0]
    pages = db.execute("SELECT COUNT(*) FROM pages WHERE kind NOT IN ('home', 'column', 'gkml')").fetchone()[0]
    assert pages <= 15
    assert db.execute("SELECT MAX(depth) FROM pages").fetchone()[0] <= 2
    assert any("页面上限" in m for (m,) in db.execute("SELECT message FROM crawl_events"))
    assert columns >= 10
    configured = {c["url"]: c for c in fgw["columns"]}
    rows = db.execute("SELECT url, name, cls, office, catalog_path, source FROM columns WHERE source='configured'"
                      ).fetchall()
    assert len(rows) == len(configured)
    for url, name, cls, office, catalog_path, source in rows:
        conf = configured[url]
        assert (name, cls, office, catalog_path) == (conf["name"], conf.get("class", cls), conf.get("office", office),
                                                     conf.get("catalog_path", ""))
