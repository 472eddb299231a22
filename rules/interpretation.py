"""INTERP rules: each 政策解读 paired with its document, linked both ways, on time, in several forms, not a copy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from typing import Iterator

from rules.context import CheckContext, NotAssessed
from rules.snapshot import Page, Snapshot
from rules.workdays import load_calendar, working_days_after
from zwgk.core.docnumber import norm_doc_number
from zwgk.core.records import Finding

_QUOTED = re.compile(r"《([^《》]{4,80})》")
_SENTENCE = re.compile(r"[。！？；!?;\n]")
_CJK = re.compile(r"[\u4e00-\u9fa5]")
_DETAIL_KINDS = ("article",)   # list pages (home, column, gkml, other) are neither 解读 nor documents


def _norm_url(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


@dataclass
class Doc:
    url: str
    urls: frozenset
    title: str
    column_id: str
    number: str
    published: date | None
    date_source: str
    links: frozenset
    validity: str
    page: Page            # a light copy (url, text) to read the page text later


@dataclass
class Interp:
    url: str
    urls: frozenset
    title: str
    column_id: str
    published: date | None
    date_source: str
    links: frozenset
    link_texts: str
    media: frozenset       # link kinds on the page: video, audio, embed, image
    column_name: str
    page: Page


@dataclass
class Pair:
    doc: Doc
    interp: Interp
    how: str               # 链接 | 文件链接 | 书名号标题 | 文号 | 标题相似
    sure: bool             # False: a weak pairing, findings about it go to review


@dataclass
class Analysis:
    docs: list[Doc] = field(default_factory=list)
    interps: list[Interp] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    unpaired: list[Interp] = field(default_factory=list)
    home_sentences: frozenset = frozenset()


def _urls(page: Page) -> frozenset:
    return frozenset({_norm_url(page.url), _norm_url(page.final_url or page.url)})


def _links(page: Page) -> frozenset:
    return frozenset(_norm_url(lk.url) for lk in page.links if lk.url and lk.kind == "link")


def _day(page: Page) -> tuple[date | None, str]:
    value = page.dates.get("发布日期")
    try:
        return (date.fromisoformat(value[:10]) if value else None), page.sources.get("发布日期", "")
    except ValueError:
        return None, ""


def is_interpretation(page: Page, column_name: str, ctx: CheckContext) -> bool:
    """A 解读 page: its title or column names a 解读 form, and the title is not a document's (关于…的通知)."""
    t = ctx.thresholds.interpretation
    title = page.headline
    if any(m in title for m in t.not_interpretation_titles):
        return False
    if any(m in title for m in ctx.thresholds.media.interpretation_markers):
        # "关于做好政策解读工作的通知" is a document about 解读 work, not a 解读
        return bool(_QUOTED.search(title)) or not re.search(t.document_title_pattern, title)
    return any(m in column_name for m in ctx.thresholds.media.interpretation_markers)


def _is_document(page: Page, column, ctx: CheckContext) -> bool:
    if column is not None and column.cls == "政策文件":
        return True
    return bool(norm_doc_number(page.fields.get("文号", "")))


def analyse(snapshot: Snapshot, ctx: CheckContext) -> Analysis:
    """One pass over the pages: documents, 解读 pages and their pairing (memoised per site)."""
    a = Analysis()
    # pictures of the site's chrome (logo, banners) are on the homepage too: they are no 图解
    chrome = frozenset(lk.url for lk in snapshot.home.links) if snapshot.home is not None else frozenset()
    markers = ctx.thresholds.media.interpretation_markers
    interp_columns = [c.column_id for c in snapshot.columns if any(m in c.name for m in markers)]
    for page in snapshot.select_pages(_DETAIL_KINDS, interp_columns, markers):
        column = snapshot.column(page.column_id)
        cname = column.name if column else ""
        if is_interpretation(page, cname, ctx):
            published, source = _day(page)
            a.interps.append(Interp(
                url=page.url, urls=_urls(page), title=page.headline, column_id=page.column_id, published=published,
                date_source=source, links=_links(page),
                link_texts=" ".join(lk.text for lk in page.links if lk.kind == "link"),
                media=frozenset(lk.kind for lk in page.links if lk.kind != "link" and lk.url not in chrome),
                column_name=cname, page=Page(url=page.url, kind=page.kind, text=page.text)))
    if not a.interps:
        return a    # nothing to pair: the documents are never read
    seen = {i.url for i in a.interps}
    interp_urls = frozenset().union(*(i.urls for i in a.interps))
    policy_columns = [c.column_id for c in snapshot.columns if c.cls == "政策文件"]
    for page in snapshot.select_pages(_DETAIL_KINDS, policy_columns, (), with_field="文号"):
        if page.url in seen:
            continue
        column = snapshot.column(page.column_id)
        if is_interpretation(page, column.name if column else "", ctx) or not _is_document(page, column, ctx):
            continue
        published, source = _day(page)
        a.docs.append(Doc(
            url=page.url, urls=_urls(page), title=page.headline, column_id=page.column_id,
            number=norm_doc_number(page.fields.get("文号", "")), published=published, date_source=source,
            links=_links(page) & interp_urls, validity=page.fields.get("有效性", ""),
            page=Page(url=page.url, kind=page.kind, text=page.text)))
    if snapshot.home is not None:
        home_text = snapshot.page_text(snapshot.home) or ""
        a.home_sentences = frozenset(sentences(home_text, 1))
    _pair(a, snapshot, ctx)
    return a


def _core(title: str, ctx: CheckContext) -> str:
    """A title without its wrapper words (关于印发…的通知, 图解：, 政策解读), for similarity."""
    t = ctx.thresholds.interpretation
    core = re.sub(r"[《》“”\"'：:（）()\s—-]", "", title)
    for w in sorted(t.title_noise, key=len, reverse=True):
        core = core.replace(w, "")
    return core


def _pair(a: Analysis, snapshot: Snapshot, ctx: CheckContext) -> None:
    t = ctx.thresholds.interpretation
    by_url: dict[str, Doc] = {}
    for d in a.docs:
        for u in d.urls:
            by_url.setdefault(u, d)
    by_number: dict[str, list[Doc]] = {}
    for d in a.docs:
        if d.number:
            by_number.setdefault(d.number, []).append(d)
    for i in a.interps:
        found = _find_doc(i, a, by_url, by_number, snapshot, ctx, t)
        if found is None:
            a.unpaired.append(i)
        else:
            a.pairs.append(Pair(found[0], i, found[1], found[2]))


def _pick(cands: list[Doc], i: Interp) -> tuple[Doc, bool]:
    """The candidate published last on or before the 解读 (sure only when there is one candidate)."""
    if len(cands) == 1:
        return cands[0], True
    dated = sorted((d for d in cands if d.published and i.published and d.published <= i.published),
                   key=lambda d: d.published)
    return (dated[-1] if dated else cands[0]), False


def _find_doc(i: Interp, a: Analysis, by_url, by_number, snapshot: Snapshot, ctx: CheckContext, t):
    quoted = [q.strip() for q in _QUOTED.findall(i.title)]
    # 1. the 解读 links the document
    linked = list({id(d): d for u in i.links if (d := by_url.get(u)) is not None}.values())
    if linked:
        if len(linked) > 1 and quoted:
            narrowed = [d for d in linked if any(q in d.title for q in quoted)]
            linked = narrowed or linked
        doc, sure = _pick(linked, i)
        return doc, "链接", sure
    # 2. the document links the 解读
    back = [d for d in a.docs if d.links & i.urls]
    if back:
        doc, sure = _pick(back, i)
        return doc, "文件链接", sure
    # 3. the document's title in 《》 in the 解读's title
    for q in quoted:
        qc = _core(q, ctx)
        cands = [d for d in a.docs if q in d.title or (len(qc) >= 6 and qc == _core(d.title, ctx))]
        if cands:
            doc, sure = _pick(cands, i)
            return doc, "书名号标题", sure
    # 4. the document's 文号 printed in the 解读's title or text
    number = norm_doc_number(i.title)
    if not number:
        number = norm_doc_number(snapshot.page_text(i.page) or "")
    if number and number in by_number:
        doc, sure = _pick(by_number[number], i)
        return doc, "文号", sure
    # 5. title similarity: weak, anything built on it goes to review
    core = _core(i.title, ctx)
    if len(core) >= 6:
        best, score = None, 0.0
        for d in a.docs:
            s = SequenceMatcher(None, core, _core(d.title, ctx)).ratio()
            if s > score:
                best, score = d, s
        if best is not None and score >= t.title_similarity:
            return best, "标题相似", False
    return None


def _analysis(snapshot: Snapshot, ctx: CheckContext) -> Analysis:
    return ctx.memo("interpretation.analysis", lambda: analyse(snapshot, ctx))


def _pair_evidence(p: Pair) -> dict:
    return {"document_url": p.doc.url, "document_title": p.doc.title, "interpretation_url": p.interp.url,
            "interpretation_title": p.interp.title, "paired_by": p.how}


# ---- the rules ---------------------------------------------------------------------------------

def check_unpaired_interpretation(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: every 解读 page (title or column names a 解读 form) can be paired with the document
    it interprets: by a link either way, by the document's title in 《》, by its 文号, or by title similarity.

    Why: a 解读 that names no document cannot be checked for 双向关联 or timing, and readers cannot find
    the policy it explains.

    Basis: 《国务院办公厅印发〈关于全面推进政务公开工作的意见〉实施细则的通知》（国办发〔2016〕80号）政策解读;
    国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》.

    Not flagged: never deducted: a 解读 of a superior's or another site's document is legitimate, so an
    unpaired 解读 is listed for review (待人工复核) only; it is never paired by guesswork.
    """
    a = _analysis(snapshot, ctx)
    for i in a.unpaired:
        column = snapshot.column(i.column_id)
        yield ctx.finding(f"解读“{i.title}”未能关联到本站的政策文件（无链接、无书名号标题或文号可对应），请人工核实所解读的文件",
                          url=i.url, column=column, title=i.title, confidence="review",
                          evidence={"interpretation_url": i.url, "quoted": _QUOTED.findall(i.title)})


def check_not_linked_both_ways(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: for each paired document and 解读, the document page links to the 解读 and the
    解读 page links back to the document; the finding names the page that lacks the link.

    Why: 双向关联 is what national inspections check first on 政策解读; a reader of either page must be one
    click from the other.

    Basis: 国办发〔2016〕80号（政策性文件与解读材料同步）; 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》
    政策解读（文件与解读相互关联）.

    Not flagged: 解读 pages that cannot be paired (see INTERP001). Pairs found only by title similarity
    go to 待人工复核.
    """
    a = _analysis(snapshot, ctx)
    for p in a.pairs:
        conf = "confirmed" if p.sure else "review"
        ev = _pair_evidence(p)
        if not (p.doc.links & p.interp.urls):
            column = snapshot.column(p.doc.column_id)
            yield ctx.finding(f"政策文件页面未链接其解读“{p.interp.title}”（应在文件页面增加解读链接）",
                              url=p.doc.url, column=column, title=p.doc.title, confidence=conf,
                              evidence=dict(ev, missing="文件→解读", page_to_change=p.doc.url))
        if not (p.interp.links & p.doc.urls):
            column = snapshot.column(p.interp.column_id)
            yield ctx.finding(f"解读页面未链接所解读的文件“{p.doc.title}”（应在解读页面增加文件链接）",
                              url=p.interp.url, column=column, title=p.interp.title, confidence=conf,
                              evidence=dict(ev, missing="解读→文件", page_to_change=p.interp.url))


def check_interpretation_late(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a paired 解读 is published at most N working days (default 3) after its document,
    both by the 发布日期 printed on the pages; working days follow `chinesecalendar` (holidays and 调休).

    Why: 三同步 — the 解读 is prepared, signed off and published with the document.

    Basis: 国办发〔2016〕80号（政策性文件与解读材料同步组织、同步审签、同步部署）; the number of days is a
    threshold (several provinces allow 3 working days).

    Not flagged: pairs without both dates; a 解读 published before its document. Dates read only from a
    <meta> tag or the URL, and pairs found by title similarity, go to 待人工复核. For a year the package
    does not cover, Monday–Friday and the user holiday file are used and the finding says so.
    """
    a = _analysis(snapshot, ctx)
    t = ctx.thresholds.interpretation
    calendar = ctx.memo("interpretation.calendar", lambda: load_calendar(t.holiday_file))
    for p in a.pairs:
        d, i = p.doc.published, p.interp.published
        if d is None or i is None or i <= d or (i - d).days <= t.max_working_days:
            continue
        n, missing = working_days_after(d, i, calendar)
        if n <= t.max_working_days:
            continue
        weak = {p.doc.date_source, p.interp.date_source} & {"meta", "url", "script-unknown"}
        conf = "confirmed" if p.sure and not weak else "review"
        note = ""
        if missing:
            years = "、".join(map(str, missing))
            note = f"（chinesecalendar 未收录{years}年，按周一至周五{'及节假日文件' if calendar.source else ''}计算，请核对）"
            if calendar.error:
                note += f"（{calendar.error}）"
        column = snapshot.column(p.interp.column_id)
        ev = dict(_pair_evidence(p), document_published=d.isoformat(), interpretation_published=i.isoformat(),
                  working_days=n, limit=t.max_working_days)
        if missing:
            ev["calendar_warning"] = note
        yield ctx.finding(f"解读发布日期{i}，晚于文件发布日期{d}共{n}个工作日（应不超过{t.max_working_days}个工作日）{note}",
                          url=p.interp.url, column=column, title=p.interp.title, confidence=conf, evidence=ev)


def interpretation_forms(i: Interp, ctx: CheckContext) -> tuple[set[str], bool]:
    """(forms named by the title, column or media of a 解读, whether it shows images of unknown role)."""
    t = ctx.thresholds.interpretation
    where = f"{i.title} {i.column_name}"
    forms = {form for form, words in t.forms.items() if any(w in where for w in words)}
    if "video" in i.media:
        forms.add("视频")
    if "audio" in i.media:
        forms.add("音频")
    return forms, "image" in i.media or "embed" in i.media


def check_forms_not_diverse(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the share of interpreted documents having at least one 解读 in a form other than
    text (图解、视频、音频、动漫、H5、访谈 — from the title, the column and the page's media) is at least the
    threshold (default 50 %), per site.

    Why: 多元化解读 makes policies understandable; inspections count the share of documents so explained.

    Basis: 国办发〔2016〕80号（运用数字化、图表图解、音频视频等方式解读）; 国办秘函〔2019〕19号 政策解读.

    Not flagged: sites with fewer interpreted documents than the threshold's minimum. When 解读 pages
    showing pictures of unknown role could lift the share over the line, the finding goes to 待人工复核.
    """
    a = _analysis(snapshot, ctx)
    t = ctx.thresholds.interpretation
    by_doc: dict[str, list[Interp]] = {}
    for p in a.pairs:
        by_doc.setdefault(p.doc.url, []).append(p.interp)
    if len(by_doc) < t.diverse_min_documents:
        return
    diverse = unknown = 0
    for interps in by_doc.values():
        judged = [interpretation_forms(i, ctx) for i in interps]
        if any(forms - {"文字"} for forms, _ in judged):
            diverse += 1
        elif any(pics for _, pics in judged):
            unknown += 1
    share = diverse / len(by_doc)
    if share >= t.diverse_min_share:
        return
    conf = "review" if (diverse + unknown) / len(by_doc) >= t.diverse_min_share else "confirmed"
    yield ctx.finding(f"多元化解读（图解、音视频、动漫等）占已解读文件的{share:.0%}（{diverse}/{len(by_doc)}），"
                      f"低于{t.diverse_min_share:.0%}", url=snapshot.site.homepage, confidence=conf,
                      evidence={"share": round(share, 3), "diverse": diverse, "documents": len(by_doc),
                                "pictures_unknown": unknown, "limit": t.diverse_min_share})


def sentences(text: str, min_chars: int) -> list[str]:
    """Sentences of a page text with at least min_chars Chinese characters, whitespace removed."""
    out = []
    for s in _SENTENCE.split(text or ""):
        s = "".join(s.split())
        if len(_CJK.findall(s)) >= min_chars:
            out.append(s)
    return out


def check_interpretation_copies_document(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the share of a paired 解读's sentences found verbatim in its document's text
    (sentences of at least a threshold number of Chinese characters, the site's chrome — sentences also on
    the homepage — left out); flagged at or above the threshold (default 60 %), with the share.

    Why: a 解读 that repeats, condenses or excerpts the document explains nothing.

    Basis: 国办发〔2016〕80号（政策解读应通俗易懂、解读政策背景、主要内容和关键词）; 国办秘函〔2019〕19号 政策解读.

    Not flagged: pairs whose text the crawl did not keep (not assessed for that pair), 解读 with fewer
    sentences than the threshold minimum; quotation of a few sentences of the document.
    """
    a = _analysis(snapshot, ctx)
    t = ctx.thresholds.interpretation
    for p in a.pairs:
        itext = snapshot.page_text(p.interp.page)
        dtext = snapshot.page_text(p.doc.page)
        if not itext or not dtext:
            continue
        own = [s for s in sentences(itext, t.copy_min_chars) if s not in a.home_sentences]
        if len(own) < t.copy_min_sentences:
            continue
        body = "".join(dtext.split())
        copied = sum(1 for s in own if s in body)
        share = copied / len(own)
        if share < t.copy_share:
            continue
        column = snapshot.column(p.interp.column_id)
        yield ctx.finding(f"解读有{share:.0%}的句子（{copied}/{len(own)}）与文件原文相同，属照搬原文",
                          url=p.interp.url, column=column, title=p.interp.title,
                          confidence="confirmed" if p.sure else "review",
                          evidence=dict(_pair_evidence(p), share=round(share, 3), copied=copied, sentences=len(own),
                                        limit=t.copy_share))


def check_document_without_interpretation(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: each document published in the look-back window (default 1 year) in a column that
    the thresholds say needs a 解读 (default: 规范性文件 columns) has a 解读 paired with it, or at least
    links to one (a 解读 published elsewhere).

    Why: 规范性文件 are the policies that bind citizens and firms; the 解读 is published with them (三同步).

    Basis: 国办发〔2016〕80号（政策性文件与解读方案、解读材料同步组织、同步审签、同步部署）.

    Not flagged: documents marked 失效/废止, dated after the as-of day or before the window; documents that
    link a page titled as a 解读. A warning only (the 解读 may be on another site); when the crawl found no
    解读 page on the site at all it goes to 待人工复核.
    """
    a = _analysis(snapshot, ctx)
    t = ctx.thresholds.interpretation
    columns = [c.column_id for c in snapshot.columns if any(w in c.name for w in t.require_columns)]
    if not columns:
        raise NotAssessed(f"未找到需解读文件的栏目（名称含：{'、'.join(t.require_columns)}）")
    paired = {p.doc.url for p in a.pairs}
    since = date.fromordinal(ctx.as_of.toordinal() - t.require_window_days)
    markers = ctx.thresholds.media.interpretation_markers
    chrome = frozenset(lk.url for lk in snapshot.home.links) if snapshot.home is not None else frozenset()
    for page in snapshot.select_pages(_DETAIL_KINDS, columns):
        published, _ = _day(page)
        if page.url in paired or published is None or not since <= published <= ctx.as_of:
            continue
        if any(w in page.fields.get("有效性", "") for w in t.require_exempt_validity):
            continue
        # a link to a 解读 (here or on another site); the site's menu item 政策解读 (also on the homepage) is not
        if any(lk.kind == "link" and lk.url not in chrome and any(m in lk.text for m in markers) for lk in page.links):
            continue
        column = snapshot.column(page.column_id)
        yield ctx.page_finding(page, column, f"{column.name if column else ''}“{page.headline}”（{published}发布）未见政策解读",
                               confidence="confirmed" if a.interps else "review",
                               evidence={"published": published.isoformat(), "interpretations_on_site": len(a.interps)})
