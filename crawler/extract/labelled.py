"""Labelled fields of 留言/信件 pages (留言时间, 答复时间, 状态 …) and 办事指南 pages (十要素), as printed (facts only)."""

from __future__ import annotations

import functools
import re
from pathlib import Path


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


@functools.lru_cache(maxsize=2)
def load_labels(path: str | Path) -> dict[str, str]:
    """label (stripped) -> field; errors name the file and key."""
    data = read_data_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise ConfigError(f"{path}: fields: expected a mapping of field -> list of labels")
    out: dict[str, str] = {}
    for name, labels in data["fields"].items():
        if not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
            raise ConfigError(f"{path}: fields.{name}: expected a non-empty list of labels")
        for label in labels:
            key = _STRIP.sub("", label)
            if out.get(key, name) != name:
                raise ConfigError(f"{path}: fields.{name}: label {label!r} already belongs to {out[key]}")
            out[key] = name
    return out


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
