"""`zwgk` commands of the reports stage."""

from __future__ import annotations

from pathlib import Path

import click

from reports.outputs import Outputs, write_outputs
from reports.report_data import ensure_scores, resolve_check
from reports.safe_output import UnsafeOutputPath
from zwgk.cli_options import holds_workspace, report_date_option, workspace_option
from zwgk.core.config import ConfigError
from zwgk.core.store import Store, StoreError


@click.command("report")
@workspace_option
@click.option("--run", "run_id", type=int, help="运行编号（默认最新一次运行）")
@click.option("--check", "check_id", type=int, help="检查编号（默认该运行最新完成的检查）")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="输出目录（默认 <工作区>/reports/check-<检查编号>）")
@click.option("--profile", "profile_name", default=None,
              help="评分指标表：内置名称（gov2019、province80）或 YAML 文件；默认用该检查已保存得分的指标表")
@click.option("--no-pdf", is_flag=True, help="不生成 PDF 报告")
@report_date_option
@holds_workspace("report")
def report_command(workspace: str, run_id: int | None, check_id: int | None, out_dir: str | None,
                   profile_name: str | None, no_pdf: bool, report_date) -> None:
    """生成评估报告（HTML/PDF）、按责任单位的“一对一”问题清单（xlsx/csv）和得分 CSV。"""
    store = Store(workspace)
    try:
        check_id = resolve_check(store, run_id, check_id)
        # the scores themselves are read again by the outputs: a province's are not held twice
        _, profile, scored_now = ensure_scores(store, check_id, profile_name)
        if scored_now:
            click.echo(f"检查 {check_id} 尚无“{profile.name}”指标体系的得分，已先行评分并保存。")
        out = Path(out_dir) if out_dir else Path(workspace) / "reports" / f"check-{check_id}"
        outputs = write_outputs(store, check_id, out, profile, pdf=not no_pdf,
                                report_date=report_date.date() if report_date else None)
    except (StoreError, ConfigError, UnsafeOutputPath) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    print_outputs(outputs)


def print_outputs(outputs: Outputs) -> None:
    """Tell the user where every output is (also used by `zwgk run` and `zwgk demo`)."""
    click.echo(f"评估报告：{outputs.html}")
    if outputs.site_pages:
        click.echo(f"分站点报告：{len(outputs.site_pages)} 个网站各一份（{outputs.site_pages[0].parent}），由评估报告链接")
    if outputs.pdf:
        click.echo(f"PDF 报告：{outputs.pdf}")
    elif outputs.pdf_error:
        click.echo(outputs.pdf_error, err=True)
    for problem in outputs.pdf_problems:
        click.echo(f"PDF 排版提示：{problem}", err=True)
    click.echo(f"问题清单：{outputs.issues.index}（{len(outputs.issues.offices)} 个责任单位，"
               f"每个单位一份 xlsx 与 csv，在 {outputs.issues.index.parent}）")
    for office in outputs.issues.offices:
        click.echo(f"  {office.xlsx}")
    for path in outputs.csv:
        click.echo(f"得分数据：{path}")
    if outputs.snapshots:
        click.echo(f"页面快照：{len(outputs.snapshots)} 个（{outputs.out_dir / 'snapshots'}，问题清单和报告中的“快照”链接指向它们）")


COMMANDS: list = [report_command]
