"""The text of an attachment (xlsx/xls/csv/docx/pdf), bounded in size, rows, pages, time and zip expansion.

A format that cannot be read, or a file past a limit (the site profile's `limits.attachment_*`), comes back
with status 'not_assessed' and the reason: the content rules then say so for that file instead of passing it
silently.
Libraries: python-calamine (xlsx/xls/ods, already used for imports; fast, no per-cell objects), pypdf
(maintained, pure Python, reads the text layer), and zipfile + lxml for docx (its XML is small and plain,
and reading it ourselves lets the zip expansion be checked before anything is inflated).
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

READABLE = {"xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls", "ods": "xlsx", "csv": "csv", "docx": "docx", "pdf": "pdf"}
from zwgk.core.records import ATTACHMENT_SHEET_MARK as SHEET_MARK   # a line "【工作表：name】" starts each sheet


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 20000            # spreadsheet rows (all sheets) / csv rows
    max_pages: int = 200             # pdf pages
    max_seconds: float = 20.0
    max_inflated: int = 100 * 1024 * 1024   # total uncompressed size of a zip-based file (xlsx, docx)
    max_ratio: int = 200             # uncompressed / compressed size of any zip member


@dataclass(frozen=True)
class AttachmentText:
    status: str          # read | not_assessed
    format: str
    text: str = ""
    note: str = ""       # why not assessed ('' when read)


def attachment_format(url: str) -> str:
    """'xlsx', 'xls', 'csv', 'docx', 'pdf' by the URL's file name, '' for any other file."""
    name = unquote(urlsplit(url).path).rsplit("/", 1)[-1].lower()
    return READABLE.get(name.rsplit(".", 1)[-1], "") if "." in name else ""


class _Limit(Exception):
    pass


def _zip_guard(body: bytes, limits: Limits) -> None:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        total = 0
        for info in z.infolist():
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
                raise _Limit(f"压缩比异常（{info.filename}），疑似压缩炸弹（limits.attachment_max_ratio）")
        if total > limits.max_inflated:
            raise _Limit(f"解压后超过 {limits.max_inflated // (1024 * 1024)} MB（limits.attachment_max_inflated_mb）")


def _cell(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return " ".join(str(v).split()) if v is not None else ""


def _sheets(body: bytes, limits: Limits, started: float) -> str:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(body))
    out, rows = [], 0
    for name in wb.sheet_names:
        out.append(f"{SHEET_MARK}{name}】")
        for row in wb.get_sheet_by_name(name).iter_rows():
            rows += 1
            if rows > limits.max_rows:
                raise _Limit(f"超过 {limits.max_rows} 行（limits.attachment_max_rows）")
            if rows % 500 == 0 and time.monotonic() - started > limits.max_seconds:
                raise _Limit(f"读取超过 {limits.max_seconds:g} 秒（limits.attachment_timeout）")
            out.append("\t".join(_cell(v) for v in row))
    return "\n".join(out)


def _csv(body: bytes, limits: Limits) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = body.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("既不是 UTF-8 也不是 GBK 编码")
    out = []
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
        if i >= limits.max_rows:
            raise _Limit(f"超过 {limits.max_rows} 行（limits.attachment_max_rows）")
        out.append("\t".join(" ".join(c.split()) for c in row))
    return "\n".join(out)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(body: bytes) -> str:
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(body)) as z:
        xml = z.read("word/document.xml")
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    out = []
    for el in root.iter(f"{_W}p", f"{_W}tr"):
        if el.tag == f"{_W}tr":
            cells = ["".join(t.text or "" for t in tc.iter(f"{_W}t")) for tc in el.iter(f"{_W}tc")]
            out.append("\t".join(" ".join(c.split()) for c in cells))
        elif not any(a.tag == f"{_W}tc" for a in el.iterancestors()):
            out.append("".join(t.text or "" for t in el.iter(f"{_W}t")))
    return "\n".join(line for line in out if line)


def _pdf(body: bytes, limits: Limits, started: float) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    if len(reader.pages) > limits.max_pages:
        raise _Limit(f"超过 {limits.max_pages} 页（limits.attachment_max_pages）")
    out = []
    for page in reader.pages:
        if time.monotonic() - started > limits.max_seconds:
            raise _Limit(f"读取超过 {limits.max_seconds:g} 秒（limits.attachment_timeout）")
        out.append(page.extract_text() or "")
    text = "\n".join(out)
    if not text.strip():
        raise _Limit("PDF 没有文字层（扫描件），无法读取文字")
    return text


def read_attachment(body: bytes, url: str, limits: Limits = Limits()) -> AttachmentText:
    """The text of one attachment; never raises for a bad file (the reason comes back as not_assessed)."""
    fmt = attachment_format(url)
    if not fmt:
        return AttachmentText("not_assessed", "", note="该格式无法读取文字")
    if len(body) > limits.max_bytes:
        return AttachmentText("not_assessed", fmt, note=f"文件超过 {limits.max_bytes // (1024 * 1024)} MB（limits.attachment_max_mb）")
    started = time.monotonic()
    try:
        if fmt in ("xlsx", "docx") and body[:2] == b"PK":
            _zip_guard(body, limits)
        if fmt in ("xlsx", "xls"):
            text = _sheets(body, limits, started)
        elif fmt == "csv":
            text = _csv(body, limits)
        elif fmt == "docx":
            text = _docx(body)
        else:
            text = _pdf(body, limits, started)
    except _Limit as exc:
        return AttachmentText("not_assessed", fmt, note=str(exc))
    except Exception as exc:  # a broken or mislabelled file: calamine, pypdf and zipfile raise their own types
        return AttachmentText("not_assessed", fmt, note=f"文件无法解析（{type(exc).__name__}）")
    return AttachmentText("read", fmt, text=text)
