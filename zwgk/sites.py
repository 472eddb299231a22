"""`zwgk sites import`: a 网站清单 spreadsheet (xlsx, xls or csv) turned into site profiles."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import click
import yaml

from zwgk.core.config import ConfigError, load_profile_file
from zwgk.core.sheets import Table, read_tables, write_atomically

# Header names seen in 网站清单 spreadsheets, per profile field.
HEADERS = {
    "name": ("网站名称", "名称", "站点名称", "name"),
    "office": ("主办单位", "主管单位", "开办单位", "office"),
    "site_code": ("网站标识码", "标识码", "site_code", "siteidcode"),
    "homepage": ("首页网址", "网址", "首页地址", "网站地址", "网站网址", "网站域名", "域名", "url", "homepage"),
    "kind": ("网站类型", "类型", "kind"),
}
REQUIRED = ("name", "office", "site_code", "homepage")


def read_site_list(path: Path) -> tuple[list[dict], list[str]]:
    """Profiles from the list's rows, and one note per row skipped or column ignored (file, sheet, row, column)."""
    sites, first_row, first_homepage = [], {}, {}
    tables, notes = read_tables(path, HEADERS, REQUIRED, "网站清单")
    for table in tables:
        notes += table.notes()
        for row in table.rows:
            get = row.values.get
            empty = [f for f in REQUIRED if not get(f)]
            if empty:
                notes.append(f"{table.where(row.number, empty[0])}：为空，已跳过该行")
                continue
            homepage = get("homepage")
            if "://" not in homepage:
                homepage = "http://" + homepage
            parts = urlsplit(homepage)
            if not _valid_homepage(homepage):
                notes.append(f"{table.where(row.number, 'homepage')}：网址无效（{get('homepage')!r}），已跳过该行")
                continue
            site_id = site_id_for(get("site_code"), homepage)
            if site_id in first_row:
                # the id comes from the 网站标识码, or from the 首页网址 when the 标识码 is not a code
                by = "site_code" if site_id == get("site_code").lower() else "homepage"
                notes.append(f"{table.where(row.number, by)}：站点 id {site_id} 与{_other(table, *first_row[site_id])}"
                             "重复，已跳过该行")
                continue
            first_row[site_id] = (table, row.number)
            same_home = first_homepage.setdefault(homepage.rstrip("/").lower(), (table, row.number))
            if same_home != (table, row.number):
                notes.append(f"{table.where(row.number, 'homepage')}：首页网址与{_other(table, *same_home)}相同，"
                             "请核对（仍已导入）")
            kind = "department" if "部门" in (get("kind") or "") else "portal"
            sites.append(dict(id=site_id, name=get("name"), office=get("office"), site_code=get("site_code"),
                              kind=kind, homepage=homepage, allowed_domains=[parts.netloc.lower()]))
    return sites, notes


def _other(table: Table, other: Table, number: int) -> str:
    """Another row, named briefly when it is on the same sheet."""
    return f"第 {number} 行" if other is table else other.where(number)


def _valid_homepage(url: str) -> bool:
    """An http(s) URL whose host is a domain name (中文域名 too), an IPv4 address or localhost."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or re.search(r"\s", url):
        return False
    try:
        host, _ = parts.hostname, parts.port
    except ValueError:          # a port that is not a number
        return False
    labels = (host or "").split(".")
    return host == "localhost" or (len(labels) >= 2 and all(re.fullmatch(r"[\w-]+", x) for x in labels))


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
    """把网站清单（xlsx/xls/csv：网站名称、主办单位、网站标识码、首页网址）转换为站点配置。"""
    try:
        sites, notes = read_site_list(Path(listing))
        for line in notes:
            click.echo(f"提示：{line}", err=True)
        if not sites:
            raise ConfigError(f"{listing}：没有可导入的站点（{out} 未写出）")
        text = yaml.safe_dump({"sites": sites}, allow_unicode=True, sort_keys=False)
        write_atomically(out, text, check=load_profile_file)   # what we write must load, or nothing is written
    except (ConfigError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    skipped = sum("已跳过该行" in n for n in notes)
    click.echo(f"已写出 {len(sites)} 个站点配置：{out}" + (f"（跳过 {skipped} 行，见上方提示）" if skipped else ""))


COMMANDS = [sites_group]
