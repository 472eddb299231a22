"""IDENT rules: 网站标识码 (footer and <meta name="SiteIDCode">), footer identification, 「我为政府网站找错」 entry."""

from __future__ import annotations

import re
from typing import Iterator

from rules.context import CheckContext, NotAssessed
from rules.snapshot import Page, Snapshot
from zwgk.core.records import Finding


def _home(snapshot: Snapshot) -> Page:
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查网站标识")
    return home


def footer_text(snapshot: Snapshot, ctx: CheckContext) -> tuple[str, str]:
    """(footer text, confidence): the homepage's footer, when recognised; NotAssessed otherwise.

    A footer read from a named footer element is evidence (confirmed); one recognised only in the page's
    last lines is listed for review."""
    home = _home(snapshot)
    facts = home.facts
    if not facts:
        raise NotAssessed("抓取数据中没有首页页脚（需用新版 zwgk crawl 重新抓取）")
    t = ctx.thresholds.identity
    footer = str(facts.get("footer") or "")
    text = f"{footer} {facts.get('tail') or ''}"
    markers = [m for m in t.footer_markers if m in text]
    if len(markers) < t.footer_min_markers:
        raise NotAssessed("首页页脚未能识别（可能由脚本生成），无法检查网站标识")
    found_in_element = sum(m in footer for m in t.footer_markers) >= t.footer_min_markers
    return text, "confirmed" if found_in_element else "review"


def printed_site_code(text: str, ctx: CheckContext) -> str | None:
    m = re.search(ctx.thresholds.identity.site_code_pattern, text)
    return m.group(1) if m else None


def check_missing_site_code(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage footer prints the 网站标识码.

    Why: the 网站标识码 identifies a registered government website; visitors and inspectors check it in the
    footer.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）网站标识：首页底部功能区列明政府网站标识码；国办秘函〔2019〕19号
    功能设计"网站标识".

    Not flagged: a footer that could not be recognised (written by a script: not assessed).
    """
    text, confidence = footer_text(snapshot, ctx)
    if printed_site_code(text, ctx) is None:
        yield ctx.finding("首页页脚未标注网站标识码", url=snapshot.home.url, confidence=confidence,
                          evidence={"footer": text.strip()[-300:]})


def check_site_code_mismatch(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 网站标识码 printed in the footer and the one in `<meta name="SiteIDCode">` on the
    homepage equal the code registered for the site (the profile's site_code).

    Why: a wrong code points visitors and the national platform at another site.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）网站标识与网页标签（SiteIDCode）；国办秘函〔2019〕19号 功能设计"网站标识".

    Not flagged: a profile without site_code (not assessed); a footer code that is absent (IDENT001) or a
    footer not recognised; a missing meta tag (IDENT003).
    """
    expected = "".join(snapshot.site.site_code.split())
    if not expected:
        raise NotAssessed("站点配置未填写网站标识码（site_code）")
    home = _home(snapshot)
    meta = "".join((home.meta_tags.get("SiteIDCode") or "").split())
    if meta and meta != expected:
        yield ctx.finding(f"首页网页标签 SiteIDCode 为 {meta}，与登记的网站标识码 {expected} 不一致", url=home.url,
                          evidence={"where": "meta", "found": meta, "expected": expected})
    try:
        text, confidence = footer_text(snapshot, ctx)
    except NotAssessed:
        return
    printed = printed_site_code(text, ctx)
    if printed and printed != expected:
        yield ctx.finding(f"首页页脚网站标识码为 {printed}，与登记的网站标识码 {expected} 不一致", url=home.url,
                          confidence=confidence, evidence={"where": "footer", "found": printed, "expected": expected})


def check_missing_site_code_meta(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage carries `<meta name="SiteIDCode" content="…">` with a value.

    Why: the page tags let search engines and the national platform tell the site; SiteIDCode is one of
    the required tags of every page.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）附件 政府网站网页设计规范（网页标签：SiteName、SiteDomain、
    SiteIDCode 等）.

    Not flagged: a homepage not fetched (not assessed); a tag with a different value (IDENT002).
    """
    home = _home(snapshot)
    if not (home.meta_tags.get("SiteIDCode") or "").strip():
        yield ctx.finding("首页缺少网页标签 <meta name=\"SiteIDCode\">（网站标识码）", url=home.url,
                          evidence={"meta_tags": sorted(home.meta_tags)})


def check_missing_footer_identification(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage footer names the 主办单位 and gives 联系方式, the ICP 备案号 and the
    公安机关备案号 (each recognised by the patterns of thresholds identity.footer_items).

    Why: visitors must be able to see who runs the site and how to reach them; the filings are legal
    requirements.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）：首页底部功能区清晰列明党政机关网站标识、政府网站标识码、ICP备案
    编号、公安机关备案标识，以及网站主办单位和联系方式等.

    Not flagged: a footer that could not be recognised (not assessed). One finding lists every missing
    item; its count is the number of items.
    """
    text, confidence = footer_text(snapshot, ctx)
    missing = [item for item, patterns in ctx.thresholds.identity.footer_items.items()
               if not any(re.search(p, text, re.I) for p in patterns)]
    if missing:
        yield ctx.finding(f"首页页脚未列明：{'、'.join(missing)}", url=snapshot.home.url, confidence=confidence,
                          count=len(missing), evidence={"missing": missing, "footer": text.strip()[-300:]})


def check_missing_error_report_entry(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage carries the 「我为政府网站找错」 entry: a link, an image's alt text, a
    script naming the national 找错 platform, or an element whose id/title names it (a placeholder the
    platform's script fills) — markers in thresholds identity.error_entry_markers.

    Why: the entry lets the public report errors to the national supervision platform.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》功能设计（首页设置"我为政府网站找错"监督举报平台入口）.

    Not flagged: a homepage whose footer could not be recognised (the entry may be written by a script:
    not assessed). An entry written by the site's own script with no trace in the HTML cannot be seen:
    with the footer printed in the HTML this is rare, and the finding names the page to look at.
    """
    _text, confidence = footer_text(snapshot, ctx)
    home = snapshot.home
    markers = [m.lower() for m in ctx.thresholds.identity.error_entry_markers]
    seen = [f"{lk.url} {lk.text}".lower() for lk in home.links]
    seen += [str(s).lower() for s in home.facts.get("scripts") or ()]
    # a placeholder a script fills (<span id="_span_jiucuo" title="政府网站找错">) is the entry too
    seen += [str(s).lower() for s in home.facts.get("attrs") or ()]
    seen.append(_text.lower())
    if not any(m in s for s in seen for m in markers):
        yield ctx.finding("首页未设置「我为政府网站找错」入口", url=home.url, confidence=confidence,
                          evidence={"links": len(home.links), "scripts": len(home.facts.get("scripts") or ())})
