"""Everything the extractor makes of one HTML page: a pure function of (html, url)."""

from __future__ import annotations

import hashlib
import re

import lxml.etree
import lxml.html

from crawler.extract.columns import extract_nav
from crawler.extract.dates import parse_date
from crawler.extract.links import extract_links
from crawler.extract.listing import detect_script_list, extract_empty_note, extract_entries, extract_pagination
from crawler.extract.metadata import extract_meta_tags, load_fields, read_metadata, script_date
from crawler.extract.textflow import build_flow
from zwgk.core.docnumber import standalone_doc_number
from zwgk.core.records import PageExtract

_STRIP = re.compile("[\\s\u200b\u3000:：\\[\\]【】［］]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_BREADCRUMB_RE = re.compile(r"crumb|position|location|weizhi|dqwz|curpos|path|(?:^|[\s_-])wz(?:$|[\s_-])", re.I)
_BREADCRUMB_LEAD = re.compile(r"^.{0,8}?(?:当前位置|您的位置|你的位置|您现在的位置|您现在所在的位置|所在位置|当前所在位置|现在位置)"
                              r"\s*[:：]?\s*")
_BREADCRUMB_SPLIT = re.compile(r"\s*(?:>>|>|»|›|＞|→|/|\\|＼|－>|-->)\s*")
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|--|——|-|–|—|－)\s*")
_ARTICLE_RE = re.compile(r"TRS_Editor|TRS_UEDITOR|zoom|article|content|detail|wzzw|zhengwen|(?:^|[\s_-])zw(?:$|[\s_-])|"
                         r"text|pages_content", re.I)
_MASTHEAD_RE = re.compile(r"logo|header|banner|masthead|(?:^|[\s_-])top(?:$|[\s_-])", re.I)
MIN_ARTICLE_TEXT = 150


def parse_html(html: str):
    """The lxml tree of a page, or None when there is nothing to parse. Comments and PIs are dropped."""
    if not html or not html.strip():
        return None
    # huge_tree: without it libxml2 stops at 256 levels and drops the rest (unclosed <font> runs)
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    html = _XML_DECL.sub("", html, count=1)
    try:
        return lxml.html.document_fromstring(html, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        try:
            return lxml.html.document_fromstring(html.encode("utf-8", "replace"),
                                                 parser=lxml.html.HTMLParser(encoding="utf-8", remove_comments=True))
        except (lxml.etree.ParserError, ValueError):
            return None


def _empty(url: str) -> PageExtract:
    return PageExtract(title="", meta_tags={}, metadata=[], fields={}, dates={}, links=[], entries=[],
                       pagination=[], breadcrumb=[], nav=[], text_len=0, body_hash=hashlib.sha1(b"").hexdigest())


def _block_fields(metadata: list) -> tuple[dict[str, str], dict[str, str]]:
    """Canonical field -> value of the block: the first occurrence, except that a label naming the field
    itself wins over a synonym printed before it (主题分类 over 组配分类)."""
    fields: dict[str, str] = {}
    exact: set[str] = set()
    for item in metadata:
        if not item.field:
            continue
        is_exact = _STRIP.sub("", item.label) == item.field
        if item.field not in fields or (is_exact and item.field not in exact):
            if item.field in fields and not item.value:
                continue
            fields[item.field] = item.value
        if is_exact:
            exact.add(item.field)
    return fields, dict.fromkeys(fields, "block")


def _title(tree, meta_tags: dict, fields: dict, visible: str) -> str:
    article_title = meta_tags.get("ArticleTitle", "")
    if article_title and not article_title.isdigit():
        return article_title
    site_name = meta_tags.get("SiteName", "")
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        # A site name in an <h1> logo is not the page's title.
        if len(text) >= 4 and text != site_name and not any(
                _MASTHEAD_RE.search(f"{el.get('class') or ''} {el.get('id') or ''}")
                for el in (h1, *h1.iterancestors())):
            return text
    if fields.get("标题"):
        return fields["标题"]
    title_el = tree.find(".//title")
    text = " ".join(title_el.text_content().split()) if title_el is not None else ""
    # "示例省人民政府 政策文件 <title of the document>": a printed heading the <title> holds is the title
    squashed = "".join(text.split()) if not _TITLE_SPLIT.search(text) else ""
    headings = () if not squashed else ("".join(el.text_content().split()) for el in tree.iter("h1", "h2", "h3", "p", "div", "span")
                if el.tag in ("h1", "h2", "h3") or "title" in (el.get("class") or "").lower())
    held = [h for h in headings if 6 <= len(h) <= 200 and h in squashed and h != meta_tags.get("SiteName")]
    if held:
        best = max(held, key=len)
        return best if best == squashed else _spaced(text, best)
    return _head_title(text, visible)


def _spaced(text: str, squashed: str) -> str:
    """The part of text that reads `squashed` once spaces are dropped, with its spaces as printed."""
    chars = [i for i, c in enumerate(text) if not c.isspace()]
    joined = "".join(text[i] for i in chars)
    at = joined.find(squashed)
    return text[chars[at]:chars[at + len(squashed) - 1] + 1]


def _head_title(text: str, visible: str) -> str:
    """The document's title in a <title> that appends site or column names after -, _, | ...

    The longest part before a separator that the page also prints is the title, so a title that itself
    holds ｜, ：or a hyphen ("新华视界｜示例：…", "2023-2025年…") is not cut; when the page prints none of
    them, the part before the first separator ("通知公告_示例市人民政府" -> "通知公告").
    """
    printed = "".join(visible.split())
    cuts = [m.start() for m in _TITLE_SPLIT.finditer(text) if m.start() > 0]
    for cut in reversed(cuts):
        head = text[:cut].strip()
        if len("".join(head.split())) >= 4 and "".join(head.split()) in printed:
            return head
    parts = [p for p in _TITLE_SPLIT.split(text) if p]
    return parts[0] if parts else text


_BLOCKS = frozenset({"div", "p", "td", "li", "nav", "ol", "ul", "section", "span", "dd", "header", "table"})


def _trail_holder(el):
    """The nearest element around a trail fragment that shows the separators (the whole trail)."""
    while el is not None and isinstance(el.tag, str) and el.tag != "body":
        text = " ".join(el.text_content().split())
        if len(text) > 150:
            return None
        if el.tag in _BLOCKS and _BREADCRUMB_SPLIT.search(text):
            return text
        el = el.getparent()
    return None


def _breadcrumb(tree) -> list[str]:
    """The 当前位置 trail, e.g. ["首页", "政府信息公开", "规划信息"]."""
    body = tree.find("body")
    if body is None:
        return []
    trail = ""
    for node in body.xpath(".//text()[contains(., '位置')]"):
        text = " ".join(node.split())
        lead = _BREADCRUMB_LEAD.match(text)
        if lead:
            holder = _trail_holder(node.getparent())
            whole = holder or text
            start = _BREADCRUMB_LEAD.match(whole)
            trail = whole[start.end():] if start else whole
            break
    if not trail:
        for el in body.xpath(".//*[@class or @id]"):
            if _BREADCRUMB_RE.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
                text = " ".join(el.text_content().split())
                if len(text) <= 150 and _BREADCRUMB_SPLIT.search(text):
                    trail = text
                    break
    if not trail:
        for node in body.xpath(".//text()[starts-with(normalize-space(.), '首页') or "
                               "starts-with(normalize-space(.), '网站首页')]"):
            holder = _trail_holder(node.getparent())
            if holder and holder.startswith(("首页", "网站首页")):
                trail = holder
                break
    parts = [p.strip(" :：") for p in _BREADCRUMB_SPLIT.split(trail)]
    return [p for p in parts if p and not p.isdigit()]


def _has_article_body(tree) -> bool:
    body = tree.find("body")
    if body is None:
        return False
    for el in body.iter("div", "article", "section", "td"):
        if not _ARTICLE_RE.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            continue
        text = "".join(el.text_content().split())
        if len(text) < MIN_ARTICLE_TEXT:
            continue
        link_text = sum(len("".join(a.text_content().split())) for a in el.iter("a"))
        if link_text < 0.3 * len(text):
            return True
    return False


_LINE_TAGS = frozenset(("p", "div", "td", "th", "center", "li", "h2", "h3", "h4", "h5", "h6"))


def _head_doc_number(body) -> str:
    """The first printed line that is nothing but a 文号 ('' when none). A cell beside other filled cells is a
    list's 文号 column, and a link is a reference to another document: neither is the page's own 文号."""
    if body is None:
        return ""
    for node in body.xpath(".//*[text()[contains(., '号')]][not(ancestor-or-self::a)]"):
        line = node
        while line is not None and line.tag not in _LINE_TAGS:
            line = line.getparent()
        if line is None:
            continue
        number = standalone_doc_number(" ".join(line.text_content().split())[:60])
        if not number:
            continue
        if line.tag in ("td", "th") and any(cell is not line and cell.text_content().strip()
                                            for cell in line.getparent()):
            continue
        return number
    return ""


def extract_page(html: str, url: str, listing: bool = True, tree=None) -> PageExtract:
    """Parse once and extract metadata, links, list entries, pagination and hints. Never raises on odd HTML.

    listing=False skips what only list pages and homepages need (entries, pagination, menus, script-filled
    lists, 备注说明): the crawler reads detail pages that way, and they are most of a site. `tree` is
    parse_html(html) when the caller already has it (the crawler parses each page once for every reader);
    no extractor changes the tree."""
    if tree is None:
        tree = parse_html(html)
    if tree is None:
        return _empty(url)
    body = tree.find("body")
    flow = build_flow(body if body is not None else tree)

    meta_tags = extract_meta_tags(tree)
    read = read_metadata(tree, flow=flow)
    metadata = read.block
    fields, sources = _block_fields(metadata)
    if read.layout == "byline":
        sources = dict.fromkeys(sources, "byline")
    lex = load_fields()
    for name, how in read.scripted.items():
        sources[name] = how
        if how == "script-unknown":
            fields.pop(name, None)   # unknown, not empty: the page shows what the script writes
    for found in read.byline:
        if found.field not in fields and found.field not in sources:
            sources[found.field] = found.source
            if found.value:
                fields[found.field] = found.value
    if lex.byline_field not in sources:
        found = script_date([el.text or "" for el in tree.iter("script") if not el.get("src")], lex)
        if found:
            fields[found.field], sources[found.field] = found.value, "script"
    dates: dict[str, str] = {}
    for name in lex.date_fields:
        parsed = parse_date(fields.get(name, ""))
        if parsed:
            dates[name] = parsed.isoformat()
    if "发布日期" not in sources and meta_tags.get("PubDate"):
        # a hint, not a printed value: rules never deduct on it (sources says "meta")
        parsed = parse_date(meta_tags["PubDate"])
        if parsed:
            dates["发布日期"] = parsed.isoformat()
            sources["发布日期"] = "meta"

    entries = extract_entries(tree, url) if listing else []
    pagination = extract_pagination(tree, html, url) if listing else []
    visible = flow.visible_text()
    text = flow.block_text()
    if "文号" not in sources and len(entries) < 3:
        # 政府文件 without a 要素 block print the 文号 alone on the line under the title: that is printed
        number = _head_doc_number(body)
        if number:
            fields["文号"], sources["文号"] = number, "body"
    script_list = detect_script_list(tree, html) if listing and len(entries) < 3 else False

    known = {m.field for m in metadata if m.field}
    if len(known) >= 3:
        kind_hint = "article"
    elif _has_article_body(tree):
        kind_hint = "article"
    elif len(entries) >= 3 or pagination:
        kind_hint = "list"
    elif known:
        kind_hint = "article"
    elif any(e.date for e in entries):
        kind_hint = "list"
    else:
        kind_hint = ""

    return PageExtract(
        title=_title(tree, meta_tags, fields, visible),
        meta_tags=meta_tags,
        metadata=metadata,
        fields=fields,
        dates=dates,
        links=extract_links(tree, url),
        entries=entries,
        pagination=pagination,
        breadcrumb=_breadcrumb(tree),
        nav=extract_nav(tree, url) if listing else [],
        text_len=len(visible),
        body_hash=hashlib.sha1(visible.encode("utf-8")).hexdigest(),
        script_rendered_list=script_list,
        empty_note="" if entries or not listing else extract_empty_note(tree),
        kind_hint=kind_hint,
        sources=sources,
        layout=read.layout,
        undated_list=bool(entries) and not any(e.date_text for e in entries),
        text=text,
    )
