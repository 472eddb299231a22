"""The workspace store: one SQLite database (WAL) holding every run's snapshot, findings and scores."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import asdict
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Iterator

from zwgk.core.records import Finding, RuleOutcome

SCHEMA_VERSION = 1

# Every table is keyed by run so that many rounds live side by side (回头看 compares them).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);

CREATE TABLE IF NOT EXISTS runs (
    run_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    as_of         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL,          -- running | interrupted | done | failed
    profiles_hash TEXT NOT NULL,
    zwgk_version  TEXT NOT NULL,
    note          TEXT DEFAULT '',
    round_name    TEXT DEFAULT ''         -- the round (评估轮次) this run belongs to; '' = none
);

CREATE TABLE IF NOT EXISTS rounds (
    name          TEXT PRIMARY KEY,       -- e.g. 2026Q4
    as_of         TEXT NOT NULL,          -- the round's 评估基准日
    profile       TEXT DEFAULT '',        -- the scoring profile named when the round was run
    sites         TEXT DEFAULT '[]',      -- JSON list of the site ids the round covers
    created_at    TEXT NOT NULL,
    note          TEXT DEFAULT ''
);

-- 申诉/复核: one office's explanation of one finding identity (zwgk.core.identity), as the evaluator decided it.
CREATE TABLE IF NOT EXISTS explanations (
    identity      TEXT NOT NULL,
    office        TEXT DEFAULT '',
    reason        TEXT DEFAULT '',
    evidence_url  TEXT DEFAULT '',
    decision      TEXT NOT NULL,          -- 接受 | 驳回 | '' (pending)
    reviewer      TEXT DEFAULT '',
    decided_on    TEXT DEFAULT '',
    source        TEXT DEFAULT '',        -- the file it was read from, with its row
    run_id        INTEGER,                -- the run it was first scored with (carried over while it persists)
    loaded_at     TEXT NOT NULL,
    PRIMARY KEY (identity)
);

-- `zwgk recheck`: a later fetch of a run's suspected resources; confirms or drops their suspected findings.
CREATE TABLE IF NOT EXISTS rechecks (
    run_id        INTEGER NOT NULL,
    url           TEXT NOT NULL,
    checked_at    TEXT NOT NULL,
    status        INTEGER,                -- HTTP status; NULL when no response
    outcome       TEXT NOT NULL,          -- ok | broken | suspected (as resources.outcome)
    error         TEXT DEFAULT '',
    elapsed_ms    INTEGER,
    PRIMARY KEY (run_id, url, checked_at)
);

-- One row per finding of a scored check: its identity, the confidence scored (已说明, confirmed, dropped) and why.
CREATE TABLE IF NOT EXISTS finding_notes (
    check_id      INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    identity      TEXT NOT NULL,
    confidence    TEXT NOT NULL,          -- the confidence scored: explained | confirmed | suspected ...
    note          TEXT DEFAULT '',
    PRIMARY KEY (check_id, seq)
);

-- `zwgk prune`: a run whose raw crawl data (pages, links, resources, texts …) was dropped to keep the workspace
-- small; its findings, scores, coverage, columns and sites stay. A pruned run cannot be checked again.
CREATE TABLE IF NOT EXISTS pruned_runs (
    run_id        INTEGER PRIMARY KEY,
    pruned_at     TEXT NOT NULL,
    rows          INTEGER NOT NULL        -- raw rows dropped
);

-- What a pruned run fetched (its pages and the resources it got an answer from), as normalised URLs
-- (zwgk.core.identity.normalise_url): what 回头看 needs to tell 已整改 from 本轮未评估 once `pages` is gone.
CREATE TABLE IF NOT EXISTS pruned_fetched (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    PRIMARY KEY (run_id, site_id, url)
);

CREATE TABLE IF NOT EXISTS run_sites (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    name          TEXT NOT NULL,
    office        TEXT NOT NULL,
    site_code     TEXT NOT NULL,
    kind          TEXT NOT NULL,          -- portal | department
    homepage      TEXT NOT NULL,
    profile_json  TEXT NOT NULL,
    profile_hash  TEXT NOT NULL,
    status        TEXT NOT NULL,          -- pending | crawling | done | unreachable | failed
    error         TEXT DEFAULT '',
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (run_id, site_id)
);

CREATE TABLE IF NOT EXISTS columns (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    column_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    url           TEXT NOT NULL,
    cls           TEXT NOT NULL,          -- a value of records.COLUMN_CLASSES
    office        TEXT DEFAULT '',
    catalog_path  TEXT DEFAULT '',        -- configured 公开路径
    path          TEXT DEFAULT '',        -- breadcrumb as shown on the column page, joined with '>'
    level         INTEGER DEFAULT 1,      -- 1 = 一级栏目
    parent_id     TEXT DEFAULT '',
    source        TEXT NOT NULL,          -- configured | discovered
    assessable    INTEGER,                -- 1 / 0; NULL until the column page has been fetched
    reason        TEXT DEFAULT '',        -- why not assessable (JS-rendered list, 403, timeout ...)
    note          TEXT DEFAULT '',        -- 备注说明 printed on an empty column
    hub           INTEGER DEFAULT 0,      -- 1 = a channel page listing sub-columns, not itself a list
    role          TEXT DEFAULT '',        -- list | hub | static (one document) | unreadable; '' = not fetched
    rendered      INTEGER DEFAULT 0,      -- 1 = its list/menu was read from the page rendered in Chromium
    PRIMARY KEY (run_id, site_id, column_id)
);

CREATE TABLE IF NOT EXISTS pages (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    final_url     TEXT NOT NULL,
    status        INTEGER,                -- HTTP status; NULL when no response
    content_type  TEXT DEFAULT '',
    fetched_at    TEXT NOT NULL,
    elapsed_ms    INTEGER,
    kind          TEXT NOT NULL,          -- home | column | article | gkml | other
    column_id     TEXT DEFAULT '',
    parent_url    TEXT DEFAULT '',
    depth         INTEGER DEFAULT 0,
    title         TEXT DEFAULT '',
    encoding      TEXT DEFAULT '',
    body_hash     TEXT DEFAULT '',
    text_len      INTEGER DEFAULT 0,
    meta_tags     TEXT DEFAULT '{}',      -- JSON of <meta name> hints
    fields        TEXT DEFAULT '{}',      -- JSON canonical field -> value
    dates         TEXT DEFAULT '{}',      -- JSON canonical date field -> ISO date
    sources       TEXT DEFAULT '{}',      -- JSON field -> where it was read: block | byline | body | script |
                                          --   script-unknown (label printed, value written by a script) | meta | url
    layout        TEXT DEFAULT '',        -- metadata block as read: '' none | block | line | byline | unrecognised
    error         TEXT DEFAULT '',
    facts         TEXT DEFAULT '{}',      -- JSON facts for site rules: homepage {footer, footer_found, tail, scripts,
                                          --   attrs} (crawler.extract.identity); 互动/办事 pages {letter: {…}} / {guide: {…}}
                                          --   (crawler.extract.labelled)
    PRIMARY KEY (run_id, site_id, url)
);

-- The visible text of each fetched HTML page (PageExtract.text, zlib-compressed UTF-8) for the content
-- rules (personal information, 解读 copies). Local only: never printed; findings carry masked excerpts.
CREATE TABLE IF NOT EXISTS page_texts (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    text          BLOB NOT NULL,
    PRIMARY KEY (run_id, site_id, url)
);

-- The text of each readable attachment (xlsx/xls/csv/docx/pdf) the crawl fetched, zlib-compressed, or why it
-- could not be read (status not_assessed: format, size, rows, pages, time, zip expansion).
CREATE TABLE IF NOT EXISTS attachment_texts (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    format        TEXT DEFAULT '',
    status        TEXT NOT NULL,          -- read | not_assessed
    note          TEXT DEFAULT '',
    text          BLOB,
    PRIMARY KEY (run_id, site_id, url)
);

CREATE TABLE IF NOT EXISTS metadata (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    page_url      TEXT NOT NULL,
    position      INTEGER NOT NULL,
    label         TEXT NOT NULL,
    field         TEXT,
    value         TEXT NOT NULL,
    PRIMARY KEY (run_id, site_id, page_url, position)
);

CREATE TABLE IF NOT EXISTS entries (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    column_id     TEXT NOT NULL,
    url           TEXT NOT NULL,
    title         TEXT NOT NULL,
    date_text     TEXT DEFAULT '',
    date          TEXT,                   -- ISO date or NULL (undated counts as not updated)
    list_url      TEXT NOT NULL,
    position      INTEGER NOT NULL,
    pinned        INTEGER DEFAULT 0,      -- 1: a 置顶 row (ignored when judging freshness)
    PRIMARY KEY (run_id, site_id, column_id, url)
);

CREATE TABLE IF NOT EXISTS links (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    page_url      TEXT NOT NULL,
    url           TEXT NOT NULL,
    kind          TEXT NOT NULL,          -- link | image | video | audio | embed | attachment
    text          TEXT DEFAULT '',
    tag           TEXT DEFAULT '',
    internal      INTEGER NOT NULL,
    PRIMARY KEY (run_id, site_id, page_url, url, kind, tag)
);

CREATE TABLE IF NOT EXISTS resources (
    run_id        INTEGER NOT NULL,
    url           TEXT NOT NULL,
    method        TEXT DEFAULT '',        -- HEAD | GET | PAGE (the crawl fetched it as a page)
    status        INTEGER,
    content_type  TEXT DEFAULT '',
    content_length INTEGER,
    sniffed_type  TEXT DEFAULT '',        -- type told by the first bytes (html, jpeg, png, mp4, pdf ...)
    elapsed_ms    INTEGER,
    final_url     TEXT DEFAULT '',
    error         TEXT DEFAULT '',
    attempts      INTEGER DEFAULT 1,
    outcome       TEXT NOT NULL,          -- ok | broken | suspected | not_checked
    checked_at    TEXT NOT NULL,
    sample        TEXT DEFAULT '',        -- an external page's visible text, its first bytes only (rules/integrity.py
                                          --   looks for gambling/pornography/域名出售 words)
    PRIMARY KEY (run_id, url)
);

-- Each HTML page as fetched (zlib-compressed bytes), so a disputed finding can be shown as the page was.
CREATE TABLE IF NOT EXISTS page_bodies (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    body          BLOB NOT NULL,          -- zlib.compress(response body bytes)
    encoding      TEXT DEFAULT '',        -- the encoding the crawler decoded the page with
    fetched_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, site_id, url)
);

CREATE TABLE IF NOT EXISTS crawl_events (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    at            TEXT NOT NULL,
    level         TEXT NOT NULL,          -- info | warning | error
    url           TEXT DEFAULT '',
    message       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS site_requests (
    run_id        INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    slot          TEXT NOT NULL,          -- politeness slot (sites sharing a host share one)
    requests      INTEGER NOT NULL,       -- requests started to the site's hosts (pages, checks, robots, renders)
    seconds       REAL NOT NULL,          -- first to last request
    min_gap_ms    INTEGER,                -- smallest gap between two request starts
    max_concurrency INTEGER NOT NULL,     -- most requests in flight at once
    rendered      INTEGER DEFAULT 0,      -- pages rendered in headless Chromium
    delay         REAL NOT NULL,          -- the profile's delay and concurrency, for comparison
    concurrency   INTEGER NOT NULL,
    reused        INTEGER DEFAULT 0,      -- --incremental: responses reused from the last round (site answered 304)
    bytes_fetched INTEGER DEFAULT 0,      -- body bytes downloaded from the site
    bytes_reused  INTEGER DEFAULT 0,      -- body bytes reused from the HTTP cache instead
    PRIMARY KEY (run_id, site_id)
);

CREATE TABLE IF NOT EXISTS checks (
    check_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        INTEGER NOT NULL,
    as_of         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    rules_version TEXT NOT NULL,
    rule_codes    TEXT NOT NULL           -- JSON list of the codes that ran
);

CREATE TABLE IF NOT EXISTS findings (
    check_id      INTEGER NOT NULL,
    run_id        INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    code          TEXT NOT NULL,
    indicator     TEXT NOT NULL,
    severity      TEXT NOT NULL,
    site_id       TEXT NOT NULL,
    office        TEXT DEFAULT '',
    column_id     TEXT DEFAULT '',
    column_name   TEXT DEFAULT '',
    url           TEXT DEFAULT '',
    parent_url    TEXT DEFAULT '',
    title         TEXT DEFAULT '',
    message       TEXT NOT NULL,
    evidence      TEXT DEFAULT '{}',
    confidence    TEXT NOT NULL,
    count         INTEGER DEFAULT 1,
    as_of         TEXT NOT NULL,
    PRIMARY KEY (check_id, seq)
);

CREATE TABLE IF NOT EXISTS rule_outcomes (
    check_id      INTEGER NOT NULL,
    code          TEXT NOT NULL,
    site_id       TEXT NOT NULL,
    status        TEXT NOT NULL,          -- assessed | not_assessed
    reason        TEXT DEFAULT '',
    PRIMARY KEY (check_id, code, site_id)
);

CREATE TABLE IF NOT EXISTS scores (
    check_id      INTEGER NOT NULL,
    run_id        INTEGER NOT NULL,
    profile_name  TEXT NOT NULL,
    profile_hash  TEXT NOT NULL,
    scored_at     TEXT NOT NULL,
    site_id       TEXT NOT NULL,
    office        TEXT NOT NULL,          -- '' = the whole site
    indicator     TEXT NOT NULL,          -- '' = the total row
    data          TEXT NOT NULL,          -- JSON of the score row (points lost, cap, veto, total, grade ...)
    basis         TEXT DEFAULT '{}'       -- JSON: explanations applied, suspected findings confirmed by recurrence
);

-- per site and check: what the crawl covered (rules/coverage.py); data is the JSON contract read by reports
-- The scoring profiles scores were made with, by content hash (scores.profile_hash): `zwgk recheck` and
-- `zwgk report` re-use a check's own profile and thresholds even when the profile file has changed or moved.
CREATE TABLE IF NOT EXISTS scoring_profiles (
    profile_hash  TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    source        TEXT DEFAULT '',        -- the file it was read from (bundled name or path)
    content       TEXT NOT NULL,          -- canonical JSON of the profile's content
    stored_at     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS coverage (
    check_id      INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (check_id, site_id)
);

-- Availability probes of each site's homepage (zwgk probe): not keyed by run, a campaign spans days and
-- every check reads the probes of its window. (campaign, site, slot) is unique: a restarted prober
-- never probes a slot twice.
CREATE TABLE IF NOT EXISTS probe_campaigns (
    campaign_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at    TEXT NOT NULL,          -- UTC ISO; slot 0 starts here
    days          REAL NOT NULL,          -- length of the campaign in (possibly compressed) days
    per_day       INTEGER NOT NULL,       -- probes per site per day
    day_seconds   REAL NOT NULL,          -- 86400; less in a compressed (demo, test) campaign
    timeout_s     REAL NOT NULL,          -- a probe fails when the homepage has not opened after this
    finished_at   TEXT
);

CREATE TABLE IF NOT EXISTS probes (
    campaign_id   INTEGER NOT NULL,
    site_id       TEXT NOT NULL,
    slot          INTEGER NOT NULL,       -- index of the schedule slot (day_seconds / per_day long)
    url           TEXT NOT NULL,
    at            TEXT NOT NULL,          -- UTC ISO time the probe started
    ok            INTEGER NOT NULL,       -- 1: homepage opened within the timeout with HTTP 2xx/3xx
    status        INTEGER,                -- HTTP status; NULL when no response
    elapsed_ms    INTEGER,
    error         TEXT DEFAULT '',
    PRIMARY KEY (campaign_id, site_id, slot)
);

CREATE INDEX IF NOT EXISTS idx_pages_column ON pages (run_id, site_id, column_id);
CREATE INDEX IF NOT EXISTS idx_links_url ON links (run_id, url);
CREATE INDEX IF NOT EXISTS idx_findings_run ON findings (run_id, site_id);
CREATE INDEX IF NOT EXISTS idx_scores_check ON scores (check_id, site_id);
CREATE INDEX IF NOT EXISTS idx_probes_site ON probes (site_id, at);
"""



def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime())


class StoreError(RuntimeError):
    """A store problem worth showing to the user as is (no run, wrong schema ...)."""


class WorkspaceBusy(StoreError):
    """Another zwgk process is writing this workspace."""


LOCK_FILE = "zwgk.lock"


@contextmanager
def writer_lock(workspace: str | Path, command: str) -> Iterator[None]:
    """Hold the workspace for one writing command; a second writer is refused at once with who holds it.

    flock is released by the kernel when the holder dies, so a killed process never leaves a stale lock.
    Take it once per process (a command or `run`), never inside the stages: flock is per open file."""
    folder = Path(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK_FILE, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "未知"
            raise WorkspaceBusy(f"工作区 {folder} 正被另一个 zwgk 进程写入（{holder}）；"
                                "请等它结束，或换一个 --workspace") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"zwgk {command}，进程 {os.getpid()}，开始于 {now_iso()}")
        handle.flush()
        yield
    finally:
        handle.close()


class Store:
    """Access to one workspace database; every write goes through a short transaction."""

    FILENAME = "zwgk.sqlite3"

    def __init__(self, workspace: str | Path):
        self.workspace = Path(workspace)
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.path = self.workspace / self.FILENAME
        # isolation_level=None: we open transactions explicitly, so a killed process leaves whole ones.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.executescript(SCHEMA)
        self._add_missing_columns()
        found = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if found is None:
            self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(found[0]) != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {found[0]}, this zwgk reads {SCHEMA_VERSION}")

    def _add_missing_columns(self) -> None:
        """Columns added to SCHEMA since a workspace was made are added to it, with their defaults.

        New columns are always appended with a DEFAULT (or nullable), so an older workspace keeps its
        rounds and reads like a new one; CREATE TABLE IF NOT EXISTS alone would leave it without them."""
        wanted = sqlite3.connect(":memory:")
        try:
            wanted.executescript(SCHEMA)
            tables = [r[0] for r in wanted.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
                for _, name, ctype, notnull, default, _pk in wanted.execute(f"PRAGMA table_info({table})"):
                    if name in have:
                        continue
                    clause = f" DEFAULT {default}" if default is not None else ""
                    if notnull and default is None:
                        raise StoreError(f"{self.path}: cannot add column {table}.{name} (NOT NULL without default)")
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {ctype}{' NOT NULL' if notnull else ''}"
                                    f"{clause}")
        finally:
            wanted.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # ---- runs -------------------------------------------------------------------------------
    def create_run(self, as_of: str, profiles_hash: str, version: str) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (as_of, started_at, status, profiles_hash, zwgk_version) VALUES (?,?,?,?,?)",
                (as_of, now_iso(), "running", profiles_hash, version),
            )
            return int(cur.lastrowid)

    def set_run_status(self, run_id: int, status: str) -> None:
        finished = now_iso() if status in ("done", "failed") else None
        with self.transaction() as db:
            db.execute("UPDATE runs SET status=?, finished_at=? WHERE run_id=?", (status, finished, run_id))

    def run(self, run_id: int | None = None) -> sqlite3.Row:
        """The given run, or the newest one; StoreError when there is none."""
        if run_id is None:
            row = self.db.execute("SELECT * FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        else:
            row = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            where = f"run {run_id}" if run_id is not None else "any run"
            raise StoreError(f"{self.path}: no {where}; run `zwgk crawl` first")
        return row

    # ---- rounds (评估轮次) -------------------------------------------------------------------
    def define_round(self, name: str, as_of: str, profile: str = "", note: str = "") -> sqlite3.Row:
        """The round of that name, created with this as-of date when new; StoreError when it has another one."""
        name = name.strip()
        if not name:
            raise StoreError("轮次名称不能为空")
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO rounds (name, as_of, profile, created_at, note) VALUES (?,?,?,?,?)",
                       (name, as_of, profile, now_iso(), note))
        row = self.db.execute("SELECT * FROM rounds WHERE name=?", (name,)).fetchone()
        if row["as_of"] != as_of:
            raise StoreError(f"轮次 {name} 的评估基准日是 {row['as_of']}，不是 {as_of}；"
                             "同一轮次的各次运行须用同一基准日（省略 --as-of 即沿用）")
        return row

    def round_row(self, name: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM rounds WHERE name=?", (name,)).fetchone()

    def assign_round(self, run_id: int, name: str) -> None:
        """Record that a run belongs to a round; the round's site list grows by the run's sites."""
        sites = [r["site_id"] for r in self.sites(run_id)]
        with self.transaction() as db:
            row = db.execute("SELECT sites FROM rounds WHERE name=?", (name,)).fetchone()
            if row is None:
                raise StoreError(f"{self.path}: no round {name}")
            known = json.loads(row["sites"] or "[]")
            merged = known + [s for s in sites if s not in known]
            db.execute("UPDATE rounds SET sites=? WHERE name=?", (json.dumps(merged, ensure_ascii=False), name))
            db.execute("UPDATE runs SET round_name=? WHERE run_id=?", (name, run_id))

    def interrupt_dead_runs(self) -> int:
        """Runs still marked running when a new crawl takes the workspace: their process is gone (the writer lock
        lets one crawl at a time), killed before it could say so. Marked interrupted, still resumable."""
        with self.transaction() as db:
            return db.execute("UPDATE runs SET status='interrupted' WHERE status='running'").rowcount

    def unfinished_run(self) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT * FROM runs WHERE status IN ('running','interrupted') ORDER BY run_id DESC LIMIT 1"
        ).fetchone()

    def register_site(self, run_id: int, profile) -> None:
        """Record a site for a run; keeps an existing row (and its status) when resuming."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO run_sites (run_id, site_id, name, office, site_code, kind, homepage,"
                " profile_json, profile_hash, status) VALUES (?,?,?,?,?,?,?,?,?, 'pending')",
                (run_id, profile.id, profile.name, profile.office, profile.site_code, profile.kind,
                 profile.homepage, profile.to_json(), profile.digest()),
            )

    def set_site_status(self, run_id: int, site_id: str, status: str, error: str = "") -> None:
        stamp = "started_at" if status == "crawling" else "finished_at"
        with self.transaction() as db:
            db.execute(
                f"UPDATE run_sites SET status=?, error=?, {stamp}=COALESCE({stamp}, ?) WHERE run_id=? AND site_id=?",
                (status, error, now_iso(), run_id, site_id),
            )

    def sites(self, run_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM run_sites WHERE run_id=? ORDER BY site_id", (run_id,)).fetchall()

    # ---- snapshot writes (idempotent: a resumed crawl may write the same fact twice) -------
    def write_rows(self, table: str, rows: Iterable[dict], replace: bool = True) -> int:
        return self.write_tables([(table, rows)], replace=replace)

    def write_tables(self, batches: Iterable[tuple[str, Iterable[dict]]], replace: bool = True) -> int:
        """Rows of several tables in one transaction (a crawl's batch is stored whole or not at all)."""
        batches = [(table, rows if isinstance(rows, list) else list(rows)) for table, rows in batches]
        if not any(rows for _, rows in batches):
            return 0
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        written = 0
        with self.transaction() as db:
            for table, rows in batches:
                # rows naming fewer columns (a page that could not be fetched has no sources) get the defaults
                shapes: dict[tuple, list[dict]] = {}
                for r in rows:
                    shapes.setdefault(tuple(r), []).append(r)
                for cols, group in shapes.items():
                    sql = f"{verb} INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"
                    db.executemany(sql, zip(*(_column_cells(group, c) for c in cols)))
                    written += len(group)
        return written

    def settle_pages(self, run_id: int) -> int:
        """Give every fetched page the column whose list lists it, and the kind 'article' when a list lists
        it: a function of the site's structure, not of which link reached the page first. A page listed by
        several columns belongs to the deepest one (then the first by URL). Returns the pages changed."""
        with self.transaction() as db:
            # each listed page's owner, once, in a keyed table: a query per page over all the run's entries
            # made this quadratic (minutes at 50,000 pages)
            db.execute("DROP TABLE IF EXISTS temp.page_owner")
            db.execute("CREATE TEMP TABLE page_owner (site_id TEXT, url TEXT, column_id TEXT, "
                       "PRIMARY KEY (site_id, url)) WITHOUT ROWID")
            db.execute("""
                INSERT INTO temp.page_owner (site_id, url, column_id)
                SELECT site_id, url, column_id FROM (
                    SELECT e.site_id, e.url, e.column_id,
                           ROW_NUMBER() OVER (PARTITION BY e.site_id, e.url
                                              ORDER BY c.level DESC, c.url, c.column_id) AS n
                    FROM entries e JOIN columns c
                      ON c.run_id=e.run_id AND c.site_id=e.site_id AND c.column_id=e.column_id
                    WHERE e.run_id=? AND e.column_id!='')
                WHERE n=1""", (run_id,))
            cur = db.execute("""
                UPDATE pages SET
                    column_id = o.column_id,
                    kind = CASE WHEN pages.kind='other' AND pages.error='' THEN 'article' ELSE pages.kind END
                FROM temp.page_owner o
                WHERE pages.run_id=? AND pages.kind IN ('article', 'other')
                  AND o.site_id=pages.site_id AND o.url=pages.url""", (run_id,))
            changed = cur.rowcount
            db.execute("DROP TABLE temp.page_owner")
            return changed

    def write_coverage(self, check_id: int, site_id: str, data: dict) -> None:
        self.write_rows("coverage", [dict(check_id=check_id, site_id=site_id, data=data)])

    def coverage(self, check_id: int) -> dict[str, dict]:
        """site_id -> the coverage figures of one check (rules/coverage.py; keys are a contract)."""
        return {r[0]: json.loads(r[1]) for r in self.db.execute(
            "SELECT site_id, data FROM coverage WHERE check_id=? ORDER BY site_id", (check_id,))}

    def add_request_stats(self, rows: list[dict]) -> None:
        """Request figures of one crawl process, added to those of earlier processes of a resumed run."""
        with self.transaction() as db:
            for r in rows:
                old = db.execute("SELECT * FROM site_requests WHERE run_id=? AND site_id=?",
                                 (r["run_id"], r["site_id"])).fetchone()
                if old is not None:
                    gaps = [g for g in (old["min_gap_ms"], r["min_gap_ms"]) if g is not None]
                    r = dict(r, requests=r["requests"] + old["requests"], seconds=r["seconds"] + old["seconds"],
                             min_gap_ms=min(gaps) if gaps else None, rendered=r["rendered"] + old["rendered"],
                             **{k: r.get(k, 0) + (old[k] or 0) for k in ("reused", "bytes_fetched", "bytes_reused")},
                             max_concurrency=max(r["max_concurrency"], old["max_concurrency"]))
                cols = list(r)
                db.execute(f"INSERT OR REPLACE INTO site_requests ({','.join(cols)}) VALUES "
                           f"({','.join('?' * len(cols))})", [r[c] for c in cols])

    def log_event(self, run_id: int, site_id: str, level: str, message: str, url: str = "") -> None:
        self.write_rows("crawl_events", [dict(run_id=run_id, site_id=site_id, at=now_iso(), level=level,
                                              url=url, message=message)], replace=False)

    # ---- findings ---------------------------------------------------------------------------
    def create_check(self, run_id: int, as_of: str, rules_version: str, codes: list[str]) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO checks (run_id, as_of, started_at, rules_version, rule_codes) VALUES (?,?,?,?,?)",
                (run_id, as_of, now_iso(), rules_version, json.dumps(codes)),
            )
            return int(cur.lastrowid)

    def write_findings(self, check_id: int, run_id: int, as_of: str, findings: Iterable[Finding],
                       start_seq: int = 0) -> int:
        rows = []
        for seq, f in enumerate(findings, start=start_seq):
            row = asdict(f)
            row.update(check_id=check_id, run_id=run_id, seq=seq, as_of=as_of)
            rows.append(row)
        return self.write_rows("findings", rows, replace=False)

    def write_rule_outcomes(self, check_id: int, outcomes: Iterable[RuleOutcome]) -> None:
        self.write_rows("rule_outcomes", [dict(check_id=check_id, **asdict(o)) for o in outcomes])

    def finish_check(self, check_id: int) -> None:
        with self.transaction() as db:
            db.execute("UPDATE checks SET finished_at=? WHERE check_id=?", (now_iso(), check_id))

    def latest_check(self, run_id: int | None = None) -> sqlite3.Row:
        """The newest finished check of a run (or of any run); StoreError when none."""
        sql = "SELECT * FROM checks WHERE finished_at IS NOT NULL"
        args: tuple = ()
        if run_id is not None:
            sql += " AND run_id=?"
            args = (run_id,)
        row = self.db.execute(sql + " ORDER BY check_id DESC LIMIT 1", args).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no finished check{'' if run_id is None else f' for run {run_id}'};"
                             " run `zwgk check` first")
        return row

    def finished_check(self, check_id: int, run_id: int | None = None) -> sqlite3.Row:
        """A check named by number: StoreError when there is none, it is of another run, or it never finished
        (a killed `zwgk check` leaves its findings partial: scoring or reporting them would understate)."""
        row = self.db.execute("SELECT * FROM checks WHERE check_id=?", (check_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no check {check_id}")
        if run_id is not None and int(row["run_id"]) != run_id:
            raise StoreError(f"check {check_id} belongs to run {row['run_id']}, not run {run_id}")
        if row["finished_at"] is None:
            raise StoreError(f"{self.path}：检查 {check_id} 没有完成（进程在检查中途被中断），其问题不全；"
                             "请重新运行 `zwgk check`，或指定已完成的检查")
        return row

    def findings(self, check_id: int, site_id: str | None = None) -> list[dict]:
        return list(self.iter_findings(check_id, site_id))

    def iter_findings(self, check_id: int, site_id: str | None = None) -> Iterator[dict]:
        """The findings of a check one at a time, evidence parsed (a province's, all at once, are a gigabyte)."""
        sql, args = "SELECT * FROM findings WHERE check_id=?", [check_id]
        if site_id:
            sql += " AND site_id=?"
            args.append(site_id)
        for row in self.db.execute(sql + " ORDER BY seq", args):
            d = dict(row)
            d["evidence"] = json.loads(d["evidence"] or "{}")
            yield d


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _column_cells(rows: list[dict], column: str) -> list:
    """One column of a batch as stored: dicts and lists as JSON. Column by column, so that a batch of
    thousands of rows is converted only where a column holds such values (the crawl writes every row)."""
    cells = list(map(itemgetter(column), rows))
    if any(issubclass(t, (dict, list)) for t in set(map(type, cells))):
        return [_cell(v) for v in cells]
    return cells
