"""`zwgk recheck`: fetch the suspected resources of the newest run again and re-score with what they answer."""

from __future__ import annotations

import click

from zwgk.cli_options import holds_workspace, workspace_option
from zwgk.core.config import ConfigError
from zwgk.core.store import Store, StoreError


@click.command("recheck")
@workspace_option
@click.option("--run", "run_id", type=int, default=None, help="运行编号（默认最新一次运行）")
@holds_workspace("recheck")
def recheck_command(workspace, run_id):
    """复查：只重新访问该运行中疑似失效（超时、5xx）的链接和资源；仍失效的予以确认，已恢复的不予认定，并重新评分。"""
    from scoring.scorer import score_check
    from zwgk.recheck import recheck_run

    store = Store(workspace)
    try:
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
        row = store.db.execute("SELECT profile_name FROM scores WHERE check_id=? ORDER BY rowid DESC LIMIT 1",
                               (check["check_id"],)).fetchone()
        _, profile = score_check(store, int(check["check_id"]), row["profile_name"] if row else "gov2019")
        click.echo(f"已按“{profile.name}”重新评分检查 {check['check_id']}；`zwgk report` 可重新生成报告。")
    except (StoreError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


COMMANDS: list = [recheck_command]
