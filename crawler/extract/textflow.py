"""The visible text of a page body in document order, as atoms with block breaks between them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import accumulate

TEXT, SOFT, HARD, CONTROL, HEADING, SCRIPT = range(6)

# Never visible, or form widgets whose option texts are not page text.
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title", "select", "textarea",
                       "button", "option", "svg", "object", "iframe", "embed", "video", "audio", "map"})
BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "tr", "table", "tbody", "thead", "tfoot", "dl",
                        "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer",
                        "nav", "aside", "form", "blockquote", "pre", "hr", "br", "center", "address",
                        "main", "fieldset", "figure", "figcaption", "caption", "body", "html"})
# Table cells and definition terms end a value only once the value has text (label cell + value cell).
CELL_TAGS = frozenset({"td", "th", "dt", "dd"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CONTROL_TAGS = frozenset({"select", "textarea", "button"})
_BUTTON_INPUTS = frozenset({"hidden", "submit", "button", "image", "reset"})
_LINE, _CELL = "\x1e", "\x1f"   # stand-ins for the block and cell breaks while the text is laid out
_HIDDEN_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


@dataclass
class TextFlow:
    """Parallel lists, one entry per atom; spans map an element to its [first, end) atom indexes."""

    kinds: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    owners: list = field(default_factory=list)        # element whose text (or child's tail) this is
    tails: list[bool] = field(default_factory=list)   # True when the atom is an element's tail
    in_link: list[bool] = field(default_factory=list)
    # Visible characters before each atom, plus one final entry: sizes[end] - sizes[start] is the
    # visible length of atoms [start, end).
    sizes: list[int] = field(default_factory=list)
    spans: dict = field(default_factory=dict)         # element -> (first atom, end atom)

    def visible_text(self) -> str:
        """Whitespace-normalised visible text."""
        return " ".join(" ".join(t for t, k in zip(self.texts, self.kinds) if k == TEXT).split())

    def block_text(self, limit: int = 200_000) -> str:
        """Visible text with its layout kept: a line per block, a tab between table cells (for content rules)."""
        lines = []
        for line in self._laid_out().split("\n"):
            cells = [" ".join(c.split()) for c in line.split("\t")]
            line = "\t".join(c for c in cells if c)
            if line:
                lines.append(line)
        return "\n".join(lines)[:limit]

    def _laid_out(self) -> str:
        """The atoms' text with a line break per block and a tab per table cell; source line breaks are not
        layout. Every crawled page goes through here, so the breaks are written as stand-in characters and
        the whole text is cleaned once (str.replace: translate() goes character by character)."""
        text, breaks = self._joined(_LINE, _CELL, False)
        if text.count(_LINE) + text.count(_CELL) == breaks:
            return _no_layout(text).replace(_LINE, "\n").replace(_CELL, "\t")
        return self._joined("\n", "\t", True)[0]  # the page prints a stand-in itself: atom by atom

    def _joined(self, line: str, cell: str, clean: bool) -> tuple[str, int]:
        parts: list[str] = []
        add = parts.append
        cells: list = []    # open table cells: a paragraph inside a cell stays in the cell's row
        breaks = 0
        for t, k, owner in zip(self.texts, self.kinds, self.owners):
            if k == TEXT:
                add(_no_layout(t) if clean else t)
            elif k == HARD:
                if cells:
                    add(" ")
                else:
                    add(line)
                    breaks += 1
            elif k == SOFT:
                if cells and cells[-1] is owner:
                    cells.pop()
                else:
                    cells.append(owner)
                add(cell)
                breaks += 1
        return "".join(parts), breaks


def _hidden(el) -> bool:
    style = el.get("style")
    return bool(style and _HIDDEN_RE.search(style)) or el.get("hidden") is not None


def _no_layout(text: str) -> str:
    """Source line breaks and tabs are not layout: they read as spaces."""
    return text.replace("\n", " ").replace("\t", " ").replace("\r", " ").replace("\f", " ").replace("\v", " ")


def build_flow(root) -> TextFlow:
    """Walk root (usually <body>) once; comments' tails are kept, invisible subtrees skipped."""
    flow = TextFlow()
    kinds, texts, owners, tails, in_link = flow.kinds, flow.texts, flow.owners, flow.tails, flow.in_link
    spans = flow.spans
    # Bound methods in locals: this walk visits every node of every crawled page.
    k_add, t_add, o_add, tail_add, l_add = kinds.append, texts.append, owners.append, tails.append, in_link.append

    def walk(el, link: bool, depth: int) -> None:
        tag = el.tag
        if not isinstance(tag, str) or tag in SKIP_TAGS or depth > 400 or _hidden(el):
            if tag == "script" and el.text and not el.get("src") and not _hidden(el):
                # kept invisible, so that a label followed by a script that writes its value is told apart
                # from a label printed empty
                k_add(SCRIPT); t_add(el.text); o_add(el); tail_add(False); l_add(link)
            elif tag in _CONTROL_TAGS:
                k_add(CONTROL); t_add(""); o_add(el); tail_add(False); l_add(link)
            return
        first = len(kinds)
        if tag in BLOCK_TAGS:
            brk = HARD
        elif tag in CELL_TAGS:
            brk = SOFT
        else:
            brk = None
            if tag == "input" and (el.get("type") or "text").lower() not in _BUTTON_INPUTS:
                k_add(CONTROL); t_add(""); o_add(el); tail_add(False); l_add(link)
        if brk is not None:
            k_add(brk); t_add(""); o_add(el); tail_add(False); l_add(link)
        if tag in HEADING_TAGS or "itle" in (el.get("class") or ""):  # class="title", "art-title", "Title"
            k_add(HEADING); t_add(""); o_add(el); tail_add(False); l_add(link)
        if tag == "a":
            link = True
        if el.text:
            k_add(TEXT); t_add(el.text); o_add(el); tail_add(False); l_add(link)
        for child in el:
            walk(child, link, depth + 1)
            tail = child.tail
            if tail:
                k_add(TEXT); t_add(tail); o_add(el); tail_add(True); l_add(link)
        if brk is not None:
            k_add(brk); t_add(""); o_add(el); tail_add(False); l_add(link)
        spans[el] = (first, len(kinds))

    if root is not None:
        walk(root, False, 0)
    flow.sizes = [0, *accumulate(len(t.strip()) if t and k == TEXT else 0 for t, k in zip(texts, kinds))]
    return flow
