"""zwgk probe: a compressed schedule against local servers that fail a known share of requests."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from zwgk.core.store import Store
from zwgk.probe import Prober, ProbeTarget, open_campaign, probe_url, record, ProbeResult

ROOT = Path(__file__).resolve().parent.parent


STALL, TIMEOUT = 6.0, 1.5


class _Handler(BaseHTTPRequestHandler):
    """/ok/ always opens; /flaky/ answers 500 to every 4th request; /slow/ stalls on every 5th.

    The stall (STALL s) is far beyond the campaign's timeout (TIMEOUT s) and that timeout far beyond a local
    answer even on a machine whose cores are all busy: which probes fail never depends on the machine's speed."""

    counts: dict = {}
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802
        with self.lock:
            n = self.counts[self.path] = self.counts.get(self.path, 0) + 1
        if self.path.startswith("/flaky/") and n % 4 == 0:
            self.send_response(500)
            self.end_headers()
            return
        if self.path.startswith("/slow/") and n % 5 == 0:
            time.sleep(STALL)
        body = "<html><body>示例县人民政府</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    _Handler.counts = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _rows(store: Store, site_id: str):
    return store.db.execute("SELECT slot, ok, status, error FROM probes WHERE site_id=? ORDER BY slot",
                            (site_id,)).fetchall()


def test_compressed_campaign_stores_every_probe_with_the_known_failure_share(server, tmp_path):
    store = Store(tmp_path)
    campaign, resumed = open_campaign(store, days=1, per_day=20, day_seconds=2, timeout_s=TIMEOUT)
    assert not resumed and campaign.compressed
    targets = [ProbeTarget("ok", f"{server}/ok/"), ProbeTarget("flaky", f"{server}/flaky/"),
               ProbeTarget("slow", f"{server}/slow/")]
    stats = Prober(store, campaign, targets).run()
    assert stats.skipped_slots == 0
    assert [r["slot"] for r in _rows(store, "ok")] == list(range(20))
    assert all(r["ok"] == 1 for r in _rows(store, "ok")), [tuple(r) for r in _rows(store, "ok")]
    flaky = _rows(store, "flaky")
    assert len(flaky) == 20 and sum(1 - r["ok"] for r in flaky) == 5
    assert {r["status"] for r in flaky if not r["ok"]} == {500}
    slow = _rows(store, "slow")
    assert len(slow) == 20 and sum(1 - r["ok"] for r in slow) == 4
    assert all("秒未打开" in r["error"] for r in slow if not r["ok"])
    assert stats.probes == 60 and stats.failed == 9
    # the campaign is over: the next run starts a new one
    assert store.db.execute("SELECT finished_at FROM probe_campaigns").fetchone()[0]
    assert open_campaign(store, days=1, per_day=20, day_seconds=2, timeout_s=TIMEOUT)[1] is False


def test_a_restarted_prober_continues_after_the_last_stored_slot(server, tmp_path):
    store = Store(tmp_path)
    campaign, _ = open_campaign(store, days=1, per_day=10, day_seconds=3, timeout_s=1)
    target = ProbeTarget("ok", f"{server}/ok/")
    for slot in range(4):   # what a killed prober had stored
        record(store, campaign, target, slot, time.time(), ProbeResult(True, 200, 5))
    again, resumed = open_campaign(Store(tmp_path), days=7, per_day=20, day_seconds=86400, timeout_s=15)
    assert resumed and again == campaign          # the stored campaign's own settings are kept
    Prober(store, again, [target]).run()
    slots = [r["slot"] for r in _rows(store, "ok")]
    assert slots == list(range(10))               # none doubled, none lost
    assert _Handler.counts["/ok/"] == 6           # only the six missing slots were fetched


def test_once_probes_each_site_a_single_time_per_slot(server, tmp_path):
    store = Store(tmp_path)
    campaign, _ = open_campaign(store, days=1, per_day=1, day_seconds=3600, timeout_s=2)
    targets = [ProbeTarget("a", f"{server}/ok/"), ProbeTarget("b", f"{server}/flaky/")]
    first = Prober(store, campaign, targets).run(once=True)
    second = Prober(store, campaign, targets).run(once=True)
    assert (first.probes, second.probes) == (2, 0)
    assert store.db.execute("SELECT count(*) FROM probes").fetchone()[0] == 2


def test_probe_url_reports_refused_connection_and_http_errors(server):
    assert probe_url(f"{server}/ok/", 2).ok
    refused = probe_url("http://127.0.0.1:9/", 2)
    assert not refused.ok and refused.status is None and refused.error
    # three good answers, then the 4th request of /flaky/ is a 500
    results = [probe_url(f"{server}/flaky/", 2) for _ in range(4)]
    assert [r.ok for r in results] == [True, True, True, False] and results[3].status == 500


def test_probe_command_once(server, tmp_path):
    profile = tmp_path / "site.yaml"
    profile.write_text(f"id: demo\nname: 示例县人民政府\noffice: 示例县政府办公室\nsite_code: '9999000001'\n"
                       f"homepage: {server}/ok/\n", encoding="utf-8")
    ws = tmp_path / "ws"
    out = subprocess.run([sys.executable, "-m", "zwgk.cli", "probe", str(profile), "--workspace", str(ws), "--once"],
                         capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert "本次监测 1 次，失败 0 次" in out.stdout
    assert Store(ws).db.execute("SELECT count(*) FROM probes WHERE site_id='demo' AND ok=1").fetchone()[0] == 1


def test_stored_probes_feed_the_availability_rules_of_a_check(server, tmp_path):
    """A compressed week of probes against a server failing 1 request in 4 vetoes the site (≥ 5 %)."""
    from datetime import datetime, timedelta, timezone

    from rules.engine import run_check

    store = Store(tmp_path)
    campaign, _ = open_campaign(store, days=7, per_day=20, day_seconds=0.4, timeout_s=2)
    Prober(store, campaign, [ProbeTarget("demo", f"{server}/flaky/")]).run()
    assert tuple(store.db.execute("SELECT count(*), sum(1 - ok) FROM probes").fetchone()) == (140, 35)
    today = (datetime.now(timezone.utc) + timedelta(hours=8)).date().isoformat()   # the window's days are Beijing days
    run_id = store.create_run(today, "test", "test")
    store.write_rows("run_sites", [dict(run_id=run_id, site_id="demo", name="示例县人民政府", office="示例县人民政府办公室",
                                        site_code="9999000001", kind="portal", homepage=f"{server}/flaky/",
                                        profile_json="{}", profile_hash="x", status="done")])
    check_id = run_check(store, run_id, codes="AVAIL")
    findings = store.findings(check_id)
    assert [f["code"] for f in findings] == ["AVAIL001"]
    assert findings[0]["evidence"]["failed"] == 35 and findings[0]["evidence"]["compressed"] is True
    assert "压缩演示窗口" in findings[0]["message"]


def test_a_host_mapped_site_is_probed_through_its_host_map(fixture_profiles):
    # nyj is served under its own host name, mapped to the fixture server: the probe connects as the crawl does
    from zwgk.core.config import load_profiles
    nyj = [p for p in load_profiles([str(p) for p in fixture_profiles]) if p.id == "nyj"][0]
    target = ProbeTarget.of(nyj)
    assert target.connect and target.host == "nyj.example.gov.cn"
    assert probe_url(target.url, 5.0, connect=target.connect).ok
    assert not probe_url(target.url, 5.0).ok   # the bare host name does not resolve here
