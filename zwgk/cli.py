"""The `zwgk` command: one group, with each stage's commands contributed by its own package."""

from __future__ import annotations

import importlib
import sys

import click

from zwgk import __version__

# Each stage package exposes COMMANDS (a list of click commands) in its `commands` module, so a stage's
# CLI lives next to the code it drives; the order here is the order `zwgk --help` lists them.
COMMAND_MODULES = (
    "zwgk.sites",
    "crawler.commands",
    "rules.commands",
    "scoring.commands",
    "reports.commands",
    "zwgk.pipeline",
    "zwgk.bench",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zwgk")
def main() -> None:
    """zwgk：政府网站政务公开合规检查（抓取、检查、评分、报告）。"""


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(_name).COMMANDS:
        main.add_command(_command)


if __name__ == "__main__":
    sys.exit(main())
