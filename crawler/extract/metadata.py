"""The metadata block (信息公开要素) of a page: labelled values such as 索引号, 文号, 发布机构, 成文日期."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from crawler.extract.textflow import BLOCK_TAGS, CONTROL, HARD, HEADING, SOFT, TEXT, TextFlow, build_flow
from zwgk.core.config import ConfigError
from zwgk.core.records import MetaField

FIELDS_FILE = Path(__file__).resolve().parent.parent / "data" / "fields.yaml"

_SPACE = "[\\s\u200b]*"
_OPEN = "[\\[【［]"
_CLOSE = "[\\]】］]"
_CJK = "\u4e00-\u9fff"
# Characters that may precede a label inside a line of text ("… 信息分类：", "|文号：").
_BOUNDARY = set(" |｜,，;；。、)）]】>》·•/") | set("0123456789")
_STRIP_LABEL = re.compile("[\\s\u200b:：\\[\\]【】［］()（）〔〕「」]")
# &nbsp; &ensp; &emsp; print as ordinary spaces; the full-width space (标　　题) is kept as typed.
_PRINTED_SPACES = str.maketrans({"\xa0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " "})
_WS = re.compile("[\\s\u200b]+")
# A label the lexicon does not know: 2-8 CJK characters, or spaced-out ones ("浏 览 次 数").
_UNKNOWN_RE = re.compile(
    f"(?P<open>{_OPEN}\\s*)?(?P<name>[{_CJK}]{{2,8}}|[{_CJK}](?:[ \\t\u3000\xa0\u2002\u2003]+[{_CJK}]){{1,5}})"
    f"(?P<close>\\s*{_CLOSE})?(?P<colon>\\s*[:：])?"
)
MAX_GAP = 400          # visible characters between two labels of one block
MAX_LONE_BLOCK = 200   # a lone "发布时间：…" line is accepted when its block is this short
META_NAMES = ("ArticleTitle", "PubDate", "ColumnName", "ColumnType", "SiteIDCode", "SiteName",
              "ContentSource", "Keywords", "Description")
_META_LOWER = {name.lower(): name for name in META_NAMES}


@dataclass(frozen=True)
class FieldLexicon:
    synonyms: dict[str, str]        # label without spaces/brackets/colon -> canonical field
    others: frozenset[str]          # known non-field labels (浏览次数 ...)
    date_fields: tuple[str, ...]
    label_re: re.Pattern


@functools.lru_cache(maxsize=4)
def load_fields(path: str | Path = FIELDS_FILE) -> FieldLexicon:
    """Read and validate fields.yaml; errors name the file and key."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise ConfigError(f"{path}: fields: expected a mapping of field -> list of labels")
    synonyms: dict[str, str] = {}
    for canonical, labels in data["fields"].items():
        if not isinstance(labels, list) or not labels:
            raise ConfigError(f"{path}: fields.{canonical}: expected a non-empty list of labels")
        for label in labels:
            if not isinstance(label, str) or not _STRIP_LABEL.sub("", label):
                raise ConfigError(f"{path}: fields.{canonical}: label {label!r} is not a text")
            key = _STRIP_LABEL.sub("", label)
            if key in synonyms and synonyms[key] != canonical:
                raise ConfigError(f"{path}: fields.{canonical}: label {label!r} already belongs to {synonyms[key]}")
            synonyms[key] = canonical
    others = data.get("other_labels") or []
    if not isinstance(others, list) or not all(isinstance(o, str) and o.strip() for o in others):
        raise ConfigError(f"{path}: other_labels: expected a list of labels")
    others_keys = frozenset(_STRIP_LABEL.sub("", o) for o in others) - synonyms.keys()
    date_fields = data.get("date_fields") or []
    if not isinstance(date_fields, list):
        raise ConfigError(f"{path}: date_fields: expected a list of field names")
    for name in date_fields:
        if name not in data["fields"]:
            raise ConfigError(f"{path}: date_fields: {name!r} is not a field of fields")
    # Longest first so 主题分类 wins over 分类; each character may be padded with spaces (索  引 号).
    names = sorted(set(synonyms) | others_keys, key=len, reverse=True)
    alternatives = "|".join(_SPACE.join(map(re.escape, name)) for name in names)
    # No optional group in front of the names: re can then skip positions whose character starts no
    # label, which makes scanning a page ten times faster. An opening bracket is looked up by hand.
    label_re = re.compile(f"(?P<name>{alternatives})(?P<close>{_SPACE}{_CLOSE})?(?P<colon>{_SPACE}[:：])?")
    return FieldLexicon(synonyms, others_keys, tuple(date_fields), label_re)


def normalise_label(label: str) -> str | None:
    """The canonical field of a printed label ("索  引 号：" -> "索引号", "[ 发文字号 ]" -> "文号"), else None."""
    return load_fields().synonyms.get(_STRIP_LABEL.sub("", label or ""))


def extract_meta_tags(tree) -> dict[str, str]:
    """The <meta name=...> hints (ArticleTitle, PubDate, ColumnName, SiteIDCode ...), names case-insensitive."""
    tags: dict[str, str] = {}
    try:
        metas = tree.iter("meta")
    except (AttributeError, TypeError):
        return tags
    for meta in metas:
        name = _META_LOWER.get((meta.get("name") or "").strip().lower())
        if name and not tags.get(name):
            tags[name] = " ".join((meta.get("content") or "").split())
    return tags


@dataclass
class _Token:
    atom: int
    start: int           # offsets of the label inside the atom's text
    end: int
    label: str           # as printed, without the colon
    field: str | None
    explicit: bool       # printed with a colon or inside brackets
    whole: bool          # the label is the whole text node
    alone: bool          # ... and the only content of its element (a label cell: <td>, <dt>, <span>)


def _boundary_ok(text: str, start: int) -> bool:
    return start == 0 or text[start - 1] in _BOUNDARY or text[start - 1].isspace() or not text[:start].strip()


def _open_bracket(text: str, start: int) -> int:
    """Where "[ " / "【" opens just before a label at start, else -1."""
    j = start - 1
    while j >= 0 and (text[j].isspace() or text[j] == "\u200b"):
        j -= 1
    return j if j >= 0 and text[j] in "[【［" else -1


def _make_token(flow: TextFlow, i: int, text: str, m: re.Match, field: str | None) -> _Token | None:
    start = m.start()
    if "open" in m.re.groupindex:
        has_open = bool(m.group("open"))
    else:
        opened = _open_bracket(text, start)
        has_open = opened >= 0
        start = opened if has_open else start
    has_close, has_colon = bool(m.group("close")), bool(m.group("colon"))
    label_start = start
    if has_open and not has_close and has_colon:
        has_open = False  # "【字体：大 中 小】": the bracket wraps label and value; the label starts after it
        label_start = m.start("name")
    if has_open != has_close or not _boundary_ok(text, start):
        return None
    whole = not text[:start].strip() and not text[m.end():].strip()
    if not (has_colon or has_open or whole):
        return None
    label_end = m.start("colon") if has_colon else m.end()
    owner = flow.owners[i]
    alone = whole and not flow.tails[i] and len(owner) == 0
    label = text[label_start:label_end].strip().translate(_PRINTED_SPACES)
    return _Token(i, start, m.end(), label, field, has_colon or has_open, whole, alone)


def _scan_known(flow: TextFlow, lex: FieldLexicon) -> list[_Token]:
    tokens = []
    kinds, texts, in_link = flow.kinds, flow.texts, flow.in_link
    search = lex.label_re.finditer
    for i, kind in enumerate(kinds):
        if kind != TEXT or in_link[i]:
            continue
        text = texts[i]
        for m in search(text):
            key = _STRIP_LABEL.sub("", m.group("name"))
            field = lex.synonyms.get(key)
            token = _make_token(flow, i, text, m, field)
            if token:
                tokens.append(token)
    return tokens


def _cell_of(el):
    while el is not None and el.tag not in ("td", "th"):
        el = el.getparent()
    return el


def _is_header_row(row, label_cells: dict) -> bool:
    """标题 | 文号 | 发布日期 column headers of a list table, not a label/value metadata row."""
    cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
    labelled = [c in label_cells for c in cells]
    if sum(labelled) < 2:
        return False
    if any(a.tag == "thead" for a in row.iterancestors()) or all(c.tag == "th" for c in cells):
        return True
    # Metadata rows alternate label and value cells; headers put labels side by side.
    return any(a and b for a, b in zip(labelled, labelled[1:]))


def _drop_false_labels(tokens: list[_Token], flow: TextFlow) -> list[_Token]:
    """Drop column headers of list tables (序号 | 标题 | 发布日期) and the labels of search forms."""
    label_cells: dict = {}
    for t in tokens:
        if t.whole:
            cell = _cell_of(flow.owners[t.atom])
            # a cell that also prints the value (<td><b>索 引 号:</b> 0145…</td>) is a label/value pair
            if cell is not None and _STRIP_LABEL.sub("", cell.text_content()) == _STRIP_LABEL.sub("", t.label):
                label_cells[cell] = t
    dropped = set()
    for row in {cell.getparent() for cell in label_cells}:
        if row is not None and _is_header_row(row, label_cells):
            dropped.update(id(label_cells[c]) for c in row if c in label_cells)
    kept = []
    kinds, texts = flow.kinds, flow.texts
    for t in tokens:
        if id(t) in dropped:
            continue
        if not texts[t.atom][t.end:].strip():
            j = t.atom + 1
            while j < len(kinds) and (kinds[j] in (SOFT, HARD, HEADING) or (kinds[j] == TEXT and not texts[j].strip())):
                j += 1
            if j < len(kinds) and kinds[j] == CONTROL:
                continue
        kept.append(t)
    return kept


def _containing(tokens: list[_Token], flow: TextFlow) -> set:
    """Every element that holds a label (so a heading that is itself a label cell does not split a block)."""
    holders = set()
    for t in tokens:
        el = flow.owners[t.atom]
        while el is not None and el not in holders:
            holders.add(el)
            el = el.getparent()
    return holders


def _clusters(tokens: list[_Token], flow: TextFlow) -> list[list[_Token]]:
    """Runs of labels in printed order; a heading, a long gap or a repeated field starts a new run."""
    holders = _containing(tokens, flow)
    headings = [i for i, k in enumerate(flow.kinds) if k == HEADING and flow.owners[i] not in holders]
    clusters: list[list[_Token]] = []
    current: list[_Token] = []
    seen: set = set()
    h = 0
    for t in tokens:
        if current:
            prev = current[-1]
            while h < len(headings) and headings[h] <= prev.atom:
                h += 1
            split = (
                (t.field is not None and t.field in seen)
                or (h < len(headings) and headings[h] < t.atom)
                or flow.sizes[t.atom] - flow.sizes[prev.atom] > MAX_GAP
            )
            if split:
                clusters.append(current)
                current, seen = [], set()
        current.append(t)
        if t.field:
            seen.add(t.field)
    if current:
        clusters.append(current)
    return clusters


def _block_of(el):
    while el is not None and el.tag not in BLOCK_TAGS:
        el = el.getparent()
    return el


def _common_ancestor(elements: list):
    first = elements[0]
    chain = [first, *first.iterancestors()]
    depth = {id(el): n for n, el in enumerate(chain)}
    best = 0
    for el in elements[1:]:
        node = el
        while node is not None and id(node) not in depth:
            node = node.getparent()
        if node is None:
            return chain[-1]
        best = max(best, depth[id(node)])
    return chain[best]


def _collect(flow: TextFlow, atom: int, offset: int, stop: tuple[int, int], alone: bool) -> tuple[str, tuple[int, int]]:
    """Text from (atom, offset) up to stop, ending early at a block end once the value has text.

    An empty value continues over table cells (label cell, value cell) and, when the label sat alone
    in its element, over a block end too (<div class=label> + <div class=value>). Returns the
    value and where it ended.
    """
    kinds, texts = flow.kinds, flow.texts
    stop_atom, stop_offset = stop
    if atom == stop_atom:
        return texts[atom][offset:stop_offset], stop
    parts = [texts[atom][offset:]] if kinds[atom] == TEXT else []
    has_text = bool(parts and parts[0].strip().strip(":："))
    for j in range(atom + 1, min(stop_atom + 1, len(kinds))):
        kind = kinds[j]
        if kind == TEXT:
            piece = texts[j][:stop_offset] if j == stop_atom else texts[j]
            parts.append(piece)
            has_text = has_text or bool(piece.strip().strip(":："))
        elif kind in (SOFT, HARD):
            if has_text or (kind == HARD and not alone):
                return "".join(parts), (j, 0)
            parts.append(" ")
        elif kind == CONTROL:
            return "".join(parts), (j, 0)
    return "".join(parts), stop


_SEPARATORS = " :：|｜丨¦"
_PAIRS = {"[": "]", "【": "】", "［": "］", "(": ")", "（": "）", "〔": "〕"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


def clean_value(value: str) -> str:
    """A value without padding and layout separators ("| 青政规〔2026〕1号 |" -> "青政规〔2026〕1号").

    Leftover colons, bars and a bracket left open or closed by the label's own brackets are dropped from
    both ends; brackets that pair up inside the value ("国发[2018]43号", "[2023]5号") are kept as printed.
    A value made of separators only is empty.
    """
    value = _WS.sub(" ", value.translate(_PRINTED_SPACES)).strip()
    while value:
        head, tail = value[0], value[-1]
        if head in _SEPARATORS or (head in _CLOSERS) or (head in _PAIRS and _PAIRS[head] not in value[1:]):
            value = value[1:]
        elif tail in _SEPARATORS or (tail in _PAIRS) or (tail in _CLOSERS and _CLOSERS[tail] not in value[:-1]):
            value = value[:-1]
        else:
            break
    return value


_clean = clean_value


def _colon_follows(flow: TextFlow, atom: int) -> bool:
    """<strong>公开时间</strong>：2023-05-26 — the colon printed just after the label's element."""
    for j in range(atom + 1, min(atom + 4, len(flow.kinds))):
        if flow.kinds[j] == TEXT and flow.texts[j].strip():
            return flow.texts[j].lstrip()[:1] in (":", "：")
    return False


def _scan_unknown(flow: TextFlow, start: tuple[int, int], stop: tuple[int, int], taken: list[_Token]) -> list[_Token]:
    """Labels the lexicon does not know ("浏览次数：") inside a recognised block."""
    spans = {}
    for t in taken:
        spans.setdefault(t.atom, []).append((t.start, t.end))
    found = []
    for i in range(start[0], min(stop[0] + 1, len(flow.kinds))):
        if flow.kinds[i] != TEXT or flow.in_link[i]:
            continue
        text = flow.texts[i]
        lo = start[1] if i == start[0] else 0
        hi = stop[1] if i == stop[0] else len(text)
        for m in _UNKNOWN_RE.finditer(text, lo, hi):
            if any(a < m.end() and m.start() < b for a, b in spans.get(i, ())):
                continue
            token = _make_token(flow, i, text, m, None)
            if token and (token.explicit or (token.whole and _colon_follows(flow, i))):
                found.append(token)
    return found


def _read_block(flow: TextFlow, tokens: list[_Token], others: list[_Token], limit_atom: int) -> list[MetaField]:
    limit = (limit_atom, 0)
    last = tokens[-1]
    _, line_end = _collect(flow, last.atom, last.end, limit, last.alone)
    first = (tokens[0].atom, tokens[0].start)
    extra = [t for t in others if first <= (t.atom, t.start) < line_end]
    taken = tokens + extra
    taken += _scan_unknown(flow, first, line_end, taken)
    taken.sort(key=lambda t: (t.atom, t.start))
    fields = []
    for n, t in enumerate(taken):
        stop = (taken[n + 1].atom, taken[n + 1].start) if n + 1 < len(taken) else limit
        value, _ = _collect(flow, t.atom, t.end, stop, t.alone)
        fields.append(MetaField(label=t.label, field=t.field, value=_clean(value)))
    return fields


def extract_metadata(tree, flow: TextFlow | None = None) -> list[MetaField]:
    """The page's metadata block in printed order; [] when the page prints none. Never raises on odd HTML."""
    lex = load_fields()
    if flow is None:
        body = tree.find("body") if hasattr(tree, "find") else None
        flow = build_flow(body if body is not None else tree)
    found = _drop_false_labels(_scan_known(flow, lex), flow)
    known = [t for t in found if t.field]
    others = [t for t in found if not t.field]
    if not known:
        return []
    # The block is the run of labels with the most distinct fields (the first on a tie); a run needs
    # two fields, so one "来源：" in a page footer is not a block.
    best, best_size = None, 1
    for cluster in _clusters(known, flow):
        size = len({t.field for t in cluster})
        if size > best_size:
            best, best_size = cluster, size
    if best is not None:
        region = _common_ancestor([flow.owners[t.atom] for t in best])
        block = _block_of(region)
        region = block if block is not None else region
        return _read_block(flow, best, others, flow.spans.get(region, (0, len(flow.kinds)))[1])
    # No block: accept a lone "发布时间：2023-12-20 17:40" line under the title, bounded by its block.
    for t in known:
        if not t.explicit:
            continue
        block = _block_of(flow.owners[t.atom])
        span = flow.spans.get(block)
        if span is None or flow.sizes[span[1]] - flow.sizes[span[0]] > MAX_LONE_BLOCK:
            continue
        in_block = [k for k in known if span[0] <= k.atom < span[1] and k.explicit]
        return _read_block(flow, in_block, others, span[1])
    return []
