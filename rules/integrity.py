"""SEC rules: external links redirected to another domain, third-party scripts/iframes, a homepage title that does not name the site."""

from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import urlsplit

from rules.context import CheckContext, NotAssessed
from rules.snapshot import Page, Snapshot
from zwgk.core.records import Finding

_IP = re.compile(r"^[\d.]+$|:")


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def registrable_domain(host: str, ctx: CheckContext) -> str:
    """The domain a host belongs to: the last 3 labels under a listed suffix (gov.cn), else the last 2."""
    if not host or _IP.search(host):
        return host
    labels = host.split(".")
    keep = 2
    for suffix in ctx.thresholds.integrity.three_label_suffixes:
        if host.endswith("." + suffix):
            keep = suffix.count(".") + 2
    return ".".join(labels[-keep:])


def _under(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _own_domains(snapshot: Snapshot, ctx: CheckContext) -> frozenset[str]:
    home = snapshot.home
    urls = [ctx.site.homepage] + ([home.url, home.final_url] if home is not None else [])
    return frozenset(registrable_domain(host_of(u), ctx) for u in urls if u)


def check_external_link_redirected(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: external hyperlinks whose target, when the crawler checked it, ended on another
    registrable domain than the one linked (外链变异: an expired domain re-registered, a hijacked link).

    Why: a link a government site vouches for that now lands on an unrelated domain may lead visitors to
    gambling, fraud or 域名出售 pages; it is listed for a person to open and judge, never deducted.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）安全防护、内容保障（外链审核，定期检查）；国办秘函〔2019〕19号
    “严重错误”（被攻击篡改）.

    Not flagged: internal links; links not checked or broken (LINK rules); redirects within the same
    registrable domain (gov.cn hosts: last 3 labels, others last 2), to the site's own domain, or to a
    trusted suffix (gov.cn, by default: government sites moving house). A target redirected on many pages is one finding.
    """
    t = ctx.thresholds.integrity
    own = ctx.memo("sec_own_domains", lambda: _own_domains(snapshot, ctx))
    for lk in page.links:
        res = lk.resource
        if lk.internal or res is None or not res.final_url or res.outcome != "ok":
            continue
        start, end = host_of(lk.url), host_of(res.final_url)
        if not start or not end or registrable_domain(start, ctx) == registrable_domain(end, ctx):
            continue
        if _under(end, t.redirect_trusted_domains) or registrable_domain(end, ctx) in own:
            continue
        where = "首页" if page.kind == "home" else "页面"
        yield ctx.finding(f"{where}外部链接跳转到其他域名（{registrable_domain(end, ctx)}），疑似外链变异，请人工复核",
                          url=lk.url, parent_url=page.url, confidence="review",
                          evidence={"chain": [lk.url, res.final_url], "link_text": lk.text,
                                    "element": lk.tag or "a@href", "page_type": where})


def check_third_party_script(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: scripts and iframes the homepage loads from a domain that is neither the site's own
    nor on the allow-list (statistics services and government platforms, rules/thresholds.yaml).

    Why: injected scripts and iframes (挂马, 暗链) load from domains the site does not control; a person
    checks whether each is a service the site chose.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）安全防护（防篡改、防挂马）；国办秘函〔2019〕19号
    “严重错误”（被攻击篡改未及时处置）.

    Not flagged: the site's own domain (and the homepage's final domain), allowed domains, inline scripts
    without a URL, script URLs that are not .js files; pages other than the homepage (their scripts are not recorded). Listed for review.
    """
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查第三方脚本")
    if not home.facts:
        raise NotAssessed("抓取数据中没有首页脚本记录（需用新版 zwgk crawl 重新抓取）")
    t = ctx.thresholds.integrity
    own = _own_domains(snapshot, ctx)
    # a URL named inside an inline script is counted only when it is a script file (a link target is not)
    loaded = [(u, "script@src") for u in home.facts.get("scripts") or []
              if urlsplit(u).path.lower().endswith(".js")]
    loaded += [(lk.url, lk.tag) for lk in home.links if lk.tag == "iframe@src"]
    seen = set()
    for url, element in loaded:
        host = host_of(url)
        if not url.lower().startswith(("http://", "https://")) or not host or url in seen:
            continue
        seen.add(url)
        domain = registrable_domain(host, ctx)
        if domain in own or _under(host, t.allowed_domains):
            continue
        what = "脚本" if element.startswith("script") else "内嵌框架"
        yield ctx.finding(f"首页加载第三方域名（{domain}）的{what}，不在允许清单内，请人工复核是否被挂马",
                          url=url, parent_url=home.url, confidence="review",
                          evidence={"element": element, "domain": domain, "page": home.url})


def site_name_variants(names: list[str], ctx: CheckContext) -> list[str]:
    """The ways a title may name the site: the full names, without 门户网站/人民政府/办公室 endings, the
    place name that begins them, with and without its 县/市/区 ending, and a department's name after it."""
    t = ctx.thresholds.integrity
    out: list[str] = []

    def add(v: str) -> None:
        v = v.strip()
        if len(v) >= 2 and v not in out:
            out.append(v)

    for name in names:
        add(name)
        stem = name
        changed = True
        while changed:
            changed = False
            for suffix in t.name_suffixes:
                if stem.endswith(suffix) and len(stem) > len(suffix):
                    stem, changed = stem[: -len(suffix)], True
        add(stem)
        for suffix in t.place_suffixes:
            at = stem.find(suffix)
            if at >= 2:
                add(stem[: at + len(suffix)])
                add(stem[:at])
                # a department's own name after the place (柘城县发展改革委员会 → 发展改革委员会): its title may
                # drop the county; the rest of a 人民政府 name is empty, so no bare 人民政府 is accepted
                rest = stem[at + len(suffix):]
                if len(rest) >= 4:
                    add(rest)
    return out


def check_title_not_naming_site(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage <title> names the site or its office (示例县人民政府, 示例县, 示例…).

    Why: a title such as "公司网站" or a template default on a government portal shows the page was not
    set up for the site, or was replaced; a person checks the page.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）内容保障、网站标识（网页标题规范）；国办秘函〔2019〕19号
    “严重错误”（被攻击篡改）.

    Not flagged: an empty or unread title; a profile without a site name; a title naming the site in any of
    the variations (人民政府/门户网站/办公室 endings dropped, 县/市/区 dropped, a department's name without
    its county). Listed for review.
    """
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查网页标题")
    if not home.facts or "title" not in home.facts:
        raise NotAssessed("抓取数据中没有首页网页标题（需用新版 zwgk crawl 重新抓取）")
    title = " ".join(str(home.facts.get("title") or "").split())
    if not title:
        raise NotAssessed("首页没有网页标题")
    names = [n for n in (ctx.site.name, ctx.site.office) if n]
    if not names:
        raise NotAssessed("站点配置没有网站名称")
    variants = site_name_variants(names, ctx)
    if any(v in title for v in variants):
        return
    yield ctx.finding(f"首页网页标题“{title[:60]}”未体现网站名称，请人工复核",
                      url=home.url, title=title[:120], confidence="review",
                      evidence={"title": title[:200], "expected_any_of": variants})


def check_hidden_offsite_links(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: links on the homepage to other sites inside elements hidden from visitors — by their
    inline style or a class/id rule of the page's <style>: display:none, visibility:hidden, offsets far off
    screen (left/top/text-indent of −100px and more), font-size:0 (暗链).

    Why: injected links to gambling or other sites are hidden so that visitors do not see them while search
    engines do; a hidden link to an unknown site is a sign of tampering that a person should open and judge.

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）安全防护（防篡改、防挂马、防暗链）；国办秘函〔2019〕19号
    “严重错误”（被攻击篡改）.

    Not flagged: drop-down menus hidden until hovered (a hidden list, or an element named menu/nav/sub/drop,
    hidden by display:none or visibility:hidden — off-screen and font-size:0 are never a menu's); hidden
    links to the site's own domain, to a trusted suffix (gov.cn) or to an allowed domain; links hidden by a
    script or an external stylesheet (not seen). One finding per site lists the links; listed for review,
    never deducted.
    """
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查隐藏链接")
    if not home.facts or "hidden_links" not in home.facts:
        raise NotAssessed("抓取数据中没有首页隐藏链接记录（需用新版 zwgk crawl 重新抓取）")
    t = ctx.thresholds.integrity
    own = _own_domains(snapshot, ctx)
    found = []
    for lk in home.facts.get("hidden_links") or ():
        host = host_of(str(lk.get("url", "")))
        if not host or registrable_domain(host, ctx) in own or _under(host, t.redirect_trusted_domains) \
                or _under(host, t.allowed_domains):
            continue
        found.append(dict(lk))
    if not found:
        return
    domains = list(dict.fromkeys(registrable_domain(host_of(lk["url"]), ctx) for lk in found))
    first = found[0]
    shown = f"「{first['text']}」" if first.get("text") else ""
    yield ctx.finding(f"首页有 {len(found)} 个隐藏的站外链接（{first['how']}），指向 {'、'.join(domains[:5])}"
                      f"{'等' if len(domains) > 5 else ''}，如{shown}{first['url']}，疑似暗链，请人工复核",
                      url=home.url, confidence="review", count=1,
                      evidence={"links": found[:20], "domains": domains, "hidden": len(found)})


def bad_words(text: str, ctx: CheckContext) -> tuple[str, list[str]]:
    """(kind, words) of the first lexicon kind the text shows at least bad_words_min distinct words of."""
    t = ctx.thresholds.integrity
    low = text.lower()
    for kind, words in t.bad_words.items():
        hits = [w for w in words if w.lower() in low]
        if hits and len(hits) >= t.bad_words_min.get(kind, 1):
            return kind, hits
    return "", []


def check_external_page_bad_words(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the page an external hyperlink leads to — its visible text in the first bytes the
    crawler read — shows words of gambling, pornography or a domain for sale (rules/thresholds.yaml
    integrity.bad_words; at least bad_words_min distinct words of one kind).

    Why: a linked site whose domain expired or was taken over now shows gambling, adult content or a
    "域名出售" page to the visitors a government site sends there (外链变异).

    Basis: 《政府网站发展指引》（国办发〔2017〕47号）安全防护、内容保障（外链审核，定期检查）；国办秘函〔2019〕19号
    “严重错误”（被攻击篡改、链接到违法违规内容）.

    Not flagged: internal links; external pages not read (no_external, HEAD only, errors); words a news page
    uses about a crackdown (赌博, 色情 alone are not in the lexicon; one gambling word is not enough). A target
    linked on many pages is one finding. Listed for review, never deducted.
    """
    for lk in page.links:
        res = lk.resource
        if lk.internal or lk.kind != "link" or res is None or not res.sample:
            continue
        kind, words = bad_words(res.sample, ctx)
        if not kind:
            continue
        where = "首页" if page.kind == "home" else "页面"
        text = f"「{lk.text}」" if lk.text else ""
        yield ctx.finding(f"{where}外部链接{text}指向的页面出现{kind}内容（{'、'.join(words[:5])}），疑似外链变异，请人工复核",
                          url=lk.url, parent_url=page.url, confidence="review",
                          evidence={"kind": kind, "words": words[:10], "final_url": res.final_url or lk.url,
                                    "link_text": lk.text, "page_type": where, "excerpt": res.sample[:200]})


def external_pages_read(snapshot: Snapshot, ctx: CheckContext) -> None:
    """SEC005's prepare: NotAssessed when the homepage's links to other sites were not contacted (no_external)."""
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查外部链接页面内容")
    external = [lk for lk in home.links if not lk.internal and lk.kind == "link" and lk.resource is not None]
    if external and not any(lk.resource.sample for lk in external) \
            and all(lk.resource.outcome == "not_checked" for lk in external):
        raise NotAssessed(f"首页 {len(external)} 个站外链接均未访问（本次评估不访问站外地址，no_external），未检查外部链接页面内容")
