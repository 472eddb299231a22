"""The labelled fields of a 留言/信件 page (留言时间, 答复时间, 答复单位, 状态, 答复内容), as printed (facts only)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from crawler.extract.page import parse_html
from zwgk.core.config import ConfigError

LETTERS_FILE = Path(__file__).resolve().parent.parent / "data" / "letters.yaml"
_STRIP = re.compile(r"[\s\u3000\xa0:：\[\]【】]+")
_CELLS = ("p", "li", "td", "th", "dd", "dt", "div", "span", "tr", "label", "em", "strong", "b")
MAX_VALUE = 300


@functools.lru_cache(maxsize=2)
def load_letter_labels(path: str | Path = LETTERS_FILE) -> dict[str, str]:
    """label (stripped) -> field; errors name the file and key."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
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


def read_letter(html: str) -> dict[str, str]:
    """field -> value as printed ("" when the label is printed with nothing after it); {} when none found.

    Two shapes: "标签：值" in one element, and a label cell followed by its value cell (tables, dl)."""
    tree = parse_html(html)
    if tree is None:
        return {}
    labels = load_letter_labels()
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
        key = _STRIP.sub("", text)
        if key in labels and el.tag in ("td", "th", "dt", "span", "label", "em", "strong", "b"):
            sib = el.getnext()
            if sib is not None:
                found.setdefault(labels[key], _own_text(sib)[:MAX_VALUE])
    return found
