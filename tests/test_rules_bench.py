"""`zwgk bench check` on a small generated snapshot: it runs, checks every page and reports its figures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from zwgk.bench.check import PAGES_PER_COLUMN, bench_check


def test_bench_check_reports_pages_per_second_and_peak_rss():
    result = CliRunner().invoke(bench_check, ["--pages", "400", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    columns = 400 // PAGES_PER_COLUMN
    assert data["pages"] == 400 + columns + 1
    assert data["pages_per_s"] > 0 and data["peak_rss_mb"] > 0
    # planted: every 70th page has a bad 文号, every 100th image is broken (有效性 is missing on every 50th,
    # but with 400 pages no column is a 政策文件 column, so it is not required)
    assert data["findings"] >= 6 + 4
