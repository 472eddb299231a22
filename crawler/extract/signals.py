"""Page signals read from crawler/data/page_signals.yaml: soft-404 phrases, site-map links, unusable names, search forms."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path


from zwgk.core.config import ConfigError, read_data_file

SIGNALS_FILE = Path(__file__).resolve().parent.parent / "data" / "page_signals.yaml"


@dataclass(frozen=True)
class PageSignals:
    soft_404_phrases: tuple[str, ...]
    soft_404_max_text: int
    sitemap_links: tuple[str, ...]
    unusable_names: frozenset[str]
    search_fields: tuple[str, ...] = ()
    search_markers: tuple[str, ...] = ()


def _texts(data: dict, key: str, path) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int)) and str(v).strip()
                                                           for v in value):
        raise ConfigError(f"{path}: {key}: expected a non-empty list of texts")
    return tuple(str(v).strip() for v in value)


@functools.lru_cache(maxsize=4)
def load_signals(path: str | Path = SIGNALS_FILE) -> PageSignals:
    """Read and validate page_signals.yaml; errors name the file and key."""
    data = read_data_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("soft_404"), dict):
        raise ConfigError(f"{path}: soft_404: expected a mapping with 'phrases' and 'max_text'")
    max_text = data["soft_404"].get("max_text")
    if not isinstance(max_text, int) or max_text <= 0:
        raise ConfigError(f"{path}: soft_404.max_text: expected a positive integer")
    return PageSignals(
        soft_404_phrases=_texts(data["soft_404"], "phrases", path), soft_404_max_text=max_text,
        sitemap_links=_texts(data, "sitemap_links", path),
        unusable_names=frozenset(n.lower() for n in _texts(data, "unusable_names", path)),
        search_fields=_texts(data, "search_fields", path), search_markers=_texts(data, "search_markers", path),
    )


_DATEISH = re.compile(r"^[\[\(（【]?\s*(\d{2,4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*[\]\)）】]?$")
_NUMBERISH = re.compile(r"^[\d\s.,:：/\-\[\]()（）【】]+$")


def usable_column_name(text: str) -> bool:
    """False for what a column is never called: empty, a date, a number, 「更多」 or an arrow."""
    name = " ".join((text or "").split())
    if not name:
        return False
    if _DATEISH.match(name) or _NUMBERISH.match(name):
        return False
    return name.lower() not in load_signals().unusable_names and name.strip("[]【】<>»›>+ ").lower() \
        not in load_signals().unusable_names


def soft_404_words(title: str, text: str) -> list[str]:
    """The error-page phrases a short 200 page shows (in its title or its visible text); [] for a real page.

    Conservative: a page with more visible text than soft_404.max_text is content, whatever it mentions
    ("404" in an article's body is not an error page)."""
    signals = load_signals()
    if len(text) > signals.soft_404_max_text:
        return []
    found = []
    where = [title, text]
    for phrase in signals.soft_404_phrases:
        if phrase.isdigit():
            # a bare number counts only standing alone ("404", "404 Not Found", "错误404"), not in "14045"
            pattern = re.compile(rf"(?<!\d){phrase}(?!\d)")
            if pattern.search(title) or (pattern.search(text) and len(text) <= 80):
                found.append(phrase)
        elif any(phrase.lower() in w.lower() for w in where):
            found.append(phrase)
    return found


def is_sitemap_link(text: str) -> bool:
    name = "".join((text or "").split())
    return any(name == s or (name.startswith(s) and len(name) <= len(s) + 2) for s in load_signals().sitemap_links)
