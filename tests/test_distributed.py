"""Distributed crawl: a coordinator and `zwgk worker` processes on a real redis-server give the local snapshot,
hold each site's politeness across workers, lose nothing when a worker or the coordinator is killed."""

from __future__ import annotations

import itertools
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import yaml

from tests.conftest import AS_OF
from tests.test_crawl_reach import concurrency
from tests.test_crawl_resume import TRAPS, count_pages, snapshot

pytestmark = pytest.mark.e2e
_DB = itertools.count(1)
_SPAWNED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_process_left():
    """Every coordinator and worker a test started is gone when it ends, passed or failed."""
    yield
    while _SPAWNED:
        proc = _SPAWNED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def zwgk_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "zwgk.cli", *args]


def coordinator(profile: Path | list[Path], workspace: Path, url: str, *extra: str) -> subprocess.Popen:
    return _spawn(zwgk_args("crawl", *map(str, profile if isinstance(profile, list) else [profile]), "--workspace",
                            str(workspace), "--as-of", AS_OF.isoformat(), "--no-progress", "--redis-url", url, *extra))


def worker(url: str) -> subprocess.Popen:
    return _spawn(zwgk_args("worker", "--redis-url", url, "--join-timeout", "60"))


def _spawn(args: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _SPAWNED.append(proc)
    return proc


def finish(proc: subprocess.Popen, timeout: float = 180) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out + err


@pytest.fixture
def redis_url(redis_server):
    """A Redis database of its own for each test."""
    url = f"{redis_server}/{next(_DB) % 16}"
    redis.Redis.from_url(url).flushdb()
    return url


def profile_with(fixture_profiles, tmp_path: Path, site: str, **limits) -> Path:
    data = yaml.safe_load([p for p in fixture_profiles if p.stem == site][0].read_text(encoding="utf-8"))
    data["limits"].update(limits)
    path = tmp_path / f"{site}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def local_crawl(profile: Path | list[Path], workspace: Path) -> None:
    done = subprocess.run(zwgk_args("crawl", *map(str, profile if isinstance(profile, list) else [profile]), "--workspace", str(workspace), "--as-of",
                                    AS_OF.isoformat(), "--no-progress"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def full_snapshot(workspace: Path) -> dict[str, set]:
    """The crawl's records (as tests/test_crawl_resume.py compares them), its links and, after `zwgk check`,
    its findings."""
    done = subprocess.run(zwgk_args("check", "--workspace", str(workspace), "--as-of", AS_OF.isoformat()),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = snapshot(workspace)
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    try:
        # which few variants of an endless calendar or search are followed depends on arrival order
        out["links"] = {r for r in db.execute("SELECT site_id, page_url, url, kind FROM links")
                        if not any(f"/{u.split('/', 3)[-1]}".startswith(TRAPS) for u in r[1:3])}
        out["findings"] = set(db.execute("SELECT site_id, code, url, column_name, message FROM findings"))
        out["sites"] = set(db.execute("SELECT site_id, status FROM run_sites"))
        out["runs"] = set(db.execute("SELECT status FROM runs"))
    finally:
        db.close()
    return out


def duplicates(workspace: Path) -> int:
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    try:
        return db.execute("SELECT COUNT(*) - COUNT(DISTINCT url) FROM pages").fetchone()[0]
    finally:
        db.close()


def test_two_workers_give_the_local_snapshot_and_the_run_ends(fixture_server, fixture_profiles, redis_url,
                                                              tmp_path):
    ceiling = 2
    profiles = [profile_with(fixture_profiles, tmp_path, site, concurrency_per_host=ceiling) for site in ("fgw", "nyj")]
    local_crawl(profiles, tmp_path / "local")
    mark = len(fixture_server.timeline("fgw"))
    workers = [worker(redis_url) for _ in range(2)]
    coord = coordinator(profiles, tmp_path / "dist", redis_url)
    log = finish(coord)
    for w in workers:
        assert "已完成" in finish(w, timeout=60)   # the run over, each worker exits by itself
    seen = fixture_server.timeline("fgw")[mark:]
    assert len(seen) > 50
    assert concurrency(seen) <= ceiling, "the site saw more requests at once than its profile allows"
    assert "站点 fgw 完成" in log and "站点 nyj 完成" in log and "状态：完成" in log
    local, dist = full_snapshot(tmp_path / "local"), full_snapshot(tmp_path / "dist")
    assert dist["pages"] and dist["findings"]
    # A resource is checked once per run, for the first site that links it; nyj may not leave its host
    # (no_external) and fgw may, so whether the external site's pages are "ok" or "not_checked" depends on
    # which site linked them first — in a single-process crawl as well (GovSiteSpider._first_check).
    for snap in (local, dist):
        snap["resources"] = {r for r in snap["resources"] if not r[0].startswith(fixture_server.ext_url)}
    for table in local:
        assert dist[table] == local[table], (table, sorted(map(repr, local[table] ^ dist[table]))[:6])
    # a finished run's bulky keys are gone, the rest expire
    client = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in client.keys("zwgk:run:*")]
    assert not any(k.endswith((":requests", ":dupefilter", ":items")) or ":state" in k for k in keys), keys
    assert all(client.ttl(k) > 0 for k in keys), keys
    status = subprocess.run(zwgk_args("status", "--redis-url", redis_url), capture_output=True, text=True)
    assert "已完成" in status.stdout and "站点 fgw" in status.stdout, status.stdout


NYJ_LIMITS = dict(concurrency_per_host=1, delay=0.05)   # one request at a time: a killed worker surely holds one


@pytest.fixture(scope="module")
def nyj(fixture_server, fixture_profiles, tmp_path_factory) -> tuple[Path, dict]:
    """The small nyj site's profile, one request at a time, and the snapshot of its local crawl."""
    folder = tmp_path_factory.mktemp("nyj")
    profile = profile_with(fixture_profiles, folder, "nyj", **NYJ_LIMITS)
    local_crawl(profile, folder / "local")
    return profile, records(folder / "local")


def records(workspace: Path) -> dict[str, set]:
    out = snapshot(workspace)
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    try:
        out["links"] = set(db.execute("SELECT site_id, page_url, url, kind FROM links"))
    finally:
        db.close()
    return out


def assert_same(local: dict, dist: dict) -> None:
    assert dist["pages"]
    for table in local:
        assert dist[table] == local[table], (table, sorted(map(repr, local[table] ^ dist[table]))[:6])


def test_politeness_holds_for_the_cluster_with_one_and_two_workers(fixture_server, nyj, redis_url, tmp_path):
    profile, local = nyj
    ceiling, delay = NYJ_LIMITS["concurrency_per_host"], NYJ_LIMITS["delay"]
    seen_by = {}
    for n in (1, 2):
        mark = len(fixture_server.timeline("nyj"))
        workers = [worker(redis_url) for _ in range(n)]
        finish(coordinator(profile, tmp_path / f"ws{n}", redis_url))
        for w in workers:
            finish(w, timeout=60)
        seen = fixture_server.timeline("nyj")[mark:]
        starts = sorted(t0 for _, _, t0, _ in seen)
        seen_by[n] = (concurrency(seen), min(b - a for a, b in zip(starts, starts[1:])), len(seen))
        row = sqlite3.connect(tmp_path / f"ws{n}" / "zwgk.sqlite3").execute(
            "SELECT max_concurrency, min_gap_ms FROM site_requests WHERE site_id='nyj'").fetchone()
        assert row[0] <= ceiling and row[1] >= delay * 1000
        assert_same(local, records(tmp_path / f"ws{n}"))
    for n, (most, gap, count) in seen_by.items():
        assert count >= 15
        assert most <= ceiling, f"{n} workers: {most} requests at once (profile {ceiling})"
        assert gap >= delay, f"{n} workers: two requests {gap:.3f} s apart (profile delay {delay} s)"


def test_a_killed_worker_loses_nothing(fixture_server, nyj, redis_url, tmp_path):
    profile, local = nyj
    fixture_server.set_route("nyj", "/zcwj/", {"slow": 1.5})   # the request the victim will hold
    try:
        victim = worker(redis_url)
        coord = coordinator(profile, tmp_path / "dist", redis_url, "--heartbeat-ttl", "2")
        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while not any("/zcwj/" in url for url in inflight_urls(client)):
            assert time.monotonic() < deadline and coord.poll() is None
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.communicate()
        rescuer = worker(redis_url)
        log = finish(coord)
        finish(rescuer, timeout=60)
    finally:
        fixture_server.set_route("nyj", "/zcwj/", {"slow": 0.5})
    # the slow request and those the victim had taken into its downloader: all back in the queue
    assert re.search(r"已失联（心跳超时）：[1-9]\d* 个进行中的请求已放回队列", log), log
    assert_same(local, records(tmp_path / "dist"))
    assert duplicates(tmp_path / "dist") == 0


def test_a_killed_coordinator_resumes(nyj, redis_url, tmp_path):
    _, local = nyj
    # slower than the reference (the records do not depend on the pace), so that the kill lands mid-crawl
    profile = profile_with([nyj[0]], tmp_path, "nyj", delay=0.3)
    workspace = tmp_path / "dist"
    w = worker(redis_url)
    coord = coordinator(profile, workspace, redis_url, "--heartbeat-ttl", "2")
    deadline = time.monotonic() + 60
    while count_pages(workspace) < 5:
        assert time.monotonic() < deadline and coord.poll() is None
        time.sleep(0.05)
    coord.send_signal(signal.SIGKILL)
    coord.communicate()
    time.sleep(2.5)   # the coordinator's heartbeat expires; the worker goes on, its items wait in Redis
    status = subprocess.run(zwgk_args("status", "--redis-url", redis_url, "--json"), capture_output=True, text=True)
    run = json.loads(status.stdout)["runs"][0]
    assert run["status"] == "running" and not run["coordinator_alive"]
    assert run["workers"] and run["workers"][0]["alive"] and run["workers"][0]["last_beat_s"] < 5
    log = finish(coordinator(profile, workspace, redis_url, "--resume"))
    finish(w, timeout=60)
    assert "继续分布式运行" in log
    assert_same(local, records(workspace))
    assert duplicates(workspace) == 0


def inflight_urls(client) -> list[str]:
    """The URLs of the requests the workers hold (queue.py: score, newline, sequence + site, newline, request)."""
    from crawler.distributed.queue import CompressedPickle

    urls = []
    for key in client.keys("zwgk:run:*:inflight:*"):
        for value in client.hvals(key):
            data = value.split(b"\n", 2)[2]
            urls.append(CompressedPickle.loads(data)["url"])
    return urls


def test_a_worker_of_another_version_or_rule_set_refuses_to_join(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.hset("zwgk:run:9-x:meta", mapping=dict(token="9-x", status="running", version="0.0.1",
                                                   fingerprint="0000000000000000", run_id=9, profiles="[]"))
    client.set("zwgk:active", "9-x")
    done = subprocess.run(zwgk_args("worker", "--redis-url", redis_url, "--join-timeout", "5"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "拒绝加入运行 9-x" in done.stderr and "版本或规则集不一致" in done.stderr, done.stderr
