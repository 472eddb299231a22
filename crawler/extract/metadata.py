"""The metadata block (信息公开要素) of a page: labelled values such as 索引号, 文号, 发布机构, 成文日期."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path


from crawler.extract.dates import find_date
from crawler.extract.textflow import BLOCK_TAGS, CONTROL, HARD, HEADING, SCRIPT, SOFT, TEXT, TextFlow, build_flow
from zwgk.core.config import ConfigError, read_data_file
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
    byline_field: str = "发布日期"
    byline_re: re.Pattern | None = None      # a byline date label with its colon; group "weak" for 时间/日期
    companions: frozenset[str] = frozenset()  # 来源 ...: an unlabelled date-time beside one is the byline
    max_line: int = 200
    script_key_re: re.Pattern | None = None
    max_value: int = 200


@functools.lru_cache(maxsize=4)
def load_fields(path: str | Path = FIELDS_FILE) -> FieldLexicon:
    """Read and validate fields.yaml; errors name the file and key."""
    data = read_data_file(path)
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
    byline = data.get("byline") or {}
    if not isinstance(byline, dict) or byline.get("field") not in data["fields"]:
        raise ConfigError(f"{path}: byline.field: expected one of the fields")
    lists = {}
    for key in ("labels", "weak_labels", "companion_labels"):
        value = byline.get(key) or []
        if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
            raise ConfigError(f"{path}: byline.{key}: expected a list of labels")
        lists[key] = sorted((_STRIP_LABEL.sub("", x) for x in value), key=len, reverse=True)
    for key in ("max_line_chars",):
        if not isinstance(byline.get(key, 200), int):
            raise ConfigError(f"{path}: byline.{key}: expected a whole number")
    strong = "|".join(_SPACE.join(map(re.escape, x)) for x in lists["labels"])
    weak = "|".join(_SPACE.join(map(re.escape, x)) for x in lists["weak_labels"]) or "(?!)"
    byline_re = re.compile(f"(?:{_OPEN}{_SPACE})?(?:(?P<strong>{strong})|(?P<weak>{weak})){_SPACE}(?:{_CLOSE}{_SPACE})?[:：]")
    keys = data.get("script_date_keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) and re.fullmatch(r"\w+", k) for k in keys):
        raise ConfigError(f"{path}: script_date_keys: expected a list of identifiers")
    key_alt = "|".join(map(re.escape, sorted(keys, key=len, reverse=True))) or "(?!)"
    script_key_re = re.compile(
        f"(?<![\\w$])[\"']?(?:{key_alt})[\"']?\\s*[:=]\\s*(?P<q>[\"'])(?P<value>[^\"'\\n]{{6,40}})(?P=q)", re.I)
    max_value = data.get("max_value_chars", 200)
    if not isinstance(max_value, int) or max_value < 20:
        raise ConfigError(f"{path}: max_value_chars: expected a whole number >= 20")
    return FieldLexicon(synonyms, others_keys, tuple(date_fields), label_re, byline["field"], byline_re,
                        frozenset(lists["companion_labels"]), byline.get("max_line_chars", 200), script_key_re,
                        max_value)


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
            # the same label again starts a new block; a synonym does not (主题分类 and 组配分类 side by side)
            split = (
                (t.field is not None and _STRIP_LABEL.sub("", t.label) in seen)
                or (h < len(headings) and headings[h] < t.atom)
                or flow.sizes[t.atom] - flow.sizes[prev.atom] > MAX_GAP
            )
            if split:
                clusters.append(current)
                current, seen = [], set()
        current.append(t)
        if t.field:
            seen.add(_STRIP_LABEL.sub("", t.label))
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
            # "索引号：<br>A1/2024-1": an empty value goes on past a line break, not past a block end
            if has_text or (kind == HARD and not alone and flow.owners[j].tag != "br"):
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


def _script_in(flow: TextFlow, start: int, end: int) -> int:
    """The first inline script atom in [start, end], else -1."""
    for j in range(start, min(end + 1, len(flow.kinds))):
        if flow.kinds[j] == SCRIPT:
            return j
    return -1


_WRITE_RE = re.compile(r"document\.write(?:ln)?\(\s*(?P<q>[\"'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*\)", re.S)


def script_literal(script: str, date_field: bool) -> str | None:
    """The value an inline script prints when it is a literal, else None (the value is unknown).

    `document.write("2023-05-01")` and, for a date, any date literal in the script (`var d = "2023-05-01";
    document.write(d)`); a variable filled elsewhere, a code mapped to a name ... give None.
    """
    written = [m.group("text") for m in _WRITE_RE.finditer(script)]
    if date_field:
        for literal in written + re.findall(r"[\"']([^\"'\n]{6,40})[\"']", script):
            printed, day = find_date(literal)
            if day:
                return printed
        return None
    text = " ".join(clean_value(re.sub(r"<[^>]+>", " ", w)) for w in written).strip()
    return text or None


def _read_block(flow: TextFlow, tokens: list[_Token], others: list[_Token], limit_atom: int,
                lex: FieldLexicon) -> tuple[list[MetaField], dict[str, str]]:
    """The block's fields in printed order, and {field: "script" | "script-unknown"} for values an inline
    script writes (the literal is then the value; an unknown one stays empty)."""
    limit = (limit_atom, 0)
    last = tokens[-1]
    _, line_end = _collect(flow, last.atom, last.end, limit, last.alone)
    first = (tokens[0].atom, tokens[0].start)
    extra = [t for t in others if first <= (t.atom, t.start) < line_end]
    taken = tokens + extra
    taken += _scan_unknown(flow, first, line_end, taken)
    taken.sort(key=lambda t: (t.atom, t.start))
    fields = []
    scripted: dict[str, str] = {}
    for n, t in enumerate(taken):
        stop = (taken[n + 1].atom, taken[n + 1].start) if n + 1 < len(taken) else limit
        raw, end = _collect(flow, t.atom, t.end, stop, t.alone)
        value = _clean(raw)
        if not value and t.field:
            j = _script_in(flow, t.atom, min(end[0], stop[0]))
            if j >= 0:
                literal = script_literal(flow.texts[j], t.field in lex.date_fields)
                scripted.setdefault(t.field, "script" if literal else "script-unknown")
                value = literal or ""
        fields.append(MetaField(label=t.label, field=t.field, value=value))
    return fields, scripted


@dataclass(frozen=True)
class Located:
    """A value read outside the metadata block: the byline under the headline, or an inline script."""

    field: str
    label: str          # as printed ("发布时间", "时间"); "" for an unlabelled date beside 来源
    value: str          # as printed; "" when a script writes a value that is not a literal
    source: str         # byline | script | script-unknown
    context: str        # the printed line around it, or the script snippet (evidence of where it is)


@dataclass
class MetadataRead:
    """What extract_metadata reads of a page, with where each value came from."""

    block: list[MetaField]
    # "" no block; "block" a recognised block; "line" a lone labelled line; "byline" a line or run of
    # only 发布日期 and 来源 ("发布日期：… 来源：…" under the headline), which is no 要素 block;
    # "unrecognised" labels were found but their values could not be told apart (empty, or swallowing
    # the text after the block): such values are no evidence for a deduction.
    layout: str = ""
    scripted: dict[str, str] = field(default_factory=dict)   # block field -> script | script-unknown
    context: str = ""                                       # the block as printed (one line)
    byline: list[Located] = field(default_factory=list)


def _layout(block: list[MetaField], lex: FieldLexicon) -> str:
    known = [m for m in block if m.field]
    empty = sum(1 for m in known if not m.value)
    if any(len(m.value) > lex.max_value for m in known) or (empty >= 2 and 2 * empty >= len(known)):
        return "unrecognised"
    return "block"


def _line_of(flow: TextFlow, atom: int, max_line: int, widest: bool = False) -> tuple[int, int] | None:
    """The atom span of the shortest block element around atom that is a short printed line, else None.

    widest: the largest element around atom whose printed text stays a short line instead (date and 来源
    side by side in sibling spans or divs)."""
    el = flow.owners[atom]
    best = None
    while el is not None:
        span = flow.spans.get(el)
        if span is not None:
            if flow.sizes[span[1]] - flow.sizes[span[0]] > max_line:
                break
            best = span
            if not widest and (el.tag in BLOCK_TAGS or el.tag in ("td", "th", "dd")):
                return best
        el = el.getparent()
    return best


def _line_text(flow: TextFlow, span: tuple[int, int]) -> str:
    return " ".join("".join(flow.texts[j] for j in range(*span) if flow.kinds[j] == TEXT).split())


_TIME_AFTER = re.compile(r"\s*日?\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?")


def _has_time(text: str, printed: str) -> bool:
    at = text.find(printed)
    return ":" in printed or "：" in printed or bool(at >= 0 and _TIME_AFTER.match(text, at + len(printed)))


def _bylines(flow: TextFlow, lex: FieldLexicon, skip: tuple[int, int]) -> list[Located]:
    """The publication date printed under the headline, outside the block [skip): labelled first
    ("发布时间：2023-10-23 08:59", "时间：… 09:41"), else an unlabelled date-time sharing a short line with
    来源 ("2024-05-15 08:58:52 来源：…"). A label followed by a script is read from the script."""
    kinds, texts = flow.kinds, flow.texts
    found: list[Located] = []
    for i, kind in enumerate(kinds):
        if kind != TEXT or flow.in_link[i] or skip[0] <= i < skip[1]:
            continue
        text = texts[i]
        if ":" not in text and "：" not in text:   # every byline label has its colon (most atoms have none)
            continue
        for m in lex.byline_re.finditer(text):
            if not _boundary_ok(text, m.start()):
                continue
            line = _line_of(flow, i, lex.max_line)
            if line is None:
                continue
            raw, end = _collect(flow, i, m.end(), (line[1], 0), False)
            label = _WS.sub("", text[m.start():m.end()]).strip("[]【】［］:：")
            printed, day = find_date(raw)
            if day and raw.strip().startswith(printed[:4]) and (not m.group("weak") or _has_time(raw, printed)):
                found.append(Located(lex.byline_field, label, printed, "byline", _line_text(flow, line)))
                return found
            if not clean_value(raw) and not m.group("weak"):
                j = _script_in(flow, i, end[0])
                if j >= 0:
                    literal = script_literal(texts[j], True)
                    snippet = " ".join(texts[j].split())[:120]
                    found.append(Located(lex.byline_field, label, literal or "",
                                         "script" if literal else "script-unknown", snippet))
                    return found
    for i, kind in enumerate(kinds):
        if kind != TEXT or flow.in_link[i] or skip[0] <= i < skip[1]:
            continue
        text = texts[i]
        if ":" not in text and "：" not in text:
            continue
        for m in lex.label_re.finditer(text):
            if _STRIP_LABEL.sub("", m.group("name")) not in lex.companions or not m.group("colon"):
                continue
            line = _line_of(flow, i, lex.max_line, widest=True)
            if line is None:
                continue
            whole = _line_text(flow, line)
            printed, day = find_date(whole)
            if day and _has_time(whole, printed):
                at = whole.find(printed) + len(printed)
                time = _TIME_AFTER.match(whole, at)
                printed = printed + whole[at:time.end()] if time else printed   # "2024年06月15日08:18"
                found.append(Located(lex.byline_field, "", printed.strip(), "byline", whole))
                return found
    return found




def script_date(scripts: list[str], lex: FieldLexicon | None = None) -> Located | None:
    """A publication date held by an inline script literal: `var pubdate = "2023-05-01"`,
    `"published_at":"2023-05-01 10:00"` in a JSON config, or `document.write("发布日期：2023-05-01")`."""
    lex = lex or load_fields()
    for script in scripts:
        for m in lex.script_key_re.finditer(script):
            printed, day = find_date(m.group("value"))
            if day:
                return Located(lex.byline_field, m.group(0).split(":")[0].split("=")[0].strip(" \"'"),
                               printed, "script", " ".join(m.group(0).split())[:120])
        for m in _WRITE_RE.finditer(script):
            text = re.sub(r"<[^>]+>", " ", m.group("text"))
            label = lex.byline_re.search(text)
            if label:
                printed, day = find_date(text[label.end():])
                if day:
                    return Located(lex.byline_field, _WS.sub("", label.group(0)).strip(":："), printed, "script",
                                   " ".join(m.group(0).split())[:120])
    return None


def read_metadata(tree, flow: TextFlow | None = None) -> MetadataRead:
    """The page's metadata block, its layout, and the byline date outside it. Never raises on odd HTML."""
    lex = load_fields()
    if flow is None:
        body = tree.find("body") if hasattr(tree, "find") else None
        flow = build_flow(body if body is not None else tree)
    found = _drop_false_labels(_scan_known(flow, lex), flow)
    known = [t for t in found if t.field]
    others = [t for t in found if not t.field]
    read = MetadataRead([])
    # The block is the run of labels with the most distinct fields (the first on a tie); a run needs
    # two fields, so one "来源：" in a page footer is not a block.
    best, best_size = None, 1
    for cluster in _clusters(known, flow) if known else []:
        size = len({t.field for t in cluster})
        if size > best_size:
            best, best_size = cluster, size
    span = (0, 0)
    if best is not None:
        region = _common_ancestor([flow.owners[t.atom] for t in best])
        block = _block_of(region)
        region = block if block is not None else region
        span = (best[0].atom, flow.spans.get(region, (0, len(flow.kinds)))[1])
        read.block, read.scripted = _read_block(flow, best, others, span[1], lex)
        read.layout = _layout(read.block, lex)
    else:
        # No block: accept a lone "发布时间：2023-12-20 17:40" line under the title, bounded by its block.
        for t in known:
            if not t.explicit:
                continue
            block = _block_of(flow.owners[t.atom])
            line = flow.spans.get(block)
            if line is None or flow.sizes[line[1]] - flow.sizes[line[0]] > MAX_LONE_BLOCK:
                continue
            in_block = [k for k in known if line[0] <= k.atom < line[1] and k.explicit]
            read.block, read.scripted = _read_block(flow, in_block, others, line[1], lex)
            read.layout = "line"     # the byline may share this line ("来源：… 时间：…"): not skipped
            break
    byline_fields = {lex.byline_field} | {lex.synonyms[c] for c in lex.companions if c in lex.synonyms}
    if read.block and {m.field for m in read.block if m.field} <= byline_fields:
        read.layout = "byline"   # "发布日期：… 来源：…" under the headline: not a 信息公开要素 block
    if read.block:
        read.context = "；".join(f"{m.label}：{m.value}" for m in read.block)[:300]
    if not any(m.field == lex.byline_field and m.value for m in read.block) and lex.byline_field not in read.scripted:
        read.byline = _bylines(flow, lex, span)
    return read


def extract_metadata(tree, flow: TextFlow | None = None) -> list[MetaField]:
    """The page's metadata block in printed order; [] when the page prints none. Never raises on odd HTML."""
    return read_metadata(tree, flow).block
