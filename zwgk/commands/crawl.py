"""`zwgk crawl`: crawl sites into the workspace store, with live progress and a closing summary."""

from __future__ import annotations

import sys
import click

from zwgk.cli_options import as_of_option, holds_workspace, workspace_option
from zwgk.core.config import ConfigError, load_profiles
from zwgk.core.store import Store, StoreError


@click.command("crawl")
@click.argument("profiles", nargs=-1, type=click.Path(exists=True))
@workspace_option
@as_of_option("评估基准日 YYYY-MM-DD（默认今天）。")
@click.option("--resume", is_flag=True, help="继续上一次中断的抓取。")
@click.option("--progress/--no-progress", default=None, help="显示实时进度（终端上默认显示）。")
@click.option("--redis-url", envvar="ZWGK_REDIS_URL", default=None, help="使用 Redis 共享抓取队列（scrapy-redis）。")
@click.option("--round", "round_name", default=None,
              help="评估轮次名称（如 2026Q4）；同一轮次沿用首次运行的评估基准日。")
@holds_workspace("crawl")
def crawl_command(profiles, workspace, as_of, resume, progress, redis_url, round_name):
    """抓取站点：首页 → 栏目 → 列表页 → 详情页，并检查所有链接与资源。"""
    from crawler.runner import run_crawl
    from crawler.summary import crawl_summary, format_summary

    try:
        loaded = load_profiles(list(profiles)) if profiles else None
        if not loaded and not resume:
            raise click.UsageError("请给出站点配置文件或目录（PROFILE…），或使用 --resume 继续上次抓取")
        show = sys.stderr.isatty() if progress is None else progress
        from zwgk.commands.rounds import close_round, open_round
        as_of = open_round(workspace, round_name, as_of)
        run_id = run_crawl(loaded, workspace, as_of, resume=resume, progress=show,
                           redis_url=redis_url)
        close_round(workspace, round_name, run_id)
    except (ConfigError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    store = Store(workspace)
    try:
        click.echo(format_summary(crawl_summary(store, run_id)))
    finally:
        store.close()
COMMANDS: list = [crawl_command]
