"""`zwgk` commands of the rules stage: rules, check, findings, eval, catalog."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from datetime import date
from pathlib import Path

import click

from reports.safe_output import spreadsheet_cell
from zwgk.cli_options import as_of_option, holds_workspace, workspace_option
from zwgk.core.config import ConfigError
from zwgk.core.store import Store, StoreError

SEVERITY_NAMES = {"veto": "否决", "deduct": "扣分", "warn": "预警"}
SCOPE_NAMES = {"page": "页面", "column": "栏目", "site": "网站"}
FINDING_COLUMNS = ("check_id", "run_id", "as_of", "site_id", "office", "code", "indicator", "severity",
                   "confidence", "count", "column_id", "column_name", "url", "parent_url", "title", "message",
                   "evidence")


def _store(workspace: str) -> Store:
    path = Path(workspace)
    if not (path / Store.FILENAME).exists():
        raise click.ClickException(f"{path}: 工作区中没有数据库（{Store.FILENAME}）；请先运行 `zwgk crawl`")
    try:
        return Store(path)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


def _table(headers: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers, show_lines=False, header_style="bold")
    for row in rows:
        table.add_row(*[str(c) for c in row])
    Console(width=max(120, shutil.get_terminal_size().columns)).print(table)


@click.command("rules")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（含依据、整改建议、整改时限）")
def rules_command(as_json: bool) -> None:
    """列出全部检查规则：代码、名称、严重程度、指标、范围。"""
    from rules.registry import RULES, RULES_VERSION

    if as_json:
        data = [dict(code=r.code, name=r.name, title=r.title, family=r.family, severity=r.severity,
                     indicator=r.indicator, scope=r.scope, basis=r.basis, advice=r.advice, fix_days=r.fix_days)
                for r in RULES]
        click.echo(json.dumps({"rules_version": RULES_VERSION, "rules": data}, ensure_ascii=False, indent=2))
        return
    _table(["代码", "名称", "问题类型", "严重程度", "指标", "范围"],
           [[r.code, r.name, r.title, SEVERITY_NAMES[r.severity], r.indicator, SCOPE_NAMES[r.scope]] for r in RULES])
    click.echo(f"共 {len(RULES)} 条规则；规则版本 {RULES_VERSION}")


@click.command("check")
@workspace_option
@click.option("--run", "run_id", type=int, help="要检查的抓取批次（默认最新一次）")
@as_of_option("评估基准日 YYYY-MM-DD（默认为该批次的基准日）")
@click.option("--rules", "codes", help="只运行这些规则或规则族，逗号分隔，如 META,LINK001")
@click.option("--thresholds", "thresholds", type=click.Path(dir_okay=False, exists=True),
              help="阈值覆盖文件（YAML，只写要改的键）")
@holds_workspace("check")
def check_command(workspace: str, run_id: int | None, as_of: date | None, codes: str | None,
                  thresholds: str | None) -> None:
    """对已抓取的快照运行检查规则（不联网），结果写入工作区。"""
    from rules.engine import run_check

    store = _store(workspace)
    try:
        def report(site_id: str, n: int, outcomes) -> None:
            skipped = [o for o in outcomes if o.status != "assessed"]
            line = f"{site_id}: {n} 条问题"
            if skipped:
                line += f"，{len(skipped)} 条规则无法评估"
            click.echo(line)
            for o in skipped[:5]:
                click.echo(f"  - {o.code} 无法评估：{o.reason}")
            if len(skipped) > 5:
                click.echo(f"  - ……另有 {len(skipped) - 5} 条")

        from zwgk.core.retention import pruned_at
        target = int(store.run(run_id)["run_id"])
        if pruned_at(store, target):
            raise StoreError(f"运行 {target} 的抓取数据已于 {pruned_at(store, target)} 由 `zwgk prune` 删除，不能重新检查；"
                             "其问题和得分仍在，可用 `zwgk rescore` 换指标表重新评分")
        check_id = run_check(store, run_id, as_of=as_of, codes=codes, thresholds=thresholds, on_site=report)
        row = store.db.execute("SELECT run_id, as_of FROM checks WHERE check_id=?", (check_id,)).fetchone()
        counts = dict(store.db.execute("SELECT severity, count(*) FROM findings WHERE check_id=? GROUP BY severity",
                                       (check_id,)).fetchall())
        summary = "，".join(f"{SEVERITY_NAMES[s]} {counts.get(s, 0)}" for s in ("veto", "deduct", "warn"))
        click.echo(f"检查 #{check_id} 完成（批次 {row['run_id']}，基准日 {row['as_of']}）：{summary}")
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="--rules") from exc
    except (StoreError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


@click.command("findings")
@workspace_option
@click.option("--run", "run_id", type=int, help="批次（默认最新一次检查所属批次）")
@click.option("--check", "check_id", type=int, help="检查编号（默认该批次最新一次检查）")
@click.option("--site", "site_id", help="只列出该网站")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def findings_command(workspace: str, run_id: int | None, check_id: int | None, site_id: str | None, fmt: str) -> None:
    """列出检查发现的问题（表格、JSON 或 CSV）。"""
    store = _store(workspace)
    try:
        if check_id is None:
            check_id = int(store.latest_check(run_id)["check_id"])
        rows = store.findings(check_id, site_id)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FINDING_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in rows:
            # crawled text ends up in these cells: a title like =HYPERLINK(…) must stay text in a spreadsheet
            row = {**r, "evidence": json.dumps(r["evidence"], ensure_ascii=False, sort_keys=True)}
            writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
        sys.stdout.write(buf.getvalue())
    else:
        _table(["网站", "代码", "严重程度", "单位", "栏目", "问题描述", "确定性"],
               [[r["site_id"], r["code"], SEVERITY_NAMES.get(r["severity"], r["severity"]), r["office"],
                 r["column_name"], r["message"], "确定" if r["confidence"] == "confirmed" else "疑似"] for r in rows])
        click.echo(f"检查 #{check_id}：共 {len(rows)} 条")


class _DefaultSites(click.Group):
    """`zwgk eval` alone, with a folder or with options evaluates the fixture sites, as it always did."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["sites", *args]
        return super().parse_args(ctx, args)


@click.group("eval", cls=_DefaultSites)
def eval_group() -> None:
    """评测：样例网站的查准率/查全率（sites），真实页面语料的抽取准确率（pages），保存的真实网站（site）。"""


@eval_group.command("sites")
@click.argument("sites_dir", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@workspace_option
def eval_sites_command(sites_dir: str | None = None, as_json: bool = False, workspace: str = "./workspace") -> None:
    """抓取并检查全部样例网站，与预期问题比对：每类规则的查准率和查全率。"""
    from zwgk.evaluation.fixture_sites import DEFAULT_SITES_DIR, evaluate_fixture_sites, format_report

    try:
        report = evaluate_fixture_sites(Path(sites_dir) if sites_dir else DEFAULT_SITES_DIR, Path(workspace))
    except (StoreError, ConfigError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report))
    if report["overall"]["precision"] < 1.0 or report["overall"]["recall"] < 1.0:
        sys.exit(1)


@eval_group.command("site")
@click.argument("mirror", type=click.Path(exists=True))
@click.option("--host", required=True, help="镜像所属网站的主机名（如 www.zhecheng.gov.cn），映射到本机镜像服务器")
@click.option("--id", "site_id", default="mirror", show_default=True, help="站点 id")
@click.option("--name", default="", help="网站名称")
@click.option("--site-code", default="", help="网站标识码")
@as_of_option("镜像的快照日期 YYYY-MM-DD（评估基准日）。")
@click.option("--out", default="zwgk-mirror-output", show_default=True, type=click.Path(file_okay=False),
              help="报告输出目录。")
@click.option("--no-render", is_flag=True, help="不用浏览器渲染由脚本生成的页面（对比渲染的开销）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@workspace_option
def eval_site_command(mirror, host, site_id, name, site_code, as_of, out, no_render, as_json, workspace) -> None:
    """在本机回环地址上提供真实网站镜像（.tar.gz 或目录），按 --no-external 完整评估一遍并输出数据。

    请在只有回环网卡的网络命名空间中运行：unshare -n sh -c 'ip link set lo up; zwgk eval site …'。"""
    from datetime import date as _date

    from zwgk.evaluation.real_site import evaluate_mirror, format_figures

    try:
        result = evaluate_mirror(Path(mirror), host.lower(), as_of or _date.today(), Path(workspace), Path(out),
                                 site_id, name, site_code, render=not no_render)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else format_figures(result))


@eval_group.command("pages")
@click.argument("pages_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--labels", "labels", type=click.Path(dir_okay=False, exists=True),
              help="标注文件（默认 PAGES_DIR 上一级的 pages.yaml）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.option("--brief", is_flag=True, help="只输出汇总，不列出每个页面的差异")
def eval_pages_command(pages_dir: str, labels: str | None, as_json: bool, brief: bool) -> None:
    """抽取语料中每个已标注的真实页面，与人工标注比对：要素、列表、导航栏目的准确率（按 CMS 类型）。"""
    from zwgk.evaluation.corpus import evaluate_corpus, format_report

    pages = Path(pages_dir)
    labels_path = Path(labels) if labels else pages.parent / "pages.yaml"
    if not labels_path.exists():
        raise click.ClickException(f"找不到标注文件：{labels_path}（用 --labels 指定）")
    try:
        report = evaluate_corpus(pages, labels_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report, not brief))


@click.group("catalog")
def catalog_group() -> None:
    """公开目录（标准目录、任务清单）：导入与检查。"""


@catalog_group.command("import")
@click.argument("source", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="写出的目录文件（YAML）")
def catalog_import(source: str, output: str) -> None:
    """从标准目录/任务清单（xlsx、xls、csv；表头含 公开路径 及 公开事项/责任单位/公开时限，顺序不限）导入。"""
    from rules.catalog import catalog_warnings, load_catalog, write_catalog_yaml
    from rules.thresholds import load_thresholds

    if Path(output).suffix.lower() not in (".yaml", ".yml"):
        raise click.ClickException(f"{output}：导入的目录写为 YAML 文件，请用 .yaml 或 .yml 作文件名")
    try:
        catalog = load_catalog(source)
        for line in catalog.notes:
            click.echo(f"提示：{line}", err=True)
        write_catalog_yaml(catalog, output)   # through a temporary file: nothing partial on error
    except (ConfigError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    skipped = sum("已跳过该行" in n for n in catalog.notes)
    click.echo(f"已导入 {len(catalog.items)} 个公开事项 → {output}" + (f"（跳过 {skipped} 行，见上方提示）" if skipped else ""))
    for line in catalog_warnings(catalog, load_thresholds().catalog):
        click.echo(f"提示：{line}", err=True)


@catalog_group.command("show")
@click.argument("source", type=click.Path(dir_okay=False, exists=True))
def catalog_show(source: str) -> None:
    """校验并列出一个目录文件（YAML、CSV、xlsx 或 xls）。"""
    from rules.catalog import catalog_warnings, load_catalog, parse_deadline
    from rules.thresholds import load_thresholds

    lexicon = load_thresholds().catalog
    try:
        catalog = load_catalog(source)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in catalog.notes:
        click.echo(f"提示：{line}", err=True)
    kinds = {"continuous": "常态", "period": "周期", "annual": "每年定期", "event": "事后时限", "once": "一次性",
             "unknown": "无法识别"}
    _table(["公开事项", "公开路径", "责任单位", "公开时限", "时限类型"],
           [[i.name, i.path, i.owner, i.deadline, kinds[parse_deadline(i.deadline, lexicon).kind]]
            for i in catalog.items])
    for line in catalog_warnings(catalog, lexicon):
        click.echo(f"提示：{line}", err=True)


COMMANDS = [rules_command, check_command, findings_command, eval_group, catalog_group]
