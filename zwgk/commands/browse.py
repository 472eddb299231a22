"""`zwgk browse`: serve the workspace on 127.0.0.1 in Datasette, with Chinese labels, facets and canned queries."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import click

from zwgk.cli_options import workspace_option
from zwgk.core.store import Store


@click.command("browse")
@workspace_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="本机端口")
@click.option("--edit-explanations", is_flag=True,
              help="允许在网页上填写情况说明的复核结论（默认只读）")
def browse_command(workspace, port, edit_explanations):
    """在浏览器中查看工作区（Datasette，仅监听 127.0.0.1）：问题、评分、回头看、待复核的情况说明。"""
    from zwgk.browse import LOOKBACK_DATABASE, datasette_command, write_lookback, write_metadata
    from zwgk.core.store import StoreError

    if not (Path(workspace) / Store.FILENAME).exists():
        raise click.ClickException(f"{workspace}：没有工作区数据库（{Store.FILENAME}）；请先运行 zwgk run 或 zwgk crawl")
    store = Store(workspace)   # an older workspace gets the tables and columns the queries read
    try:
        import datasette  # noqa: F401 - only to give a clear message when it is missing
    except ImportError:
        store.close()
        raise click.ClickException("未安装 Datasette：pip install 'zwgk[browse]'") from None
    with tempfile.TemporaryDirectory(prefix="zwgk-browse-") as folder:
        lookback = Path(folder) / f"{LOOKBACK_DATABASE}.db"
        try:
            rows = write_lookback(store, lookback)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            store.close()
        click.echo(f"回头看：相邻两轮逐条比对 {rows} 行（与 zwgk diff 相同）", err=True)
        metadata = write_metadata(Path(folder) / "metadata.json", edit_explanations)
        command = datasette_command(workspace, port, metadata, lookback=lookback)
        click.echo(f"在浏览器中打开 http://127.0.0.1:{port}/（按 Ctrl-C 结束）"
                   + ("；已允许填写复核结论" if edit_explanations else "；只读"), err=True)
        try:
            subprocess.run(command, check=False)
        except KeyboardInterrupt:
            pass


COMMANDS: list = [browse_command]
