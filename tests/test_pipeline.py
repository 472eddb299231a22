"""`zwgk demo` and `zwgk run` end to end: fixture sites served, crawled, checked, scored, all outputs written."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from fixtures.server import FixtureServer

pytestmark = pytest.mark.e2e


def zwgk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], capture_output=True, text=True, timeout=600)


def test_demo_writes_every_output(tmp_path):
    out = tmp_path / "demo"
    result = zwgk("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "演示完成" in result.stdout and str(out / "report.html") in result.stdout

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "政府网站政务公开第三方评估报告" in html
    assert "示例市人民政府" in html and "示例市发展和改革委员会" in html
    assert "<script src" not in html and "https://cdn" not in html  # self-contained, works offline
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"

    index = load_workbook(out / "issues" / "index.xlsx", read_only=True)
    offices = [row for row in index.active.iter_rows(values_only=True)][1:]
    assert len(offices) >= 2
    sheets = sorted((out / "issues").glob("*.xlsx"))
    assert len(sheets) == len([o for o in offices if o and o[0]]) + 1
    one = load_workbook(sheets[0] if sheets[0].name != "index.xlsx" else sheets[1])
    header = [c.value for c in next(one.worksheets[0].iter_rows(max_row=1))]
    assert header[:6] == ["序号", "单位", "网站", "栏目", "问题类型", "指标"]

    raw = (out / "scores.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    served = set(FixtureServer().site_ids)  # the demo serves every fixture site
    assert {r["site_id"] for r in rows} == served >= {"cityportal", "fgw"}
    # the demo's compressed probe window lets the availability indicators be assessed, and says what it was
    availability = [r for r in rows if r["indicator"] in ("功能设计.首页可用性", "否决.站点无法访问")]
    assert len(availability) == 2 * len(served) and all(r["assessed"] == "1" for r in availability)
    assert "首页监测 140 次，失败 0 次（压缩演示窗口，非真实一周）" in html
    assert "已评估分值" in html and "100 / 100" in html
    for site in served:   # with the window, at least 95 of the 100 points are assessed on every demo site
        own = [r for r in rows if r["site_id"] == site and r["exempt"] == "0"]
        assessed = sum(float(r["max_points"]) for r in own if r["assessed"] == "1")
        assert assessed / sum(float(r["max_points"]) for r in own) >= 0.95, site
    wide = list(csv.DictReader((out / "scores_wide.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert len(wide) == len(served)

    # the workspace stays usable stage by stage
    listed = zwgk("findings", "--workspace", str(out / "workspace"), "--format", "json")
    assert listed.returncode == 0 and '"code"' in listed.stdout


def test_run_chains_the_stages_on_given_profiles(fixture_server, fixture_profiles, tmp_path):
    fgw = [p for p in fixture_profiles if p.stem == "fgw"][0]
    result = zwgk("run", str(fgw), "--workspace", str(tmp_path / "ws"), "--as-of", fixture_server.as_of.isoformat(),
                  "--out", str(tmp_path / "out"), "--no-pdf", "--profile", "province80")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "out" / "report.html").exists()
    assert not (tmp_path / "out" / "report.pdf").exists()
    rows = list(csv.DictReader((tmp_path / "out" / "scores_wide.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [r["site_id"] for r in rows] == ["fgw"]
    assert rows[0]["profile_name"] == "province80"
