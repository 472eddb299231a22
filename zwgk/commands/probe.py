"""`zwgk probe`: monitor every site's homepage for the 站点无法访问 veto and 首页可用性 (a week, ≥ 20 probes a day)."""

from __future__ import annotations

import click

from zwgk.cli_options import workspace_option
from zwgk.core.config import ConfigError, load_profiles
from zwgk.core.store import Store, StoreError


@click.command("probe")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(exists=True))
@workspace_option
@click.option("--days", default=7.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="监测天数（新建监测窗口时使用；未结束的窗口按原设置继续）。")
@click.option("--per-day", default=20, show_default=True, type=click.IntRange(min=1), help="每个站点每天监测次数。")
@click.option("--timeout", default=15.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="首页超过该秒数未打开即记为失败。")
@click.option("--day-seconds", default=86400.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="“一天”的秒数：小于86400为压缩的演示/测试窗口，结论会标注为压缩窗口。")
@click.option("--concurrency", default=32, show_default=True, type=click.IntRange(min=1), help="同时进行的监测数。")
@click.option("--once", is_flag=True,
              help="只为每个站点做本时段的一次监测后退出（供 cron/systemd 定时器调用；本时段已测过的站点跳过）。")
def probe_command(profiles, workspace, days, per_day, timeout, day_seconds, concurrency, once):
    """首页可用性监测：按时段（带随机抖动）访问各站点首页，每次结果存入工作区。

    长期运行：zwgk probe sites/ --workspace ws（默认7天、每天20次、超时15秒）；中断后再次运行即从存储中
    最后一次监测的下一时段继续，不重测、不补测已错过的时段。定时器方式：每小时运行
    `zwgk probe sites/ --once --per-day 24`（见 README）。
    """
    from zwgk.probe import Prober, ProbeTarget, open_campaign, prober_lock

    try:
        loaded = load_profiles(list(profiles))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        lock = prober_lock(workspace)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    store = Store(workspace)
    try:
        campaign, resumed = open_campaign(store, days, per_day, day_seconds, timeout)
        note = "（压缩窗口，仅供演示）" if campaign.compressed else ""
        verb = "继续" if resumed else "开始"
        click.echo(f"{verb}监测窗口 {campaign.campaign_id}{note}：{len(loaded)} 个站点，每天 {campaign.per_day} 次，"
                   f"共 {campaign.days:g} 天，超时 {campaign.timeout_s:g} 秒", err=True)
        targets = [ProbeTarget.of(p) for p in loaded]
        prober = Prober(store, campaign, targets, concurrency=concurrency,
                        log=lambda m: click.echo(m, err=True))
        try:
            stats = prober.run(once=once)
        except KeyboardInterrupt:
            stats = prober.stats
            click.echo("监测已中断；已完成的监测均已保存，再次运行同一命令即从下一时段继续", err=True)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
        lock.close()
    skipped = f"，错过 {stats.skipped_slots} 个时段（监测未运行）" if stats.skipped_slots else ""
    click.echo(f"本次监测 {stats.probes} 次，失败 {stats.failed} 次{skipped}")


COMMANDS: list = [probe_command]
