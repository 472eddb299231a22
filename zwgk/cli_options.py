"""Click options shared by every stage's commands (the workspace folder, for now)."""

from __future__ import annotations

import click

DEFAULT_WORKSPACE = "./workspace"


def workspace_option(func):
    """`--workspace DIR`: the folder holding the store; env ZWGK_WORKSPACE, else ./workspace."""
    return click.option(
        "--workspace", "workspace",
        envvar="ZWGK_WORKSPACE", default=DEFAULT_WORKSPACE, show_default=True,
        type=click.Path(file_okay=False),
        help="工作区目录（存放 zwgk.sqlite3）；也可用环境变量 ZWGK_WORKSPACE 指定",
    )(func)
