"""The Hanweb-style fixture site crawled end to end: stubs, 网站地图, column names and roles, soft 404s,
unreadable column pages, coverage — and the same result whatever the crawl's concurrency."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import AS_OF

pytestmark = pytest.mark.e2e
SITE = "hanweb"


def zwgk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], capture_output=True, text=True, timeout=300)


def crawl_and_check(profile: Path, workspace: Path, concurrency: int) -> tuple[sqlite3.Connection, str]:
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    data["limits"]["concurrency_per_host"] = concurrency
    own = workspace / "profile" / f"{SITE}.yaml"
    own.parent.mkdir(parents=True)
    own.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    crawled = zwgk("crawl", str(own), "--workspace", str(workspace), "--as-of", AS_OF.isoformat(), "--no-progress")
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    checked = zwgk("check", "--workspace", str(workspace))
    assert checked.returncode == 0, checked.stderr[-3000:]
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    db.row_factory = sqlite3.Row
    return db, crawled.stdout


@pytest.fixture(scope="module")
def crawls(fixture_server, fixture_profiles, tmp_path_factory):
    profile = next(p for p in fixture_profiles if p.stem == SITE)
    one = crawl_and_check(profile, tmp_path_factory.mktemp("serial"), concurrency=1)
    many = crawl_and_check(profile, tmp_path_factory.mktemp("parallel"), concurrency=8)
    yield fixture_server.base_url(SITE), one, many
    one[0].close()
    many[0].close()


def path(url: str, base: str) -> str:
    return url.removeprefix(base).replace("index.html", "") if url.startswith(base) else url


def columns(db, base: str) -> dict[str, dict]:
    rows = db.execute("SELECT * FROM columns WHERE site_id=?", (SITE,)).fetchall()
    by_id = {r["column_id"]: path(r["url"], base) for r in rows}
    return {path(r["url"], base): dict(name=r["name"], cls=r["cls"], role=r["role"], assessable=r["assessable"],
                                       reason=r["reason"], parent=by_id.get(r["parent_id"], "")) for r in rows}


def test_every_column_found_named_and_read_as_a_person_sees_it(crawls, fixture_server):
    base, (db, _), _ = crawls
    found = columns(db, base)
    expected = fixture_server.expected(SITE)["columns"]
    assert set(found) == {c["path"] for c in expected}
    for col in expected:
        got = found[col["path"]]
        role = "list" if col["role"] == "container" else col["role"]
        assert (got["name"], got["cls"], got["role"]) == (col["name"], col["class"], role), col["path"]
        assert got["parent"] == col.get("parent", ""), col["path"]
        assert (got["assessable"] == 0) == (col["role"] == "unreadable"), col["path"]
    # a column named by no link text (an image in the 网站地图) takes its page's name
    assert found["/col/col208/"]["name"] == "统计信息"
    assert "结构严重错误" in found["/col/col205/"]["reason"]
    assert "不是网页" in found["/col/col206/"]["reason"] and "截断" in found["/col/col209/"]["reason"]


def test_stub_channel_pages_are_read_where_they_lead(crawls):
    base, (db, _), _ = crawls
    count = {path(r[0], base): r[1] for r in db.execute(
        "SELECT c.url, COUNT(e.url) FROM columns c LEFT JOIN entries e ON e.run_id=c.run_id AND e.site_id=c.site_id"
        " AND e.column_id=c.column_id WHERE c.site_id=? GROUP BY c.url", (SITE,))}
    assert count["/gzdt/"] == 9            # <meta http-equiv="refresh"> to /col/col102/index.html
    assert count["/col/col204/"] == 4      # the undated list
    assert count["/col/col207/"] == 0      # truly blank


def test_pages_belong_to_the_column_that_lists_them(crawls):
    base, (db, _), _ = crawls
    policy = db.execute("SELECT column_id FROM columns WHERE site_id=? AND cls='政策文件'", (SITE,)).fetchone()[0]
    rows = db.execute("SELECT url, kind, column_id FROM pages WHERE site_id=? AND url LIKE '%/art_203_%'",
                      (SITE,)).fetchall()
    assert len(rows) == 5     # linked from the homepage first, still the 政策文件 column's documents
    assert {(r["kind"], r["column_id"]) for r in rows} == {("article", policy)}
    # a column page also linked as an ordinary page (the homepage's 「更多」) stays the column's page
    kinds = {path(r[0], base): r[1] for r in db.execute(
        "SELECT p.url, p.kind FROM pages p JOIN columns c ON c.run_id=p.run_id AND c.site_id=p.site_id"
        " AND c.url=p.url WHERE p.site_id=?", (SITE,))}
    assert kinds and set(kinds.values()) <= {"column", "gkml"}, kinds


def test_soft_404_and_unfetchable_links_are_recorded(crawls):
    base, (db, _), _ = crawls
    soft = db.execute("SELECT status, outcome, error FROM resources WHERE url LIKE '%/art_102_4.html'").fetchone()
    assert soft["status"] == 200 and soft["outcome"] == "broken" and "页面不存在" in soft["error"]
    finding = db.execute("SELECT evidence FROM findings WHERE code='LINK002' AND url LIKE '%/art_102_4.html'"
                         ).fetchone()
    assert finding is not None and "页面不存在" in finding[0]
    home = base + "/"
    recorded = {r[0] for r in db.execute("SELECT url FROM links WHERE site_id=? AND page_url=? AND kind='link'",
                                         (SITE, home))}
    assert {"", "javascript:void(0)", "#top"} <= recorded


def test_no_blank_or_stale_column_that_a_person_would_not_call_so(crawls):
    base, (db, _), _ = crawls
    flagged = {(r[0], path(r[1], base)) for r in db.execute(
        "SELECT code, url FROM findings WHERE code LIKE 'STALE%' AND site_id=?", (SITE,))}
    assert flagged == {("STALE005", "/col/col207/"), ("STALE010", "/col/col205/"), ("STALE010", "/col/col206/"),
                       ("STALE010", "/col/col209/")}


def test_coverage_is_stored_and_shown(crawls):
    base, (db, summary), _ = crawls
    import json
    data = json.loads(db.execute("SELECT data FROM coverage WHERE site_id=?", (SITE,)).fetchone()[0])
    assert (data["columns_discovered"], data["columns_assessed"], data["columns_not_assessed"]) == (12, 9, 3)
    assert data["sufficient"] is True and sum(data["not_assessed_reasons"].values()) == 3
    assert "覆盖：导航栏目 3，发现栏目 12，已评估 9，未评估 3" in summary


def snapshot_of(db, base: str) -> dict:
    cols = {r["column_id"]: path(r["url"], base) for r in db.execute("SELECT * FROM columns WHERE site_id=?",
                                                                      (SITE,))}
    return dict(
        columns=columns(db, base),
        pages=sorted((path(r["url"], base), r["kind"], cols.get(r["column_id"], "")) for r in db.execute(
            "SELECT url, kind, column_id FROM pages WHERE site_id=?", (SITE,))),
        entries=sorted((cols[r[0]], path(r[1], base)) for r in db.execute(
            "SELECT column_id, url FROM entries WHERE site_id=? AND column_id!=''", (SITE,))),
        findings=sorted((r[0], path(r[1], base), r[2]) for r in db.execute(
            "SELECT code, url, severity FROM findings WHERE site_id=?", (SITE,))),
    )


def test_same_columns_pages_roles_and_findings_whatever_the_concurrency(crawls):
    base, (serial, _), (parallel, _) = crawls
    one, many = snapshot_of(serial, base), snapshot_of(parallel, base)
    assert one["findings"] and one["pages"]
    for key in ("columns", "pages", "entries", "findings"):
        assert one[key] == many[key], key
