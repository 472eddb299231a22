"""The `zwgk` command: one group gathering the commands of zwgk.commands, the pipeline and the benchmarks."""

from __future__ import annotations

import importlib
import sys

import click

from zwgk import __version__

# Each module exposes COMMANDS (a list of click commands); the order here is the order `zwgk --help` lists them.
COMMAND_MODULES = (
    "zwgk.sites",
    "zwgk.commands.crawl",
    "zwgk.commands.cluster",
    "zwgk.commands.probe",
    "zwgk.commands.page",
    "zwgk.commands.check",
    "zwgk.commands.score",
    "zwgk.commands.report",
    "zwgk.commands.rounds",
    "zwgk.commands.recheck",
    "zwgk.commands.browse",
    "zwgk.commands.schedule",
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
