"""Labelled fields of 留言/信件 pages and letter list tables (留言时间, 答复时间, 状态 …) and 办事指南 pages (十要素), as printed."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urljoin


from crawler.extract.page import parse_html
from zwgk.core.config import ConfigError, read_data_file

DATA = Path(__file__).resolve().parent.parent / "data"
LETTERS_FILE = DATA / "letters.yaml"
GUIDES_FILE = DATA / "guides.yaml"
_STRIP = re.compile(r"[\s\u3000\xa0:：\[\]【】]+")
_CELLS = ("p", "li", "td", "th", "dd", "dt", "div", "span", "tr", "label", "em", "strong", "b",
          "h1", "h2", "h3", "h4", "h5", "h6")
_LABEL_CELLS = ("td", "th", "dt", "span", "label", "em", "strong", "b", "h1", "h2", "h3", "h4", "h5", "h6", "p", "div")
_NUMBERING = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．]\s*)?")
MAX_VALUE = 300
MAX_ROWS = 500          # letter list rows kept per page
MAX_ROW_TEXT = 300      # a row as printed, kept for the evidence
_HEADER_PARTS = re.compile(r"[/／、|]")


def _add_labels(out: dict[str, str], path, key: str, mapping) -> dict[str, str]:
    """out plus the labels of `key` (field -> list of labels), each once; errors name the file and key."""
    if not isinstance(mapping, dict):
        raise ConfigError(f"{path}: {key}: expected a mapping of field -> list of labels")
    for name, labels in mapping.items():
        if not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
            raise ConfigError(f"{path}: {key}.{name}: expected a non-empty list of labels")
        for label in labels:
            stripped = _STRIP.sub("", label)
            if out.get(stripped, name) != name:
                raise ConfigError(f"{path}: {key}.{name}: label {label!r} already belongs to {out[stripped]}")
            out[stripped] = name
    return out


@functools.lru_cache(maxsize=2)
def load_labels(path: str | Path) -> dict[str, str]:
    """label (stripped) -> field; errors name the file and key."""
    data = read_data_file(path)
    return _add_labels({}, path, "fields", data.get("fields") if isinstance(data, dict) else None)


@functools.lru_cache(maxsize=1)
def load_list_headers(path: str | Path) -> dict[str, str]:
    """Table header (stripped) -> field for letter list tables: the field labels plus list_headers."""
    return _add_labels(dict(load_labels(path)), path, "list_headers", read_data_file(path).get("list_headers") or {})


def _own_text(el) -> str:
    return " ".join("".join(t for t in el.itertext()).split())


def read_letter(html: str, tree=None) -> dict[str, str]:
    """The 留言/信件 fields of a page (crawler/data/letters.yaml); tree: parse_html(html) if already parsed."""
    return read_labelled(html, load_labels(LETTERS_FILE), tree)


def read_guide(html: str, tree=None) -> dict[str, str]:
    """The 办事指南 elements of a page (crawler/data/guides.yaml); tree: parse_html(html) if already parsed."""
    return read_labelled(html, load_labels(GUIDES_FILE), tree)


def read_labelled(html: str, labels: dict[str, str], tree=None) -> dict[str, str]:
    """field -> value as printed ("" when the label is printed with nothing after it); {} when none found.

    Shapes: "标签：值" in one element; a label cell (td/th/dt, a heading, a bold run, "一、标签") followed
    by its value element."""
    if tree is None:
        tree = parse_html(html)
    if tree is None:
        return {}
    alternation = "|".join(sorted((re.escape(k) for k in labels), key=len, reverse=True))
    labelled = re.compile(rf"[\[【]?\s*({alternation})\s*[\]】]?\s*[:：]")
    found: dict[str, str] = {}
    for el in tree.iter(*_CELLS):
        text = _own_text(el)
        if not text or len(text) > 400:
            continue
        spaced = re.sub(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff][\u4e00-\u9fff ]*[:：])", "", text)
        hits = list(labelled.finditer(spaced))
        if hits and hits[0].start() == 0:
            # one element may print several labels ("来信日期：… 办理状态：…"): each value runs to the next label
            for hit, nxt in zip(hits, hits[1:] + [None]):
                value = spaced[hit.end():nxt.start() if nxt else len(spaced)].strip()
                found.setdefault(labels[hit.group(1)], value[:MAX_VALUE])
            continue
        key = _STRIP.sub("", _NUMBERING.sub("", text))
        if key in labels and el.tag in _LABEL_CELLS:
            sib = el.getnext()
            value = _own_text(sib) if sib is not None else (el.tail or "").strip()
            found.setdefault(labels[key], value[:MAX_VALUE])
    return found


def _header_field(text: str, headers: dict[str, str]) -> str | None:
    """The field a header cell names; "答复时间/答复单位" names its first part's field."""
    for part in _HEADER_PARTS.split(text):
        key = _STRIP.sub("", part)
        if key:
            return headers.get(key)
    return None


def read_letter_rows(html: str, base_url: str, tree=None) -> list[dict[str, str]]:
    """The rows of the letter list tables of a page: per row {url, title, row (as printed), field -> value}.

    A table is a letter list when a header row (one of its first three rows) names 留言时间 or 状态 and at
    least two letter fields besides 标题; the title column is the one headed 标题 (or a synonym), else
    the first column holding links. At most MAX_ROWS rows a page; [] when none. tree: parse_html(html) if
    already parsed."""
    tree = parse_html(html) if tree is None else tree
    if tree is None:
        return []
    headers = load_list_headers(LETTERS_FILE)
    out: list[dict[str, str]] = []
    for table in tree.iter("table"):
        rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
        for i, tr in enumerate(rows[:3]):
            cells = tr.xpath("./th|./td")
            named = {j: f for j, c in enumerate(cells) if (f := _header_field(_own_text(c), headers))}
            fields = set(named.values()) - {"标题"}
            if len(fields) >= 2 and fields & {"留言时间", "状态"}:
                out += _table_rows(rows[i + 1:], named, base_url, MAX_ROWS - len(out))
                break
        if len(out) >= MAX_ROWS:
            break
    return out


def _table_rows(rows, named: dict[int, str], base_url: str, limit: int) -> list[dict[str, str]]:
    title_col = next((j for j, f in named.items() if f == "标题"), None)
    out = []
    for tr in rows:
        cells = tr.xpath("./th|./td")
        if len(cells) <= max(named) or len(out) >= limit:
            continue
        texts = [_own_text(c) for c in cells]
        col = title_col if title_col is not None else next((j for j, c in enumerate(cells) if c.xpath(".//a[@href]")), None)
        if col is None:
            continue
        links = cells[col].xpath(".//a[@href]")
        href = (links[0].get("href") or "").strip() if links else ""
        url = urljoin(base_url, href) if href and not href.lower().startswith(("javascript:", "#")) else ""
        title = texts[col]
        if links and len((links[0].get("title") or "").strip()) > len(title.rstrip(".…")):
            title = " ".join(links[0].get("title").split())     # the list shortens the title ("关于…")
        found = {f: texts[j][:MAX_VALUE] for j, f in named.items() if f != "标题"}
        if not title or not any(found.values()):
            continue
        out.append({"url": url, "title": title[:MAX_VALUE], "row": " | ".join(texts)[:MAX_ROW_TEXT], **found})
    return out
