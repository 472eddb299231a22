"""`zwgk bench crawl`: crawl a generated N-page site with zwgk and with a bare Scrapy spider, and compare."""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import click
import psutil

from fixtures.generator import MAX_PAGES, MIN_PAGES, GeneratedSiteProcess

ROOT = Path(__file__).resolve().parents[2]
RSS_POLL_SECONDS = 0.1

# The bare spider runs with the concurrency zwgk's benchmark profile gets, and nothing else switched on.
BARE_SETTINGS = {
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "ROBOTSTXT_OBEY": False,
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False,
    "USER_AGENT": "Mozilla/5.0 (compatible; bare-scrapy-benchmark)",
}


def bare_spider_class():
    """The baseline: a Scrapy spider that only follows in-site `<a href>` links to HTML pages."""
    import scrapy
    from scrapy.http import HtmlResponse
    from scrapy.linkextractors import IGNORED_EXTENSIONS

    ignored = tuple("." + e for e in IGNORED_EXTENSIONS)

    class BareLinkSpider(scrapy.Spider):
        name = "bare-links"

        def __init__(self, base: str, **kwargs):
            super().__init__(**kwargs)
            self.base = base
            self.netloc = urlsplit(base).netloc
            self.pages = 0

        async def start(self):
            # filtered like every other request, so the homepage linked as "/" is not fetched twice
            yield scrapy.Request(self.base, callback=self.parse)

        def parse(self, response, **_):
            if not isinstance(response, HtmlResponse) or response.status != 200:
                return
            self.pages += 1
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                parts = urlsplit(url)
                if parts.scheme in ("http", "https") and parts.netloc == self.netloc \
                        and not parts.path.lower().endswith(ignored):
                    yield scrapy.Request(url, callback=self.parse)

    return BareLinkSpider


def run_bare_spider(base: str) -> dict:
    """Crawl base with the bare spider in this process (it starts the reactor: once per process)."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(BARE_SETTINGS)
    crawler = process.create_crawler(bare_spider_class())
    started = time.monotonic()
    process.crawl(crawler, base=base)
    process.start()
    return {"pages": crawler.spider.pages, "crawl_seconds": round(time.monotonic() - started, 3)}


def process_memory(parent, pss: bool = False) -> tuple[int, int]:
    """(RSS, PSS) of a process with its children, in bytes. RSS counts pages a forked worker shares with its
    parent twice; PSS divides shared pages among the processes sharing them (read only when asked: it costs
    more). Without pss, the second value is the RSS."""
    rss = shared = 0
    for proc in [parent, *parent.children(recursive=True)]:
        try:
            info = proc.memory_full_info() if pss else proc.memory_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue   # ended between listing and reading
        rss += info.rss
        shared += getattr(info, "pss", info.rss)
    return rss, shared


def measure(cmd: list[str], cwd: Path, log: Path, pss: bool = False, poll: float = RSS_POLL_SECONDS) -> dict:
    """Run cmd as a child process; wall time, CPU time, exit code and peak RSS (and PSS) of the child with its
    children.

    CPU time comes from the rusage of waited-for children, so it is exact for one child at a time and, unlike
    wall time, hardly moves when other work shares the machine.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak = peak_pss = 0
        try:
            parent = psutil.Process(proc.pid)
            while proc.poll() is None:
                rss, shared = process_memory(parent, pss)
                peak, peak_pss = max(peak, rss), max(peak_pss, shared)
                time.sleep(poll)
        except psutil.NoSuchProcess:
            pass
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
        code = proc.wait()
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "cpu_seconds": cpu, "returncode": code, "peak_rss": peak, "peak_pss": peak_pss}


def write_profile(path: Path, base: str, pages: int) -> Path:
    """The benchmark site's profile: loopback allowed, no delay, no robots, limits sized for the site."""
    netloc = urlsplit(base).netloc
    limits = {"max_pages": pages * 2, "delay": 0, "concurrency_per_host": 8, "obey_robots": False,
              "timeout": 10, "max_list_pages": pages}  # the biggest column of a 50k site has ~440 list pages
    profile = {"id": "bench", "name": "青岚市人民政府（基准测试站点）", "office": "青岚市人民政府办公室",
               "site_code": "5199000001", "homepage": base, "allowed_domains": [netloc],
               "allow_private_hosts": ["127.0.0.1"], "limits": limits}
    path.write_text(json.dumps(profile, ensure_ascii=False, indent=2), encoding="utf-8")  # JSON is YAML
    return path


def count_store_pages(workspace: Path) -> dict:
    """Pages and checked resources of the last run in a workspace store (read-only)."""
    db = workspace / "zwgk.sqlite3"
    if not db.exists():
        return {"pages": 0, "resources": 0}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        run = con.execute("SELECT MAX(run_id) FROM runs").fetchone()[0]
        # the site's pages: not the row of the one 站内搜索 query (kind 'search'), an extra request like a check
        pages = con.execute("SELECT COUNT(*) FROM pages WHERE run_id = ? AND kind != 'search'", (run,)).fetchone()[0]
        resources = con.execute("SELECT COUNT(*) FROM resources WHERE run_id = ? AND method != 'PAGE'",
                                (run,)).fetchone()[0]
    finally:
        con.close()
    return {"pages": pages, "resources": resources}


def zwgk_crawl_command(profile: Path, workspace: Path, as_of: date) -> list[str]:
    return [sys.executable, "-m", "zwgk.cli", "crawl", str(profile), "--workspace", str(workspace),
            "--as-of", as_of.isoformat(), "--no-progress"]


def run_benchmark(pages: int, as_of: date, seed: int = 1, keep: Path | None = None,
                  echo=lambda message: None) -> dict:
    """Serve the generated site, crawl it with the bare spider then with zwgk, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="zwgk-bench-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        with GeneratedSiteProcess(pages, seed=seed, as_of=as_of) as site:
            echo(f"生成站点：{site.base}（{pages} 页）")
            bare_out = work / "bare.json"
            echo("基准：Scrapy 裸爬虫抓取中……")
            bare = measure([sys.executable, "-m", "zwgk.bench.crawl", "--bare", site.base, str(bare_out)], ROOT,
                           work / "bare.log")
            if bare["returncode"] != 0 or not bare_out.exists():
                raise click.ClickException(f"Scrapy 基准爬虫失败（退出码 {bare['returncode']}），见 {work / 'bare.log'}")
            bare_result = json.loads(bare_out.read_text())
            profile = write_profile(work / "bench-profile.yaml", site.base, pages)
            workspace = work / "workspace"
            echo("zwgk 抓取中……")
            zwgk = measure(zwgk_crawl_command(profile, workspace, as_of), ROOT, work / "zwgk.log")
            if zwgk["returncode"] != 0:
                log = (work / "zwgk.log").read_text(encoding="utf-8", errors="replace")[-2000:]
                raise click.ClickException(f"zwgk crawl 失败（退出码 {zwgk['returncode']}）：\n{log}")
            stored = count_store_pages(workspace)
    zwgk_rate = stored["pages"] / zwgk["seconds"] if zwgk["seconds"] else 0.0
    bare_rate = bare_result["pages"] / bare["seconds"] if bare["seconds"] else 0.0
    zwgk_cpu_ms = 1000 * zwgk["cpu_seconds"] / max(stored["pages"], 1)
    bare_cpu_ms = 1000 * bare["cpu_seconds"] / max(bare_result["pages"], 1)
    return {
        "zwgk_pages_per_s": round(zwgk_rate, 1),
        "scrapy_pages_per_s": round(bare_rate, 1),
        "ratio": round(zwgk_rate / bare_rate, 3) if bare_rate else 0.0,
        "peak_rss_mb": round(zwgk["peak_rss"] / 2**20, 1),
        "pages": stored["pages"],
        "site_pages": pages,
        "scrapy_pages": bare_result["pages"],
        "zwgk_seconds": round(zwgk["seconds"], 2),
        "scrapy_seconds": round(bare["seconds"], 2),
        "zwgk_checked_resources": stored["resources"],
        "scrapy_peak_rss_mb": round(bare["peak_rss"] / 2**20, 1),
        "zwgk_cpu_ms_per_page": round(zwgk_cpu_ms, 2),
        "scrapy_cpu_ms_per_page": round(bare_cpu_ms, 2),
        # the same comparison in CPU per page: steadier than wall time when the machine is shared
        "cpu_ratio": round(bare_cpu_ms / zwgk_cpu_ms, 3) if zwgk_cpu_ms else 0.0,
    }


@click.command("crawl")
@click.option("--pages", type=click.IntRange(MIN_PAGES, MAX_PAGES), default=5000, show_default=True,
              help="生成站点的 HTML 页面数。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@click.option("--as-of", "as_of", default=None, help="站点日期的基准日 YYYY-MM-DD（默认今天）。")
@click.option("--seed", type=int, default=1, show_default=True, help="生成站点的随机种子。")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="保留日志、配置和工作区的目录（默认用后即删）。")
def crawl_bench_command(pages: int, as_json: bool, as_of: str | None, seed: int, keep: Path | None):
    """抓取性能基准：同一生成站点分别用 zwgk 与 Scrapy 裸爬虫抓取，比较每秒页数与内存峰值。"""
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise click.BadParameter(f"应为 YYYY-MM-DD 格式的日期，收到 {as_of!r}", param_hint="--as-of") from None
    echo = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
    result = run_benchmark(pages, day, seed=seed, keep=keep, echo=echo)
    if result["pages"] != pages or result["scrapy_pages"] != pages:
        # pages/s of a partial crawl is not comparable: say so wherever the figures go
        click.echo(f"注意：生成站点共 {pages} 页，zwgk 记录 {result['pages']} 页，Scrapy 抓取 {result['scrapy_pages']} 页；"
                   "页数不一致时比值仅供参考。", err=True)
    if as_json:
        click.echo(json.dumps(result))
    else:
        for key, value in result.items():
            click.echo(f"{key}: {value}")


crawl = crawl_bench_command


def _bare_main(argv: list[str]) -> int:
    """Child entry point: `python -m zwgk.bench.crawl --bare BASE_URL OUT_JSON`."""
    base, out = argv[1], argv[2]
    result = run_bare_spider(base)
    Path(out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bare":
        sys.exit(_bare_main(sys.argv[1:]))
    sys.exit(crawl_bench_command())
