"""`zwgk rounds`, `zwgk diff` (回头看) and `zwgk rescore`: the workspace's rounds compared and re-scored."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date

import click

from reports.safe_output import spreadsheet_cell
from zwgk.cli_options import holds_workspace, workspace_option
from zwgk.core.history import history
from zwgk.core.lookback import DIFF_COLUMNS, compute_diff
from zwgk.core.store import Store, StoreError


def round_option(func):
    """`--round NAME`: the evaluation round (评估轮次) the run belongs to."""
    return click.option("--round", "round_name", default=None,
                        help="评估轮次名称（如 2026Q4）；同一轮次沿用首次运行的评估基准日")(func)


def open_round(workspace, round_name: str | None, as_of: date | None, profile: str = "") -> date | None:
    """The as-of date to crawl with: the round's own when it exists and none is given; defines a new round."""
    if not round_name:
        return as_of
    store = Store(workspace)
    try:
        row = store.round_row(round_name)
        if row is not None and as_of is None:
            return date.fromisoformat(row["as_of"])
        store.define_round(round_name, (as_of or date.today()).isoformat(), profile)
        return as_of or date.today()
    finally:
        store.close()


def close_round(workspace, round_name: str | None, run_id: int) -> None:
    if not round_name:
        return
    store = Store(workspace)
    try:
        store.assign_round(run_id, round_name)
    finally:
        store.close()


def round_summaries(store: Store) -> list[dict]:
    """One row per history point (round, or run outside a round): dates, sites, pass rate, sites vetoed and the
    mean score of the sites not vetoed."""
    from scoring.scorer import load_scores

    out = []
    for point in history(store):
        row = store.round_row(point.round_name) if point.round_name else None
        runs = [r["run_id"] for r in store.db.execute(
            "SELECT run_id FROM runs WHERE round_name=? ORDER BY run_id", (point.round_name,))] \
            if point.round_name else [point.run_id]
        sites = json.loads(row["sites"]) if row is not None else [r["site_id"] for r in store.sites(point.run_id)]
        entry = dict(round=point.label, as_of=point.as_of, created_at=row["created_at"] if row is not None else "",
                     profile="", runs=runs, run_id=point.run_id, check_id=point.check_id, sites=len(sites),
                     graded=0, passed=0, vetoed=0, pass_rate=None, mean_score=None)
        try:
            result = load_scores(store, point.check_id)
        except StoreError:
            out.append(entry)
            continue
        sites_frame = result.sites
        graded = [p for p in sites_frame["passed"] if p is not None]
        # the mean of the sites not vetoed, as the report's overview and trend chapter give it
        scores = [s for s, veto in zip(sites_frame["score"], sites_frame["veto"])
                  if s is not None and not math.isnan(s) and not veto]
        entry.update(profile=result.profile_name, graded=len(graded), passed=sum(bool(p) for p in graded),
                     vetoed=int(sites_frame["veto"].sum()),
                     pass_rate=round(sum(bool(p) for p in graded) / len(graded), 4) if graded else None,
                     mean_score=round(sum(scores) / len(scores), 2) if scores else None)
        out.append(entry)
    return out


@click.command("rounds")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def rounds_command(workspace, as_json):
    """列出各评估轮次：基准日、网站数、合格率、平均分。"""
    store = Store(workspace)
    try:
        rows = round_summaries(store)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("工作区还没有完成检查的运行。")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="评估轮次")
    for header in ("轮次", "基准日", "运行", "网站", "指标表", "合格率", "否决", "平均分"):
        table.add_column(header)
    for r in rows:
        rate = "—" if r["pass_rate"] is None else f"{r['pass_rate']:.0%}（{r['passed']}/{r['graded']}）"
        mean = "—" if r["mean_score"] is None else f"{r['mean_score']:.2f}"
        table.add_row(r["round"], r["as_of"], "、".join(map(str, r["runs"])), str(r["sites"]), r["profile"] or "未评分",
                      rate, str(r["vetoed"]), mean)
    Console(highlight=False).print(table)
    click.echo("合格率 = 合格网站数 / 可定档网站数（待定不计）；否决 = 触发单项否决的网站数；平均分为未否决网站的平均得分。")


def diff_csv(rows: list[dict]) -> str:
    """The diff as CSV; crawled text (titles in messages, URLs) made safe for a spreadsheet like `findings --format csv`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DIFF_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_cell(row[c]) for c in DIFF_COLUMNS])
    return buffer.getvalue()


@click.command("diff")
@workspace_option
@click.option("--from", "from_ref", default=None, help="对比的起点：轮次名称或运行编号（默认上一轮）")
@click.option("--to", "to_ref", default=None, help="对比的终点：轮次名称或运行编号（默认最新一轮）")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def diff_command(workspace, from_ref, to_ref, fmt):
    """回头看：两轮之间每个问题是新发现、未整改、已整改，还是本轮未评估。"""
    store = Store(workspace)
    try:
        diff = compute_diff(store, from_ref, to_ref)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    rows = diff.as_dicts()
    if fmt == "csv":
        click.echo(diff_csv(rows), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps(dict(
            from_round=diff.from_point.label if diff.from_point else None,
            to_round=diff.to_point.label, offices=diff.offices(), findings=rows), ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if diff.from_point is None:
        console.print(f"{diff.to_point.label} 之前没有可对比的轮次：所有问题均为新发现。")
    title = f"回头看：{diff.from_point.label if diff.from_point else '—'} → {diff.to_point.label}"
    offices = Table(title=title + "（各单位整改情况）")
    for header in ("网站", "责任单位", "未整改", "新发现", "已整改", "未复现", "未评估", "整改率"):
        offices.add_column(header)
    for o in diff.offices():
        rate = "—" if o["fix_rate"] is None else f"{o['fix_rate']:.0%}"
        offices.add_row(o["site_id"], o["office"], str(o["persisting"]), str(o["new"]), str(o["fixed"]),
                        str(o["dropped"]), str(o["not_assessed"]), rate)
    console.print(offices)
    detail = Table(title=title + "（问题明细）")
    for header in ("网站", "责任单位", "状态", "持续轮数", "规则", "地址", "问题"):
        detail.add_column(header)
    for r in rows:
        detail.add_row(r["site_id"], r["office"], r["status_label"], str(r["rounds"] or ""), r["code"], r["url"],
                       r["message"] + (f"（{r['note']}）" if r["note"] else ""))
    console.print(detail)


@click.command("rescore")
@workspace_option
@click.option("--run", "run_id", type=int, default=None, help="运行编号（默认最新一次运行）")
@click.option("--profile", "profile_name", required=True,
              help="评分指标表：内置名称（gov2019、province80）或 YAML 文件路径")
@click.option("--explanations", "explanations", type=click.Path(exists=True, dir_okay=False), default=None,
              help="情况说明文件（YAML 或 xlsx）：接受的说明不扣分，标为“已说明”")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@holds_workspace("rescore")
def rescore_command(workspace, run_id, profile_name, explanations, as_json):
    """不重新抓取、不重新检查：用另一指标表（或阈值）为已保存的检查重新评分。"""
    from zwgk.commands.score import score_and_print

    score_and_print(workspace, run_id, None, profile_name, as_json, explanations)


COMMANDS: list = [rounds_command, diff_command, rescore_command]
