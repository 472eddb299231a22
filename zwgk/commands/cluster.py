"""`zwgk worker` and `zwgk status`: the workers of a distributed crawl and what Redis knows about its runs."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import click

from zwgk import __version__

REDIS_URL = click.option("--redis-url", envvar="ZWGK_REDIS_URL", required=True,
                         help="协调进程使用的 Redis 地址，如 redis://host:6379/0（也可用环境变量 ZWGK_REDIS_URL）。")


def cluster_fingerprint() -> str:
    """The rule set and the crawler's lexicons: processes that differ here would not crawl or judge alike."""
    from rules.registry import rules_version
    import crawler

    digest = hashlib.sha256(rules_version().encode())
    for path in sorted((Path(crawler.__file__).parent / "data").glob("*.yaml")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@click.command("worker")
@REDIS_URL
@click.option("--exit-when-idle/--wait", default=True,
              help="运行结束后退出（默认），或继续等待下一次运行（--wait）。")
@click.option("--join-timeout", default=60.0, show_default=True,
              help="没有进行中的运行时，最多等待多少秒（--exit-when-idle 时）。")
def worker_command(redis_url, exit_when_idle, join_timeout):
    """分布式抓取的工作进程：从 Redis 共享队列取请求抓取，结果交给协调进程写入工作区。"""
    from crawler.distributed.keys import ClusterError

    if not exit_when_idle:
        # each run in a fresh process: Twisted's reactor starts once per process
        while True:
            code = subprocess.call([sys.executable, "-m", "zwgk.cli", "worker", "--redis-url", redis_url,
                                    "--exit-when-idle", "--join-timeout", "3600"])
            if code not in (0, 1):
                sys.exit(code)
            time.sleep(1.0 if code == 0 else 10.0)   # refused (another version) or no run: ask again later
    from crawler.distributed.worker import run_worker

    try:
        token = run_worker(redis_url, __version__, cluster_fingerprint(), exit_when_idle=True,
                           join_seconds=join_timeout)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"工作进程结束：运行 {token} 已完成", err=True)


@click.command("status")
@REDIS_URL
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def status_command(redis_url, as_json):
    """显示 Redis 中的分布式抓取运行：各站点排队、进行中、已完成的请求数，工作进程及其最近心跳。"""
    from crawler.distributed.keys import ClusterError, connect
    from crawler.distributed.status import cluster_status

    try:
        status = cluster_status(connect(redis_url))
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False))
        return
    if not status["runs"]:
        click.echo("Redis 中没有分布式抓取运行")
        return
    for run in status["runs"]:
        state = {"running": "进行中", "done": "已完成"}.get(run["status"], run["status"])
        ttl = f"，记录将在 {run['expires_s']} 秒后过期" if run["expires_s"] and run["expires_s"] > 0 else ""
        click.echo(f"运行 {run['token']}（工作区 {run['workspace']} 运行 {run['run_id']}，{state}{ttl}）")
        click.echo(f"  zwgk {run['version']}，规则集 {run['fingerprint']}；协调进程 {run['coordinator']}"
                   f"（{'在线' if run['coordinator_alive'] else '离线'}）；队列中请求 {run['queued']} 个")
        for s in run["sites"]:
            click.echo(f"  站点 {s['id']}：排队 {s['queued']}，进行中 {s['in_flight']}，已完成 {s['finished']}"
                       f"{'（完成）' if s['done'] else ''}；配置：同时 ≤ {s['concurrency']} 个，间隔 ≥ {s['delay']:g} 秒")
        for w in run["workers"]:
            beat = f"{w['last_beat_s']} 秒前" if w["last_beat_s"] is not None else "无（心跳已过期）"
            click.echo(f"  工作进程 {w['id']}：{'存活' if w['alive'] else '失联'}，最近心跳 {beat}，"
                       f"已收到响应 {w['responses']} 个，进行中 {w['in_flight']} 个")
        if not run["workers"]:
            click.echo("  没有工作进程")


COMMANDS: list = [worker_command, status_command]
