"""`zwgk score`: score the newest check under an indicator profile."""

from __future__ import annotations

import json

import click

from scoring.scorer import ScoreResult, score_check, score_text
from zwgk.cli_options import holds_workspace, workspace_option
from zwgk.core.config import ConfigError
from zwgk.core.store import Store, StoreError


def _main_deductions(result: ScoreResult, limit: int = 3) -> dict[str, str]:
    """site -> its biggest deductions as printed; one sort for all sites (a filter per site is slow for a province)."""
    rows = result.indicators[(result.indicators["office"] == "") & (result.indicators["points_lost"] > 0)]
    rows = rows.sort_values("points_lost", ascending=False, kind="stable").groupby("site_id", sort=False).head(limit)
    out: dict[str, list[str]] = {}
    for site_id, name, lost in zip(rows["site_id"], rows["name"], rows["points_lost"]):
        out.setdefault(site_id, []).append(f"{name} 扣{lost:g}分")
    return {site_id: "；".join(parts) for site_id, parts in out.items()}


def print_summary(result: ScoreResult, profile) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title=f"评分结果（运行 {result.run_id}，检查 {result.check_id}，截至 {result.as_of}，"
                        f"指标表 {profile.name} {profile.hash}）")
    for header in ("排名", "网站", "得分", "是否否决", "等级", "主要扣分"):
        table.add_column(header)
    deductions = _main_deductions(result)
    for site in result.sites.itertuples():
        table.add_row(str(site.rank), site.site_name, score_text(site), "是" if site.veto else "否", site.grade,
                      deductions.get(site.site_id, "—"))
    console.print(table)
    for site in result.sites.itertuples():
        for reason in site.veto_reasons:
            console.print(f"[否决] {site.site_name}：{reason}")
        for warning in site.warnings:
            console.print(f"[预警] {site.site_name}：{warning}")
    provisional = int(result.sites["provisional"].sum())
    if provisional:
        console.print(f"注：{provisional} 个网站有未评估的指标，得分按已评估指标的分值折算为百分制，标为“暂定”；"
                      "未评估的指标不计满分（详见 docs/scoring.md）。")
    if profile.bonus_note:
        console.print(f"注：{profile.bonus_note}")


def result_json(result: ScoreResult) -> dict:
    def records(frame):
        return json.loads(frame.to_json(orient="records", force_ascii=False))

    whole_site = result.indicators[result.indicators["office"] == ""]
    return dict(run_id=result.run_id, check_id=result.check_id, as_of=result.as_of,
                profile=dict(name=result.profile_name, hash=result.profile_hash),
                sites=records(result.sites), indicators=records(whole_site), offices=records(result.offices))


def load_explanations_into(store: Store, path: str, run_id: int) -> None:
    """Read an explanations file, report each bad row on stderr, and record the good ones for this run."""
    from zwgk.core.explanations import load_explanations, save_explanations
    from zwgk.core.history import hosts_by_site

    items, errors = load_explanations(path, hosts_by_site(store, run_id))
    for error in errors:
        click.echo(f"[说明文件] {error}", err=True)
    save_explanations(store, items, run_id)
    click.echo(f"已读取情况说明 {len(items)} 条（{path}）", err=True)


def score_and_print(workspace: str, run_id: int | None, check_id: int | None, profile_name: str, as_json: bool,
                    explanations: str | None = None) -> None:
    store = Store(workspace)
    try:
        if check_id is None:
            check_id = int(store.latest_check(run_id)["check_id"])
        else:
            store.finished_check(check_id, run_id)
        if explanations:
            check_run = int(store.db.execute("SELECT run_id FROM checks WHERE check_id=?",
                                             (check_id,)).fetchone()["run_id"])
            load_explanations_into(store, explanations, check_run)
        result, profile = score_check(store, check_id, profile_name)
        basis = store.db.execute("SELECT basis FROM scores WHERE check_id=? AND profile_name=? LIMIT 1",
                                 (check_id, profile.name)).fetchone()
    except (StoreError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    basis = json.loads(basis["basis"]) if basis is not None and basis["basis"] else {}
    if as_json:
        click.echo(json.dumps({**result_json(result), "basis": basis}, ensure_ascii=False, indent=2))
    else:
        print_summary(result, profile)
        print_basis(basis)


def print_basis(basis: dict) -> None:
    """What the score rests on besides the findings: explanations honoured, suspected failures confirmed."""
    e = basis.get("explanations") or {}
    if any(e.get(k) for k in ("accepted", "rejected", "pending")):
        click.echo(f"情况说明：接受 {e.get('accepted', 0)} 条（标为已说明，不扣分），驳回 {e.get('rejected', 0)} 条，"
                   f"待复核 {e.get('pending', 0)} 条")
    if basis.get("confirmed_by_recurrence"):
        click.echo(f"疑似问题经本轮复现确认：{basis['confirmed_by_recurrence']} 条（上轮 {basis.get('previous')}）")


@click.command("score")
@workspace_option
@click.option("--run", "run_id", type=int, help="运行编号（默认最新一次运行）")
@click.option("--check", "check_id", type=int, help="检查编号（默认该运行最新完成的检查）")
@click.option("--profile", "profile_name", default="gov2019", show_default=True,
              help="评分指标表：内置名称（gov2019、province80）或 YAML 文件路径")
@click.option("--explanations", "explanations", type=click.Path(exists=True, dir_okay=False), default=None,
              help="情况说明文件（YAML 或 xlsx，每行一个问题）：接受的说明不扣分，问题标为“已说明”，"
                   "问题持续存在时沿用到下一轮")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@holds_workspace("score")
def score_command(workspace: str, run_id: int | None, check_id: int | None, profile_name: str,
                  explanations: str | None, as_json: bool) -> None:
    """按指标表为一次检查的问题计分，保存并显示结果。"""
    score_and_print(workspace, run_id, check_id, profile_name, as_json, explanations)


COMMANDS: list = [score_command]
