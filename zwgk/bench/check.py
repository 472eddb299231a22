"""`zwgk bench check`: time the check stage on a generated snapshot of N pages (pages/s, peak RSS)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from zwgk.core.store import Store

PAGES_PER_COLUMN = 200
MAX_COLUMNS = 300      # a large portal has a few hundred columns; more pages make longer lists, not more columns
MENU = [f"http://bench.test/menu/{i}.html" for i in range(20)]
AS_OF = "2024-06-01"


def _profile_json() -> str:
    return json.dumps({"id": "bench", "name": "基准测试网站", "office": "基准测试办公室", "site_code": "0000000000",
                       "homepage": "http://bench.test/", "allowed_domains": ["bench.test"], "kind": "portal",
                       "external_services": True, "columns": [], "catalog": "", "limits": {},
                       "allow_private_hosts": []}, ensure_ascii=False)


def _day(i: int) -> str:
    # spread over ~3 years before the as-of day so that some columns are stale and some fresh
    y, rest = divmod(i % 1000, 365)
    return f"{2024 - y}-{1 + rest % 12:02d}-{1 + rest % 28:02d}" if y else f"2024-{1 + rest % 5:02d}-{1 + rest % 28:02d}"


def generate(workspace: Path, pages: int) -> int:
    """A one-site run of `pages` article pages (plus home and column pages) with a few planted defects."""
    store = Store(workspace)
    run_id = store.create_run(AS_OF, "bench", "bench")
    db = store.db
    n_cols = min(MAX_COLUMNS, max(1, pages // PAGES_PER_COLUMN))
    classes = ("动态要闻", "通知公告", "政策文件", "人事", "规划计划", "基本信息")
    db.execute("BEGIN")
    db.execute("INSERT INTO run_sites (run_id, site_id, name, office, site_code, kind, homepage, profile_json,"
               " profile_hash, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
               (run_id, "bench", "基准测试网站", "基准测试办公室", "0000000000", "portal", "http://bench.test/",
                _profile_json(), "bench", "done"))
    db.executemany(
        "INSERT INTO columns (run_id, site_id, column_id, name, url, cls, office, path, level, source, assessable)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        ((run_id, "bench", f"c{c}", f"栏目{c}", f"http://bench.test/c{c}/", classes[c % len(classes)], "",
          f"首页>政府信息公开>栏目{c}", 1, "discovered", 1) for c in range(n_cols)))
    page_sql = ("INSERT INTO pages (run_id, site_id, url, final_url, status, content_type, fetched_at, kind,"
                " column_id, parent_url, depth, title, body_hash, text_len, fields, dates) VALUES"
                " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
    db.execute(page_sql, (run_id, "bench", "http://bench.test/", "http://bench.test/", 200, "text/html", AS_OF,
                          "home", "", "", 0, "基准测试网站", "h", 5000, "{}", "{}"))
    db.executemany(page_sql, ((run_id, "bench", f"http://bench.test/c{c}/", f"http://bench.test/c{c}/", 200,
                               "text/html", AS_OF, "column", f"c{c}", "http://bench.test/", 1, f"栏目{c}", f"c{c}",
                               3000, "{}", "{}") for c in range(n_cols)))

    def article_rows():
        for i in range(pages):
            c = i % n_cols
            day = _day(i)
            fields = {"标题": f"关于第{i}号事项的通知", "文号": f"基府发〔{day[:4]}〕{i % 97 + 1}号",
                      "发布机构": "基准测试办公室", "索引号": f"000000000/{day[:4]}-{i:05d}", "主题分类": "综合政务",
                      "成文日期": day, "发布日期": day, "有效性": "有效"}
            if i % 50 == 0:
                del fields["有效性"]          # META001
            if i % 70 == 0:
                fields["文号"] = f"基府发[{day[:4]}]{i % 97 + 1}号"   # META003
            yield (run_id, "bench", f"http://bench.test/c{c}/{i}.html", f"http://bench.test/c{c}/{i}.html", 200,
                   "text/html", AS_OF, "article", f"c{c}", f"http://bench.test/c{c}/", 2, fields["标题"],
                   f"b{i}", 2000, json.dumps(fields, ensure_ascii=False),
                   json.dumps({"成文日期": day, "发布日期": day}, ensure_ascii=False))

    db.executemany(page_sql, article_rows())

    def metadata_rows():
        for i in range(pages):
            url = f"http://bench.test/c{i % n_cols}/{i}.html"
            day = _day(i)
            labels = [("标　　题", "标题", f"关于第{i}号事项的通知"), ("文　　号", "文号", f"基府发〔{day[:4]}〕{i % 97 + 1}号"),
                      ("发布机构", "发布机构", "基准测试办公室"), ("索 引 号", "索引号", f"000000000/{day[:4]}-{i:05d}"),
                      ("主题分类", "主题分类", "综合政务"), ("成文日期", "成文日期", day), ("发布日期", "发布日期", day)]
            if i % 50:
                labels.append(("有 效 性", "有效性", "有效"))
            for pos, (label, field, value) in enumerate(labels):
                yield (run_id, "bench", url, pos, label, field, value)

    db.executemany("INSERT INTO metadata (run_id, site_id, page_url, position, label, field, value) VALUES"
                   " (?,?,?,?,?,?,?)", metadata_rows())

    def link_rows():
        for u in MENU:
            yield (run_id, "bench", "http://bench.test/", u, "link", "菜单", "a@href", 1)
        for i in range(pages):
            url = f"http://bench.test/c{i % n_cols}/{i}.html"
            for u in MENU[:6]:
                yield (run_id, "bench", url, u, "link", "菜单", "a@href", 1)
            yield (run_id, "bench", url, f"http://bench.test/img/{i}.jpg", "image", "图解", "img@src", 1)
            yield (run_id, "bench", url, f"http://bench.test/img/{i}b.png", "image", "", "img@src", 1)
            yield (run_id, "bench", url, f"http://bench.test/files/{i}.pdf", "attachment", "附件", "a@href", 1)
            yield (run_id, "bench", url, "http://ext.test/", "link", "外部链接", "a@href", 0)

    db.executemany("INSERT INTO links (run_id, site_id, page_url, url, kind, text, tag, internal) VALUES"
                   " (?,?,?,?,?,?,?,?)", link_rows())

    res_sql = ("INSERT INTO resources (run_id, url, method, status, content_type, sniffed_type, outcome, checked_at)"
               " VALUES (?,?,?,?,?,?,?,?)")

    def resource_rows():
        for u in MENU + ["http://ext.test/"]:
            yield (run_id, u, "HEAD", 200, "text/html", "", "ok", AS_OF)
        for i in range(pages):
            broken = i % 100 == 0
            yield (run_id, f"http://bench.test/img/{i}.jpg", "GET", 404 if broken else 200,
                   "text/html" if broken else "image/jpeg", "html" if broken else "jpeg",
                   "broken" if broken else "ok", AS_OF)
            yield (run_id, f"http://bench.test/img/{i}b.png", "GET", 200, "image/png", "png", "ok", AS_OF)
            yield (run_id, f"http://bench.test/files/{i}.pdf", "HEAD", 200, "application/pdf", "", "ok", AS_OF)

    db.executemany(res_sql, resource_rows())

    def entry_rows():
        for i in range(pages):
            c = i % n_cols
            yield (run_id, "bench", f"c{c}", f"http://bench.test/c{c}/{i}.html", f"关于第{i}号事项的通知", _day(i),
                   _day(i), f"http://bench.test/c{c}/", i // n_cols)
        for i in range(30):
            yield (run_id, "bench", "", f"http://bench.test/c0/{i}.html", f"首页信息{i}", f"2024-05-{i % 28 + 1:02d}",
                   f"2024-05-{i % 28 + 1:02d}", "http://bench.test/", i)

    db.executemany("INSERT OR IGNORE INTO entries (run_id, site_id, column_id, url, title, date_text, date, list_url,"
                   " position) VALUES (?,?,?,?,?,?,?,?,?)", entry_rows())
    db.execute("COMMIT")
    # as after a crawl, the data sits in the database file, not in a write-ahead log the reader must map
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.set_run_status(run_id, "done")
    store.close()
    return run_id


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM restarts at exec, while ru_maxrss keeps the peak of the
    process that spawned us (the whole CLI), so /proc is read where it exists."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed_check(workspace: Path, run_id: int) -> dict:
    """Run the check stage once in this process; wall time, findings and this process's peak RSS."""
    from rules.engine import run_check

    store = Store(workspace)
    try:
        pages = store.db.execute("SELECT count(*) FROM pages WHERE run_id=?", (run_id,)).fetchone()[0]
        start = time.perf_counter()
        check_id = run_check(store, run_id)
        seconds = time.perf_counter() - start
        findings = store.db.execute("SELECT count(*) FROM findings WHERE check_id=?", (check_id,)).fetchone()[0]
    finally:
        store.close()
    return {"pages": pages, "seconds": round(seconds, 2), "pages_per_s": round(pages / seconds, 1),
            "findings": findings, "peak_rss_mb": peak_rss_mb()}


@click.command("check")
@click.option("--pages", "pages", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="生成的文章页数")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def bench_check(pages: int, as_json: bool) -> None:
    """检查阶段基准：生成 N 个页面的快照，计时检查（pages_per_s、peak_rss_mb）。"""
    with tempfile.TemporaryDirectory(prefix="zwgk-bench-check-") as tmp:
        workspace = Path(tmp)
        t0 = time.perf_counter()
        run_id = generate(workspace, pages)
        built = time.perf_counter() - t0
        # the check runs in a fresh process so its peak RSS is its own, not the generator's
        out = subprocess.run([sys.executable, "-m", "zwgk.bench.check", str(workspace), str(run_id)],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise click.ClickException(f"检查进程失败：{out.stderr.strip()[-2000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
    result["snapshot_build_seconds"] = round(built, 1)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"pages={result['pages']} findings={result['findings']} seconds={result['seconds']}")
        click.echo(f"pages_per_s={result['pages_per_s']}")
        click.echo(f"peak_rss_mb={result['peak_rss_mb']}")


if __name__ == "__main__":
    print(json.dumps(timed_check(Path(sys.argv[1]), int(sys.argv[2]))))
