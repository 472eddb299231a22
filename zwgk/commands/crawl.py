"""`zwgk crawl`: crawl sites into the workspace store, with live progress and a closing summary."""

from __future__ import annotations

import sys
import click

from zwgk import __version__
from zwgk.cli_options import as_of_option, crawl_scope_options, holds_workspace, incremental_option, workspace_option
from zwgk.commands.rounds import close_round, open_round
from zwgk.core.config import ConfigError, load_profiles, with_crawl_options
from zwgk.core.store import Store, StoreError


@click.command("crawl")
@click.argument("profiles", nargs=-1, type=click.Path(exists=True))
@workspace_option
@as_of_option("评估基准日 YYYY-MM-DD（默认今天）。")
@click.option("--resume", is_flag=True, help="继续上一次中断的抓取。")
@click.option("--progress/--no-progress", default=None, help="显示实时进度（终端上默认显示）。")
@click.option("--redis-url", envvar="ZWGK_REDIS_URL", default=None, help="分布式抓取：本进程作为协调进程，由 zwgk worker 工作进程抓取（scrapy-redis）。")
@click.option("--heartbeat-ttl", default=10, show_default=True, type=click.IntRange(2, 3600),
              help="分布式抓取：工作进程心跳超过此秒数即视为失联，其进行中的请求放回队列。")
@click.option("--round", "round_name", default=None,
              help="评估轮次名称（如 2026Q4）；同一轮次沿用首次运行的评估基准日。")
@crawl_scope_options
@incremental_option
@holds_workspace("crawl")
def crawl_command(profiles, workspace, as_of, resume, progress, redis_url, heartbeat_ttl, no_external, no_render,
                  round_name, incremental):
    """抓取站点：首页 → 栏目 → 列表页 → 详情页，并检查所有链接与资源。"""
    from crawler.runner import run_crawl
    from crawler.summary import crawl_summary, format_summary

    try:
        loaded = load_profiles(list(profiles)) if profiles else None
        if loaded:
            loaded = with_crawl_options(loaded, no_external, no_render)
        elif no_external or no_render:
            click.echo("提示：继续抓取沿用该运行保存的站点配置，--no-external / --no-render 不改变它", err=True)
        if not loaded and not resume:
            raise click.UsageError("请给出站点配置文件或目录（PROFILE…），或使用 --resume 继续上次抓取")
        show = sys.stderr.isatty() if progress is None else progress
        as_of = open_round(workspace, round_name, as_of)
        if redis_url:
            run_id = _coordinate(loaded, workspace, as_of, resume, show, redis_url, heartbeat_ttl, incremental)
        else:
            run_id = run_crawl(loaded, workspace, as_of, resume=resume, progress=show, incremental=incremental)
        close_round(workspace, round_name, run_id)
    except (ConfigError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    store = Store(workspace)
    try:
        click.echo(format_summary(crawl_summary(store, run_id, coverage=_coverage(store, run_id))))
    finally:
        store.close()


def _coordinate(loaded, workspace, as_of, resume, progress, redis_url, heartbeat_ttl, incremental) -> int:
    """The coordinator of a distributed crawl (docs/scale.md): workers started with `zwgk worker` crawl."""
    from crawler.distributed.coordinator import run_coordinator
    from crawler.distributed.keys import ClusterError
    from zwgk.commands.cluster import cluster_fingerprint

    if incremental:
        raise click.UsageError("分布式抓取（--redis-url）暂不支持 --incremental：HTTP 缓存在各工作进程本机")
    try:
        return run_coordinator(loaded, workspace, redis_url, __version__, cluster_fingerprint(), as_of=as_of,
                               resume=resume, progress=progress, heartbeat_ttl=heartbeat_ttl)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None


def _coverage(store: Store, run_id: int) -> dict[str, dict]:
    """Each site's coverage figures, computed from the snapshot as the check stage will (rules/coverage.py)."""
    from rules.coverage import site_coverage
    from rules.snapshot import load_sites, load_snapshot
    from rules.thresholds import load_thresholds

    thresholds = load_thresholds()
    out = {}
    for site_id in load_sites(store.db, run_id):
        try:
            out[site_id] = site_coverage(load_snapshot(store, run_id, site_id), thresholds)
        except Exception as exc:  # the summary must still print; the check stage reports it again
            out[site_id] = dict(sufficient=False, reasons=[f"覆盖情况无法计算：{type(exc).__name__}: {exc}"])
    return out


COMMANDS: list = [crawl_command]
