"""A report of more sites than the layout file's split_sites_above: an overview that links one file per site."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from report_samples import DEPT_A, DEPT_B, PORTAL, build_workspace
import reports.html
from reports.html import load_layout
from zwgk.commands.report import report_command
from zwgk.core.chromium import chromium_path
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
    # coverage: counted by verdict, with only the sites whose coverage is short listed (each file has its own)
    assert 'class="coverage-summary"' in overview and "覆盖充分" in overview
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
    ranking = chromium.evaluate("[...document.querySelectorAll('table.ranking td:nth-child(2) a')]"
                                ".map(a => a.getAttribute('href'))")
    assert ranking and all(h.startswith("sites/site-") and h.endswith(".html") for h in ranking)
    # the ranking's last column links each site's HTML and PDF: the overview lists the sites once
    files = chromium.evaluate("[...document.querySelectorAll('table.ranking td:last-child a')].map(a => a.getAttribute('href'))")
    assert sorted(files) == sorted([h for h in ranking] + [h[:-len(".html")] + ".pdf" for h in ranking])
    assert chromium.evaluate("document.querySelectorAll('table.site-files').length") == 0
    for site in sorted(site_files):
        back = _check_links(chromium, site)
        assert overview.resolve() in back, f"{site.name} links back to the overview"
        text = chromium.evaluate("document.body.innerText")
        assert "指标得分明细" in text and "抓取与评估覆盖" in text
    # the sample portal's problems have snapshots: their links from a site's file reach them (../snapshots/...)
    snapshots = [p for site in site_files for p in _check_links(chromium, site) if p.parent.name == "snapshots"]
    assert snapshots, "no snapshot link was followed from a site's file"


def _font_types(reader) -> set[str]:
    """The PDF's font types, a composite font's descendant (CIDFontType2: TrueType outlines) included."""
    found = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            found.add(str(font["/Subtype"]))
            found.update(str(d.get_object()["/Subtype"]) for d in font.get("/DescendantFonts", []))
    return found


def test_each_site_pdf_is_printed_by_chromium_cut_per_site_and_numbered(split_report):
    """The per-site PDFs come from one Chromium print cut at each site: every file holds its own site, its
    pages numbered from 1, Chinese as an embedded TrueType subset (not Type 3 glyph pictures), and no link to
    the placeholder base or to a path of this machine."""
    from pypdf import PdfReader

    if not chromium_path():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    names, local = {}, []
    for pdf in sorted((split_report / "sites").glob("site-*.pdf")):
        reader = PdfReader(pdf)
        assert "Chromium (Skia" in reader.metadata["/Producer"], f"{pdf.name} was not printed by Chromium"
        assert reader.metadata["/Title"] in (split_report / "sites" / f"{pdf.stem}.html").read_text(encoding="utf-8")
        text = [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages]
        names[pdf.name] = [name for name in (PORTAL, DEPT_A, DEPT_B) if name in text[0]]
        assert "指标得分明细" in "".join(text)
        for number, page_text in enumerate(text[1:], start=2):
            assert f"{number} / {len(text)}" in page_text, f"{pdf.name} page {number}"
        types = _font_types(reader)
        assert "/CIDFontType2" in types and "/Type3" not in types, (pdf.name, types)
        links = [str(a.get_object()["/A"].get("/URI", "")) for page in reader.pages
                 for a in page.get("/Annots", []) if "/A" in a.get_object()]
        assert not [u for u in links if "zwgk.invalid" in u or u.startswith("file:")], links
        local += [u for u in links if not u.startswith(("http:", "https:"))]
    # the snapshots are linked as the HTML files link them: relative to the file
    assert local and all(u.startswith("../snapshots/") for u in local), local
    # each file is one site, and every site has its file
    assert sorted(n for found in names.values() for n in found) == sorted([PORTAL, DEPT_A, DEPT_B]), names


def _copy_report(split_report: Path, to: Path) -> tuple[Path, list[Path]]:
    import shutil

    shutil.copytree(split_report, to, ignore=shutil.ignore_patterns("*.pdf"))
    return to / "report.html", sorted((to / "sites").glob("site-*.html"))


def test_without_chromium_the_site_pdfs_come_from_weasyprint(split_report, tmp_path, monkeypatch):
    import reports.pdf
    from pypdf import PdfReader

    overview, sites = _copy_report(split_report, tmp_path / "out")
    monkeypatch.setattr(reports.pdf, "chromium_path", lambda: "")
    problems = []
    overview_pdf, pdfs = reports.pdf.render_split_pdfs(overview, sites, "评估报告", problems)
    assert overview_pdf == overview.with_suffix(".pdf") and pdfs == [p.with_suffix(".pdf") for p in sites]
    assert all("WeasyPrint" in PdfReader(p).metadata["/Producer"] for p in pdfs)
    assert any("本机没有 Chromium" in p for p in problems), problems


def test_a_browser_failure_keeps_the_printed_files_and_weasyprint_makes_the_rest(split_report, tmp_path, monkeypatch):
    import reports.pdf
    from pypdf import PdfReader

    if not chromium_path():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    overview, sites = _copy_report(split_report, tmp_path / "out")
    cut, calls = reports.pdf._cut, []

    def cut_once(*args):
        calls.append(1)
        if len(calls) > 1:
            raise ValueError("分界错误（测试）")
        return cut(*args)

    monkeypatch.setattr(reports.pdf, "BATCH_SITES", 1)
    monkeypatch.setattr(reports.pdf, "_cut", cut_once)
    problems = []
    _, pdfs = reports.pdf.render_split_pdfs(overview, sites, "评估报告", problems)
    producers = [PdfReader(p).metadata["/Producer"] for p in pdfs]
    assert "Chromium" in producers[0] and all("WeasyPrint" in p for p in producers[1:]), producers
    assert any("已完成 1 份" in p and "分界错误" in p for p in problems), problems


def test_the_inline_font_has_truetype_outlines_for_just_the_characters_printed():
    import io

    from fontTools.ttLib import TTFont

    from reports.pdf import web_font

    font = TTFont(io.BytesIO(web_font("评估报告 2025 ABC")))
    assert "glyf" in font and "CFF " not in font
    assert all(ord(c) in font.getBestCmap() for c in "评估报告2025ABC")
    assert len(font.getGlyphOrder()) < 40   # a subset, not the 30,000 glyphs of the bundled font
    assert font["glyf"][font.getBestCmap()[ord("评")]].numberOfContours > 0   # outlines, not empty glyphs
