"""Catalogs of 公开事项 (标准目录 / 任务清单): file format, xlsx import, deadlines, and matching to a site's columns.

The format is documented in docs/catalog.md. An item names its 公开路径 (`政府网站>政府信息公开>法定主动
公开内容>规划信息>专项规划`), owner (责任单位) and 公开时限; it is matched to the site's columns by path and
by name with synonyms (RULEBOOK §7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from rules.snapshot import Column, Snapshot
from rules.thresholds import CatalogLexicon, Thresholds, Window, load_thresholds
from zwgk.core.config import ConfigError
from zwgk.core.sheets import SUFFIXES as SHEET_SUFFIXES, read_tables, write_atomically
from zwgk.core.safe_yaml import load_yaml

DEFAULT_CATALOG = Path(__file__).with_name("default_catalog.yaml")
SITE_KINDS = ("portal", "department")

# accepted column names / keys, English or as printed in a 标准目录 or 任务清单 header
KEYS = {
    "name": ("name", "公开事项", "事项名称", "事项", "名称", "二级事项"),
    "path": ("path", "公开路径", "路径", "公开渠道路径"),
    "owner": ("owner", "责任单位", "公开主体", "牵头单位", "责任部门"),
    "deadline": ("deadline", "公开时限", "时限", "更新时限"),
    "synonyms": ("synonyms", "同义词", "别名"),
    "note": ("note", "备注", "说明"),
    "group": ("group", "一级事项", "一级目录", "事项类别"),
}
# 公开路径 separators: `>` and its look-alikes split a path; when a path has none of them, `/` and dashes
# do (`政府网站/政府信息公开/…`), so that `预算/决算` inside a `>` path stays one name with alternatives.
_PATH_SPLIT = re.compile(r"\s*[>＞›»→]\s*")
_PATH_SPLIT_WEAK = re.compile(r"\s*(?:[/／]|—+|–|(?<!\d)[-－]|[-－](?!\d))\s*")   # 2021-2025 stays whole
_PATH_IN_TEXT = re.compile(r"政府网站\s*(?:[>＞›»→/／—–－]|-(?!\d))[^，,。；;\]】〕\n]*")
_NUMBERING = re.compile(r"^\s*(?:\d+|[一二三四五六七八九十]+)\s*[.、．)）]\s*")
_PUNCT = re.compile(r"[\s\"'“”‘’《》「」『』()（）\[\]【】〔〕]+")


class CatalogError(ConfigError):
    """A catalog file that cannot be used; the message names the file and the item."""


# ---- deadlines (公开时限) -------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    """A 公开时限 as understood: continuous, a period, an annual date, or N (working) days after the event."""

    text: str
    kind: str                       # continuous | period | annual | event | once | unknown
    window: Window | None = None    # period
    month: int = 0                  # annual
    day: int = 0
    days: int = 0                   # event
    working: bool = False

    def required_since(self, as_of: date) -> date | None:
        """The oldest date the newest item may have on as_of; None when the 时限 sets no freshness line."""
        if self.kind == "period":
            return self.window.start(as_of)
        if self.kind == "annual":
            due = date(as_of.year, self.month, self.day)
            return date(as_of.year if as_of > due else as_of.year - 1, 1, 1)
        return None


def parse_deadline(value, lexicon: CatalogLexicon) -> Deadline:
    if value is None or value == "":
        return Deadline("", "continuous")
    if isinstance(value, int) and not isinstance(value, bool):
        return Deadline(f"{value}日", "event", days=value)
    text = str(value).strip()
    compact = re.sub(r"\s+", "", text)
    if m := re.search(r"每年(\d{1,2})月(\d{1,2})日", compact):
        month, day = int(m[1]), int(m[2])
        try:
            date(2024, month, day)
        except ValueError:
            return Deadline(text, "unknown")
        return Deadline(text, "annual", month=month, day=day)
    if m := re.search(r"(\d+)个?工作日", compact):
        return Deadline(text, "event", days=int(m[1]), working=True)
    if re.search(r"\d{4}年\d{1,2}月", compact):
        return Deadline(text, "once")
    if m := re.search(r"(\d+)个月", compact):
        return Deadline(text, "period", window=Window(int(m[1]), "m"))
    if m := re.fullmatch(r"(\d+)(?:日|天)?(?:内)?", compact) or re.search(r"(\d+)(?:日|天)内", compact):
        return Deadline(text, "event", days=int(m[1]))
    for key in sorted(lexicon.periods, key=len, reverse=True):
        if key in compact:
            return Deadline(text, "period", window=lexicon.periods[key])
    if any(m in compact for m in lexicon.continuous):
        return Deadline(text, "continuous")
    return Deadline(text, "unknown")


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`, by the official calendar with 调休 days.

    Years the `chinesecalendar` package does not cover fall back to Monday–Friday.
    """
    import chinese_calendar

    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        try:
            work = chinese_calendar.is_workday(day)
        except NotImplementedError:
            work = day.weekday() < 5
        n += work
    return n


# ---- the catalog ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogItem:
    name: str
    path: str
    owner: str = ""
    deadline: str = ""                                   # 公开时限 as written
    deadline_by_kind: Mapping[str, str] = field(default_factory=dict)   # per site kind (portal/department)
    synonyms: tuple[str, ...] = ()
    note: str = ""
    group: str = ""                                      # 一级事项 of a 标准目录 row, as written
    where: str = ""                                      # file and item position, for messages

    def deadline_for(self, site_kind: str) -> str:
        return self.deadline_by_kind.get(site_kind, self.deadline)

    @property
    def segments(self) -> list[str]:
        return split_path(self.path)


@dataclass(frozen=True)
class Catalog:
    name: str
    source: str
    items: tuple[CatalogItem, ...]
    notes: tuple[str, ...] = ()                          # rows skipped and columns ignored when importing

    def merged_with(self, other: "Catalog") -> "Catalog":
        """This catalog plus the items of `other` whose path it does not already list."""
        have = {tuple(_norm(s) for s in i.segments) for i in self.items}
        extra = tuple(i for i in other.items if tuple(_norm(s) for s in i.segments) not in have)
        return Catalog(f"{self.name} + {other.name}", f"{self.source} + {other.source}", self.items + extra)


def _balanced(path: str) -> str:
    """Drop closing brackets that end the surrounding sentence, keep those of `区政府(部门)规范性文件`."""
    path = path.strip()
    while path and path[-1] in ")）" and path.count(path[-1]) > path.count("(" if path[-1] == ")" else "（"):
        path = path[:-1].rstrip()
    return path.rstrip("，,。")


def split_path(path: str) -> list[str]:
    """Segments of a 公开路径 or breadcrumb written with any of the separators evaluators use."""
    path = path or ""
    parts = _PATH_SPLIT.split(path) if _PATH_SPLIT.search(path) else _PATH_SPLIT_WEAK.split(path)
    return [s.strip() for s in parts if s.strip()]


def normalise_path(path: str) -> str:
    """A 公开路径 with its segments joined by `>`, whatever separator it was written with."""
    return ">".join(split_path(path))


def _pick(row: Mapping, key: str):
    for k in KEYS[key]:
        if k in row and row[k] not in (None, ""):
            return row[k]
    return None


def _item_from_mapping(row: Mapping, where: str) -> CatalogItem:
    unknown = [k for k in row if not any(k in names for names in KEYS.values())]
    if unknown:
        known = ", ".join(n for names in KEYS.values() for n in names[:2])
        raise CatalogError(f"{where}: unknown field '{unknown[0]}' (known: {known})")
    path = _pick(row, "path")
    if not isinstance(path, str) or not split_path(path):
        raise CatalogError(f"{where}: field 'path' (公开路径) is required, e.g. 政府网站>政府信息公开>政府信息公开指南")
    name = _pick(row, "name") or split_path(path)[-1]
    deadline = _pick(row, "deadline")
    by_kind: dict[str, str] = {}
    if isinstance(deadline, Mapping):
        bad = [k for k in deadline if k not in SITE_KINDS]
        if bad:
            raise CatalogError(f"{where}: field 'deadline.{bad[0]}': site kind must be portal or department")
        by_kind = {k: str(v) for k, v in deadline.items()}
        deadline = by_kind.get("portal", "")
    synonyms = _pick(row, "synonyms") or ()
    if isinstance(synonyms, str):
        synonyms = tuple(s.strip() for s in re.split(r"[、,，;；|]", synonyms) if s.strip())
    elif not isinstance(synonyms, (list, tuple)):
        raise CatalogError(f"{where}: field 'synonyms' must be a list of names")
    return CatalogItem(name=str(name).strip(), path=normalise_path(str(path)), owner=str(_pick(row, "owner") or "").strip(),
                       deadline=str(deadline if deadline is not None else "").strip(), deadline_by_kind=by_kind,
                       synonyms=tuple(str(s) for s in synonyms), note=str(_pick(row, "note") or ""),
                       group=str(_pick(row, "group") or "").strip(), where=where)


def load_catalog(path: str | Path) -> Catalog:
    """A catalog from YAML (`items:` list) or a spreadsheet (csv, xlsx, xls 标准目录/任务清单)."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(f"{path}: no such catalog file")
    if path.suffix.lower() in SHEET_SUFFIXES:
        return import_table(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise CatalogError(f"{path}: a catalog is .yaml, .yml, .csv, .xlsx or .xls")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise CatalogError(f"{path}: expected a mapping with an 'items' list")
    items = []
    for i, row in enumerate(data["items"]):
        if not isinstance(row, dict):
            raise CatalogError(f"{path}: items[{i}]: expected a mapping (name, path, owner, deadline)")
        items.append(_item_from_mapping(row, f"{path}: items[{i}]"))
    if not items:
        raise CatalogError(f"{path}: the catalog lists no items")
    return Catalog(name=str(data.get("name") or path.stem), source=str(path), items=tuple(items))


def catalog_warnings(catalog: Catalog, lexicon: CatalogLexicon) -> list[str]:
    """公开时限 the checks cannot use (their items are then never judged overdue), one line each."""
    out = []
    for item in catalog.items:
        for text in dict.fromkeys([item.deadline, *item.deadline_by_kind.values()]):
            if parse_deadline(text, lexicon).kind == "unknown":
                out.append(f"{item.where}: 公开时限 {text!r} 无法识别，不判断是否逾期"
                           "（可写：常态、20个工作日、每年1月31日前、半年、30）")
    return out


def default_catalog() -> Catalog:
    return load_catalog(DEFAULT_CATALOG)


def _paths_in_cell(cell: str, roots: Iterable[str]) -> list[str]:
    """The site paths a 公开路径 cell names: every `政府网站>…` in it, else the cell itself when it has segments.

    `1.政府网站>…>A，2.其他渠道` gives one path; `其他渠道` or `公告栏` alone gives none.
    """
    paths = [_balanced(p) for p in _PATH_IN_TEXT.findall(cell)]
    if not paths:
        bare = _NUMBERING.sub("", cell.strip())
        segments = split_path(bare)
        # `/` and dashes also join channel names (`政务新媒体/公告栏`): such a path must start at the site
        sited = _PATH_SPLIT.search(bare) or (segments and (segments[0] in roots or "公开" in segments[0]))
        if len(segments) >= 2 and sited and not re.search(r"[，,。；;\n]", bare):
            paths = [_balanced(bare)]
    return [normalise_path(p) for p in paths if len(split_path(p)) >= 2]


def import_table(path: str | Path) -> Catalog:
    """Items of a csv/xlsx/xls 标准目录/任务清单: the header row names 公开路径 and any of 公开事项/责任单位/公开时限.

    Title rows above the header, unknown columns (序号 …), merged cells and empty rows are allowed; a row
    whose 公开路径 is not a site path is skipped with a note naming the file, sheet, row and column.
    """
    path = Path(path)
    try:
        tables, notes = read_tables(path, KEYS, ("path",), "公开目录")
    except ConfigError as exc:
        raise CatalogError(str(exc)) from exc
    roots = set(load_thresholds().catalog.root_segments)
    items: list[CatalogItem] = []
    for table in tables:
        notes += table.notes()
        for row in table.rows:
            get = lambda key: (row.values.get(key) or "").strip()  # noqa: E731
            cell = get("path")
            paths = _paths_in_cell(cell, roots)
            if not paths:
                why = "为空" if not cell else f"“{cell[:40]}”不是网站栏目路径（应如 政府网站>政府信息公开>…）"
                notes.append(f"{table.where(row.number, 'path')}：{why}，已跳过该行")
                continue
            synonyms = tuple(s.strip() for s in re.split(r"[、,，;；|]", get("synonyms")) if s.strip())
            for p in paths:
                label = get("name")
                name = label if label and len(label) <= 30 and len(paths) == 1 else split_path(p)[-1]
                items.append(CatalogItem(name=name, path=p, owner=get("owner"), deadline=get("deadline"),
                                         synonyms=synonyms, note=get("note"), group=get("group"),
                                         where=table.where(row.number)))
    if not items:
        raise CatalogError(f"{path}：没有可导入的公开事项（没有一行写有 政府网站>… 这样的公开路径）"
                           + "".join(f"\n  {n}" for n in notes[:10]))
    return Catalog(name=path.stem, source=str(path), items=tuple(items), notes=tuple(notes))


def write_catalog_yaml(catalog: Catalog, out: str | Path) -> None:
    data = {"name": catalog.name, "items": []}
    for i in catalog.items:
        row = {"name": i.name, "path": i.path}
        if i.owner:
            row["owner"] = i.owner
        row["deadline"] = dict(i.deadline_by_kind) if i.deadline_by_kind else (i.deadline or "常态")
        if i.synonyms:
            row["synonyms"] = list(i.synonyms)
        if i.note:
            row["note"] = i.note
        if i.group:
            row["group"] = i.group
        data["items"].append(row)
    write_atomically(out, yaml.safe_dump(data, allow_unicode=True, sort_keys=False), check=load_catalog)


def site_catalog(profile: Mapping) -> Catalog:
    """The catalog a site is checked against: the defaults plus the profile's own catalog file."""
    base = default_catalog()
    own = profile.get("catalog") if profile else ""
    if own:
        return base.merged_with(load_catalog(own))
    return base


# ---- matching items to columns ------------------------------------------------------------

def _norm(name: str) -> str:
    return _PUNCT.sub("", name or "")


class Names:
    """Name comparison with suffixes dropped and synonym groups (from the thresholds lexicon)."""

    def __init__(self, lexicon: CatalogLexicon):
        self.suffixes = sorted(lexicon.name_suffixes, key=len, reverse=True)
        self.group: dict[str, set[int]] = {}
        for gi, group in enumerate(lexicon.synonyms):
            for n in group:
                self.group.setdefault(self.key(n), set()).add(gi)
        self.roots = {self.key(r) for r in lexicon.root_segments}

    def key(self, name: str) -> str:
        n = _norm(name)
        for s in self.suffixes:
            if n.endswith(s) and len(n) > len(s) + 1:
                return n[: -len(s)]
        return n

    def same(self, a: str, b: str) -> bool:
        ka, kb = self.key(a), self.key(b)
        if not ka or not kb:
            return False
        return ka == kb or bool(self.group.get(ka, set()) & self.group.get(kb, set()))

    def any_same(self, names: Iterable[str], other: str) -> bool:
        return any(self.same(n, other) for n in names)

    def trim_roots(self, segments: list[str], site_name: str = "") -> list[str]:
        out = list(segments)
        while out and (self.key(out[0]) in self.roots or (site_name and _norm(out[0]) == _norm(site_name))):
            out.pop(0)
        return out


@dataclass(frozen=True)
class ItemMatch:
    """How one catalog item stands on a site."""

    item: CatalogItem
    column: Column | None                 # the matched column (None: missing)
    columns: tuple[Column, ...] = ()      # the matched column and its descendants
    explanation: str = ""                 # a 未涉及 explanation page title or 备注说明 that satisfies the item
    nearest: Column | None = None         # for a missing item: the closest existing ancestor column
    heading: str = ""                     # matched by a menu group heading with no page of its own


def item_names(item: CatalogItem) -> list[str]:
    """The names a column may carry for the item: its name, synonyms, the path's last segment, `/` alternatives."""
    last = item.segments[-1:] if item.segments else []
    names = list(dict.fromkeys([item.name, *item.synonyms, *last]))
    for n in list(names):
        if "/" in n or "／" in n:
            names += [p for p in re.split(r"[/／]", n) if p.strip()]
    return names


def match_catalog(snapshot: Snapshot, catalog: Catalog, thresholds: Thresholds) -> list[ItemMatch]:
    """Each catalog item matched to the site's columns: by configured catalog_path, else by name and path."""
    lex = thresholds.catalog
    names = Names(lex)
    site_name = snapshot.site.name
    # stored breadcrumbs are joined with '>' by the crawler: a '/' in one is part of a column name
    col_segments = {c.column_id: names.trim_roots([x.strip() for x in _PATH_SPLIT.split(c.path) if x.strip()],
                                                  site_name) for c in snapshot.columns}
    children: dict[str, list[Column]] = {}
    for c in snapshot.columns:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    explanations = snapshot.titled(lex.explanation_markers)
    out = []
    for item in catalog.items:
        item_segs = names.trim_roots(item.segments)
        wanted = item_names(item)
        best, best_score = None, 0
        for c in snapshot.columns:
            score = 0
            if c.catalog_path and [names.key(s) for s in names.trim_roots(split_path(c.catalog_path))] == [
                    names.key(s) for s in item_segs]:
                score = 1000
            else:
                segs = col_segments[c.column_id]
                last = segs[-1] if segs else ""
                if names.any_same(wanted, c.name) or (last and names.any_same(wanted, last)):
                    # ancestors named alike break ties between columns of the same name in different branches
                    score = 10 + sum(1 for s in item_segs[:-1] if any(names.same(s, t) for t in segs[:-1]))
            if score > best_score:
                best, best_score = c, score
        if best is None:
            # a menu group heading printed without a page of its own (「信息公开年报」 over 政府年报、部门年报):
            # it lives only as an ancestor in its sub-columns' breadcrumbs; the group is the item's column
            best, group, heading = _heading_group(wanted, item_segs, col_segments, snapshot.columns, names)
            if best is not None:
                note = next((c.note.strip() for c in group if c.note.strip()), "")
                out.append(ItemMatch(item, best, tuple(group), note, heading=heading))
                continue
        if best is None:
            nearest = None
            for seg in reversed(item_segs[:-1]):
                nearest = next((c for c in snapshot.columns if names.same(seg, c.name)), None)
                if nearest:
                    break
            note = next((e.title for e in explanations if any(n and _norm(n) in _norm(e.title) for n in wanted)), "")
            out.append(ItemMatch(item, None, (), note, nearest))
            continue
        family = _descendants(best, children, snapshot.columns)
        note = best.note.strip()
        if not note:
            ids = {c.column_id for c in family}
            note = next((e.title for e in explanations if e.column_id in ids
                         or any(n and _norm(n) in _norm(e.title) for n in wanted)), "")
        out.append(ItemMatch(item, best, tuple(family), note))
    return out


def _heading_group(wanted: list[str], item_segs: list[str], col_segments: dict, columns, names: Names):
    """The columns under a breadcrumb ancestor named like the item (the best placed): (first, group, heading)."""
    groups: dict[tuple[str, ...], tuple[int, str, list[Column]]] = {}
    for c in columns:
        segs = col_segments[c.column_id]
        for i, seg in enumerate(segs[:-1]):
            if names.any_same(wanted, seg):
                prefix = tuple(names.key(s) for s in segs[:i + 1])
                score = sum(1 for s in item_segs[:-1] if any(names.same(s, t) for t in segs[:i]))
                groups.setdefault(prefix, (score, seg, []))[2].append(c)
                break
    if not groups:
        return None, [], ""
    _, heading, group = max(groups.values(), key=lambda g: (g[0], len(g[2])))
    group.sort(key=lambda c: (len(col_segments[c.column_id]), c.url))
    return group[0], group, heading


def _descendants(column: Column, children: dict[str, list[Column]], columns: tuple[Column, ...]) -> list[Column]:
    family, todo, seen = [], [column], set()
    prefix = column.path + ">" if column.path else None
    while todo:
        c = todo.pop(0)
        if c.column_id in seen:
            continue
        seen.add(c.column_id)
        family.append(c)
        todo.extend(children.get(c.column_id, []))
    if prefix:
        family += [c for c in columns if c.column_id not in seen and c.path.startswith(prefix)]
    return family
