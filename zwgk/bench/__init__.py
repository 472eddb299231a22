"""`zwgk bench`: the benchmarks of crawl, check and report, each living beside the stage it measures."""

from __future__ import annotations

import click

from zwgk.bench.crawl import crawl_bench_command
from zwgk.bench.extract import extract_bench_command
from zwgk.bench.libraries import libraries_bench_command
from zwgk.bench.render import render_bench_command
from zwgk.bench.report import report as report_bench_command
from zwgk.bench.check import bench_check
from zwgk.bench.distributed import distributed_bench_command


@click.group("bench")
def bench_group():
    """性能基准：抓取、检查、报告、渲染（打印页面/秒、峰值内存等数据）。"""


bench_group.add_command(crawl_bench_command, "crawl")
bench_group.add_command(bench_check, "check")
bench_group.add_command(report_bench_command, "report")
bench_group.add_command(libraries_bench_command, "libraries")
bench_group.add_command(render_bench_command, "render")
bench_group.add_command(extract_bench_command, "extract")
bench_group.add_command(distributed_bench_command, "distributed")

COMMANDS = [bench_group]
