"""Click options shared by every stage's commands: the workspace folder, the as-of date, one writer at a time."""

from __future__ import annotations

import functools
from datetime import date

import click

from zwgk.core.store import WorkspaceBusy, writer_lock

DEFAULT_WORKSPACE = "./workspace"


def workspace_option(func):
    """`--workspace DIR`: the folder holding the store; env ZWGK_WORKSPACE, else ./workspace."""
    return click.option(
        "--workspace", "workspace",
        envvar="ZWGK_WORKSPACE", default=DEFAULT_WORKSPACE, show_default=True,
        type=click.Path(file_okay=False),
        help="工作区目录（存放 zwgk.sqlite3）；也可用环境变量 ZWGK_WORKSPACE 指定",
    )(func)


def _parse_as_of(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"应为 YYYY-MM-DD 格式的日期，收到 {value!r}") from None


def as_of_option(help_text: str):
    """--as-of, parsed to a date (None when not given) with a clear message for a malformed one."""
    return click.option("--as-of", "as_of", default=None, callback=_parse_as_of, help=help_text)


def holds_workspace(command: str):
    """The command writes the workspace: refuse at once, with a clear message, while another process does."""
    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            try:
                with writer_lock(kwargs["workspace"], command):
                    return func(*args, **kwargs)
            except WorkspaceBusy as exc:
                raise click.ClickException(str(exc)) from None
        return inner
    return wrap


def incremental_option(func):
    """--incremental: reuse the previous rounds' responses the site says did not change (docs/rounds.md)."""
    return click.option("--incremental", is_flag=True,
                        help="增量抓取：保留工作区 httpcache/ 中上一轮的响应，站点答复“未修改”（304）的页面沿用上一轮内容。")(func)


def crawl_scope_options(func):
    """--no-external and --no-render: how far a crawl may reach, for every profile given."""
    func = click.option("--no-render", is_flag=True,
                        help="不用浏览器渲染由脚本生成的栏目列表和导航（这些栏目记为未评估）。")(func)
    return click.option("--no-external", is_flag=True,
                        help="只访问站点配置中的主机：站外链接记为“未检查”，不做域名解析、不建立连接。")(func)


report_date_option = click.option(
    "--report-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="报告日期 YYYY-MM-DD（默认今天）：问题清单的整改时限自此日起算，不早于评估截至日期")
