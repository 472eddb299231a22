"""`zwgk bench report` on a tiny generated workspace: it scores, writes every output and reports its figures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from zwgk.bench.report import report, run_bench


def test_bench_writes_every_output(tmp_path):
    result = run_bench(sites=4, per_site=60, keep=tmp_path)
    assert result["findings"] == 240
    assert result["seconds"] > 0 and result["peak_rss_mb"] > 10
    out = tmp_path / "out"
    assert (out / "report.html").exists() and (out / "scores.csv").exists()
    assert (out / "issues" / "index.xlsx").exists()
    assert result["offices"] == len(list((out / "issues").glob("*.xlsx"))) - 1 >= 4


def test_bench_command_prints_json():
    outcome = CliRunner().invoke(report, ["--sites", "2", "--findings", "30", "--json"])
    assert outcome.exit_code == 0, outcome.output
    figures = json.loads(outcome.output)
    assert figures["sites"] == 2 and "peak_rss_mb" in figures and figures["seconds"] > 0
