"""Dashboard CSV: BOM, declared column order, blanks for not assessed, formula neutralising, dictionary in sync."""

from __future__ import annotations

import csv
import re
from dataclasses import asdict

import pandas as pd
import pytest

from reports.scores_csv import (DICTIONARY, LONG_COLUMNS, WIDE_COLUMNS, WIDE_INDICATOR_COLUMNS, dictionary_table,
                                dictionary_tables_in, write_scores_csv)
from scoring.profile import load_profile
from scoring.scorer import score
from zwgk.core.records import Finding

GOV = load_profile("gov2019")
HOSTILE = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def _result(site_names=("示例市人民政府", "示例市人社局")):
    sites = pd.DataFrame([
        dict(site_id="city", name=site_names[0], office="示例市政府办公室", kind="portal", external_services=True,
             status="done"),
        dict(site_id="hrss", name=site_names[1], office="=人社局", kind="department", external_services=False,
             status="done"),
    ])
    assessed = {"LINK001": "功能设计.链接可用性", "LINK002": "功能设计.链接可用性",
                "STALE003": "发布解读.栏目更新", "STALE007": "否决.栏目不更新",
                **{f"TST{i:03d}": k for i, k in enumerate(GOV.indicators) if k.startswith("发布解读")}}
    outcomes = pd.DataFrame([dict(code=c, site_id=s, status="assessed", reason="") for c in assessed
                             for s in ("city", "hrss")])
    findings = pd.DataFrame([asdict(f) for f in (
        Finding("LINK001", "功能设计.链接可用性", "deduct", "city", "首页链接无法打开", count=3),
        Finding("LINK002", "功能设计.链接可用性", "deduct", "city", "-链接失效", count=7),
        Finding("STALE003", "发布解读.栏目更新", "deduct", "hrss", "人事栏目未更新", evidence={"column_class": "人事"}),
        Finding("STALE007", "否决.栏目不更新", "veto", "hrss", "=空白栏目6个"),
    )])
    return score(findings, sites, outcomes, GOV, rule_indicators=assessed, run_id=3, check_id=7,
                 as_of="2024-06-30")


def _read(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_files_have_bom_and_declared_columns_in_order(tmp_path):
    long_path, wide_path = write_scores_csv(_result(), tmp_path / "out")
    assert long_path.name == "scores.csv" and wide_path.name == "scores_wide.csv"
    for path in (long_path, wide_path):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    long_rows = _read(long_path)
    assert long_rows[0] == [c for c, _ in LONG_COLUMNS]
    assert len(long_rows) == 1 + 2 * len(GOV.indicators)
    wide = _read(wide_path)
    fixed = [c for c, _ in WIDE_COLUMNS]
    assert wide[0][:len(fixed)] == fixed
    assert wide[0][len(fixed):] == [("veto:" if v.veto else "lost:") + k for k, v in GOV.indicators.items()]
    assert len(wide) == 3


def test_values_points_positive_and_not_assessed_blank(tmp_path):
    long_path, wide_path = write_scores_csv(_result(), tmp_path)
    header, *rows = _read(long_path)
    records = [dict(zip(header, r)) for r in rows]
    link = next(r for r in records if r["site_id"] == "city" and r["indicator"] == "功能设计.链接可用性")
    assert (link["raw_points_lost"], link["points_lost"], link["capped"], link["findings_count"]) == \
           ("3.7", "3.7", "0", "10")
    assert (link["run_id"], link["check_id"], link["as_of"], link["profile_name"], link["profile_hash"]) == \
           ("3", "7", "2024-06-30", "gov2019", GOV.hash)
    unassessed = next(r for r in records if r["site_id"] == "city" and r["indicator"] == "互动交流.留言答复")
    assert (unassessed["points_lost"], unassessed["assessed"]) == ("", "0")
    assert unassessed["not_assessed_reason"]
    exempt = next(r for r in records if r["site_id"] == "hrss" and r["indicator"] == "办事服务.办事指南")
    assert (exempt["points_lost"], exempt["exempt"]) == ("", "1")
    header, *rows = _read(wide_path)
    sites = {r[header.index("site_id")]: dict(zip(header, r)) for r in rows}
    city, hrss = sites["city"], sites["hrss"]
    assert city["score"] == str(round((46 - 3.7) / 46 * 100, 2)) and city["provisional"] == "1"
    assert (city["rank"], hrss["rank"]) == ("1", "2")
    assert city["lost:功能设计.链接可用性"] == "3.7" and city["lost:互动交流.留言答复"] == ""
    assert city["lost:发布解读.栏目更新"] == "0" and city["veto:否决.栏目不更新"] == "0"
    assert city["veto:否决.站点无法访问"] == ""
    assert (hrss["veto"], hrss["passed"], hrss["grade"]) == ("1", "0", "不合格")
    assert hrss["veto_reasons"] == "栏目不更新：=空白栏目6个"  # only a cell's first character can start a formula
    assert hrss["max_points"] == "75" and hrss["lost:办事服务.办事指南"] == ""
    numeric = [c for c in header if c.startswith("lost:")] + ["score", "deduction_total", "max_points"]
    for record in sites.values():
        for column in numeric:
            assert record[column] == "" or float(record[column]) >= 0


@pytest.mark.parametrize("hostile", HOSTILE)
def test_cells_that_would_run_as_formulas_are_neutralised(tmp_path, hostile):
    long_path, wide_path = write_scores_csv(_result((hostile, "示例市人社局")), tmp_path)
    for path in (long_path, wide_path):
        header, *rows = _read(path)
        cells = [c for r in rows for c in r]
        assert "'" + hostile in cells and hostile not in cells
        assert "'=人社局" in cells  # the office name as configured
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_data_dictionary_is_generated_from_the_declared_columns():
    text = DICTIONARY.read_text(encoding="utf-8")
    tables = dictionary_tables_in(text)
    assert tables == {"scores.csv": dictionary_table("scores.csv"),
                      "scores_wide.csv": dictionary_table("scores_wide.csv")}, \
        "docs/data-dictionary.md is out of date: run `python -m reports.scores_csv`"
    scores_part = text.split("<!-- BEGIN issues -->", 1)[0]  # the issue-list columns are checked beside their code
    documented = re.findall(r"^\| `([^`]+)` \| (.+) \|$", scores_part, re.M)
    declared = LONG_COLUMNS + WIDE_COLUMNS + WIDE_INDICATOR_COLUMNS
    assert {c for c, _ in documented} == {c for c, _ in declared}
    assert all(description.strip() for _, description in declared)
    assert len({c for c, _ in LONG_COLUMNS}) == len(LONG_COLUMNS)
    assert len({c for c, _ in WIDE_COLUMNS}) == len(WIDE_COLUMNS)


def test_every_written_column_is_described(tmp_path):
    _, wide_path = write_scores_csv(_result(), tmp_path)
    header = _read(wide_path)[0]
    declared = {c for c, _ in WIDE_COLUMNS}
    patterns = [p.split("<")[0] for p, _ in WIDE_INDICATOR_COLUMNS]
    assert all(c in declared or c.startswith(tuple(patterns)) for c in header)
