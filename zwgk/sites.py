"""`zwgk sites import`: a 网站清单 spreadsheet (xlsx or csv) turned into site profiles."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import click
import yaml

from zwgk.core.config import ConfigError, load_profile_file

# Header names seen in 网站清单 spreadsheets, per profile field.
HEADERS = {
    "name": ("网站名称", "名称", "站点名称", "name"),
    "office": ("主办单位", "主管单位", "开办单位", "office"),
    "site_code": ("网站标识码", "标识码", "site_code", "siteidcode"),
    "homepage": ("首页网址", "网址", "首页地址", "网站地址", "url", "homepage"),
    "kind": ("网站类型", "类型", "kind"),
}


def read_site_list(path: Path) -> list[dict]:
    """Rows of the list as dicts with profile field names; errors name the file, row and column."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook
        sheet = load_workbook(path, read_only=True, data_only=True).active
        rows = [["" if c is None else str(c).strip() for c in row] for row in sheet.iter_rows(values_only=True)]
    elif path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        rows = [[c.strip() for c in row] for row in csv.reader(text.splitlines())]
    else:
        raise ConfigError(f"{path}: 仅支持 .xlsx 或 .csv 网站清单")
    rows = [r for r in rows if any(r)]
    if not rows:
        raise ConfigError(f"{path}: 表格为空")
    header = [h.lower() for h in rows[0]]
    where = {}
    for field, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                where[field] = i
                break
    missing = [HEADERS[f][0] for f in ("name", "office", "site_code", "homepage") if f not in where]
    if missing:
        raise ConfigError(f"{path}: 表头缺少列：{'、'.join(missing)}（第 1 行应包含 网站名称、主办单位、网站标识码、首页网址）")
    sites = []
    for n, row in enumerate(rows[1:], start=2):
        get = lambda f: row[where[f]] if f in where and where[f] < len(row) else ""  # noqa: E731
        homepage = get("homepage")
        if homepage and "://" not in homepage:
            homepage = "http://" + homepage
        if not urlsplit(homepage).netloc:
            raise ConfigError(f"{path}: 第 {n} 行 首页网址 无效：{get('homepage')!r}")
        kind = "department" if "部门" in get("kind") else "portal"
        sites.append(dict(id=site_id_for(get("site_code"), homepage), name=get("name"), office=get("office"),
                          site_code=get("site_code"), kind=kind, homepage=homepage,
                          allowed_domains=[urlsplit(homepage).netloc.lower()]))
    return sites


def site_id_for(site_code: str, homepage: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9]{4,30}", site_code or ""):
        return site_code.lower()
    return "site-" + hashlib.sha1(homepage.encode()).hexdigest()[:8]


@click.group("sites")
def sites_group():
    """站点清单与站点配置。"""


@sites_group.command("import")
@click.argument("listing", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", default="sites.yaml", show_default=True, help="写出的站点配置文件。")
def import_command(listing, out):
    """把网站清单（xlsx/csv：网站名称、主办单位、网站标识码、首页网址）转换为站点配置。"""
    try:
        sites = read_site_list(Path(listing))
        Path(out).write_text(yaml.safe_dump({"sites": sites}, allow_unicode=True, sort_keys=False),
                             encoding="utf-8")
        load_profile_file(out)  # what we write must load
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已写出 {len(sites)} 个站点配置：{out}")


COMMANDS = [sites_group]
