"""Retention: drop the raw crawl data of runs older than the last N rounds, keeping findings, scores and rounds."""

from __future__ import annotations

from dataclasses import dataclass

from zwgk.core.history import history, hosts_by_site
from zwgk.core.lookback import fetched_urls
from zwgk.core.store import Store, StoreError, now_iso

# The per-run snapshot of a crawl, which only `zwgk check` (and a report's 快照) reads again. Kept for every run:
# runs, run_sites, columns (the reports' unit routing and unassessable columns), checks, findings, rule_outcomes,
# scores, coverage, finding_notes, rechecks, rounds, explanations; and pruned_fetched keeps the URLs it fetched.
RAW_TABLES = ("pages", "page_texts", "attachment_texts", "page_bodies", "metadata", "entries", "links",
              "resources", "crawl_events", "site_requests")


@dataclass
class PrunePlan:
    keep_rounds: list[str]       # labels of the history points kept whole
    kept_runs: list[int]
    pruned_runs: list[int]       # runs whose raw data is (to be) dropped
    rows: dict[str, int]         # table -> raw rows dropped (or to drop)


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
    return PrunePlan(keep_rounds=[p.label for p in kept_points], kept_runs=kept, pruned_runs=pruned, rows=rows)


def prune(store: Store, keep: int, vacuum: bool = True) -> PrunePlan:
    """Drop the raw data of the runs plan_prune names, record them in pruned_runs, and give the space back.

    The caller holds the workspace writer lock (`zwgk prune` does): a crawl cannot be writing meanwhile."""
    plan = plan_prune(store, keep)
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
