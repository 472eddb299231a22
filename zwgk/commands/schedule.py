"""`zwgk schedule` (cron and systemd units for a round on a calendar) and `zwgk prune` (retention of raw data)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from zwgk.cli_options import holds_workspace, workspace_option
from zwgk.core.store import Store, StoreError


def _time(ctx, param, value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value or "")
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise click.BadParameter(f"应为 HH:MM 格式的时间，如 02:30，收到 {value!r}")
    return int(match.group(1)), int(match.group(2))


@click.command("schedule")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(exists=True))
@workspace_option
@click.option("--every", type=click.Choice(["monthly", "quarterly", "weekly"]), default="monthly", show_default=True,
              help="评估周期：monthly 每月1日，quarterly 每季度首月1日，weekly 每周一")
@click.option("--at", "at", default="02:00", show_default=True, callback=_time, help="开始时间 HH:MM（本机时区）")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="每轮结束后只保留最近 N 轮的原始抓取数据（zwgk prune --keep N）；问题、得分、轮次全部保留")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="各轮报告的输出目录，每轮一个子目录（默认 <工作区>/reports/rounds）")
@click.option("--dest", default=None, type=click.Path(file_okay=False),
              help="生成文件的目录（默认 <工作区>/schedule）")
@click.option("--no-pdf", is_flag=True, help="各轮不生成 PDF 报告")
@click.option("--incremental", is_flag=True, help="各轮增量抓取：站点答复未修改（304）的页面沿用上一轮内容")
def schedule_command(profiles, workspace, every, at, keep, out, dest, no_pdf, incremental):
    """生成定期评估的脚本、crontab 行和 systemd 服务与定时器（只写文件，不安装）。"""
    from zwgk.schedule import CALENDARS, write_schedule

    workspace = Path(workspace).resolve()
    files = write_schedule([Path(p).resolve() for p in profiles], workspace,
                           Path(out).resolve() if out else workspace / "reports" / "rounds",
                           Path(dest).resolve() if dest else workspace / "schedule", every, at[0], at[1], keep,
                           ["--no-pdf"] * no_pdf + ["--incremental"] * incremental)
    click.echo(f"已生成定期评估（{CALENDARS[every].label} {at[0]:02d}:{at[1]:02d}）：\n"
               f"  脚本      {files.script}\n  crontab   {files.cron}\n"
               f"  systemd   {files.service}\n            {files.timer}\n"
               "安装（二选一）：\n"
               f"  crontab -l 2>/dev/null | cat - {files.cron} | crontab -\n"
               f"  cp {files.service} {files.timer} /etc/systemd/system/ && systemctl daemon-reload"
               f" && systemctl enable --now {files.timer.name}\n"
               "上一轮尚未结束时，新一轮因工作区写锁被拒绝，不会重复启动。")


@click.command("prune")
@workspace_option
@click.option("--keep", type=click.IntRange(min=1), required=True, help="保留最近 N 轮的原始抓取数据")
@click.option("--dry-run", is_flag=True, help="只列出将删除的数据，不删除")
@holds_workspace("prune")
def prune_command(workspace, keep, dry_run):
    """删除最近 N 轮以前各次运行的原始抓取数据（页面、链接、资源、正文…），保留问题、得分、轮次和趋势。"""
    from zwgk.core.retention import plan_prune, prune

    store = Store(workspace)
    try:
        plan = plan_prune(store, keep) if dry_run else prune(store, keep)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    kept = "、".join(plan.keep_rounds) or "无"
    verb = "将删除" if dry_run else "已删除"
    cache = (f"{verb}增量抓取缓存（httpcache/）中只有更早轮次用过的响应 {len(plan.cache_entries)} 个"
             f"（{plan.cache_bytes / 1e6:.1f} MB），保留的轮次抓取过的页面仍可在下一轮增量抓取中沿用。"
             if plan.cache_entries else "")
    if not plan.pruned_runs:
        click.echo(f"保留最近 {keep} 轮（{kept}）：没有需要删除的抓取数据。{cache}")
        return
    rows = sum(plan.rows.values())
    runs = "、".join(map(str, plan.pruned_runs))
    click.echo(f"保留最近 {keep} 轮（{kept}）；{verb}运行 {runs} 的原始抓取数据 {rows} 行"
               f"（{'，'.join(f'{t} {n}' for t, n in plan.rows.items() if n)}）。问题、得分、轮次和趋势均保留。{cache}")

COMMANDS: list = [schedule_command, prune_command]
