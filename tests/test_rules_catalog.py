"""Catalogs: YAML/CSV/xlsx loading, 公开时限 with the official working-day calendar, matching to columns."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from rules.catalog import (CatalogError, default_catalog, load_catalog, match_catalog, parse_deadline,
                           working_days_between)
from rules.engine import check_snapshot, make_context
from rules.registry import select_rules
from rules.snapshot import snapshot_from_dict
from rules.thresholds import load_thresholds
from zwgk.cli import main

ROOT = Path(__file__).resolve().parent.parent
LEX = load_thresholds().catalog
H = "http://site.test"


def test_default_catalog_is_the_four_parts_of_the_gkml_column():
    names = [i.name for i in default_catalog().items]
    assert names == ["政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报"]
    report = default_catalog().items[3]
    assert report.deadline_for("portal") == "每年3月31日前" and report.deadline_for("department") == "每年1月31日前"


def test_seed_003_example_catalog_and_csv_example_load():
    tasks = load_catalog(ROOT / "fixtures/catalogs/liangping_2021_tasks.yaml")
    paths = {i.path for i in tasks.items}
    assert "政府网站>政府信息公开>法定主动公开内容>规划信息>专项规划" in paths
    assert "政府网站>政府信息公开>法定主动公开内容>履职依据>区政府(部门)规范性文件" in paths
    assert len([i for i in tasks.items if i.name == "公共企事业单位信息公开"]) == 8
    csv_cat = load_catalog(ROOT / "fixtures/catalogs/example_catalog.csv")
    assert csv_cat.items[1].synonyms == ("预决算", "预算/决算") and csv_cat.items[2].owner == "区统计局"


def test_catalog_errors_name_the_file_and_item(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("items:\n  - name: 指南\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"c\.yaml: items\[0\]: field 'path'"):
        load_catalog(f)
    f.write_text("items:\n  - path: 政府网站>指南\n    colour: red\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"items\[0\]: unknown field 'colour'"):
        load_catalog(f)
    f.write_text("items:\n  - path: 政府网站>指南\n    deadline: {city: 常态}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="deadline.city"):
        load_catalog(f)
    with pytest.raises(CatalogError, match="no such catalog file"):
        load_catalog(tmp_path / "none.yaml")


@pytest.mark.parametrize("text,kind", [
    ("常态", "continuous"), ("", "continuous"), ("动态更新", "continuous"), ("每年1月31日前", "annual"),
    ("半年", "period"), ("每季度", "period"), ("3个月", "period"), ("20个工作日", "event"), ("20日", "event"),
    ("30", "event"), ("2021年6月底前", "once"), ("11月底前", "unknown"),
])
def test_deadlines(text, kind):
    assert parse_deadline(text, LEX).kind == kind


def test_annual_and_period_deadlines_against_the_as_of_day():
    annual = parse_deadline("每年3月31日前", LEX)
    assert annual.required_since(date(2024, 3, 31)) == date(2023, 1, 1)
    assert annual.required_since(date(2024, 4, 1)) == date(2024, 1, 1)
    assert parse_deadline("半年", LEX).required_since(date(2024, 8, 31)) == date(2024, 2, 29)
    assert parse_deadline("常态", LEX).required_since(date(2024, 8, 31)) is None


def test_working_days_follow_the_official_calendar_with_make_up_days():
    # Spring Festival 2024: 33 calendar days, 20 working days; 2024-10-12 (Saturday) is a 调休 workday
    assert working_days_between(date(2024, 2, 1), date(2024, 3, 5)) == 20
    assert working_days_between(date(2024, 10, 11), date(2024, 10, 12)) == 1
    assert working_days_between(date(2024, 10, 12), date(2024, 10, 13)) == 0
    assert working_days_between(date(1990, 1, 1), date(1990, 1, 8)) == 5   # outside the package: Mon–Fri


def _xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "任务清单"
    ws["A1"] = "梁平区2021年政务公开任务清单"
    ws.append(["责任单位", "公开时限", "公开事项", "公开路径"])
    ws.append(["区发展改革委", "常态", "规划公开",
               "1.政府网站>政府信息公开>法定主动公开内容>规划信息>国民经济和社会发展规划，2.政府网站>政府信息公开>"
               "法定主动公开内容>规划信息>专项规划，3.其他渠道"])
    ws.append([None, "每年", "规范性文件",
               "〔公开路径：政府网站>政府信息公开>法定主动公开内容>履职依据>区政府(部门)规范性文件〕"])
    ws.merge_cells("A3:A4")
    ws.append(["区财政局", "20日", "预决算", "政府网站>政府信息公开>法定主动公开内容>预算/决算"])
    ws.append(["区财政局", "", "（说明行，无路径）", "其他渠道"])
    wb.save(path)


def test_xlsx_import_with_any_column_order_merged_cells_and_several_paths(tmp_path):
    src = tmp_path / "清单.xlsx"
    _xlsx(src)
    out = tmp_path / "catalog.yaml"
    result = CliRunner().invoke(main, ["catalog", "import", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "已导入 4 个公开事项" in result.output
    items = load_catalog(out).items
    assert [i.name for i in items] == ["国民经济和社会发展规划", "专项规划", "规范性文件", "预决算"]
    assert items[2].owner == "区发展改革委"          # from the merged cell
    assert items[2].path.endswith("区政府(部门)规范性文件") and items[2].deadline == "每年"
    assert items[3].deadline == "20日"
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["items"][0]["path"] == "政府网站>政府信息公开>法定主动公开内容>规划信息>国民经济和社会发展规划"
    shown = CliRunner().invoke(main, ["catalog", "show", str(out)])
    assert shown.exit_code == 0 and "事后时限" in shown.output


def _site(columns, entries=(), pages=(), kind="portal"):
    return snapshot_from_dict({"site": {"id": "s", "name": "示例区人民政府", "office": "区政府办", "homepage": f"{H}/",
                                        "kind": kind},
                               "columns": columns, "entries": list(entries), "pages": list(pages)})


def _col(cid, name, path, **kw):
    return {"id": cid, "name": name, "url": f"{H}/{cid}/", "class": "基本信息", "path": path, **kw}


def test_matching_by_synonyms_alternatives_path_tiebreak_and_configured_path():
    from rules.catalog import Catalog, CatalogItem
    snap = _site([
        _col("jd1", "政策解读", "首页>政务公开>政策解读"),
        _col("yq", "疫情防控", "首页>政府信息公开目录>疫情防控"),
        _col("jd2", "政策解读", "首页>政府信息公开目录>疫情防控>政策解读", parent_id="yq"),
        _col("ys", "预算", "首页>政府信息公开>法定主动公开内容>预算"),
        _col("nb", "信息公开年度报告", "首页>政府信息公开>信息公开年度报告"),
        _col("xx", "随便起的名字", "首页>某处", catalog_path="政府网站>政府信息公开>收费项目"),
    ])
    items = (CatalogItem("重要政策/政策解读", "政府网站>政府信息公开目录>疫情防控>重要政策/政策解读"),
             CatalogItem("预算/决算", "政府网站>政府信息公开>法定主动公开内容>预算/决算"),
             CatalogItem("政府信息公开年报", "政府网站>政府信息公开>政府信息公开年报"),
             CatalogItem("收费项目", "政府网站>政府信息公开>法定主动公开内容>收费项目"),
             CatalogItem("不存在的事项", "政府网站>政府信息公开>疫情防控>不存在的事项"))
    matches = match_catalog(snap, Catalog("t", "t", items), load_thresholds())
    got = [m.column.column_id if m.column else None for m in matches]
    assert got == ["jd2", "ys", "nb", None, None]
    # the configured catalog_path matches only when it names the same path
    items2 = (CatalogItem("收费项目", "政府网站>政府信息公开>收费项目"),)
    assert match_catalog(snap, Catalog("t", "t", items2), load_thresholds())[0].column.column_id == "xx"
    assert matches[4].nearest.column_id == "yq"


def test_missing_profile_catalog_makes_cat_rules_not_assessed(tmp_path):
    snap = snapshot_from_dict({"site": {"id": "s", "homepage": f"{H}/", "profile": {"catalog": str(tmp_path / "x.yaml")}},
                               "columns": [_col("zn", "政府信息公开指南", "首页>政府信息公开>政府信息公开指南")]})
    ctx = make_context(snap, date(2024, 6, 1), load_thresholds())
    findings, outcomes = check_snapshot(snap, ctx, select_rules("CAT"))
    assert findings == []
    assert {o.status for o in outcomes} == {"not_assessed"}
    assert all("x.yaml" in o.reason and "公开目录无法读取" in o.reason for o in outcomes)


def test_profile_catalog_adds_to_the_defaults_and_owner_gets_the_finding(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("items:\n  - name: 专项规划\n    path: 政府网站>政府信息公开>法定主动公开内容>规划信息>专项规划\n"
                 "    owner: 区发展改革委\n", encoding="utf-8")
    cols = [_col("gk", "政府信息公开", "首页>政府信息公开"),
            _col("zn", "政府信息公开指南", "首页>政府信息公开>政府信息公开指南", parent_id="gk", shows_article=True)]
    snap = snapshot_from_dict({"site": {"id": "s", "office": "区政府办", "homepage": f"{H}/", "profile": {"catalog": str(f)}},
                               "columns": cols})
    findings, _ = check_snapshot(snap, make_context(snap, date(2024, 6, 1), load_thresholds()), select_rules("CAT001"))
    offices = {f.evidence["item"]: f.office for f in findings}
    assert offices == {"政府信息公开制度": "区政府办", "法定主动公开内容": "区政府办", "政府信息公开年报": "区政府办",
                       "专项规划": "区发展改革委"}
