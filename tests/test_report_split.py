"""A report of more sites than the layout file's split_sites_above: an overview that links one file per site."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from report_samples import DEPT_A, DEPT_B, PORTAL, build_workspace
import reports.html
from reports.html import load_layout
from zwgk.commands.report import report_command
from zwgk.core.config import ConfigError


@pytest.fixture(scope="module")
def split_report(tmp_path_factory) -> Path:
    """`zwgk report` (PDF included) of the three sample sites with split_sites_above: 2 in the layout file."""
    root = tmp_path_factory.mktemp("split")
    layout = root / "report_layout.yaml"
    layout.write_text("split_sites_above: 2\n", encoding="utf-8")
    store, check_id = build_workspace(root / "ws")
    store.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reports.html, "LAYOUT_FILE", layout)
        result = CliRunner().invoke(report_command, ["--workspace", str(root / "ws"), "--check", str(check_id),
                                                     "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    assert "分站点报告：3 个网站各一份" in result.output
    return root / "out"




def test_split_report_writes_an_overview_and_a_file_per_site(split_report):
    sites = sorted(p.name for p in (split_report / "sites").iterdir())
    assert sites == ["site-1.html", "site-1.pdf", "site-2.html", "site-2.pdf", "site-3.html", "site-3.pdf"]
    assert (split_report / "report.pdf").exists()
    overview = (split_report / "report.html").read_text(encoding="utf-8")
    # the chapters stay in the overview; each site's chapter is in its own file, not here
    for chapter in ("一、评估概述", "二、得分分布与排名", "三、问题分类统计", "四、分站点评估情况", "五、未评估事项"):
        assert chapter in overview
    assert "指标得分明细" not in overview and 'class="site"' not in overview
    assert 'href="sites/site-1.pdf"' in overview
    pages = {p.name: p.read_text(encoding="utf-8") for p in (split_report / "sites").glob("*.html")}
    assert all("指标得分明细" in text and "返回评估报告总览" in text for text in pages.values())
    names = [name for name in (PORTAL, DEPT_A, DEPT_B) if any(name in text for text in pages.values())]
    assert len(names) == 3


def test_a_few_sites_keep_the_single_report(tmp_path):
    assert load_layout().split_sites_above >= 3   # the shipped threshold: the sample sites stay one report
    store, check_id = build_workspace(tmp_path / "ws")
    store.close()
    result = CliRunner().invoke(report_command, ["--workspace", str(tmp_path / "ws"), "--check", str(check_id),
                                                 "--out", str(tmp_path / "out"), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "out" / "sites").exists()
    assert "指标得分明细" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_a_bad_layout_file_is_named(tmp_path):
    bad = tmp_path / "layout.yaml"
    bad.write_text("split_sites_above: many\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"layout\.yaml: key 'split_sites_above'"):
        load_layout(bad)


def _local_links(chromium) -> list[str]:
    return chromium.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)"
                             ".filter(h => h.startsWith('file:'))")


def _check_links(chromium, page: Path) -> set[Path]:
    """Every local link of the page opened in Chromium: the file exists and the #fragment names an element."""
    chromium.open(page.resolve().as_uri())
    assert chromium.evaluate("document.scripts.length") == 0
    targets = set()
    for href in _local_links(chromium):
        parts = urlsplit(href)
        target = Path(unquote(parts.path))
        assert target.is_file(), f"{page.name}: link {href} leads nowhere"
        if parts.fragment and target == page.resolve():
            assert chromium.evaluate(f"!!document.getElementById({parts.fragment!r})"), f"{page.name}: {href}"
        targets.add(target)
    assert chromium.problems() == []
    return targets


def test_every_link_of_the_split_report_works_in_chromium(split_report, chromium):
    overview = split_report / "report.html"
    targets = _check_links(chromium, overview)
    site_files = {p.resolve() for p in (split_report / "sites").glob("site-*.html")}
    assert site_files <= targets, "the overview links every site's file"
    assert {p.with_suffix(".pdf") for p in site_files} <= targets
    chromium.open(overview.resolve().as_uri())
    ranking = chromium.evaluate("[...document.querySelectorAll('table.ranking a')].map(a => a.getAttribute('href'))")
    assert ranking and all(h.startswith("sites/site-") and h.endswith(".html") for h in ranking)
    for site in sorted(site_files):
        back = _check_links(chromium, site)
        assert overview.resolve() in back, f"{site.name} links back to the overview"
        text = chromium.evaluate("document.body.innerText")
        assert "指标得分明细" in text and "抓取与评估覆盖" in text
    # the sample portal's problems have snapshots: their links from a site's file reach them (../snapshots/...)
    snapshots = [p for site in site_files for p in _check_links(chromium, site) if p.parent.name == "snapshots"]
    assert snapshots, "no snapshot link was followed from a site's file"
