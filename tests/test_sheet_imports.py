"""Catalogs and site lists as evaluators keep them: title rows, unknown columns, merged cells, xls/GBK csv, bad rows."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from rules.catalog import Catalog, CatalogItem, load_catalog, match_catalog, split_path
from rules.snapshot import snapshot_from_dict
from rules.thresholds import load_thresholds
from zwgk.core.config import ConfigError, load_profiles
from zwgk.core.sheets import write_atomically
from zwgk.sites import read_site_list

DATA = Path(__file__).resolve().parent / "data" / "sheets"
ROOT = Path(__file__).resolve().parent.parent
BASE = "政府网站>政府信息公开>法定主动公开内容"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def catalog_xlsx(path: Path) -> None:
    """A 标准目录 as kept: two title rows, 序号 and 联系人 columns, a merged 一级事项, every path separator."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "目录"
    ws["A1"] = "示例县2026年政务公开标准目录"
    ws.merge_cells("A1:G1")
    ws["A2"] = "（编制单位：示例县政务公开办）"
    ws.append(["序号", "一级事项", "二级事项", "公开路径", "责任单位", "公开时限", "联系人"])          # row 3
    rows = [
        (1, "规划信息", "专项规划", f"{BASE}>规划信息>专项规划", "县发展改革局", "常态", "张三"),       # 4
        (2, None, "区域规划", "政府网站＞政府信息公开＞法定主动公开内容＞规划信息＞区域规划", "县发展改革局", "常态", ""),
        (3, None, "国土规划", "政府网站/政府信息公开/法定主动公开内容/规划信息/国土规划", "县自然资源局", "常态", ""),
        (None, None, None, None, None, None, None),                                                   # 7: empty
        (4, "财政信息", "预决算", "政府网站→政府信息公开→法定主动公开内容→财政预决算", "县财政局", "20个工作日", ""),
        (5, "财政信息", "收费项目", "政务新媒体/公告栏", "县财政局", "常态", ""),                    # 9: malformed
        (6, "政策文件", "规范性文件", "政府网站-政府信息公开-法定主动公开内容-规范性文件", "县司法局", "常态", ""),
        (7, "政策文件", "政策解读", "政府网站—政府信息公开—法定主动公开内容—政策解读", "县政府办", "常态", ""),
        (8, "工作动态", "通知公告", "政府网站 > 政府信息公开 > 法定主动公开内容 > 通知公告", "县政府办", "常态", ""),
    ]
    for row in rows:
        ws.append(list(row))
    ws.merge_cells("B4:B6")                     # one 一级事项 for three rows
    wb.save(path)


def test_catalog_xlsx_with_title_rows_unknown_columns_merged_cells_and_every_separator(tmp_path):
    src = tmp_path / "目录.xlsx"
    catalog_xlsx(src)
    catalog = load_catalog(src)
    assert [i.name for i in catalog.items] == ["专项规划", "区域规划", "国土规划", "预决算", "规范性文件", "政策解读",
                                               "通知公告"]
    # every separator normalised to '>'
    assert [i.path for i in catalog.items] == [
        f"{BASE}>规划信息>专项规划", f"{BASE}>规划信息>区域规划", f"{BASE}>规划信息>国土规划", f"{BASE}>财政预决算",
        f"{BASE}>规范性文件", f"{BASE}>政策解读", f"{BASE}>通知公告"]
    assert [i.group for i in catalog.items[:3]] == ["规划信息"] * 3          # the merged 一级事项 cell
    assert catalog.items[3].where.endswith("第 8 行")                      # rows as the spreadsheet shows them
    notes = "\n".join(catalog.notes)
    assert "工作表“目录” 第 3 行：已忽略未知列 序号、联系人" in notes
    assert "工作表“目录” 第 9 行 “公开路径”列：“政务新媒体/公告栏”不是网站栏目路径" in notes
    assert len(catalog.notes) == 2


def test_catalog_import_command_reports_the_bad_row_and_imports_the_rest(tmp_path):
    src = tmp_path / "目录.xlsx"
    catalog_xlsx(src)
    out = tmp_path / "catalog.yaml"
    result = cli("catalog", "import", str(src), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "已导入 7 个公开事项" in result.stdout and "跳过 1 行" in result.stdout
    assert f"提示：{src} 工作表“目录” 第 9 行 “公开路径”列" in result.stderr
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["items"][0]["group"] == "规划信息"
    assert load_catalog(out).items[6].path == f"{BASE}>通知公告"
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".*tmp*"))


def test_catalog_gbk_csv_with_serial_number_column(tmp_path):
    src = tmp_path / "清单.csv"
    src.write_bytes(("示例县任务清单,,,\n"
                     "序号,公开事项,公开路径,责任单位\n"
                     "1,政府信息公开指南,政府网站/政府信息公开/政府信息公开指南,县政府办\n"
                     ",,,\n"
                     "2,财政预决算,政府网站 > 政府信息公开 > 财政预决算,县财政局\n").encode("gbk"))
    catalog = load_catalog(src)
    assert [(i.name, i.path) for i in catalog.items] == [
        ("政府信息公开指南", "政府网站>政府信息公开>政府信息公开指南"), ("财政预决算", "政府网站>政府信息公开>财政预决算")]
    assert catalog.items[1].where == f"{src} 第 5 行"
    assert any("已忽略未知列 序号" in n for n in catalog.notes)


def test_catalog_xls_fixture_with_merged_group_and_title_row():
    catalog = load_catalog(DATA / "标准目录.xls")
    assert [(i.name, i.group) for i in catalog.items] == [("专项规划", "规划信息"), ("区域规划", "规划信息"),
                                                         ("预决算", "财政信息")]
    assert catalog.items[0].path == f"{BASE}>规划信息>专项规划" and catalog.items[0].where.endswith("第 4 行")
    assert any("第 6 行 “公开路径”列：“公告栏”" in n for n in catalog.notes)


def test_catalog_without_a_path_column_or_any_path_is_refused_and_the_output_left_untouched(tmp_path):
    out = tmp_path / "catalog.yaml"
    out.write_text("name: 旧目录\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "公开事项", "责任单位"])
    wb.active.append([1, "指南", "县政府办"])
    wb.save(tmp_path / "a.xlsx")
    result = cli("catalog", "import", str(tmp_path / "a.xlsx"), "-o", str(out))
    assert result.returncode == 1 and "第 1 行：表头缺少列 公开路径" in result.stderr
    wb = openpyxl.Workbook()
    wb.active.append(["公开事项", "公开路径"])
    wb.active.append(["指南", "公告栏"])
    wb.save(tmp_path / "b.xlsx")
    result = cli("catalog", "import", str(tmp_path / "b.xlsx"), "-o", str(out))
    assert result.returncode == 1 and "没有可导入的公开事项" in result.stderr and "第 2 行" in result.stderr
    assert out.read_text(encoding="utf-8") == "name: 旧目录\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx", "catalog.yaml"]


def test_catalog_import_writes_yaml_only(tmp_path):
    src = tmp_path / "目录.xlsx"
    catalog_xlsx(src)
    result = cli("catalog", "import", str(src), "-o", str(tmp_path / "目录.txt"))
    assert result.returncode == 1 and "请用 .yaml 或 .yml 作文件名" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["目录.xlsx"]


def test_a_broken_xlsx_is_a_message_naming_the_file(tmp_path):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    result = cli("catalog", "import", str(bad), "-o", str(tmp_path / "c.yaml"))
    assert result.returncode == 1 and "坏.xlsx：无法读取 xlsx 文件" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "c.yaml").exists()


def test_write_atomically_leaves_the_old_file_when_the_check_fails(tmp_path):
    out = tmp_path / "sites.yaml"
    out.write_text("old\n", encoding="utf-8")

    def refuse(path: Path) -> None:
        assert path != out and path.read_text(encoding="utf-8") == "new\n"
        raise ConfigError(f"{path}: field 'sites[0].id': bad")

    with pytest.raises(ConfigError, match=f"^{out}: field"):     # the message names the file asked for
        write_atomically(out, "new\n", check=refuse)
    assert out.read_text(encoding="utf-8") == "old\n" and [p.name for p in tmp_path.iterdir()] == ["sites.yaml"]
    write_atomically(out, "new\n", check=lambda p: None)
    assert out.read_text(encoding="utf-8") == "new\n"


# ---- 网站清单 -------------------------------------------------------------------------------

def site_list_xlsx(path: Path) -> None:
    """Two empty rows, a title row, a header with 序号, a bad URL in the middle and a repeated 标识码."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "清单"
    ws["A3"] = "示例市政府网站清单"                                                   # rows 1–2 empty
    ws.merge_cells("A3:F3")
    for c, h in enumerate(["序号", "网站名称", "主办单位", "网站标识码", "首页网址", "网站类型"], start=1):
        ws.cell(4, c, h)
    rows = [
        (1, "示例市人民政府", "示例市人民政府办公室", "4499000001", "www.example.gov.cn", "政府门户网站"),   # 5
        (2, "示例市教育局", "示例市教育局", "4499000013", "http:// 坏 网址", "部门网站"),               # 6: bad URL
        (),                                                                                                # 7
        (3, "示例市财政局", "示例市财政局", "4499000014", "https://czj.example.gov.cn/", "部门网站"),        # 8
        (4, "示例市财政局（旧版）", "示例市财政局", "4499000014", "http://old.czj.example.gov.cn/", "部门网站"),
        (5, "示例市卫健委", "", "4499000015", "http://wjw.example.gov.cn/", "部门网站"),                  # 10
        ("二、区县网站",),                                                                                 # 11
        (6, "示例区人民政府", "示例区人民政府办公室", "4499000101", "http://www.shiliqu.gov.cn", "政府门户网站"),
    ]
    for r, row in enumerate(rows, start=5):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    ws.merge_cells("A11:F11")                  # a section title across the table: not a site
    wb.save(path)


def test_site_list_rows_numbered_as_shown_bad_rows_and_duplicates_skipped(tmp_path):
    src = tmp_path / "网站清单.xlsx"
    site_list_xlsx(src)
    sites, notes = read_site_list(src)
    assert [(s["id"], s["kind"]) for s in sites] == [("4499000001", "portal"), ("4499000014", "department"),
                                                     ("4499000101", "portal")]
    assert notes[0] == f"{src} 工作表“清单” 第 4 行：已忽略未知列 序号"
    assert notes[1].startswith(f"{src} 工作表“清单” 第 6 行 “首页网址”列：网址无效")
    assert notes[2] == f"{src} 工作表“清单” 第 9 行 “网站标识码”列：站点 id 4499000014 与第 8 行重复，已跳过该行"
    assert notes[3] == f"{src} 工作表“清单” 第 10 行 “主办单位”列：为空，已跳过该行"
    assert len(notes) == 4


def test_sites_import_command_writes_the_good_rows(tmp_path):
    src = tmp_path / "网站清单.xlsx"
    site_list_xlsx(src)
    out = tmp_path / "sites.yaml"
    result = cli("sites", "import", str(src), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "已写出 3 个站点配置" in result.stdout and "跳过 3 行" in result.stdout
    assert "第 9 行 “网站标识码”列：站点 id 4499000014 与第 8 行重复" in result.stderr
    assert [p.id for p in load_profiles([out])] == ["4499000001", "4499000014", "4499000101"]


def test_sites_import_with_nothing_to_import_leaves_the_output_untouched(tmp_path):
    out = tmp_path / "sites.yaml"
    out.write_text("# 原有配置\n", encoding="utf-8")
    csv_path = tmp_path / "list.csv"
    csv_path.write_bytes("网站名称,主办单位,网站标识码,首页网址\n示例,示例办,4499000001,不是网址 有空格\n".encode("gbk"))
    result = cli("sites", "import", str(csv_path), "-o", str(out))
    assert result.returncode == 1 and "第 2 行 “首页网址”列：网址无效" in result.stderr
    assert "没有可导入的站点" in result.stderr and "Traceback" not in result.stderr
    assert out.read_text(encoding="utf-8") == "# 原有配置\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.csv", "sites.yaml"]


def test_site_list_gbk_csv_with_leading_empty_rows_and_title(tmp_path):
    src = tmp_path / "清单.csv"
    src.write_bytes(("\n,,,\n示例市网站清单,,,,\n序号,首页网址,网站名称,主办单位,网站标识码\n"
                     "1,www.example.gov.cn,示例市人民政府,示例市人民政府办公室,4499000001\n"
                     "2,,示例市商务局,示例市商务局,4499000016\n").encode("gbk"))
    sites, notes = read_site_list(src)
    assert [s["name"] for s in sites] == ["示例市人民政府"]
    assert notes[-1] == f"{src} 第 6 行 “首页网址”列：为空，已跳过该行"


def test_site_list_xls_fixture():
    sites, notes = read_site_list(DATA / "网站清单.xls")
    assert [(s["id"], s["homepage"]) for s in sites] == [("4499000001", "http://www.example.gov.cn"),
                                                         ("4499000013", "http://jyj.example.gov.cn/")]
    assert notes == [f"{DATA / '网站清单.xls'} 工作表“网站清单” 第 3 行：已忽略未知列 序号、备注"]


# ---- matching ------------------------------------------------------------------------------

def test_split_path_keeps_alternatives_inside_a_gt_path_and_numbers_with_dashes():
    assert split_path("政府网站>政府信息公开>预算/决算") == ["政府网站", "政府信息公开", "预算/决算"]
    assert split_path("政府网站/政府信息公开/预算") == ["政府网站", "政府信息公开", "预算"]
    assert split_path("政府网站-规划信息-2021-2025年规划") == ["政府网站", "规划信息", "2021-2025年规划"]
    assert split_path("政府网站——政府信息公开 — 指南") == ["政府网站", "政府信息公开", "指南"]


def _col(cid, name, path, **kw):
    return {"id": cid, "name": name, "url": f"http://site.test/{cid}/", "class": "基本信息", "path": path, **kw}


def test_items_match_whatever_separator_or_synonym_and_unrelated_columns_stay_missing(tmp_path):
    src = tmp_path / "目录.xlsx"
    catalog_xlsx(src)
    catalog = load_catalog(src)
    snap = snapshot_from_dict({"site": {"id": "s", "name": "示例县人民政府", "homepage": "http://site.test/"},
                               "columns": [
        _col("gk", "政务公开", "首页>政务公开"),
        _col("zx", "专项规划信息", "首页>政务公开>规划计划>专项规划信息", parent_id="gk"),
        _col("qy", "列表页", "首页>政务公开>规划计划>区域规划"),                  # named by its breadcrumb only
        _col("ys", "预决算", "首页>政务公开>预决算"),                                     # synonym of 财政预决算
        _col("gf", "规范性文件", "首页>政务公开>规范性文件"),
        _col("jd", "解读回应", "首页>政务公开>解读回应"),                                 # not a synonym: no match
        _col("tz", "通知", "首页>政务公开>通知"),                                         # unrelated to 通知公告
    ]})
    got = {m.item.name: (m.column.column_id if m.column else None)
           for m in match_catalog(snap, catalog, load_thresholds())}
    assert got == {"专项规划": "zx", "区域规划": "qy", "国土规划": None, "预决算": "ys", "规范性文件": "gf",
                   "政策解读": None, "通知公告": None}


def test_configured_catalog_path_matches_an_item_written_with_another_separator():
    snap = snapshot_from_dict({"site": {"id": "s", "homepage": "http://site.test/"}, "columns": [
        _col("xx", "自定义栏目", "首页>某处", catalog_path="政府网站/政府信息公开/收费项目")]})
    item = CatalogItem("收费", "政府网站→政府信息公开→收费项目")
    assert match_catalog(snap, Catalog("t", "t", (item,)), load_thresholds())[0].column.column_id == "xx"


def test_item_named_apart_from_its_path_matches_the_path_segment():
    snap = snapshot_from_dict({"site": {"id": "s", "homepage": "http://site.test/"}, "columns": [
        _col("zx", "专项规划", "首页>政务公开>规划信息>专项规划")]})
    item = CatalogItem("规划公开", f"{BASE}>规划信息>专项规划")
    assert match_catalog(snap, Catalog("t", "t", (item,)), load_thresholds())[0].column.column_id == "zx"


def test_sheets_without_a_header_are_noted_and_repeated_homepages_named(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "请按下表填写，标识码见全国政府网站信息报送系统"
    ws = wb.create_sheet("清单")
    ws.append(["网站名称", "主办单位", "网站标识码", "首页网址"])
    ws.append(["示例市政府", "示例市政府办", "无", "http://www.example.gov.cn/"])       # no code: id from homepage
    ws.append(["示例市政府（重复）", "示例市政府办", "待补", "http://www.example.gov.cn/"])
    ws.append(["示例市政府网", "示例市政府办", "4499000001", "http://WWW.example.gov.cn"])
    ws.append(["示例市教育局", "示例市教育局", "4499000013", "htp//jyj example"])          # row 5: not a URL
    ws.append(["示例市政务网", "示例市政府办", "4499000002", "http://示例市.政务"])          # 中文域名
    src = tmp_path / "清单.xlsx"
    wb.save(src)
    sites, notes = read_site_list(src)
    assert [s["name"] for s in sites] == ["示例市政府", "示例市政府网", "示例市政务网"]
    assert notes[3].startswith(f"{src} 工作表“清单” 第 5 行 “首页网址”列：网址无效")
    assert notes[0] == f"{src} 工作表“填表说明”：找不到含 网站名称、主办单位、网站标识码、首页网址 的表头，未读取该工作表"
    assert notes[1].startswith(f"{src} 工作表“清单” 第 3 行 “首页网址”列：站点 id site-")
    assert notes[1].endswith("与第 2 行重复，已跳过该行")
    assert notes[2] == f"{src} 工作表“清单” 第 4 行 “首页网址”列：首页网址与第 2 行相同，请核对（仍已导入）"


@pytest.mark.parametrize("name,content,message", [
    ("坏.xls", b"\xd0\xcf\x11\xe0 garbage", "坏.xls：无法读取 xls 文件"),
    ("坏.csv", b"\xff\xfe\xff\x80\x80", "坏.csv：既不是 UTF-8 也不是 GBK 编码的 CSV 文件"),
    ("空.csv", b"", "空.csv：前 30 行中找不到表头（网站清单的表头应包含 网站名称、主办单位、网站标识码、首页网址）"),
    ("清单.txt", b"x", "清单.txt：网站清单应为 .xlsx、.xls 或 .csv 文件"),
])
def test_malformed_spreadsheets_are_a_message_naming_the_file(tmp_path, name, content, message):
    src = tmp_path / name
    src.write_bytes(content)
    out = tmp_path / "sites.yaml"
    result = cli("sites", "import", str(src), "-o", str(out))
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_catalog_with_a_two_row_merged_header_and_an_instructions_sheet(tmp_path):
    """The common 标准目录 layout: 公开事项 merged over 一级事项/二级事项, the other headers merged down two rows."""
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "填表说明：公开路径用“>”分隔，一级事项可以合并单元格，序号列不必填写。"
    ws = wb.create_sheet("目录")
    ws["A1"] = "示例县政务公开标准目录"
    for c, v in enumerate(["序号", "公开事项", None, "公开内容（要素）", "公开时限", "公开主体", "公开路径"], 1):
        ws.cell(2, c, v)
    ws.cell(3, 2, "一级事项")
    ws.cell(3, 3, "二级事项")
    ws.merge_cells("B2:C2")
    for col in "ADEFG":
        ws.merge_cells(f"{col}2:{col}3")
    ws.append([1, "机构信息", "机构职能", "职能、内设机构", "20个工作日", "县政府办", f"{BASE}>机构职能"])
    ws.append([2, None, "领导信息", "姓名、分工", "20个工作日", "县政府办", f"{BASE}>领导信息"])
    ws.merge_cells("B4:B5")
    src = tmp_path / "目录.xlsx"
    wb.save(src)
    catalog = load_catalog(src)
    assert [(i.group, i.name, i.owner, i.where.split(" ", 1)[1]) for i in catalog.items] == [
        ("机构信息", "机构职能", "县政府办", "工作表“目录” 第 4 行"), ("机构信息", "领导信息", "县政府办", "工作表“目录” 第 5 行")]
    assert catalog.notes == (f"{src} 工作表“填表说明”：找不到含 公开路径 的表头，未读取该工作表",
                             f"{src} 工作表“目录” 第 3 行：已忽略未知列 序号、公开内容（要素）")


def test_a_workbook_is_read_by_its_content_whatever_its_name(tmp_path):
    xls_named_xlsx = tmp_path / "清单.xlsx"
    xls_named_xlsx.write_bytes((DATA / "网站清单.xls").read_bytes())
    assert [s["id"] for s in read_site_list(xls_named_xlsx)[0]] == ["4499000001", "4499000013"]
    xlsx_named_xls = tmp_path / "清单.xls"
    site_list_xlsx(tmp_path / "src.xlsx")
    xlsx_named_xls.write_bytes((tmp_path / "src.xlsx").read_bytes())
    assert [s["id"] for s in read_site_list(xlsx_named_xls)[0]] == ["4499000001", "4499000014", "4499000101"]


def test_a_spreadsheet_catalog_with_a_bad_row_is_still_assessed(tmp_path):
    """The profile names the xlsx itself: the bad row is skipped, every other item is checked (CAT001)."""
    from datetime import date

    from rules.engine import check_snapshot, make_context
    from rules.registry import select_rules

    src = tmp_path / "目录.xlsx"
    catalog_xlsx(src)
    cols = [_col("gk", "政府信息公开", "首页>政府信息公开"),
            _col("zn", "政府信息公开指南", "首页>政府信息公开>政府信息公开指南", parent_id="gk"),
            _col("zx", "专项规划", "首页>政府信息公开>规划信息>专项规划", parent_id="gk"),
            _col("ld", "领导之窗", "首页>政府信息公开>领导之窗", parent_id="gk")]
    snap = snapshot_from_dict({"site": {"id": "s", "office": "县政府办", "homepage": "http://site.test/",
                                        "profile": {"catalog": str(src)}}, "columns": cols})
    findings, outcomes = check_snapshot(snap, make_context(snap, date(2026, 6, 1), load_thresholds()),
                                        select_rules("CAT001"))
    assert {o.status for o in outcomes} != {"not_assessed"}
    missing = {f.evidence["item"] for f in findings}
    assert {"区域规划", "国土规划", "预决算", "规范性文件", "政策解读", "通知公告"} <= missing
    assert "专项规划" not in missing and "收费项目" not in missing      # matched; skipped row never assessed
    leaders = match_catalog(snap, Catalog("t", "t", (CatalogItem("领导信息", f"{BASE}>领导信息"),)),
                            load_thresholds())
    assert leaders[0].column.column_id == "ld"                           # synonym group in thresholds.yaml


def test_dates_times_and_a_merge_over_the_whole_sheet_are_read(tmp_path):
    from datetime import datetime, time

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["网站名称", "主办单位", "网站标识码", "首页网址", "更新时间", "值班时间"])
    ws.append(["示例市政府", "示例市政府办", "4499000001", "http://www.example.gov.cn/", datetime(2026, 3, 1),
               time(9, 30)])
    ws.merge_cells("A3:B3")
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    src = tmp_path / "清单.xlsx"             # hostile: one more merge declared over 3 billion cells, all empty
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(src, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<mergeCell ref="A3:B3"/>', b'<mergeCell ref="A3:B3"/><mergeCell ref="G1:XFD200000"/>')
                assert b"XFD200000" in data
            zout.writestr(item, data)
    sites, notes = read_site_list(src)
    assert [s["name"] for s in sites] == ["示例市政府"]
    assert notes == [f"{src} 工作表“Sheet” 第 1 行：已忽略未知列 更新时间、值班时间"]
