"""`zwgk recheck`: fetch the suspected resources of the newest run again and re-score with what they answer."""

from __future__ import annotations

import click

from zwgk.cli_options import holds_workspace, workspace_option
from zwgk.core.config import ConfigError
from zwgk.core.store import Store, StoreError


@click.command("recheck")
@workspace_option
@click.option("--run", "run_id", type=int, default=None, help="运行编号（默认最新一次运行）")
@click.option("--profile", "profile_name", default=None,
              help="评分指标表：内置名称或 YAML 文件；默认沿用该检查上次评分所用的指标表（含当时的阈值，按保存的内容）")
@holds_workspace("recheck")
def recheck_command(workspace, run_id, profile_name):
    """复查：只重新访问该运行中疑似失效（超时、5xx）的链接和资源；仍失效的予以确认，已恢复的不予认定，并重新评分。"""
    from scoring.scorer import score_check
    from zwgk.recheck import recheck_run

    store = Store(workspace)
    try:
        from scoring.profile import load_profile
        named = load_profile(profile_name) if profile_name else None   # a wrong name stops before any fetch
        run = store.run(run_id)
        run_id = int(run["run_id"])

        def show(result):
            state = {"ok": "已恢复", "broken": "失效", "suspected": "仍无法访问"}[result.outcome]
            detail = f"HTTP {result.status}" if result.status else result.error
            click.echo(f"  {state}：{result.url}（{detail}）")

        click.echo(f"复查运行 {run_id} 的疑似失效资源…")
        results = recheck_run(store, run_id, progress=show)
        failing = sum(r.outcome != "ok" for r in results)
        click.echo(f"复查 {len(results)} 个：仍失效 {failing} 个（相应疑似问题予以确认），"
                   f"已恢复 {len(results) - failing} 个（不予认定）")
        try:
            check = store.latest_check(run_id)
        except StoreError:
            click.echo("该运行还没有检查；运行 `zwgk check` 后评分会用上复查结果。")
            return
        profile, how = scoring_profile_for(store, int(check["check_id"]), named)
        _, profile = score_check(store, int(check["check_id"]), profile)
        click.echo(f"已按“{profile.name}”（{how}，哈希 {profile.hash}）重新评分检查 {check['check_id']}，"
                   "情况说明沿用工作区已记录的；`zwgk report` 可重新生成报告。")
    except (StoreError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


def scoring_profile_for(store: Store, check_id: int, named=None):
    """The profile to re-score a check with, and how it was chosen: the one named (--profile), else the one its
    scores were made with (as stored with them, so an edited or moved file changes nothing), else the default."""
    from scoring.profile import load_profile
    from scoring.scorer import stored_profile

    if named is not None:
        return named, "--profile 指定"
    stored = stored_profile(store, check_id)
    if stored is not None:
        return stored, "沿用上次评分所用的指标表"
    row = store.db.execute("SELECT profile_name, profile_hash FROM scores WHERE check_id=? ORDER BY rowid DESC"
                           " LIMIT 1", (check_id,)).fetchone()
    if row is None:
        return load_profile("gov2019"), "该检查尚未评分，按默认指标表"
    profile = load_profile(row["profile_name"])   # scores from before profiles were stored: by name
    if profile.hash != row["profile_hash"]:
        click.echo(f"注意：指标表“{row['profile_name']}”已修改（上次评分哈希 {row['profile_hash']}，现为 {profile.hash}），"
                   "按现在的内容评分；要用别的指标表请加 --profile。", err=True)
    return profile, "按上次评分的指标表名称"


COMMANDS: list = [recheck_command]
