"""`zwgk bench render`: what rendering script-built pages in headless Chromium costs a crawl (pages/s with and without)."""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import click

from zwgk.bench.crawl import measure

ROOT = Path(__file__).resolve().parents[2]
# pages of the fixture sites whose list is filled by script: rendered one after the other in one browser
RENDERED_PATHS = {"nyj": "/tzgg/", "cityportal": "/xxgk/fdzdgknr/ghxx/zxgh/", "fgw": "/xxgk/fdzdgknr/ghxx/zxgh/"}


def crawl_figures(workspace: Path) -> dict:
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    try:
        pages = db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        rendered = db.execute("SELECT COALESCE(SUM(rendered), 0) FROM site_requests").fetchone()[0]
        requests = db.execute("SELECT COALESCE(SUM(requests), 0) FROM site_requests").fetchone()[0]
        columns = db.execute("SELECT COUNT(*), SUM(assessable=1) FROM columns").fetchone()
    finally:
        db.close()
    return {"pages": pages, "rendered": rendered, "site_requests": requests, "columns": columns[0],
            "columns_assessed": columns[1] or 0}


def run_benchmark(repeat: int = 10) -> dict:
    """Crawl the fixture sites with and without rendering, then time single renders in one browser."""
    from crawler.render import render_page
    from zwgk.core.chromium import Chromium, chromium_path
    from fixtures.server import DEFAULT_AS_OF, FixtureServer

    if not chromium_path():
        raise click.ClickException("本机没有可用的 Chromium 浏览器（apt-get install chromium），无法测量渲染开销")
    out: dict = {"crawls": {}, "as_of": DEFAULT_AS_OF.isoformat()}
    with tempfile.TemporaryDirectory(prefix="zwgk-bench-render-") as tmp, \
            FixtureServer(as_of=DEFAULT_AS_OF) as server:
        tmp = Path(tmp)
        profiles = [str(p) for p in server.write_profiles(tmp / "profiles")]
        for mode, options in (("without", ["--no-render"]), ("with", [])):
            workspace = tmp / mode
            cmd = [sys.executable, "-m", "zwgk.cli", "crawl", *profiles, "--workspace", str(workspace),
                   "--as-of", DEFAULT_AS_OF.isoformat(), "--no-progress", *options]
            run = measure(cmd, ROOT, tmp / f"{mode}.log")
            if run["returncode"] != 0:
                raise click.ClickException(f"抓取失败（{mode}），见 {tmp / f'{mode}.log'}")
            figures = crawl_figures(workspace)
            figures.update(seconds=round(run["seconds"], 2), cpu_seconds=round(run["cpu_seconds"], 2),
                           pages_per_s=round(figures["pages"] / run["seconds"], 1))
            out["crawls"][mode] = figures
        started = time.monotonic()
        browser = Chromium()
        try:
            allow = lambda url, kind: 0.0 if kind in ("Document", "Script", "XHR", "Fetch") else "skip"  # noqa: E731
            render_page(browser, server.base_url("nyj") + "/", allow)  # the first page also starts the browser
            out["browser_start_s"] = round(time.monotonic() - started, 2)
            times = []
            for _ in range(repeat):
                for site, path in RENDERED_PATHS.items():
                    t0 = time.monotonic()
                    render_page(browser, server.base_url(site) + path, allow)
                    times.append(time.monotonic() - t0)
        finally:
            browser.close()
    out["render_s"] = {"median": round(statistics.median(times), 3), "max": round(max(times), 3), "n": len(times)}
    with_, without = out["crawls"]["with"], out["crawls"]["without"]
    # wall time of the fixture crawl is set by its deliberately slow pages; CPU time shows the cost
    extra = with_["cpu_seconds"] - without["cpu_seconds"]
    out["cpu_seconds_per_rendered_page"] = round(extra / with_["rendered"], 2) if with_["rendered"] else None
    out["render_pages_per_s"] = round(1 / statistics.median(times), 2)
    return out


@click.command("render")
@click.option("--repeat", type=click.IntRange(1, 100), default=10, show_default=True,
              help="每个脚本列表页单独渲染的次数。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
def render_bench_command(repeat: int, as_json: bool):
    """渲染开销：样例网站在渲染与不渲染脚本生成页面时的抓取速度（页面/秒），以及单页渲染耗时。"""
    result = run_benchmark(repeat)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo("样例网站抓取（cityportal、fgw、nyj）")
    click.echo(f"{'':6}{'页面':>6}{'已渲染':>8}{'可评估栏目':>10}{'秒':>8}{'CPU秒':>8}{'页面/秒':>9}")
    for mode, label in (("without", "不渲染"), ("with", "渲染")):
        c = result["crawls"][mode]
        click.echo(f"{label:6}{c['pages']:>6}{c['rendered']:>8}{c['columns_assessed']:>10}{c['seconds']:>8}"
                   f"{c['cpu_seconds']:>8}{c['pages_per_s']:>9}")
    click.echo(f"浏览器启动并渲染首页：{result['browser_start_s']} 秒；单页渲染中位数 {result['render_s']['median']} 秒、"
               f"最长 {result['render_s']['max']} 秒（{result['render_s']['n']} 次，约 {result['render_pages_per_s']} 页/秒）；"
               f"抓取中每渲染一页多用 CPU {result['cpu_seconds_per_rendered_page']} 秒")
