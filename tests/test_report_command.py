"""`zwgk report`: writes every output of a check, scores it first when needed, fails clearly without a check."""

from __future__ import annotations

from click.testing import CliRunner

from report_samples import DEPT_A, build_workspace
from zwgk.commands.report import report_command
from scoring.scorer import load_scores
from zwgk.core.store import Store


def test_report_writes_all_outputs(tmp_path):
    store, check_id = build_workspace(tmp_path / "ws")
    store.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(report_command, ["--workspace", str(tmp_path / "ws"), "--check", str(check_id),
                                                 "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists() and not (out / "report.pdf").exists()
    assert (out / "issues" / "index.xlsx").exists()
    assert (out / "issues" / f"{DEPT_A}.xlsx").exists() and (out / "issues" / f"{DEPT_A}.csv").exists()
    assert (out / "scores.csv").exists() and (out / "scores_wide.csv").exists()
    assert str(out / "report.html") in result.output and "问题清单" in result.output
    assert "已先行评分" not in result.output


def test_report_scores_an_unscored_check_first(tmp_path):
    store, check_id = build_workspace(tmp_path / "ws", score=False)
    store.close()
    result = CliRunner().invoke(report_command, ["--workspace", str(tmp_path / "ws"), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "已先行评分" in result.output
    default_out = tmp_path / "ws" / "reports" / f"check-{check_id}"
    assert (default_out / "report.html").exists()
    store = Store(tmp_path / "ws")
    try:
        assert len(load_scores(store, check_id).sites) == 3
    finally:
        store.close()


def test_report_without_a_check_fails_clearly(tmp_path):
    result = CliRunner().invoke(report_command, ["--workspace", str(tmp_path / "empty"), "--no-pdf"])
    assert result.exit_code == 1
    assert "zwgk check" in result.output and "Traceback" not in result.output
