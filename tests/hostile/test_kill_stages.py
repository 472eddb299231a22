"""kill -9 in every stage (crawl, check, score, report, run): the store stays whole and a rerun ends as if never killed.

The kill moments are deterministic: the test takes the workspace's write lock (BEGIN IMMEDIATE), looks for a
progress marker while holding it, and kills while the stage cannot write past that marker; the report stage,
which writes files, is killed when a given output file appears. Records are compared as sorted lists (so a
duplicated row fails as surely as a lost one), without the ids, times and durations a second process gets anew.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import AS_OF

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# Two small fixture sites (~40 and ~20 pages): every stage has something to do, and the check stage writes one
# site before it works on the next, which gives it a moment between two writes to be killed in.
SITES = ("hanweb", "nyj")
DB = "zwgk.sqlite3"

# Columns a second process writes anew: ids, clocks, durations, and how a resumed crawl counted its attempts.
VOLATILE = {"run_id", "check_id", "seq", "fetched_at", "elapsed_ms", "checked_at", "scored_at", "at",
            "started_at", "finished_at", "attempts"}
# Which link first reached a page (and so its parent and depth) depends on the order responses arrive in.
ORDER_DEPENDENT = {"pages": {"parent_url", "depth"}}
# What each stage writes. The stages after it are pure functions of these rows, so a stage whose own records
# equal the uninterrupted run's leaves everything after it equal too; `run` is compared on all of them.
STAGE_TABLES = {
    "crawl": ("pages", "page_texts", "page_bodies", "metadata", "entries", "links", "columns", "resources",
              "run_sites"),
    "check": ("findings", "rule_outcomes", "coverage"),
    "score": ("scores", "finding_notes"),
    "report": (),
}
RECORD_TABLES = tuple(t for tables in STAGE_TABLES.values() for t in tables)
STAGE_TABLES["run"] = RECORD_TABLES
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
# The issue lists name the run and check they come from; a rerun after a kill has a newer number.
IDS = re.compile(r"(运行编号 / 检查编号[^0-9]{0,20})\d+ / \d+")


def zwgk(*args: str) -> list[str]:
    return [sys.executable, "-m", "zwgk.cli", *args]


def stage_args(stage: str, profiles: list[Path], out: Path) -> list[str]:
    return {
        "crawl": ["crawl", *map(str, profiles), "--as-of", AS_OF.isoformat(), "--no-progress"],
        "check": ["check"],
        "score": ["score"],
        # the report date pinned: 整改时限 count from it (today by default), and a rerun may fall on the next day
        "report": ["report", "--out", str(out), "--no-pdf", "--report-date", AS_OF.isoformat()],
        "run": ["run", *map(str, profiles), "--as-of", AS_OF.isoformat(), "--out", str(out), "--no-pdf",
                "--report-date", AS_OF.isoformat()],
    }[stage]


def rerun_args(stage: str, profile: list[Path], out: Path) -> list[str]:
    if stage == "crawl":
        return ["crawl", "--resume", "--as-of", AS_OF.isoformat(), "--no-progress"]
    return stage_args(stage, profile, out)


def run_ok(args: list[str], workspace: Path) -> None:
    done = subprocess.run(zwgk(*args, "--workspace", str(workspace)), cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{args[0]}: {done.stderr[-3000:]}"


def latest_ids(db: sqlite3.Connection) -> tuple[int, int | None]:
    run_id = db.execute("SELECT max(run_id) FROM runs").fetchone()[0]
    check = db.execute("SELECT max(check_id) FROM checks WHERE finished_at IS NOT NULL AND run_id=?",
                       (run_id,)).fetchone()[0]
    return run_id, check


def records(workspace: Path) -> dict[str, list[tuple]]:
    """The newest run's and its newest finished check's rows, ids and clocks left out, in a stable order."""
    db = sqlite3.connect(workspace / DB)
    try:
        run_id, check_id = latest_ids(db)
        out = {}
        for table in RECORD_TABLES:
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in cols if c not in VOLATILE | ORDER_DEPENDENT.get(table, set())]
            where, arg = ("check_id=?", check_id) if "check_id" in cols else ("run_id=?", run_id)
            rows = [tuple(r) for r in db.execute(f"SELECT {','.join(keep)} FROM {table} WHERE {where}", (arg,))]
            if table == "scores":   # each score row's JSON names its run and check
                rows = [tuple(_without_ids(v) if c == "data" else v for c, v in zip(keep, row)) for row in rows]
            out[table] = sorted(rows, key=repr)
        if check_id is not None:   # a note is about a finding: name it by the finding, not by its number
            out["finding_notes"] = sorted(db.execute(
                "SELECT f.code, f.url, f.parent_url, n.identity, n.confidence, n.note FROM finding_notes n JOIN findings f"
                " ON f.check_id=n.check_id AND f.seq=n.seq WHERE n.check_id=?", (check_id,)).fetchall())
        return out
    finally:
        db.close()


def _without_ids(data: str) -> str:
    value = json.loads(data)
    for key in ("run_id", "check_id"):
        value.pop(key, None)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def output_files(out: Path) -> dict[str, list]:
    """Every output file by name, its content read as the user reads it: times and order of equal rows aside."""
    from openpyxl import load_workbook

    files = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = str(path.relative_to(out))
        if path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            rows = [(sheet.title, *row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
            book.close()
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                table = list(csv.reader(fh))
            drop = {i for i, h in enumerate(table[0] if table else []) if h in VOLATILE or h == "round"}
            rows = [tuple(c for i, c in enumerate(row) if i not in drop) for row in table]
        else:
            rows = path.read_text(encoding="utf-8").splitlines()
        files[name] = sorted(IDS.sub(r"\1", STAMP.sub("T", str(r))) for r in rows)
    return files


def assert_store_whole(workspace: Path) -> None:
    """The database file survived the kill: SQLite's own integrity check passes."""
    db = sqlite3.connect(workspace / DB)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def kill_when(args: list[str], workspace: Path, marker: Callable[[sqlite3.Connection], bool] | None = None,
              out_file: Path | None = None) -> None:
    """Start a stage and SIGKILL it once the marker holds (checked under the write lock) or out_file exists."""
    proc = subprocess.Popen(zwgk(*args, "--workspace", str(workspace)), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    db = None
    try:
        while True:
            assert proc.poll() is None, f"{args[0]} ended before the kill moment: {proc.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, f"{args[0]} never reached the kill moment"
            if out_file is not None:
                if out_file.exists():
                    break
            else:
                if db is None and (workspace / DB).exists():
                    db = sqlite3.connect(f"file:{workspace / DB}?mode=rw", uri=True, timeout=60, isolation_level=None)
                if db is not None:
                    try:
                        db.execute("BEGIN IMMEDIATE")
                    except sqlite3.OperationalError:   # the stage is creating the schema or writing: look again
                        pass
                    else:
                        try:
                            hit = marker(db)
                        except sqlite3.OperationalError:   # its tables are not there yet
                            hit = False
                        if hit:
                            break   # killed while holding the lock: the stage cannot have written past the marker
                        db.execute("ROLLBACK")
            time.sleep(0.005 if out_file is not None else 0.02)
        proc.kill()
        assert proc.wait(timeout=60) == -9
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if db is not None:
            db.close()


def rows_at_least(table: str, n: int, where: str = "1") -> Callable[[sqlite3.Connection], bool]:
    return lambda db: db.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0] >= n


# The unfinished check of a killed check is the newest one; a fresh check row without finish is mid-check.
UNFINISHED = "check_id=(SELECT max(check_id) FROM checks WHERE finished_at IS NULL)"

KILL_MOMENTS = {
    "crawl": [("5 pages", rows_at_least("pages", 5)), ("20 pages", rows_at_least("pages", 20))],
    "check": [("rules running", rows_at_least("checks", 1, "finished_at IS NULL")),
              ("first site written", rows_at_least("rule_outcomes", 1, UNFINISHED))],
    "score": [("scores written, notes not yet", rows_at_least("scores", 1))],
    "report": [("snapshots folder made", "snapshots"), ("report.html written", "report.html")],
    "run": [("crawling", rows_at_least("pages", 10)), ("checking", rows_at_least("checks", 1))],
}
# The workspace each stage starts from: what the stage before it left.
STARTS_FROM = {"crawl": None, "check": "crawled", "score": "checked", "report": "scored", "run": None}


@pytest.fixture(scope="module")
def reference(fixture_server, fixture_profiles, tmp_path_factory):
    """One uninterrupted evaluation stage by stage, with the workspace kept after each stage."""
    profile = [p for p in fixture_profiles if p.stem in SITES]
    base = tmp_path_factory.mktemp("reference")
    workspace, out = base / "ws", base / "out"
    kept = {}
    for stage, name in (("crawl", "crawled"), ("check", "checked"), ("score", "scored"), ("report", "reported")):
        run_ok(stage_args(stage, profile, out), workspace)
        kept[name] = base / name
        shutil.copytree(workspace, kept[name])
    return profile, kept, records(workspace), output_files(out)


@pytest.mark.parametrize(("stage", "moment"), [(s, i) for s, moments in KILL_MOMENTS.items()
                                                for i in range(len(moments))],
                         ids=[f"{s}-{m[0]}" for s, moments in KILL_MOMENTS.items() for m in moments])
def test_kill_9_then_rerun_ends_with_the_uninterrupted_records(reference, tmp_path, stage, moment):
    profile, kept, expected, expected_files = reference
    workspace, out = tmp_path / "ws", tmp_path / "out"
    if STARTS_FROM[stage]:
        shutil.copytree(kept[STARTS_FROM[stage]], workspace)
    label, marker = KILL_MOMENTS[stage][moment]
    args = stage_args(stage, profile, out)
    if isinstance(marker, str):
        kill_when(args, workspace, out_file=out / marker)
    else:
        kill_when(args, workspace, marker)

    assert_store_whole(workspace)
    if out.exists():   # what the killed stage had written: each file whole, or not there yet
        for name, content in output_files(out).items():
            assert content == expected_files[name], f"{stage} killed at {label}: {name} left incomplete"
    if stage == "check":   # the killed check's findings are partial: named explicitly, it is refused, not scored
        db = sqlite3.connect(workspace / DB)
        partial = db.execute("SELECT max(check_id) FROM checks WHERE finished_at IS NULL").fetchone()[0]
        db.close()
        refused = subprocess.run(zwgk("score", "--check", str(partial), "--workspace", str(workspace)), cwd=ROOT,
                                 capture_output=True, text=True, timeout=300)
        assert refused.returncode != 0 and f"检查 {partial} 没有完成" in refused.stderr, refused.stderr[-2000:]
    run_ok(rerun_args(stage, profile, out), workspace)
    assert_store_whole(workspace)

    final = records(workspace)
    for table in STAGE_TABLES[stage]:
        missing = [r for r in expected[table] if r not in final[table]]
        extra = [r for r in final[table] if r not in expected[table]]
        assert final[table] == expected[table], \
            f"{stage} killed at {label}: {table} missing {missing[:3]}, extra {extra[:3]}"
    db = sqlite3.connect(workspace / DB)
    try:
        assert db.execute("SELECT status FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()[0] == "done"
        # a killed run is never left "running": the next crawl marks it interrupted (resumable) or resumes it
        assert db.execute("SELECT count(*) FROM runs WHERE status='running'").fetchone()[0] == 0
    finally:
        db.close()
    if stage not in ("report", "run"):
        return
    assert not [p.name for p in out.rglob(".*.partial")], "a killed writer's partial file was left behind"
    files = output_files(out)
    assert sorted(files) == sorted(expected_files), f"{stage} killed at {label}: output files differ"
    for name in expected_files:
        assert files[name] == expected_files[name], f"{stage} killed at {label}: {name} differs"
