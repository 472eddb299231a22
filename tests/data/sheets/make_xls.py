"""Writes the two .xls fixtures once (needs xlwt, a dev-only tool: `pip install xlwt`); the .xls files are committed.

python tests/data/sheets/make_xls.py
"""

from pathlib import Path

import xlwt

HERE = Path(__file__).resolve().parent


def catalog() -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("标准目录")
    ws.write_merge(0, 0, 0, 5, "示例县政务公开标准目录（样例）")          # title row, merged across the table
    for c, h in enumerate(["序号", "一级事项", "二级事项", "公开路径", "责任单位", "公开时限"]):
        ws.write(2, c, h)                                                  # row 2 empty, header on row 3
    ws.write_merge(3, 5, 1, 1, "规划信息")                                 # 一级事项 spans rows 4–6
    rows = [
        (1, None, "专项规划", "政府网站/政府信息公开/法定主动公开内容/规划信息/专项规划", "县发展改革局", "常态"),
        (2, None, "区域规划", "政府网站—政府信息公开—法定主动公开内容—规划信息—区域规划", "县发展改革局", "常态"),
        (3, None, "规划解读", "公告栏", "县发展改革局", "常态"),             # not a site path: skipped
        (4, "财政信息", "预决算", "政府网站→政府信息公开→法定主动公开内容→财政预决算", "县财政局", "20个工作日"),
    ]
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate(row):
            if v is not None and c != 1 or (c == 1 and r == 6):
                ws.write(r, c, v)
    wb.save(str(HERE / "标准目录.xls"))


def site_list() -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("网站清单")
    ws.write(1, 0, "示例市政府网站清单")                                    # row 1 empty, title on row 2
    for c, h in enumerate(["序号", "网站名称", "主办单位", "网站标识码", "首页网址", "备注"]):
        ws.write(2, c, h)
    ws.write(3, 0, 1)
    for c, v in enumerate(["示例市人民政府", "示例市人民政府办公室", "4499000001", "www.example.gov.cn"], start=1):
        ws.write(3, c, v)
    ws.write(4, 0, 2)
    for c, v in enumerate(["示例市教育局", "示例市教育局", 4499000013, "http://jyj.example.gov.cn/"], start=1):
        ws.write(4, c, v)                                                  # 标识码 typed as a number
    wb.save(str(HERE / "网站清单.xls"))


if __name__ == "__main__":
    catalog()
    site_list()
