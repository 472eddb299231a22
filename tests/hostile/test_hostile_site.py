"""`zwgk run` (real Scrapy) against a hostile site and a silent one on 127.0.0.1: what the evaluator sees.

One run serves every hostile behaviour at once (tests/hostile/server.py); each test reads one aspect of it
from the store, the outputs and the command's own messages."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from crawler.scope import canonical_url
from tests.hostile.server import (EXT, FORMULAS, LINKS_ON_PAGE, MANY, SESSION_PAGES, SILENT, SITE, HostileServer,
                                  profiles)

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
HOME = f"http://{SITE}"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def loopback_name_from_hosts() -> str:
    """A name other than localhost that /etc/hosts sends to loopback (resolved without DNS), '' when none."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[0].startswith("127."):
            for name in fields[1:]:
                if name != "localhost" and not name.endswith(".localhost"):
                    return name
    return ""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    with HostileServer() as server:
        server.extra_private = [f"http://{n}:{server.trap.port}/" for n in filter(None, [loopback_name_from_hosts()])]
        profile = base / "sites.yaml"
        profile.write_text(yaml.safe_dump(profiles(server), allow_unicode=True), encoding="utf-8")
        out = base / "out"
        result = subprocess.run([sys.executable, "-m", "zwgk.cli", "run", str(profile), "--workspace", str(base / "ws"),
                                 "--out", str(out), "--no-pdf", "--as-of", "2026-12-01"], cwd=ROOT,
                                capture_output=True, text=True, timeout=400)
        db = sqlite3.connect(base / "ws" / "zwgk.sqlite3")
        db.row_factory = sqlite3.Row
        yield dict(server=server, result=result, db=db, out=out, base=base, workspace=base / "ws")
        db.close()


def resource(db, path: str) -> sqlite3.Row:
    row = db.execute("SELECT * FROM resources WHERE url=?", (path if "://" in path else HOME + path,)).fetchone()
    assert row is not None, path
    return row


def page(db, path: str) -> sqlite3.Row:
    row = db.execute("SELECT * FROM pages WHERE url=?", (HOME + path,)).fetchone()
    assert row is not None, path
    return row


def test_the_run_finishes_and_says_what_went_wrong_in_one_line(hostile):
    result = hostile["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    robots = [line for line in result.stderr.splitlines() if "robots.txt" in line]
    assert len(robots) == 1, result.stderr
    assert f"robots.txt 无法获取（http://{SILENT}/robots.txt）：请求超时（超过 1 秒未完成）；按未限制处理" in robots[0]
    assert len(result.stderr.splitlines()) < 15, result.stderr
    status = {r["site_id"]: r for r in hostile["db"].execute("SELECT * FROM run_sites")}
    assert status["hostile"]["status"] == "done"
    assert status["silent"]["status"] == "unreachable"
    assert status["silent"]["error"] == "首页无法访问：请求超时（超过 1 秒未完成）"
    assert hostile["db"].execute("SELECT status FROM runs").fetchone()[0] == "done"
    assert (hostile["out"] / "report.html").exists()


def test_size_limits_hold_as_received_and_after_decompression(hostile):
    db = hostile["db"]
    for path in ("/huge.html", "/huge-chunked.html"):
        assert resource(db, path)["error"] == "响应超过大小上限（上限 4 MB，limits.max_page_mb），已中止下载"
        assert page(db, path)["error"].startswith("响应超过大小上限")
    for kind in ("gzip", "br", "deflate"):
        row = resource(db, f"/bomb-{kind}.html")
        assert row["error"] == "响应解压后超过大小上限（上限 4 MB，limits.max_page_mb），疑似压缩炸弹，已中止读取"
        assert row["outcome"] == "not_checked"
    # an attachment read for personal information is bounded by its own limit, before it is inflated
    assert resource(db, "/files/bomb.xlsx")["error"] == \
        "响应解压后超过大小上限（上限 10 MB，limits.attachment_max_mb），疑似压缩炸弹，已中止读取"


def test_slow_endless_and_silent_answers_end_at_the_time_limit(hostile):
    db = hostile["db"]
    for path in ("/slow.html", "/endless.html"):
        row = resource(db, path)
        assert (row["error"], row["outcome"], row["attempts"]) == ("请求超时（超过 2 秒未完成）", "suspected", 3)
    assert resource(db, "/dataloss.html")["error"] == "响应不完整（实际长度小于声明的长度，连接中断）"
    silent = db.execute("SELECT * FROM pages WHERE site_id='silent'").fetchall()
    assert [(p["url"], p["error"]) for p in silent] == [(f"http://{SILENT}/", "请求超时（超过 1 秒未完成）")]
    # robots.txt with the site's time limit and retries, not Scrapy's 15 s default
    assert hostile["server"].requests(SILENT, "/robots.txt") == ["/robots.txt"] * 3


def test_odd_pages_are_read_and_nothing_collected_is_lost(hostile):
    db = hostile["db"]
    title = "示例县财政局关于预算公开的通知"
    for path in ("/enc/lying-header.html", "/enc/lying-meta.html", "/enc/mixed.html"):
        assert page(db, path)["title"] == title, path
    assert page(db, "/nest.html")["title"] == "深层嵌套页面"
    assert page(db, "/cut.html")["title"] == "截断的页面"
    for path in ("/binary.html", "/garbage.html", "/nest.html", "/cut.html"):
        row = page(db, path)
        assert row["status"] == 200 and "解析失败" not in row["error"], (path, row["error"])
    assert db.execute("SELECT COUNT(*) FROM crawl_events WHERE level='error'").fetchone()[0] == 0
    # the pages around them were all kept: the notices column with its three entries and their pages
    assert db.execute("SELECT COUNT(*) FROM entries WHERE list_url=?", (HOME + "/tzgg/",)).fetchone()[0] == 3
    assert db.execute("SELECT COUNT(*) FROM pages WHERE url LIKE ? AND status=200",
                      (HOME + "/tzgg/t%",)).fetchone()[0] == 3


def test_redirect_loops_chains_and_unfollowable_targets(hostile):
    db, server = hostile["db"], hostile["server"]
    for path in ("/loop/a", "/chain/30"):
        row = resource(db, path)
        assert (row["outcome"], row["error"]) == ("broken", "重定向次数过多（疑似重定向循环）")
    assert len(server.requests(SITE, "/chain/")) == 11   # REDIRECT_MAX_TIMES 10, then it stops
    assert resource(db, "/go/file")["error"] == "重定向到不可访问的地址（file:///etc/passwd），未跟随"
    assert resource(db, "/go/ftp")["error"] == "重定向到不可访问的地址（ftp://10.0.0.1/），未跟随"
    for path, host in (("/go/metadata", "169.254.169.254"), ("/go/loopback", "127.0.0.1"), ("/go/decimal", "2130706433")):
        row = resource(db, path)
        assert row["outcome"] == "not_checked" and f"私有或本机地址 {host} " in row["error"], (path, row["error"])


def test_private_and_disguised_loopback_addresses_are_refused_before_connecting(hostile):
    db, server = hostile["db"], hostile["server"]
    trap = server.trap.port
    refused = [f"http://localhost:{trap}/", f"http://2130706433:{trap}/", f"http://0177.0.0.1:{trap}/",
               f"http://0x7f000001:{trap}/", f"http://127.1:{trap}/", f"http://[::1]:{trap}/",
               f"http://[::ffff:127.0.0.1]:{trap}/", f"http://127.0.0.1:{trap}/", f"http://0.0.0.0:{trap}/",
               "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/",
               "http://[fe80::1]/", f"http://127.0.0.1:{server.port}/", *server.extra_private]
    for url in refused:
        row = resource(db, url)
        assert row["outcome"] == "not_checked" and "私有或本机地址" in row["error"] and row["status"] is None, url
    # the listening sockets behind every loopback form never saw a connection (redirects to them included)
    assert server.trap.accepted == []
    assert not [p for h, _, p in server.log if h not in (SITE, SILENT, EXT, MANY)]


def test_non_web_schemes_are_recorded_never_fetched(hostile):
    db = hostile["db"]
    for url in ("file:///etc/passwd", "ftp://10.0.0.1/x.doc", "javascript:alert(1)", "file:///etc/shadow"):
        assert db.execute("SELECT COUNT(*) FROM links WHERE url=?", (url,)).fetchone()[0] == 1, url
        assert db.execute("SELECT COUNT(*) FROM resources WHERE url=?", (url,)).fetchone()[0] == 0, url
    assert db.execute("SELECT COUNT(*) FROM links WHERE url LIKE 'data:%'").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM resources WHERE url NOT LIKE 'http%'").fetchone()[0] == 0


def test_fifty_thousand_links_are_recorded_and_checked_only_up_to_the_limits(hostile):
    db, server = hostile["db"], hostile["server"]
    assert db.execute("SELECT COUNT(*) FROM links WHERE page_url=?", (HOME + "/links.html",)).fetchone()[0] \
        == LINKS_ON_PAGE
    assert len(server.requests(EXT, "/p/")) == 40   # limits.max_link_checks_per_page
    events = [r[0] for r in db.execute("SELECT message FROM crawl_events WHERE level='limit'")]
    assert f"页面有 {LINKS_ON_PAGE} 个链接，只检查了其中 40 个新链接（limits.max_link_checks_per_page），" \
           f"其余 {LINKS_ON_PAGE - 40} 个未检查，链接检查为部分评估" in events
    report = (hostile["out"] / "report.html").read_text(encoding="utf-8")
    assert "部分评估（抓取上限）" in report and "只检查了其中 40 个新链接" in report


def test_link_checks_per_site_stop_at_the_limit(hostile):
    db, server = hostile["db"], hostile["server"]
    assert db.execute("SELECT COUNT(*) FROM links WHERE site_id='many' AND url LIKE ?", (f"http://{EXT}/m%",)
                      ).fetchone()[0] == 90
    assert len(server.requests(EXT, "/m")) == 50   # limits.max_link_checks of the site
    assert [r[0] for r in db.execute("SELECT message FROM crawl_events WHERE site_id='many' AND level='limit'")] == [
        "已达到每站链接检查上限 50（limits.max_link_checks），其余链接未检查，链接检查为部分评估"]


def test_calendars_and_session_ids_are_bounded(hostile):
    server = hostile["server"]
    assert len(server.requests(SITE, "/calendar")) <= 12
    assert len(server.requests(SITE, "/cal/")) <= 4          # max_depth
    fetched = server.requests(SITE, "/j/")
    # six pages behind a fresh ;jsessionid= on every answer: each fetched once (the column's list page twice
    # at most: as the menu's column and as one of its own links)
    assert len({canonical_url(HOME + p) for p in fetched}) == SESSION_PAGES
    assert len(fetched) <= SESSION_PAGES + 1, fetched


def test_list_pages_are_fetched_once_and_the_limit_is_said(hostile):
    db, server = hostile["db"], hostile["server"]
    pages = [p for p in server.requests(SITE, "/news/index_")]
    assert len(pages) == len(set(pages)), pages
    listed = db.execute("SELECT COUNT(DISTINCT list_url) FROM entries e JOIN columns c ON c.column_id=e.column_id"
                        " WHERE c.name='新闻动态'").fetchone()[0]
    assert listed == 3   # limits.max_list_pages
    message = "栏目「新闻动态」的列表超过 3 页（limits.max_list_pages），其余列表页未抓取，该栏目为部分评估"
    assert db.execute("SELECT COUNT(*) FROM crawl_events WHERE level='limit' AND message=?", (message,)).fetchone()[0] == 1
    assert message in (hostile["out"] / "report.html").read_text(encoding="utf-8")


def _cells(out: Path):
    """(file, value) of every cell of every xlsx and csv under the output folder."""
    for path in sorted(out.rglob("*")):
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            for sheet in book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f", (path.name, cell.coordinate, cell.value)
                        yield path.name, cell.value
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.reader(f):
                    for value in row:
                        yield path.name, value


def test_payloads_from_crawled_pages_are_inert_in_every_output(hostile):
    out, workspace = hostile["out"], hostile["workspace"]
    for extra in ("csv", "json"):
        result = subprocess.run([sys.executable, "-m", "zwgk.cli", "findings", "--workspace", str(workspace),
                                 "--format", extra], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        (out / f"findings.{extra}").write_text(result.stdout, encoding="utf-8")
    json.loads((out / "findings.json").read_text(encoding="utf-8"))
    cells = list(_cells(out))
    carried = [v for _, v in cells if isinstance(v, str) and ("HYPERLINK" in v or "alert" in v or "SUM(1+1)" in v)]
    assert carried, "the payloads reached no output: the test would prove nothing"
    unsafe = [(f, v) for f, v in cells if isinstance(v, str) and v.startswith(FORMULA_START)]
    assert unsafe == []
    # titles that begin with a formula reach cells of their own, quoted
    assert any(v.startswith("'" + FORMULAS[0][:10]) for v in carried)
    assert any(v.startswith("'@SUM(1+1)") for v in carried)
    for html in [out / "report.html", *(out / "snapshots").glob("*.html")]:
        text = html.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<b>单位</b>" not in text, html.name
    assert "&lt;script&gt;alert" in (out / "report.html").read_text(encoding="utf-8")


def test_output_paths_stay_inside_out(hostile):
    out, base = hostile["out"].resolve(), hostile["base"]
    files = [p for p in base.rglob("*") if p.is_file()]
    for path in files:
        resolved = path.resolve()
        assert resolved.is_relative_to(base.resolve())
    outside = [p for p in files if "逃逸" in p.name and not p.resolve().is_relative_to(out)]
    assert outside == []
    issue_lists = [p.name for p in (out / "issues").iterdir()]
    assert any("逃逸" in name for name in issue_lists)       # the offices got their lists, under safe names
    assert not any(".." in name or "/" in name for name in issue_lists)
