"""Retention: drop the raw crawl data of runs older than the last N rounds, keeping findings, scores and rounds."""

from __future__ import annotations

import ast
import gzip
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from zwgk.core.history import history, hosts_by_site
from zwgk.core.lookback import fetched_urls
from zwgk.core.store import Store, StoreError, now_iso

# The per-run snapshot of a crawl, which only `zwgk check` (and a report's 快照) reads again. Kept for every run:
# runs, run_sites, columns (the reports' unit routing and unassessable columns), checks, findings, rule_outcomes,
# scores, coverage, finding_notes, rechecks, rounds, explanations; and pruned_fetched keeps the URLs it fetched.
# `--incremental`'s HTTP cache in the workspace (crawler/settings.py): Scrapy's FilesystemCacheStorage, one folder
# per request fingerprint (<spider>/<xx>/<fingerprint>/) holding the response and a `meta` file (a Python literal
# with url, response_url and the time it was stored).
HTTPCACHE_DIR = "httpcache"
RAW_TABLES = ("pages", "page_texts", "attachment_texts", "page_bodies", "metadata", "entries", "links",
              "resources", "crawl_events", "site_requests")


@dataclass
class PrunePlan:
    keep_rounds: list[str]       # labels of the history points kept whole
    kept_runs: list[int]
    pruned_runs: list[int]       # runs whose raw data is (to be) dropped
    rows: dict[str, int]         # table -> raw rows dropped (or to drop)
    cache_entries: list[Path] = field(default_factory=list)   # httpcache/ entries no kept run needs
    cache_bytes: int = 0


def plan_prune(store: Store, keep: int) -> PrunePlan:
    """Which runs keep their raw data: every run of the last `keep` rounds (a run outside any round counts as
    a round, a round run twice keeps both runs) and any newer run not yet checked (a crawl being resumed or
    waiting for `zwgk check`). No crawl writes meanwhile: `zwgk prune` holds the workspace writer lock."""
    if keep < 1:
        raise StoreError("--keep 至少为 1：最新一轮的抓取数据是回头看判断“已整改”的依据")
    points = history(store)
    kept_points = points[-keep:]
    kept_names = {p.round_name for p in kept_points if p.round_name}
    kept_ids = {p.run_id for p in kept_points}
    oldest = min(kept_ids) if kept_ids else None
    checked = {int(r[0]) for r in store.db.execute("SELECT DISTINCT run_id FROM checks WHERE finished_at IS NOT NULL")}
    done = {int(r[0]) for r in store.db.execute("SELECT run_id FROM pruned_runs")}
    kept, pruned = [], []
    for row in store.db.execute("SELECT run_id, COALESCE(round_name, '') AS rn FROM runs ORDER BY run_id"):
        run_id = int(row["run_id"])
        waiting = run_id not in checked and (oldest is None or run_id > oldest)   # crawled, to be checked
        if run_id in kept_ids or (row["rn"] and row["rn"] in kept_names) or waiting:
            kept.append(run_id)
        elif run_id not in done:
            pruned.append(run_id)
    rows = {}
    if pruned:
        marks = ",".join("?" * len(pruned))
        for table in RAW_TABLES:
            rows[table] = int(store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id IN ({marks})",
                                               pruned).fetchone()[0])
    entries, size = stale_cache_entries(store, kept)
    return PrunePlan(keep_rounds=[p.label for p in kept_points], kept_runs=kept, pruned_runs=pruned, rows=rows,
                     cache_entries=entries, cache_bytes=size)


def stale_cache_entries(store: Store, kept_runs: list[int]) -> tuple[list[Path], int]:
    """The httpcache/ entries the next incremental round cannot need, and their size in bytes.

    An entry is kept when a kept run fetched its URL (its page, or the page it redirected to: the next round
    revalidates exactly those) or when it was stored since the oldest kept run started (written by a kept run,
    or by a crawl still going). The rest are responses only pruned runs fetched: URLs no longer crawled."""
    root = store.workspace / HTTPCACHE_DIR
    if not root.is_dir() or not kept_runs:
        return [], 0
    marks = ",".join("?" * len(kept_runs))
    wanted: set[str] = set()
    for url, final in store.db.execute(f"SELECT url, final_url FROM pages WHERE run_id IN ({marks})", kept_runs):
        wanted.update(u for u in (url, final) if u)
    started = store.db.execute(f"SELECT MIN(started_at) FROM runs WHERE run_id IN ({marks})", kept_runs).fetchone()[0]
    since = time.mktime(time.strptime(started, "%Y-%m-%dT%H:%M:%S")) if started else 0.0
    stale, size = [], 0
    for meta_path in sorted(root.glob("*/*/*/meta")):
        meta = _cache_meta(meta_path)
        if meta is not None and (meta.get("url") in wanted or meta.get("response_url") in wanted
                                 or float(meta.get("timestamp") or 0) >= since):
            continue
        entry = meta_path.parent   # unreadable meta: an entry Scrapy could not serve either
        stale.append(entry)
        size += sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
    return stale, size


def _cache_meta(path: Path) -> dict | None:
    """An entry's `meta` (gzip or plain, as HTTPCACHE_GZIP wrote it), read as a literal, never unpickled."""
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
        meta = ast.literal_eval(text)
    except (OSError, ValueError, SyntaxError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        return None
    return meta if isinstance(meta, dict) else None


def prune(store: Store, keep: int, vacuum: bool = True) -> PrunePlan:
    """Drop the raw data of the runs plan_prune names, record them in pruned_runs, and give the space back.

    The caller holds the workspace writer lock (`zwgk prune` does): a crawl cannot be writing meanwhile."""
    plan = plan_prune(store, keep)
    for entry in plan.cache_entries:
        shutil.rmtree(entry, ignore_errors=True)
    if not plan.pruned_runs:
        return plan
    marks = ",".join("?" * len(plan.pruned_runs))
    # what each run fetched, kept in short form: 回头看 with it as `to` still tells 已整改 from 本轮未评估
    fetched = [(run_id, site, url) for run_id in plan.pruned_runs
               for site, urls in fetched_urls(store, run_id, hosts_by_site(store, run_id)).items() for url in urls]
    with store.transaction() as db:
        db.executemany("INSERT OR IGNORE INTO pruned_fetched (run_id, site_id, url) VALUES (?, ?, ?)", fetched)
        dropped = {}
        for run_id in plan.pruned_runs:
            dropped[run_id] = sum(int(db.execute(f"SELECT COUNT(*) FROM {t} WHERE run_id=?", (run_id,)).fetchone()[0])
                                  for t in RAW_TABLES)
        for table in RAW_TABLES:
            db.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", plan.pruned_runs)
        db.executemany("INSERT OR REPLACE INTO pruned_runs (run_id, pruned_at, rows) VALUES (?, ?, ?)",
                       [(run_id, now_iso(), n) for run_id, n in dropped.items()])
    if vacuum:
        store.db.execute("VACUUM")
    return plan


def pruned_at(store: Store, run_id: int) -> str | None:
    """When the run's raw data was dropped, or None when it still has it."""
    row = store.db.execute("SELECT pruned_at FROM pruned_runs WHERE run_id=?", (run_id,)).fetchone()
    return row["pruned_at"] if row else None
