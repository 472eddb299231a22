"""`zwgk run` and `zwgk demo`: crawl → check → score → report chained, each stage as its own command runs it."""

from __future__ import annotations

import shutil
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click

from zwgk.cli_options import (as_of_option, crawl_scope_options, holds_workspace, incremental_option,
                              report_date_option, workspace_option)
from zwgk.core.config import ConfigError, load_profiles, with_crawl_options
from zwgk.core.store import Store, StoreError


def run_pipeline(profile_paths: list[str], workspace: Path, as_of: date | None, scoring_profile: str,
                 out: Path, pdf: bool, no_external: bool = False, no_render: bool = False,
                 round_name: str | None = None, incremental: bool = False, report_date: date | None = None):
    """Every stage over the given sites; returns (run_id, check_id, outputs)."""
    from crawler.runner import run_crawl
    from reports.outputs import write_outputs
    from rules.engine import run_check
    from scoring.scorer import score_check

    from zwgk.commands.rounds import close_round, open_round

    profiles = with_crawl_options(load_profiles(profile_paths), no_external, no_render)
    as_of = open_round(workspace, round_name, as_of, scoring_profile)
    click.echo(f"抓取 {len(profiles)} 个网站…", err=True)
    run_id = run_crawl(profiles, workspace, as_of, progress=False, incremental=incremental)
    close_round(workspace, round_name, run_id)
    store = Store(workspace)
    try:
        click.echo(f"运行 {run_id} 抓取完成，检查中…", err=True)
        check_id = run_check(store, run_id)
        _, profile = score_check(store, check_id, scoring_profile)
        click.echo(f"检查 {check_id} 已按“{profile.name}”评分，生成报告…", err=True)
        outputs = write_outputs(store, check_id, out, profile, pdf=pdf, report_date=report_date)
    finally:
        store.close()
    return run_id, check_id, outputs


def echo_outputs(outputs) -> None:
    from zwgk.commands.report import print_outputs
    print_outputs(outputs)


@click.command("run")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(exists=True))
@workspace_option
@as_of_option("评估基准日 YYYY-MM-DD（默认今天）。")
@click.option("--profile", "scoring_profile", default="gov2019", show_default=True,
              help="评分指标体系：内置名称（gov2019、province80）或 YAML 文件。")
@click.option("--out", default="zwgk-output", show_default=True, type=click.Path(file_okay=False),
              help="报告输出目录。")
@click.option("--no-pdf", is_flag=True, help="不生成 PDF 报告。")
@click.option("--round", "round_name", default=None,
              help="评估轮次名称（如 2026Q4）；同一轮次沿用首次运行的评估基准日，供 zwgk rounds / diff 对比。")
@crawl_scope_options
@incremental_option
@report_date_option
@holds_workspace("run")
def run_command(profiles, workspace, as_of, scoring_profile, out, no_pdf, no_external, no_render, round_name,
                incremental, report_date):
    """一条命令完成：抓取 → 检查 → 评分 → 报告。"""
    try:
        _, _, outputs = run_pipeline(list(profiles), Path(workspace), as_of, scoring_profile,
                                     Path(out), pdf=not no_pdf, no_external=no_external, no_render=no_render,
                                     round_name=round_name, incremental=incremental,
                                     report_date=report_date.date() if report_date else None)
    except (ConfigError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    echo_outputs(outputs)


# The demo's availability window: a full week of probes (7 days × 20 a day, as the AVAIL rules need) compressed
# into a few seconds against the local fixture sites, and labelled so in the report — never a real week.
DEMO_PROBE_DAYS, DEMO_PROBES_PER_DAY, DEMO_DAY_SECONDS, DEMO_PROBE_TIMEOUT = 7.0, 20, 0.3, 5.0
# The window opens this long after it is stored: a prober skips slots that passed before it started (never a
# burst), and at 15 ms a slot a busy machine would otherwise lose the first few and leave the window short.
DEMO_PROBE_LEAD_SECONDS = 2.0


def demo_as_of() -> date:
    """Today as the availability rules count days (Beijing days), so the demo's probes fall inside its window."""
    from rules.thresholds import load_thresholds
    offset = load_thresholds().availability.utc_offset_hours
    return (datetime.now(timezone.utc) + timedelta(hours=offset)).date()


def demo_probe_window(profile_paths: list[str], workspace: Path) -> None:
    """A compressed probe window over the demo's sites (zwgk probe with a short day), before the crawl."""
    from zwgk.probe import Prober, ProbeTarget, open_campaign

    targets = [ProbeTarget.of(p) for p in load_profiles(profile_paths)]
    store = Store(workspace)
    try:
        campaign, _ = open_campaign(store, DEMO_PROBE_DAYS, DEMO_PROBES_PER_DAY, DEMO_DAY_SECONDS, DEMO_PROBE_TIMEOUT,
                                    now=time.time() + DEMO_PROBE_LEAD_SECONDS)
        click.echo(f"压缩演示监测窗口：{len(targets)} 个网站首页各监测 {campaign.total_slots} 次"
                   f"（{campaign.days:g}“天”压缩为 {campaign.days * campaign.day_seconds:g} 秒，非真实一周）…", err=True)
        stats = Prober(store, campaign, targets).run()
    finally:
        store.close()
    click.echo(f"压缩演示监测完成：共 {stats.probes} 次，失败 {stats.failed} 次", err=True)


@click.command("demo")
@click.option("--out", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="演示输出目录（每次运行前清空）。")
@click.option("--no-pdf", is_flag=True, help="不生成 PDF 报告。")
def demo_command(out, no_pdf):
    """演示：在本机 127.0.0.1 上运行两个示例政府网站，抓取、检查、评分并生成全部报告。"""
    from fixtures.server import FixtureServer

    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)
    as_of = demo_as_of()  # the fixture sites date their pages relative to this day
    with FixtureServer(as_of=as_of) as server:
        profiles = server.write_profiles(out / "profiles")
        click.echo("示例网站已在本机启动：" + "，".join(
            f"{sid} {server.base_url(sid)}" for sid in server.site_ids), err=True)
        try:
            demo_probe_window([str(p) for p in profiles], out / "workspace")
            run_id, check_id, outputs = run_pipeline([str(p) for p in profiles], out / "workspace", as_of,
                                                     "gov2019", out, pdf=not no_pdf)
        except (ConfigError, StoreError) as exc:
            raise click.ClickException(str(exc)) from None
    echo_outputs(outputs)
    click.echo(f"\n演示完成（运行 {run_id}，检查 {check_id}）。用浏览器打开 {outputs.html} 查看评估报告；"
               f"工作区 {out / 'workspace'} 可继续用 zwgk findings / score / report 查看。")


COMMANDS: list = [run_command, demo_command]
