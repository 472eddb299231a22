"""A crawl stopped midway (Ctrl-C, or killed outright) resumes with `--resume` and ends with the same records."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import AS_OF

pytestmark = pytest.mark.e2e


def crawl_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "zwgk.cli", "crawl", *args, "--as-of", AS_OF.isoformat(), "--no-progress"]


def slowed_profile(profile: Path, dest: Path) -> Path:
    """The same site crawled two requests at a time, so there is a "midway" to stop at
    (two: a slow resource then holds one slot, not the whole crawl)."""
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    data["limits"].update(concurrency_per_host=2, delay=0)
    out = dest / profile.name
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


# Which few variants of an endless calendar or search a crawl follows depends on the order pages
# arrive in; that they stay few is tested elsewhere. Everything else must match exactly.
TRAPS = ("/calendar", "/search")


def snapshot(workspace: Path) -> dict[str, set]:
    def keep(url: str) -> bool:
        return not any(f"/{url.split('/', 3)[-1]}".startswith(t) for t in TRAPS)

    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    try:
        return {
            "pages": {r[0] for r in db.execute("SELECT url FROM pages") if keep(r[0])},
            "entries": {r for r in db.execute("SELECT column_id, url, date FROM entries")},
            "columns": {r for r in db.execute("SELECT url, cls, assessable FROM columns")},
            "resources": {r for r in db.execute("SELECT url, status, outcome FROM resources") if keep(r[0])},
            "metadata": {r for r in db.execute("SELECT page_url, label, value FROM metadata")},
        }
    finally:
        db.close()


def count_pages(workspace: Path) -> int:
    """Pages stored so far (0 before the store exists: never created here, a crawl may be about to)."""
    if not (workspace / "zwgk.sqlite3").exists():
        return 0
    try:
        db = sqlite3.connect(workspace / "zwgk.sqlite3", timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0


def run_status(workspace: Path) -> str:
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    try:
        return db.execute("SELECT status FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()[0]
    finally:
        db.close()


@pytest.fixture(scope="module")
def reference(fixture_server, fixture_profiles, tmp_path_factory):
    """An uninterrupted crawl of the portal: what every resumed crawl must end up with."""
    profile = [p for p in fixture_profiles if p.stem == "cityportal"][0]
    workspace = tmp_path_factory.mktemp("reference")
    done = subprocess.run(crawl_args(str(profile), "--workspace", str(workspace)), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return profile, snapshot(workspace)


def stop_midway(profile: Path, workspace: Path, sig: int) -> None:
    proc = subprocess.Popen(crawl_args(str(profile), "--workspace", str(workspace)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while count_pages(workspace) < 40:
        assert proc.poll() is None, "crawl ended before it could be stopped: " + proc.stderr.read()[-2000:]
        assert time.monotonic() < deadline, "crawl made no progress"
        time.sleep(0.1)
    proc.send_signal(sig)
    proc.wait(timeout=120)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_stopped_crawl_resumes_without_losing_or_duplicating(reference, tmp_path, sig):
    profile, expected = reference
    slow = slowed_profile(profile, tmp_path)
    workspace = tmp_path / "ws"
    stop_midway(slow, workspace, sig)

    partial = snapshot(workspace)
    assert 0 < len(partial["pages"]) < len(expected["pages"]), "the stop did not land midway"
    if sig == signal.SIGINT:
        assert run_status(workspace) == "interrupted"
    assert partial["pages"] <= expected["pages"]

    resumed = subprocess.run(crawl_args("--resume", "--workspace", str(workspace)), capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "状态：完成" in resumed.stdout
    assert run_status(workspace) == "done"
    final = snapshot(workspace)
    for table in ("pages", "entries", "columns", "resources", "metadata"):
        assert final[table] == expected[table], f"{table}: missing {sorted(expected[table] - final[table])[:5]}," \
                                                f" extra {sorted(final[table] - expected[table])[:5]}"
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1  # resumed the same run, no new one


def test_resume_with_nothing_to_resume_says_so(tmp_path):
    result = subprocess.run(crawl_args("--resume", "--workspace", str(tmp_path / "empty")), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "没有可继续的抓取" in result.stderr


def test_pages_read_in_the_reader_process_give_the_same_records(reference, tmp_path):
    # every page read in the reader process (crawler/reading.py) from the first one on, not only past the
    # 300 pages a fixture site never reaches
    profile, expected = reference
    workspace = tmp_path / "ws"
    done = subprocess.run(crawl_args(str(profile), "--workspace", str(workspace)), capture_output=True, text=True,
                          timeout=300, env={**os.environ, "ZWGK_READER_AFTER_PAGES": "0"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "页面读取进程意外退出" not in done.stderr
    final = snapshot(workspace)
    for table in ("pages", "entries", "columns", "resources", "metadata"):
        assert final[table] == expected[table], f"{table}: missing {sorted(expected[table] - final[table])[:5]}," \
                                                f" extra {sorted(final[table] - expected[table])[:5]}"
