"""Column list pages: dated entries, pagination, lists rendered by script, and 备注说明 on empty columns."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import replace
from itertools import islice
from urllib.parse import urljoin, urlsplit

import lxml.etree

from crawler.extract.columns import block_heading, column_name, load_lexicon, site_key
from crawler.extract.dates import find_date
from crawler.extract.links import media_kind, page_base, resolve
from zwgk.core.records import ListEntry

# Containers whose links are not column entries: menus, breadcrumbs, pagination, footers, link
# boxes (yqlj = 友情链接), share bars, trees. Matched against class and id; short or common words
# only as whole words ("tree", not "street"). Pager links need no entry here: their texts are too
# short to pass as entries, and a page wrapper is often called "page".
SKIP_RE = re.compile(r"nav|menu|foot|crumb|banner|friend|yqlj|share|pagination|pager|fenye|daohang|copyright|"
                     r"(?:^|[\s_-])(?:header|top|bottom|position|location|tree|links?)(?:$|[\s_-])", re.I)
SKIP_TAGS = frozenset({"nav", "header", "footer", "select"})
LIST_RE = re.compile(r"list|liebiao|news|article|items?(?:$|[\s_-])", re.I)
MIN_UNDATED_ITEMS = 3        # an undated run of links is a list only when it is this long ...
MIN_UNDATED_TITLE = 8        # ... and its median title this long (menus have 2-6 character items)
MIN_DATED_SHARE = 0.3        # a list where this share of items is dated is a dated list
MAX_ITEM_LINKS = 5           # more links than this in one <li>/<tr> is a link box, not an entry
MAX_PINNED_ROWS = 5          # at most this many rows above a list's date order are pinned rows ...
MIN_ORDERED_ROWS = 3         # ... and only above at least this many rows in newest-first order
# Containers of side blocks: related links, recommendations and rankings never hold a column's list;
# a side column (side, aside, hot) holds one only when the page has no other list.
_SIDE_ALWAYS_RE = re.compile(r"related|relate|xgwz|xgxx|xglj|xgyd|tuijian|recommend|paihang|ranking|"
                             r"(?:^|[\s_-])rank(?:$|[\s_-])", re.I)
_SIDE_RE = re.compile(r"(?:^|[\s_-])(?:side|aside|sidebar|rside|lside|hot|remen|redian)", re.I)
_MONTH_DAY = re.compile(r"(?<![\d.\-/])(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?![\d\-/.])")
_DATE_CELL_NOISE = re.compile(r"[\s\[\]()（）【】]")
_HAS_YEAR = re.compile(r"(?:19|20|１９|２０)[0-9０-９]{2}")
_URL_DATE = re.compile(r"(20\d{2})[-/_]?(\d{2})[-/_]?(\d{2})")


def _klass(el) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def _in_skipped(el, cache: dict) -> bool:
    """Whether el or an ancestor is a menu/footer/pagination container (memoised per element)."""
    chain = []
    node, result = el, False
    while node is not None:
        if node in cache:
            result = cache[node]
            break
        chain.append(node)
        if node.tag in ("body", "html"):  # <body class="has-nav"> says nothing about one list
            break
        if isinstance(node.tag, str) and (node.tag in SKIP_TAGS or SKIP_RE.search(_klass(node))):
            result = True
            break
        node = node.getparent()
    for n in chain:
        cache[n] = result
    return result


def _title_of(a) -> tuple[str, str]:
    """(title, text of the link) — the title attribute wins when the printed text is cut short."""
    text = " ".join(a.text_content().split())
    attr = " ".join((a.get("title") or "").split())
    return (attr if len(attr) > len(text.rstrip(".…")) else text), text


def _month_day(text: str, url: str) -> tuple[str, str | None]:
    """A "12-20" date without a year; the year only when the entry URL carries the same day (t20231220_)."""
    # Only a short date cell ("[01-13]"); month-day-like numbers inside other text are not dates.
    if len(_DATE_CELL_NOISE.sub("", text)) > 12:
        return "", None
    match = _MONTH_DAY.search(text)
    if not match:
        return "", None
    month, day = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return "", None
    for year, m, d in _URL_DATE.findall(url):
        if int(m) == month and int(d) == day:
            return match.group(0).strip(), f"{year}-{month:02d}-{day:02d}"
    return match.group(0).strip(), None


def _item_entry(item, base: str) -> ListEntry | None:
    links = [a for a in item.iter("a") if resolve(base, a.get("href"))]
    if not links or len(links) > MAX_ITEM_LINKS:
        return None
    if len(links) == 1:
        main = links[0]
        title, link_text = _title_of(main)
    else:
        titled = [(_title_of(a), a) for a in links]
        (title, link_text), main = max(titled, key=lambda pair: len(pair[0][0]))
    pinned, title = _pinned_marker(item, title)
    if not column_name(title):
        return None     # 更多>>, a bare date or number: a block's header row, not an entry
    url = resolve(base, main.get("href")) or ""
    date_text, date = "", None
    cell = _date_cell(item) if item.tag == "tr" else None
    if cell is not None:
        # a table whose header names the 发布日期 column: that cell, not the first date of the row
        date_text, date = find_date(" ".join(cell.text_content().split()))
    item_text = " ".join(item.text_content().split())
    outside = item_text.replace(link_text, " ", 1) if link_text else item_text
    if not date_text:
        date_text, date = find_date(outside)
    if not date_text:
        # Some templates put the date inside the link: <a><span>title</span><span>2023-05-24</span></a>.
        # The last element that holds only a date is the row's date; a date that is part of the
        # title ("2018年7月25日 新闻") is not.
        for el in reversed([el for el in main.iter() if el is not main and isinstance(el.tag, str)]):
            inner = " ".join(el.text_content().split())
            found, parsed = find_date(inner)
            if found and len(found) >= len(inner) - 2:
                date_text, date = found, parsed
                title = " ".join(title.replace(inner, " ").split()) or title
                break
    iso = date.isoformat() if date else None
    if not date_text:
        date_text, iso = _month_day(outside, url)
    return ListEntry(title=title, url=url, date_text=date_text, date=iso, pinned=pinned)


_PINNED_ICON = re.compile(r"(?:^|[/_-])(?:zhiding|zding|istop|settop|ding|top|zd)\d*\.(?:gif|png|jpe?g|svg)$", re.I)
_PINNED_CLASS = re.compile(r"(?:^|[\s_-])(?:zhiding|istop|is-top|settop|sticky|stick|ding|top-?icon)(?:$|[\s_-])", re.I)


def _pinned_marker(item, title: str) -> tuple[bool, str]:
    """Whether a row is printed as pinned (「置顶」 in the row, a 置顶 icon or class), and the title without it."""
    words = load_lexicon().pinned
    marked = False
    for word in words:
        for form in (f"[{word}]", f"【{word}】", f"({word})", f"（{word}）", word):
            if title.startswith(form) or title.endswith(form):
                title = title[len(form):] if title.startswith(form) else title[:-len(form)]
                title, marked = " ".join(title.split()), True
    text = "".join(item.text_content().split())
    if any(w in text and w not in "".join(title.split()) for w in words):
        marked = True
    for el in item.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "img":
            label = f"{el.get('alt') or ''}{el.get('title') or ''}"
            src = (el.get("src") or "").rsplit("?", 1)[0]
            if any(w in label for w in words) or _PINNED_ICON.search(src):
                marked = True
        elif el is not item and _PINNED_CLASS.search(el.get("class") or ""):
            marked = True
    return marked, title


_DATE_HEADER = ("发布日期", "发布时间", "公开日期", "公开时间", "发文日期", "更新日期", "更新时间", "日期", "时间")


def _date_cell(row):
    """The cell of a table row under the header that names the date column, else None."""
    table = next((a for a in row.iterancestors() if a.tag == "table"), None)
    if table is None:
        return None
    header = next((r for r in islice(table.iter("tr"), 3) if r.find("th") is not None), None)
    if header is None or header is row:
        return None
    names = ["".join(c.text_content().split()) for c in header if isinstance(c.tag, str) and c.tag in ("th", "td")]
    col = next((names.index(n) for word in _DATE_HEADER for n in names if word in n), None)
    cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
    if col is None or len(cells) != len(names):
        return None
    return cells[col]


def _candidate_items(tree):
    """<li> and <tr> items, and the children of <div class=list> containers, without nested lists."""
    items = []
    for el in tree.iter("li", "tr"):
        if next(islice(el.iter("li", "tr"), 1, None), None) is None:  # iter() yields el itself first
            items.append(el)
    for container in tree.iter("div", "dl", "section"):
        if LIST_RE.search(_klass(container)) and next(container.iter("li", "tr"), None) is None:
            items.extend(child for child in container
                         if isinstance(child.tag, str) and child.tag in ("div", "p", "dd", "dt", "span", "h3", "h4"))
    return items


def extract_entries(tree, base_url: str) -> list[ListEntry]:
    """Entries of the page's main list (menus, pagination, footers, link boxes and side blocks skipped).

    A list is a run of sibling items with one main link each; when at least some items print a
    date it is a dated list and its undated items are entries with date None; a list with no
    dates at all counts only when it looks like articles (several long titles on the same site).
    Lists of the same shape side by side (one list printed in several <ul>) are one list. Side
    blocks (相关链接, 推荐阅读 … always; 最新发布, 热点 … beside a column's list) are dropped; on a page with
    a pager only the list the pager belongs to is kept. A homepage keeps all its blocks.
    Rows held above the list's date order (置顶) are marked pinned.
    """
    base = page_base(tree, base_url)
    groups: dict = {}
    order: list = []
    skip_cache: dict = {}
    try:
        items = _candidate_items(tree)
    except (AttributeError, TypeError):
        return []
    for item in items:
        parent = item.getparent()
        if parent is None or _in_skipped(item, skip_cache):
            continue
        entry = _item_entry(item, base)
        if entry is None:
            continue
        if parent not in groups:
            groups[parent] = []
            order.append(parent)
        groups[parent].append(entry)
    site = site_key(base_url)
    kept = []
    for parent in order:
        group = groups[parent]
        dated = sum(1 for e in group if e.date_text)
        if dated == 0 or dated < MIN_DATED_SHARE * len(group):
            if dated or not _looks_like_articles(group, site, bool(LIST_RE.search(_klass(parent)))):
                continue
        kept.append(parent)
    lists = _main_lists(_merge_lists(kept, groups), tree)
    entries: list[ListEntry] = []
    position: dict[str, int] = {}
    for parents in lists:
        for parent in parents:
            for e in groups[parent]:
                # The same article in a picture carousel (undated) and in a dated list: keep the dated one.
                at = position.get(e.url)
                if at is None:
                    position[e.url] = len(entries)
                    entries.append(e)
                elif not entries[at].date_text and e.date_text:
                    entries[at] = e
    return _mark_pinned(_complete_years(entries))


def _shape(el) -> tuple:
    return el.tag, " ".join((el.get("class") or "").split())


def _merge_lists(parents: list, groups: dict) -> list[list]:
    """Consecutive groups printed as one list: sibling containers of the same shape, or containers of
    the same shape inside sibling wrappers of the same shape (a list split into pages of <ul>)."""
    merged: list[list] = []
    for parent in parents:
        if merged:
            last = merged[-1][-1]
            a, b = last.getparent(), parent.getparent()
            same = _shape(last) == _shape(parent) and a is not None and b is not None and (
                a is b or (_shape(a) == _shape(b) and a.getparent() is not None and a.getparent() is b.getparent()))
            if same:
                merged[-1].append(parent)
                continue
        merged.append([parent])
    return merged


def _side_kind(parents: list, heading: str) -> str:
    """'always' / 'beside' when a list is a side block (by its heading or its container), else ''."""
    lexicon = load_lexicon()
    compact = "".join(heading.split())
    if compact and any(w in compact for w in lexicon.side_always):
        return "always"
    if compact and compact in lexicon.side_beside:
        return "beside"
    first = parents[0]
    for el in (first, *islice(first.iterancestors(), 4)):
        if el.tag == "aside":
            return "beside"
        klass = _klass(el)
        if _SIDE_ALWAYS_RE.search(klass):
            return "always"
        if _SIDE_RE.search(klass):
            return "beside"
    return ""


def _main_lists(lists: list[list], tree) -> list[list]:
    """The lists that are the page's own: side blocks dropped; with a pager, the pager's list only."""
    if not lists:
        return lists
    kinds = [_side_kind(parents, block_heading(parents[0])) for parents in lists]
    lists = [parents for parents, kind in zip(lists, kinds) if kind != "always"]
    kinds = [kind for kind in kinds if kind != "always"]
    if len(lists) <= 1:
        return lists
    pager = _pager_element(tree)
    if pager is not None:
        # the list sharing the deepest ancestor with the pager is the one it pages
        pager_chain = {a: depth for depth, a in enumerate(reversed([pager, *pager.iterancestors()]))}

        def closeness(parents: list) -> int:
            # a pager belongs to a list when both sit in one box a few levels up (not just in <body>)
            for a in islice((parents[0], *parents[0].iterancestors()), PAGER_REACH + 1):
                if a in pager_chain:
                    return pager_chain[a]
            return -1
        scores = [closeness(parents) for parents in lists]
        best = max(scores)
        if best >= 0 and scores.count(best) == 1:
            return [lists[scores.index(best)]]
    own = [parents for parents, kind in zip(lists, kinds) if not kind]
    # one list beside side blocks is a column page; several blocks side by side are a homepage
    return own if len(own) == 1 else lists


_PAGER_WORDS = ("下一页", "下页", "后页", "后一页", "尾页", "末页", "最后一页", "上一页", "next", "last")
MAX_PAGER_NUMBERS = 12       # a run of more page numbers than this is a calendar or a counter, not a pager
PAGER_REACH = 4              # a pager pages the list whose container, at most this many levels up, holds it


def _pager_element(tree):
    """The pager a list page prints (下一页/尾页 in words, a short run of page numbers) or the script that
    writes one. Bare arrows (>>) are left out: on a homepage they are a block's 更多 link."""
    try:
        anchors = tree.xpath("//a[string-length(normalize-space(.)) <= 8]")
    except (AttributeError, TypeError, lxml.etree.XPathError):
        return None
    numbers: dict = {}
    for a in anchors:
        href = (a.get("href") or "").strip().lower()
        if not href or href.startswith(("#", "javascript")):
            continue    # a carousel's 上一页/下一页 buttons page pictures, not a list
        text = "".join(a.text_content().split()).lower()
        if text.startswith(_PAGER_WORDS):
            return a
        if _PAGE_NUMBER.match(text):
            numbers.setdefault(a.getparent(), []).append(a)
    for parent, run in numbers.items():
        if 2 <= len(run) <= MAX_PAGER_NUMBERS:
            return parent
    for script in tree.iter("script"):
        text = script.text or ""
        if any(hint in text for hint in _SCRIPT_PAGER_HINTS):
            return script
    return None


def _mark_pinned(entries: list[ListEntry]) -> list[ListEntry]:
    """Mark rows held above the list's date order (置顶): printed as such, or older rows at the top of
    a list whose remaining rows run newest first. A top row newer than the list is left alone: only a
    printed 置顶 says it is pinned."""
    dated = [(i, e.date) for i, e in enumerate(entries) if e.date]
    pinned = {i for i, e in enumerate(entries) if e.pinned}
    if len(dated) >= MIN_ORDERED_ROWS + 1:
        k = len(dated) - 1
        while k > 0 and dated[k - 1][1] >= dated[k][1]:
            k -= 1
        head, body = dated[:k], dated[k:]
        if head and len(head) <= MAX_PINNED_ROWS and len(body) >= max(MIN_ORDERED_ROWS, len(head) + 1):
            top = body[0][1]
            pinned |= {i for i, d in head if d < top}
    if not pinned:
        return entries
    return [replace(e, pinned=True) if i in pinned and not e.pinned else e for i, e in enumerate(entries)]


def _looks_like_articles(group: list[ListEntry], site: str, marked_list: bool) -> bool:
    """An undated run of links that reads like article titles on this site, not a menu of columns.

    A container the page itself calls a list (<ul class="list">) counts from one item; an unmarked
    one needs a few items before it is told apart from a menu.
    """
    if len(group) < (1 if marked_list else MIN_UNDATED_ITEMS):
        return False
    if statistics.median(len(e.title) for e in group) < MIN_UNDATED_TITLE:
        return False
    same_site = sum(1 for e in group if not site or site_key(e.url) == site)
    # Column links end in a folder ("/xxgk/gkzn/"); articles are pages with a file name or an id, and
    # a run of attachments (附件 under an article) is not a list of articles.
    documents = sum(1 for e in group if (not urlsplit(e.url).path.endswith("/") or urlsplit(e.url).query)
                    and media_kind(e.url, "link") == "link")
    return same_site >= 0.7 * len(group) and documents >= 0.7 * len(group)


def _complete_years(entries: list[ListEntry]) -> list[ListEntry]:
    """Give "01-13" dates a year from the latest fully printed date on the same page.

    Homepages often print only month and day. The year is the reference date's year, or the year
    before when the month-day falls after the reference (a December item on a January page).
    """
    full = [e.date for e in entries if e.date and _HAS_YEAR.search(e.date_text)]
    if not full:
        return entries
    reference = max(full)
    ref_year, ref_md = int(reference[:4]), reference[5:]
    completed = []
    for e in entries:
        match = None if e.date else _MONTH_DAY.fullmatch(e.date_text)
        if match:
            month, day = int(match.group(1)), int(match.group(2))
            year = ref_year if f"{month:02d}-{day:02d}" <= ref_md else ref_year - 1
            try:
                e = replace(e, date=dt.date(year, month, day).isoformat())
            except ValueError:
                pass
        completed.append(e)
    return completed


NEXT_TEXTS = frozenset({"下一页", "下页", "后页", "后一页", "下一頁", ">", ">>", "›", "»", "＞", "尾页", "末页",
                        "最后一页", "最末页", "next", "last", "下一页>", "下一页>>", ">|", ">>|"})
_PAGE_NUMBER = re.compile(r"^[\[【(（]?\s*(\d{1,4})\s*[\]】)）]?$")
_CREATE_PAGE = re.compile(
    r"createPageHTML\s*\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?([\w$.]+)\s*,\s*([\w$.]+)\s*,\s*"
    r"(['\"][^'\"]*['\"]|[\w$]+)\s*,\s*(['\"][^'\"]*['\"]|[\w$]+)"
)
_ASSIGN = r"\b{name}\s*=\s*['\"]?([\w.-]+)['\"]?"
_COUNT_NAMES = ("countPage", "pageCount", "totalPage", "totalPages", "page_count", "pageTotal")
MAX_SCRIPT_PAGES = 1000
# TRS 集约化 lists announce a record count and a page size instead of a page count
# (var pageChnlInfo = {recordCount:'3649', prepage:15, maxStaticIndex: 5}): only the static pages
# (up to maxStaticIndex) are files to follow, the rest come from a search API.
_RECORD_COUNT = re.compile(r"\b(?:recordCount|totalRecord|totalCount|recordTotal|countnum)\s*[:=]\s*['\"]?(\d+)")
_PAGE_SIZE = re.compile(r"\b(?:prepage|pageSize|perPage|pagesize|page_size)\s*[:=]\s*['\"]?(\d+)")
_STATIC_PAGES = re.compile(r"\bmaxStaticIndex\s*[:=]\s*['\"]?(\d+)")
_SCRIPT_PAGER_HINTS = ("createPageHTML", "recordCount", "maxStaticIndex") + _COUNT_NAMES


def _script_var(script: str, name: str) -> str | None:
    match = re.search(_ASSIGN.format(name=re.escape(name)), script)
    return match.group(1) if match else None


def _script_value(script: str, token: str) -> str | None:
    token = token.strip()
    if token[:1] in "'\"":
        return token[1:-1]
    if token.isdigit():
        return token
    return _script_var(script, token)


def _record_pages(script: str) -> str | None:
    """The page count from a record count and a page size, capped at the static pages when named."""
    count, size = _RECORD_COUNT.search(script), _PAGE_SIZE.search(script)
    if not count or not size or int(size.group(1)) == 0:
        return None
    pages = -(-int(count.group(1)) // int(size.group(1)))
    static = _STATIC_PAGES.search(script)
    if static and int(static.group(1)) > 0:
        pages = min(pages, int(static.group(1)))
    return str(pages)


def _script_pages(script: str, page_url: str, default_ext: str = "html") -> list[str]:
    """Pages announced by TRS createPageHTML(total, current, "index", "html"), countPage variables or a
    record count with a page size (pageChnlInfo)."""
    total = prefix = ext = None
    match = _CREATE_PAGE.search(script)
    if match:
        total = _script_value(script, match.group(1))
        prefix = _script_value(script, match.group(3))
        ext = _script_value(script, match.group(4))
    else:
        for name in _COUNT_NAMES:
            total = _script_var(script, name)
            if total:
                break
        if not total:
            total = _record_pages(script)
    if not total or not total.isdigit() or int(total) < 2:
        return []
    last = urlsplit(page_url).path.rsplit("/", 1)[-1]
    stem_match = re.match(r"^([A-Za-z]+)(?:_\d+)?\.(\w+)$", last)
    if not prefix:
        prefix = stem_match.group(1) if stem_match else "index"
    if not ext:
        ext = stem_match.group(2) if stem_match else default_ext
    pages = [f"{prefix}.{ext}"] + [f"{prefix}_{n}.{ext}" for n in range(1, min(int(total), MAX_SCRIPT_PAGES))]
    return [urljoin(page_url, p) for p in pages]


def extract_pagination(tree, html: str, base_url: str) -> list[str]:
    """Further pages of a list: 下一页/尾页/numbered links and script-built TRS pagers; the page itself excluded."""
    base = page_base(tree, base_url)
    own = resolve(base_url, base_url) or base_url
    pages: list[str] = []

    def add(url: str | None) -> None:
        # ".../tzgg/" and ".../tzgg/index.html" are the same list page.
        same = url == own or (own.endswith("/") and url and url.startswith(own)
                              and re.fullmatch(r"(?:index|default)\.\w+", url[len(own):]))
        if url and not same and url not in pages:
            pages.append(url)

    numbered: dict = {}
    pager_parents = set()
    try:
        # Pager links have short texts; let libxml2 drop the long ones before Python sees them.
        anchors = tree.xpath("//a[@href][string-length(normalize-space(.)) <= 8]")
    except (AttributeError, TypeError, lxml.etree.XPathError):
        anchors = []
    for a in anchors:
        text = "".join(a.text_content().split())
        url = resolve(base, a.get("href"))
        if not url:
            continue
        if text.lower() in NEXT_TEXTS or text.startswith(("下一页", "尾页")):
            add(url)
            pager_parents.add(a.getparent())
        elif _PAGE_NUMBER.match(text):
            numbered.setdefault(a.getparent(), []).append(url)
    for parent, urls in numbered.items():
        # A lone number is not a pager (calendars, counters); a run of them, or one beside 下一页, is.
        if len(urls) >= 2 or parent in pager_parents:
            for url in urls:
                add(url)
    if html and any(name in html for name in _SCRIPT_PAGER_HINTS):
        # Only script text can hold the pager variables; searching it is much cheaper than the page.
        try:
            scripts = "\n".join(tree.xpath("//script/text()"))
        except (AttributeError, lxml.etree.XPathError):
            scripts = html
        for url in _script_pages(scripts, base_url, _folder_ext(tree, base, base_url)):
            add(url)
    return pages


def _folder_ext(tree, base: str, page_url: str) -> str:
    """The file ending the list's own links use (".htm" on some TRS sites): list pages are published alike."""
    folder = page_url.rsplit("/", 1)[0] + "/"
    counts: dict[str, int] = {}
    for a in islice(tree.iter("a"), 2000):
        url = resolve(base, a.get("href"))
        if url and url.startswith(folder):
            match = re.search(r"\.(s?html?)$", urlsplit(url).path)
            if match:
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return max(counts, key=counts.get) if counts else "html"


_SCRIPT_LOADERS = re.compile(
    r"\$\.ajax\s*\(|\$\.(?:getJSON|get|post)\s*\(|\bfetch\s*\(|XMLHttpRequest|axios[.(]|"
    r"document\.write\s*\([^)]*<(?:li|a|tr|div)\b|\.(?:html|append)\s*\([^)]*<(?:li|tr)\b|"
    r"new\s+Vue\s*\(|createApp\s*\(|laytpl|template\s*\(\s*['\"]",
    re.I | re.S,
)
_EMPTY_TARGET_RE = re.compile(r"list|news|data|result|items?|xxgk|liebiao|(?:^|\s)(?:app|lb|con|content)(?:$|\s)", re.I)


def detect_script_list(tree, html: str) -> bool:
    """The list container is empty and the page fills it with script: the column cannot be assessed."""
    # only script text can fill a list: searching it, not the whole page, keeps this cheap on articles
    try:
        scripts = "\n".join(tree.xpath("//script/text()"))
    except (AttributeError, TypeError, lxml.etree.XPathError):
        scripts = html or ""
    if not scripts or not _SCRIPT_LOADERS.search(scripts):
        return False
    try:
        containers = [el for el in tree.iter("ul", "ol", "div", "tbody", "table", "section")
                      if _EMPTY_TARGET_RE.search(_klass(el))]
    except (AttributeError, TypeError):
        return False
    empty = [el for el in containers if next(el.iter("a"), None) is None
             and not "".join(el.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")).strip()]
    if not empty:
        return False
    # A page that still shows dated entries has its list; the script only adds to it.
    return not any(e.date for e in extract_entries(tree, "http://localhost/"))


def extract_empty_note(tree) -> str:
    """The 备注说明 an empty column prints ("本栏目暂无信息", "说明：本单位不涉及…"), else ""."""
    phrases = load_lexicon().empty_notes
    if not phrases:
        return ""
    condition = " or ".join(f"contains(., '{p}')" for p in phrases if "'" not in p)
    try:
        body = tree.find("body")
        nodes = (body if body is not None else tree).xpath(f".//text()[{condition}]")
    except (AttributeError, TypeError, lxml.etree.XPathError):
        return ""
    skip_cache: dict = {}
    for node in nodes:
        el = node.getparent()
        if el is None or _in_skipped(el, skip_cache) or el.tag in ("script", "style", "a", "option"):
            continue
        # The note is the sentence around the phrase: its nearest block, when that block is short.
        block = el
        while block is not None and block.tag not in ("p", "div", "li", "td", "dd", "span", "section", "body"):
            block = block.getparent()
        text = " ".join((block if block is not None else el).text_content().split())
        if len(text) > 200:
            text = " ".join(node.split())
        return text
    return ""
