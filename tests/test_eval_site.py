"""`zwgk eval site`: a mirror folder served on loopback (404 for a folder without index.html, never a
listing) and evaluated end to end under its own host name, contacting nothing outside it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from zwgk.evaluation.real_site import serve_mirror

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="nav"><ul><li><a href="http://www.shili.example.gov.cn/">首页</a></li>
<li><a href="/tzgg/">通知公告</a></li><li><a href="/empty/">空目录</a></li></ul></div>{body}
<div class="footer"><a href="http://www.waibu-example.cn/">外部网站</a> 网站标识码：4499000099</div></body></html>"""


def mirror(tmp_path):
    root = tmp_path / "mirror"
    (root / "tzgg").mkdir(parents=True)
    (root / "empty" / "sub").mkdir(parents=True)  # a folder HTTrack saved without its index page
    (root / "index.html").write_text(PAGE.format(title="示例镇人民政府", body=""), encoding="utf-8")
    items = "".join(f'<li><a href="/tzgg/{i}.html">关于示例事项的通知{i}</a><span>2018-0{i}-01</span></li>'
                    for i in range(1, 5))
    (root / "tzgg" / "index.html").write_text(PAGE.format(title="通知公告", body=f'<ul class="list">{items}</ul>'),
                                               encoding="utf-8")
    for i in range(1, 5):
        (root / "tzgg" / f"{i}.html").write_text(PAGE.format(title=f"通知{i}", body="<p>正文。</p>"), encoding="utf-8")
    return root


def test_mirror_server_answers_404_for_a_folder_without_index(tmp_path):
    root = mirror(tmp_path)
    with serve_mirror(root) as (address, requests):
        assert "通知公告" in urllib.request.urlopen(f"http://{address}/tzgg/").read().decode()
        for path in ("/empty/", "/empty/sub/", "/nothing.html", "/../etc/passwd"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"http://{address}{path}")
            assert err.value.code == 404, path
        assert len(requests) == 5


@pytest.mark.e2e
def test_eval_site_runs_the_pipeline_under_the_sites_own_host(tmp_path):
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "eval", "site", str(mirror(tmp_path)),
                             "--host", "www.shili.example.gov.cn", "--id", "shili", "--as-of", "2018-07-27",
                             "--workspace", str(tmp_path / "ws"), "--out", str(tmp_path / "out"), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    assert figures["hosts_contacted"] == {"www.shili.example.gov.cn": figures["hosts_contacted"]["www.shili.example.gov.cn"]}
    assert figures["outside_hosts_contacted"] == [] and figures["hosts_not_checked"] == {"www.waibu-example.cn": 1}
    by_url = {c["url"]: c for c in figures["columns"]}
    assert by_url["http://www.shili.example.gov.cn/tzgg/"]["assessable"] == 1
    assert by_url["http://www.shili.example.gov.cn/empty/"]["assessable"] == 0  # 404, not a listing
    assert (tmp_path / "out" / "report.html").exists()


def test_a_finding_about_what_the_mirror_never_saved_is_an_artefact(tmp_path):
    from zwgk.evaluation.real_site import is_artefact

    root = mirror(tmp_path)
    host = "www.shili.example.gov.cn"
    gone = f"http://{host}/tzgg/9.html"
    assert is_artefact("LINK002", gone, "{}", host, root)
    assert not is_artefact("LINK002", f"http://{host}/tzgg/1.html", "{}", host, root)  # saved: the site's own fault
    # a column not assessed because its page answered 404 here, and only then
    assert is_artefact("STALE010", f"http://{host}/empty/", '{"page_status": 404}', host, root)
    assert not is_artefact("STALE010", f"http://{host}/empty/", '{"reason": "栏目列表由脚本生成"}', host, root)
    assert not is_artefact("STALE003", gone, "{}", host, root)
    # an image pasted with a file:///C:/… address, rewritten by the mirroring tool: broken on the real site too
    assert not is_artefact("MEDIA001", f"http://{host}/file/C_/Users/editor/clip_image001.gif", "{}", host, root)


@pytest.mark.e2e
def test_a_menu_item_opening_a_section_of_the_homepage_is_a_channel_not_a_list(tmp_path):
    # 首页 menu items that switch a panel of the homepage by script (index.html?link=news): each fetches the
    # homepage itself; the homepage's news block must not become their list, whichever is fetched first
    root = mirror(tmp_path)
    menu = ('<div class="nav"><ul><li><a href="/index.html?link=news">新闻动态</a></li>'
            '<li><a href="/index.html?link=open">政务公开</a></li><li><a href="/tzgg/">通知公告</a></li></ul></div>')
    news = "".join(f'<li><a href="/xwdt/{i}.html">示例镇召开示例会议{i}</a><span>2018-07-0{i}</span></li>'
                   for i in range(1, 5))
    (root / "xwdt").mkdir()
    for i in range(1, 5):
        (root / "xwdt" / f"{i}.html").write_text(PAGE.format(title=f"示例会议{i}", body="<p>正文。</p>"),
                                                  encoding="utf-8")
    (root / "index.html").write_text(PAGE.format(title="示例镇人民政府", body=menu + f'<ul class="list">{news}</ul>'),
                                     encoding="utf-8")
    db = _eval_site(root, tmp_path)
    sections = dict(db.execute("SELECT column_id, role FROM columns WHERE url LIKE '%index.html?link=%'").fetchall())
    assert len(sections) == 2 and set(sections.values()) == {"hub"}
    marks = ",".join("?" * len(sections))
    assert db.execute(f"SELECT COUNT(*) FROM entries WHERE column_id IN ({marks})", list(sections)).fetchone()[0] == 0
    assert db.execute(f"SELECT COUNT(*) FROM pages WHERE url LIKE '%/xwdt/%' AND column_id IN ({marks})",
                      list(sections)).fetchone()[0] == 0
    assert db.execute("SELECT role FROM columns WHERE url LIKE '%/tzgg/'").fetchone()[0] == "list"


@pytest.mark.e2e
def test_a_paginated_list_reached_through_a_breadcrumb_is_the_column_a_person_sees(tmp_path):
    # the homepage's tabs have href="" (示例要闻, 学习示例精神 under 专题专栏); their list pages are reached only
    # through the breadcrumb of their articles. Each becomes a column named by the breadcrumb, its later pages
    # stay pages of its list, and a name that tells no class takes its nearest ancestor's (专题专栏: 专题)
    root = mirror(tmp_path)
    trail = ('<div class="curmb">当前位置：<a href="/index.html">首页</a> &gt; <a href="/index.html?link=x">新闻中心</a>'
             ' &gt; {mid}<a href="{href}">{name}</a></div>')
    columns = {"ywdt/ymyw": ("示例要闻", ""), "zt/xxjs": ("学习示例精神", '<a href="/zt/">专题专栏</a> &gt; ')}
    tabs, panels = "", ""
    for folder, (name, mid) in columns.items():
        (root / folder).mkdir(parents=True)
        crumb = trail.format(mid=mid, href=f"/{folder}/index.html", name=name)
        rows = {1: range(1, 16), 2: range(16, 21)}
        for n, items in rows.items():
            lis = "".join(f'<li><a href="/{folder}/{i}.html">示例标题{i}</a><span>2018-07-{27 - i:02d}</span></li>'
                          for i in items)
            pages = '<div class="page"><a href="/{0}/index.html">1</a> <a href="/{0}/index_2.html">2</a></div>'.format(folder)
            body = crumb + f'<ul class="list">{lis}</ul>' + pages
            (root / folder / ("index.html" if n == 1 else "index_2.html")).write_text(
                PAGE.format(title=name, body=body), encoding="utf-8")
        for i in range(1, 21):
            (root / folder / f"{i}.html").write_text(PAGE.format(title=f"示例标题{i}", body=crumb + "<p>正文。</p>"),
                                                     encoding="utf-8")
        tabs += f'<li><a href="">{name}</a></li>'
        panels += "<ul>" + "".join(f'<li><a href="/{folder}/{i}.html">示例标题{i}</a></li>' for i in range(1, 4)) + "</ul>"
    (root / "index.html").write_text(PAGE.format(title="示例镇人民政府", body=f'<div class="tab"><ul class="hd">{tabs}</ul>'
                                                 f'<div class="bd">{panels}</div></div>'), encoding="utf-8")
    db = _eval_site(root, tmp_path)
    got = {r[0].split("example.gov.cn", 1)[1]: r[1:] for r in db.execute(
        "SELECT url, name, cls, role, assessable FROM columns WHERE url LIKE '%/ywdt/%' OR url LIKE '%/zt/%'")}
    assert got["/ywdt/ymyw/index.html"] == ("示例要闻", "动态要闻", "list", 1)
    assert got["/zt/xxjs/index.html"] == ("学习示例精神", "专题", "list", 1)
    assert not any("index_2" in u for u in got)
    entries = db.execute("SELECT COUNT(*) FROM entries e JOIN columns c ON c.column_id=e.column_id"
                         " WHERE c.url LIKE '%/ywdt/ymyw/index.html'").fetchone()[0]
    assert entries == 20


def _eval_site(root: Path, tmp_path: Path) -> sqlite3.Connection:
    """`zwgk eval site` of a folder mirror of www.shili.example.gov.cn; its store."""
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "eval", "site", str(root),
                             "--host", "www.shili.example.gov.cn", "--id", "shili", "--as-of", "2018-07-27",
                             "--workspace", str(tmp_path / "ws"), "--out", str(tmp_path / "out"), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return sqlite3.connect(tmp_path / "ws" / "zwgk.sqlite3")
