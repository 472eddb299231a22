"""`zwgk prune` over real store rows (raw data of old rounds dropped, findings kept) and `zwgk schedule`'s units,
whose script a held workspace lock refuses."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.test_history import X, Y, _round
from zwgk.core.lookback import compute_diff
from zwgk.core.retention import RAW_TABLES, plan_prune, prune
from zwgk.core.store import Store, writer_lock

KEPT_TABLES = ("runs", "run_sites", "checks", "findings", "rounds")


def zwgk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], capture_output=True, text=True, timeout=300)


def _raw(store: Store, run_id: int, port: int) -> None:
    """Links, resources and page texts of a run, as a crawl writes them."""
    store.write_rows("links", [dict(run_id=run_id, site_id="s", page_url=f"http://127.0.0.1:{port}/a/x.html",
                                    url=f"http://127.0.0.1:{port}/b{i}.pdf", kind="attachment", tag="a", text="附件", internal=1)
                               for i in range(3)])
    store.write_rows("resources", [dict(run_id=run_id, url=f"http://127.0.0.1:{port}/b{i}.pdf", outcome="ok",
                                        status=200, checked_at="x") for i in range(3)])
    store.write_rows("page_texts", [dict(run_id=run_id, site_id="s", url=f"http://127.0.0.1:{port}/a/x.html",
                                         text=b"x")])


def _counts(db, table: str) -> dict[int, int]:
    key = "check_id" if table == "checks" else None
    if table == "rounds":
        return {0: db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]}
    column = "run_id" if key is None else "run_id"
    return dict(db.execute(f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column}").fetchall())


@pytest.fixture
def workspace(tmp_path):
    store = Store(tmp_path / "ws")
    _round(store, "R1", "2026-03-31", 8001, ["/a/x.html", "/a/y.html"])       # run 1
    _round(store, "R2", "2026-06-30", 8002, ["/a/y.html"])                    # run 2
    _round(store, "R3", "2026-09-30", 8003, ["/a/y.html", "/a/x.html"])       # run 3
    _round(store, "R2", "2026-06-30", 8004, ["/a/y.html"])                    # run 4: R2 crawled again
    for run_id, port in ((1, 8001), (2, 8002), (3, 8003), (4, 8004)):
        _raw(store, run_id, port)
    running = store.create_run("2026-12-31", "h", "test")                    # run 5: a crawl in progress
    store.write_rows("pages", [dict(run_id=running, site_id="s", url="http://127.0.0.1:8005/", status=200,
                                    final_url="http://127.0.0.1:8005/",
                                    fetched_at="x", kind="home")])
    store.close()
    return tmp_path / "ws"


def test_prune_drops_the_raw_data_of_old_rounds_and_keeps_findings_and_scores(workspace):
    store = Store(workspace)
    try:
        before = {t: _counts(store.db, t) for t in (*RAW_TABLES, *KEPT_TABLES)}
        assert before["pages"][1] == 3 and before["links"][1] == 3 and before["page_texts"][1] == 1
        plan = plan_prune(store, keep=2)
        # the last two rounds are R2 (both its runs) and R3; the crawl not yet checked is never touched
        assert (plan.keep_rounds, plan.kept_runs, plan.pruned_runs) == (["R2", "R3"], [2, 3, 4, 5], [1])
        assert plan.rows == {"pages": 3, "page_texts": 1, "attachment_texts": 0, "page_bodies": 0, "metadata": 0,
                             "entries": 0, "links": 3, "resources": 3, "crawl_events": 0, "site_requests": 0}
        assert {t: _counts(store.db, t) for t in (*RAW_TABLES, *KEPT_TABLES)} == before   # planning changes nothing
        prune(store, keep=2)
        after = {t: _counts(store.db, t) for t in (*RAW_TABLES, *KEPT_TABLES)}
        for table in RAW_TABLES:
            assert 1 not in after[table]
            assert {k: v for k, v in before[table].items() if k != 1} == after[table], table
        for table in KEPT_TABLES:
            assert after[table] == before[table], table
        assert [tuple(r) for r in store.db.execute("SELECT run_id, rows FROM pruned_runs")] == [(1, 10)]
        # 回头看 between the kept rounds works as before (R2 had only Y)
        diff = compute_diff(store)
        assert {r.identity: r.status for r in diff.rows} == {X: "new", Y: "persisting"}
        assert plan_prune(store, keep=2).pruned_runs == []   # done once
        # R1 → R2 once both are pruned: X is still 已整改, since R2 fetched its page (kept in pruned_fetched)
        before_r2 = {r.identity: r.status for r in compute_diff(store, "R1", "R2").rows}
        assert before_r2 == {X: "fixed", Y: "persisting"}
        prune(store, keep=1)
        assert store.db.execute("SELECT COUNT(*) FROM pages WHERE run_id IN (2, 4)").fetchone()[0] == 0
        assert {r.identity: r.status for r in compute_diff(store, "R1", "R2").rows} == before_r2
    finally:
        store.close()


def test_prune_command_refuses_while_a_round_runs_and_a_pruned_run_cannot_be_checked(workspace):
    dry = zwgk("prune", "--workspace", str(workspace), "--keep", "1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "将删除运行 1、2、4" in dry.stdout
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM pages WHERE run_id=1").fetchone()[0] == 3
    with writer_lock(workspace, "run"):
        busy = zwgk("prune", "--workspace", str(workspace), "--keep", "1")
    assert busy.returncode != 0 and "正被另一个 zwgk 进程写入" in busy.stderr
    assert db.execute("SELECT COUNT(*) FROM pages WHERE run_id=1").fetchone()[0] == 3
    done = zwgk("prune", "--workspace", str(workspace), "--keep", "1")
    assert done.returncode == 0, done.stderr
    assert "已删除运行 1、2、4 的原始抓取数据" in done.stdout
    assert db.execute("SELECT run_id FROM pages GROUP BY run_id").fetchall() == [(3,), (5,)]
    assert db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 6
    db.close()
    check = zwgk("check", "--workspace", str(workspace), "--run", "1")
    assert check.returncode != 0 and "zwgk prune" in check.stderr and "不能重新检查" in check.stderr
    bad = zwgk("prune", "--workspace", str(workspace), "--keep", "0")
    assert bad.returncode != 0


def test_schedule_writes_cron_and_systemd_units_whose_round_a_held_lock_refuses(tmp_path):
    from fixtures.server import SITES_ROOT
    profile = SITES_ROOT / "cityportal" / "site.yaml"
    workspace = tmp_path / "ws"
    result = zwgk("schedule", str(profile), "--workspace", str(workspace), "--keep", "3", "--at", "03:15",
                  "--incremental")
    assert result.returncode == 0, result.stderr
    dest = workspace / "schedule"
    cron = (dest / "zwgk-round.cron").read_text(encoding="utf-8").splitlines()
    assert cron[1] == f"15 3 1 * * {dest / 'zwgk-round.sh'} >> {dest / 'zwgk-round.log'} 2>&1"
    timer = (dest / "zwgk-round.timer").read_text(encoding="utf-8")
    assert "OnCalendar=*-*-01 03:15:00" in timer and "Persistent=true" in timer
    service = (dest / "zwgk-round.service").read_text(encoding="utf-8")
    assert "Type=oneshot" in service and f"ExecStart={dest / 'zwgk-round.sh'}" in service
    script = (dest / "zwgk-round.sh").read_text(encoding="utf-8")
    assert "--round \"$ROUND\" --out \"$OUT\" --incremental" in script
    assert 'ROUND="$(date +%Y-%m)"' in script and "zwgk prune --workspace \"$WORKSPACE\" --keep 3" in script
    assert subprocess.run(["sh", "-n", str(dest / "zwgk-round.sh")]).returncode == 0
    if shutil.which("systemd-analyze"):
        verify = subprocess.run(["systemd-analyze", "verify", str(dest / "zwgk-round.timer"),
                                 str(dest / "zwgk-round.service")], capture_output=True, text=True)
        assert "zwgk-round" not in verify.stderr or verify.returncode == 0, verify.stderr
    quarterly = zwgk("schedule", str(profile), "--workspace", str(workspace), "--every", "quarterly",
                     "--dest", str(tmp_path / "q"))
    assert quarterly.returncode == 0, quarterly.stderr
    assert (tmp_path / "q" / "zwgk-round.cron").read_text(encoding="utf-8").splitlines()[1].startswith(
        "0 2 1 1,4,7,10 * ")
    assert "OnCalendar=*-01,04,07,10-01 02:00:00" in (tmp_path / "q" / "zwgk-round.timer").read_text(encoding="utf-8")
    # a round still running holds the workspace: the scheduled one is refused at once and writes nothing
    with writer_lock(workspace, "run"):
        fired = subprocess.run(["sh", str(dest / "zwgk-round.sh")], capture_output=True, text=True, timeout=300)
    assert fired.returncode != 0 and "正被另一个 zwgk 进程写入" in fired.stderr
    assert not (workspace / "zwgk.sqlite3").exists()   # refused before the store was even opened
    bad = zwgk("schedule", str(profile), "--workspace", str(workspace), "--at", "25:00")
    assert bad.returncode != 0 and "HH:MM" in bad.stderr


def _cache_storage(workspace):
    """Scrapy's own cache storage over the workspace's httpcache/, set up as `--incremental` sets it up."""
    from scrapy import Spider
    from scrapy.extensions.httpcache import FilesystemCacheStorage
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler

    from crawler.settings import incremental_settings
    settings = incremental_settings(str(workspace))
    crawler = get_crawler(Spider, {k: v for k, v in settings.items() if k.startswith("HTTPCACHE")})
    spider = Spider.from_crawler(crawler, name="zwgk")
    storage = FilesystemCacheStorage(Settings(settings))
    storage.open_spider(spider)
    return storage, spider


def test_prune_drops_cached_responses_only_old_rounds_fetched_and_keeps_what_the_next_round_revalidates(workspace):
    import gzip

    from scrapy import Request
    from scrapy.http import HtmlResponse

    storage, spider = _cache_storage(workspace)

    def cache(url, redirected_to=None, age=86400):
        """A response stored by Scrapy; `age` seconds ago (an earlier round's crawl), 0 = during a kept run."""
        request = Request(url)
        storage.store_response(spider, request, HtmlResponse(redirected_to or url, body=b"<html>x</html>",
                                                             headers={"ETag": '"1"'}))
        meta = storage._read_meta(spider, request)
        meta["timestamp"] -= age
        entry = workspace / "httpcache" / "zwgk" / storage._fingerprinter.fingerprint(request).hex()[:2] / \
            storage._fingerprinter.fingerprint(request).hex()
        (entry / "meta").write_bytes(gzip.compress(repr(meta).encode()))
        return request

    old_only = cache("http://127.0.0.1:8001/a/x.html")                   # fetched by run 1 only (pruned)
    kept_page = cache("http://127.0.0.1:8003/a/y.html")                  # kept run 3 fetched it
    moved = cache("http://127.0.0.1:8003/old.html", "http://127.0.0.1:8003/a/x.html")   # redirected to run 3's page
    fresh = cache("http://127.0.0.1:8005/new.html", age=0)               # stored while a kept run was crawling
    store = Store(workspace)
    try:
        plan = plan_prune(store, keep=2)
        assert [p.name for p in plan.cache_entries] == [storage._fingerprinter.fingerprint(old_only).hex()]
        assert plan.cache_bytes > 0
        assert storage.retrieve_response(spider, old_only) is not None   # planning deletes nothing
        prune(store, keep=2)
    finally:
        store.close()
    assert storage.retrieve_response(spider, old_only) is None
    for request in (kept_page, moved, fresh):   # what the next incremental round revalidates is still there
        assert storage.retrieve_response(spider, request).body == b"<html>x</html>"
    # the command says so; a second prune finds nothing more in the cache
    again = zwgk("prune", "--workspace", str(workspace), "--keep", "2", "--dry-run")
    assert again.returncode == 0, again.stderr
    assert "httpcache" not in again.stdout
    once_more = cache("http://127.0.0.1:8002/gone.html")   # run 2 never fetched it
    done = zwgk("prune", "--workspace", str(workspace), "--keep", "2")
    assert done.returncode == 0, done.stderr
    assert "已删除增量抓取缓存（httpcache/）中只有更早轮次用过的响应 1 个" in done.stdout
    assert storage.retrieve_response(spider, once_more) is None
    assert storage.retrieve_response(spider, kept_page) is not None
