"""Spreadsheets as evaluators keep them (xlsx, xls, csv): header found by its column names, row numbers as shown."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable, Mapping

from zwgk.core.config import ConfigError

HEADER_SEARCH_ROWS = 30          # title rows above the header: the header is looked for this far down
HEADER_MAX_CHARS = 12            # a header cell longer than this is read only when it equals a known name
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
_NOTE_IN_HEADER = re.compile(r"[(（][^)）]*[)）]$")   # 首页网址（必填） -> 首页网址


@dataclass(frozen=True)
class Row:
    number: int                  # the row number the spreadsheet shows (1-based, title and empty rows counted)
    values: Mapping[str, str]    # field -> cell text


@dataclass
class Table:
    """The rows below one sheet's header, by field; `where` gives the location text for messages."""

    source: str
    sheet: str                   # sheet name; "" for a csv file
    header_row: int
    headers: dict[str, str]      # field -> the header as printed
    rows: list[Row] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)   # header names of columns that are not read

    def where(self, row: int | None = None, field_name: str | None = None) -> str:
        text = self.source + (f" 工作表“{self.sheet}”" if self.sheet else "")
        if row is not None:
            text += f" 第 {row} 行"
        if field_name:
            text += f" “{self.headers.get(field_name, field_name)}”列"
        return text

    def notes(self) -> list[str]:
        if not self.ignored:
            return []
        return [f"{self.where(self.header_row)}：已忽略未知列 {'、'.join(self.ignored)}"]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))          # 4499000001 typed as a number, not 4499000001.0
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def _fill_merged(grid: list[list[str]], ranges) -> None:
    """A merged cell's value in every cell it covers (ranges: 0-based inclusive (r1, c1, r2, c2))."""
    width = max((len(row) for row in grid), default=0)
    for r1, c1, r2, c2 in ranges:
        top = grid[r1][c1] if r1 < len(grid) and c1 < len(grid[r1]) else ""
        c2 = min(c2, width - 1)         # a range declared over the whole sheet covers only what holds data
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            row = grid[r]
            row.extend([""] * (c2 + 1 - len(row)))
            for c in range(c1, c2 + 1):
                row[c] = top


def _workbook_sheets(path: Path, kind: str) -> list[tuple[str, list[list[str]]]]:
    """Every sheet of an xlsx or xls workbook as a grid of cell texts, merged cells filled in.

    calamine, not openpyxl: openpyxl makes an object per cell of a merged range, so one merge declared over
    the whole sheet takes minutes and gigabytes; calamine gives the ranges and the used area only.
    """
    from python_calamine import CalamineWorkbook

    try:
        with open(path, "rb") as f:     # a file object: calamine then reads the content whatever the name
            wb = CalamineWorkbook.from_filelike(f)
        out = []
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            grid = [[_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
            _fill_merged(grid, [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])])
            out.append((name, grid))
    except Exception as exc:  # calamine raises its own error types for a bad file
        raise ConfigError(f"{path}：无法读取 {kind} 文件（{exc.__class__.__name__}: {exc}）") from exc
    return out


def _csv_sheets(path: Path) -> list[tuple[str, list[list[str]]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):   # Excel in China saves CSV as GBK; gb18030 is its superset
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ConfigError(f"{path}：既不是 UTF-8 也不是 GBK 编码的 CSV 文件")
    try:
        grid = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise ConfigError(f"{path}：CSV 格式错误（{exc}）") from exc
    return [("", grid)]


def _header_key(text: str) -> str:
    text = re.sub(r"[\s*＊:：]+", "", text)
    return _NOTE_IN_HEADER.sub("", text).lower()


def _match_header(cells: list[str], fields: Mapping[str, tuple[str, ...]]) -> tuple[dict[str, int], list[str]]:
    """field -> column for one candidate header row; a header equal to a known name wins over one containing it."""
    found: dict[str, int] = {}
    unknown: list[str] = []
    for c, cell in enumerate(cells):
        key = _header_key(cell)
        if not key:
            continue
        pick = next((f for f, names in fields.items() if f not in found and key in (n.lower() for n in names)), None)
        if pick is None and len(key) <= HEADER_MAX_CHARS:     # a sentence naming 公开路径 is not a header
            contained = [(len(n), f) for f, names in fields.items() if f not in found
                         for n in names if len(n) > 2 and n.lower() in key]
            pick = max(contained)[1] if contained else None
        if pick is None:
            unknown.append(cell.strip())
        else:
            found[pick] = c
    return found, unknown


def read_tables(path: str | Path, fields: Mapping[str, tuple[str, ...]], required: tuple[str, ...],
                what: str) -> tuple[list[Table], list[str]]:
    """Every sheet whose header (within its first rows) names all `required` fields, and a note per sheet
    with content but no such header; raises when no sheet has one.

    `fields` maps a field to the header names it is known by; `what` names the document in messages (网站清单).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"{path}：{what}应为 .xlsx、.xls 或 .csv 文件")
    with open(path, "rb") as f:
        magic = f.read(4)
    # by content, not name: a workbook saved as .xls but named .xlsx (or the reverse) is common
    if magic == b"PK\x03\x04":
        sheets = _workbook_sheets(path, "xlsx")
    elif magic == b"\xd0\xcf\x11\xe0" or suffix == ".xls":
        sheets = _workbook_sheets(path, "xls")
    elif suffix == ".csv":
        sheets = _csv_sheets(path)
    else:
        sheets = _workbook_sheets(path, "xlsx")
    tables, skipped, best = [], [], (0, "", 0, [])   # best partial header, for the message when none is complete
    label = {f: next((n for n in names if not n.isascii()), names[0]) for f, names in fields.items()}
    for name, grid in sheets:
        chosen = None
        for r, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
            found, unknown = _match_header(cells, fields)
            if all(f in found for f in required):
                if chosen is None or len(found) > len(chosen[1]):
                    chosen = (r, found, unknown, cells)
            elif len(found) > best[0]:
                best = (len(found), name, r + 1, [f for f in required if f not in found])
        if chosen is None:
            if any(any(cells) for cells in grid):
                skipped.append(name)
            continue
        r, found, unknown, cells = chosen
        table = Table(str(path), name, r + 1, {f: cells[c].strip() for f, c in found.items()}, ignored=unknown)
        for n, cells in enumerate(grid[r + 1:], start=r + 2):
            values = {f: (cells[c] if c < len(cells) else "") for f, c in found.items()}
            filled = [v for v in values.values() if v]
            if len(filled) >= 2 and len(set(filled)) == 1:
                continue                # a section title merged across the table (一、市政府部门网站)
            if filled:
                table.rows.append(Row(n, values))
        tables.append(table)
    if not tables:
        wanted = "、".join(label[f] for f in required)
        if best[0]:
            sheet = f" 工作表“{best[1]}”" if best[1] else ""
            lacking = "、".join(label[f] for f in best[3])
            raise ConfigError(f"{path}{sheet} 第 {best[2]} 行：表头缺少列 {lacking}（{what}的表头应包含 {wanted}）")
        raise ConfigError(f"{path}：前 {HEADER_SEARCH_ROWS} 行中找不到表头（{what}的表头应包含 {wanted}）")
    wanted = "、".join(label[f] for f in required)
    return tables, [f"{path} 工作表“{name}”：找不到含 {wanted} 的表头，未读取该工作表" for name in skipped]


def write_atomically(path: str | Path, text: str, check: Callable[[Path], object] | None = None) -> None:
    """Write through a temporary file in the same folder and rename: nothing partial is left on any error.

    `check` (e.g. loading the file back) runs on the temporary file; when it raises, `path` is left untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp" + path.suffix,
                               dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if check is not None:
            try:
                check(Path(tmp))
            except ConfigError as exc:   # name the file the user asked for, not the temporary one
                raise ConfigError(str(exc).replace(tmp, str(path))) from exc
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
