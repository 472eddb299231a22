"""End to end: `zwgk crawl` as a subprocess against the fixture sites, the store compared with expected.yaml."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from zwgk.core.chromium import chromium_path
from tests.conftest import AS_OF

CHROMIUM = chromium_path()

pytestmark = pytest.mark.e2e


def zwgk(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def crawled(fixture_server, fixture_profiles, tmp_path_factory):
    workspace = tmp_path_factory.mktemp("ws")
    # the server is shared by the session: only the requests of this crawl are this crawl's
    marks = {site: len(fixture_server.requests(site)) for site in ("cityportal", "fgw")}
    result = zwgk("crawl", *map(str, fixture_profiles), "--workspace", str(workspace), "--as-of",
                  AS_OF.isoformat(), "--no-progress")
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    db.row_factory = sqlite3.Row
    yield db, result.stdout, marks
    db.close()


def path_of(url: str, base: str) -> str:
    if url.startswith(base):
        rest = url[len(base):] or "/"
        return rest
    return url


def site_columns(db, site_id: str, base: str) -> dict[str, sqlite3.Row]:
    rows = db.execute("SELECT * FROM columns WHERE run_id=1 AND site_id=?", (site_id,)).fetchall()
    return {path_of(r["url"], base).replace("index.html", ""): r for r in rows}


def expected_url(url: str, base: str, ext: str) -> str:
    return url.replace("{ext}", ext) if url.startswith("{ext}") else base + url


@pytest.mark.parametrize("site_id", ["cityportal", "fgw"])
def test_columns_classes_entries_and_newest_dates(crawled, fixture_server, site_id):
    db, _, marks = crawled
    base = fixture_server.base_url(site_id)
    expected = fixture_server.expected(site_id)
    found = site_columns(db, site_id, base)
    problems = []
    for col in expected["columns"]:
        row = found.get(col["path"])
        if row is None:
            problems.append(f"column not found: {col['name']} {col['path']}")
            continue
        if row["cls"] != col["class"]:
            problems.append(f"{col['path']}: class {row['cls']} != {col['class']}")
        if col.get("rendered") and CHROMIUM:
            # a list filled by script is read from the page rendered in Chromium (crawler/render.py)
            col = {**col, **col["rendered"], "assessable": True, "undated": 0}
            if not row["rendered"]:
                problems.append(f"{col['path']}: list built by script was not rendered ({row['reason']})")
        elif col.get("rendered") and not row["reason"].startswith("栏目列表由脚本生成，未渲染："):
            problems.append(f"{col['path']}: no browser, but the reason says {row['reason']!r}")
        if bool(row["assessable"]) != col["assessable"]:
            problems.append(f"{col['path']}: assessable {row['assessable']} != {col['assessable']} ({row['reason']})")
        if col.get("entries") is not None and col["assessable"]:
            entries = db.execute("SELECT COUNT(*), MAX(date), SUM(date IS NULL) FROM entries WHERE run_id=1 AND"
                                 " site_id=? AND column_id=?", (site_id, row["column_id"])).fetchone()
            if entries[0] != col["entries"]:
                problems.append(f"{col['path']}: {entries[0]} entries != {col['entries']}")
            newest = None if col["newest"] is None else AS_OF.fromordinal(AS_OF.toordinal() + col["newest"]).isoformat()
            if entries[1] != newest:
                problems.append(f"{col['path']}: newest {entries[1]} != {newest}")
            if (entries[2] or 0) != col.get("undated", 0):
                problems.append(f"{col['path']}: undated {entries[2]} != {col.get('undated', 0)}")
        if col.get("note") and col["note"][:6] not in (row["note"] or ""):
            problems.append(f"{col['path']}: note {row['note']!r} lacks {col['note']!r}")
    for hub in expected.get("not_columns", []):
        row = found.get(hub["path"])
        if row is not None and not row["hub"]:
            problems.append(f"hub page {hub['path']} recorded as a column, not as a hub")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("site_id", ["cityportal", "fgw"])
def test_every_broken_resource_recorded_with_its_status(crawled, fixture_server, site_id):
    db, _, marks = crawled
    base, ext = fixture_server.base_url(site_id), fixture_server.ext_url
    expected = fixture_server.expected(site_id)
    problems = []
    for item in expected["broken"]:
        if item["why"] == "empty-src":
            n = db.execute("SELECT COUNT(*) FROM links WHERE run_id=1 AND site_id=? AND url='' AND kind=?",
                           (site_id, item["kind"])).fetchone()[0]
            if not n:
                problems.append(f"empty src of kind {item['kind']} not recorded")
            continue
        url = expected_url(item["url"], base, ext)
        row = db.execute("SELECT * FROM resources WHERE run_id=1 AND url=?", (url,)).fetchone()
        if row is None:
            problems.append(f"not checked: {url}")
            continue
        if item["status"] is not None and row["status"] != item["status"]:
            problems.append(f"{url}: status {row['status']} != {item['status']} ({row['error']})")
        if item["why"] in ("not-found", "forbidden", "gone", "server-error", "timeout", "redirect-loop"):
            if row["outcome"] != item["outcome"] and not (item["why"] == "redirect-loop" and row["outcome"] == "broken"):
                problems.append(f"{url}: outcome {row['outcome']} != {item['outcome']} ({row['error']})")
        if item["why"] == "wrong-type" and row["sniffed_type"] != "html" and "html" not in row["content_type"]:
            problems.append(f"{url}: wrong type not visible (ctype {row['content_type']}, sniffed {row['sniffed_type']})")
        if item["why"] == "empty" and not (row["content_length"] == 0 or row["sniffed_type"] == "empty"):
            problems.append(f"{url}: empty body not visible ({row['content_length']}, {row['sniffed_type']})")
        kinds = {r[0] for r in db.execute("SELECT kind FROM links WHERE run_id=1 AND url=?", (url,))}
        if item["kind"] not in kinds:
            problems.append(f"{url}: linked as {kinds}, expected {item['kind']}")
    for item in expected.get("not_broken", []):
        url = expected_url(item["url"], base, ext)
        row = db.execute("SELECT outcome, status, error FROM resources WHERE run_id=1 AND url=?", (url,)).fetchone()
        if row is None or row["outcome"] != "ok":
            problems.append(f"{url} works but was recorded as {tuple(row) if row else 'unchecked'}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("site_id", ["cityportal", "fgw"])
def test_metadata_blocks_extracted_as_printed(crawled, fixture_server, site_id):
    db, _, marks = crawled
    base = fixture_server.base_url(site_id)
    problems = []
    expected = fixture_server.expected(site_id)
    # detail pages of a list only a script can show are reachable by no link: a crawler cannot see them
    hidden = [c["path"] for c in expected["columns"] if not c["assessable"]]
    for page in expected["metadata_pages"]:
        if any(page["path"].startswith(path) for path in hidden):
            continue
        row = db.execute("SELECT fields, dates, encoding FROM pages WHERE run_id=1 AND url=?",
                         (base + page["path"],)).fetchone()
        if row is None:
            problems.append(f"not crawled: {page['path']}")
            continue
        fields = json.loads(row["fields"])
        for name, value in page["fields"].items():
            if fields.get(name) != value:
                problems.append(f"{page['path']} (layout {page.get('layout')}): {name} = {fields.get(name)!r}, "
                                f"expected {value!r}")
        dates = json.loads(row["dates"])
        for name, value in (page.get("dates") or {}).items():
            if dates.get(name) != value:
                problems.append(f"{page['path']}: date {name} = {dates.get(name)!r}, expected {value!r}")
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("site_id", ["cityportal", "fgw"])
def test_homepage_items_recorded_with_dates(crawled, fixture_server, site_id):
    db, _, marks = crawled
    expected = fixture_server.expected(site_id)["homepage_updates"]
    since = AS_OF.fromordinal(AS_OF.toordinal() - 14).isoformat()
    count, recent = db.execute(
        "SELECT COUNT(*), SUM(date >= ?) FROM entries WHERE run_id=1 AND site_id=? AND column_id=''",
        (since, site_id)).fetchone()
    assert count == expected["items"]
    assert recent == expected["items_within_14_days"]


def test_traps_and_robots_are_respected(crawled, fixture_server):
    db, _, marks = crawled
    for site_id in ("cityportal", "fgw"):
        expected = fixture_server.expected(site_id)
        base = fixture_server.base_url(site_id)
        for trap in expected.get("traps", []):
            n = db.execute("SELECT COUNT(*) FROM pages WHERE run_id=1 AND url LIKE ?", (base + trap + "%",)).fetchone()[0]
            assert n <= 31, f"{site_id}: {n} pages crawled under trap {trap}"
        for path in expected.get("robots_disallowed", []):
            fetched = [p for m, p in fixture_server.requests(site_id)[marks[site_id]:]
                       if p.startswith(path) and m == "GET"]
            assert not fetched, f"{site_id}: robots-disallowed {path} fetched"
            row = db.execute("SELECT outcome, error FROM resources WHERE run_id=1 AND url LIKE ?",
                             (base + path + "%",)).fetchone()
            if row is not None:
                assert tuple(row) == ("not_checked", "robots.txt 禁止访问，未检查")
    events = db.execute("SELECT message FROM crawl_events WHERE run_id=1").fetchall()
    assert any("陷阱" in e[0] for e in events)


def test_gbk_site_decoded(crawled, fixture_server):
    db, _, marks = crawled
    rows = db.execute("SELECT url, title, encoding FROM pages WHERE run_id=1 AND site_id='fgw' AND kind!='other'"
                      " AND status=200").fetchall()
    assert rows
    assert {r["encoding"] for r in rows} <= {"gbk", "gb2312", "gb18030", "utf-8"}
    assert sum(r["encoding"] in ("gbk", "gb2312", "gb18030") for r in rows) > len(rows) / 2
    mojibake = [r["url"] for r in rows if "\ufffd" in r["title"] or "锟" in r["title"]]
    assert not mojibake
    home = db.execute("SELECT title FROM pages WHERE run_id=1 AND site_id='fgw' AND kind='home'").fetchone()
    assert "发展和改革委员会" in home["title"]


def test_summary_and_run_status(crawled):
    db, stdout, _ = crawled
    assert "状态：完成" in stdout
    assert "示例市人民政府" in stdout and "示例市发展和改革委员会" in stdout
    # the lists built by script are read from the rendered page when Chromium is there, else not assessed
    assert ("栏目列表由脚本生成" in stdout) == (not CHROMIUM)
    if CHROMIUM:
        assert stdout.count("已渲染 1 页") == 2  # one script-built list on each site, nothing else
    assert "请求 " in stdout and "次/秒" in stdout  # the request rate each site saw
    assert db.execute("SELECT status FROM runs WHERE run_id=1").fetchone()[0] == "done"
    statuses = {r[0] for r in db.execute("SELECT status FROM run_sites WHERE run_id=1")}
    assert statuses == {"done"}


def test_each_url_checked_once_per_run(crawled, fixture_server):
    db, _, marks = crawled
    for site_id in ("cityportal", "fgw"):
        # a redirect loop is followed until the redirect limit: that is how it is told from a slow chain
        loop_dirs = tuple(i["url"].rsplit("/", 1)[0] + "/" for i in fixture_server.expected(site_id)["broken"]
                          if i["why"] == "redirect-loop")
        heads = [p for m, p in fixture_server.requests(site_id)[marks[site_id]:] if m == "HEAD"
                 and not (loop_dirs and p.startswith(loop_dirs))]
        dupes = {p: heads.count(p) for p in heads if heads.count(p) > 3}  # one HEAD, retried at most twice
        assert not dupes, f"{site_id}: checked more than once: {dupes}"
    assert db.execute("SELECT COUNT(*) FROM (SELECT url FROM resources WHERE run_id=1 GROUP BY url HAVING COUNT(*)>1)"
                      ).fetchone()[0] == 0


def test_site_search_is_submitted_once_with_a_recent_title_in_the_sites_encoding(crawled, fixture_server):
    db, _, marks = crawled
    rows = {r["site_id"]: json.loads(r["facts"])["search"]
            for r in db.execute("SELECT site_id, facts FROM pages WHERE run_id=1 AND kind='search'")}
    # cityportal's search finds the page; fgw's (GBK) finds nothing; both submitted exactly once
    assert rows["cityportal"]["found"] == "link" and rows["cityportal"]["status"] == 200
    assert rows["fgw"]["found"] == "" and "没有找到" in rows["fgw"]["excerpt"]
    assert rows["fgw"]["query"] == "市发展改革委开展价格监督检查"
    for site_id in ("cityportal", "fgw"):
        sent = [p for m, p in fixture_server.requests(site_id)[marks[site_id]:] if p.startswith("/search?q=")]
        assert len(sent) == 1, sent
    assert "%CA%D0%B7%A2" in [p for m, p in fixture_server.requests("fgw")[marks["fgw"]:]
                              if p.startswith("/search?q=")][0]   # 市发 in GBK, as the site's own form sends it
