"""Output safety: spreadsheet cells that cannot run as formulas, file names that stay in the output folder, and
files that are whole or absent."""

from __future__ import annotations

import os
import re
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# A spreadsheet treats a cell beginning with one of these as a formula (or a DDE call when opened from CSV);
# crawled text (titles, link text, snippets) can begin with anything, so such cells get a leading apostrophe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Windows cannot create these names whatever the extension, and a share opened on Windows is common.
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# Separators, NUL and control characters, and what Windows forbids in a name.
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]+')
# Most file systems cap a name at 255 bytes; leave room for a "-2" suffix and the extension.
_MAX_NAME_BYTES = 180


# Control characters XML 1.0 cannot carry: openpyxl refuses them, and other tools choke on them in CSV.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Excel keeps at most 32,767 characters in a cell.
MAX_CELL_CHARS = 32000


def neutralise_cell(value):
    """The value as it may safely go into a CSV or xlsx cell: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def spreadsheet_cell(value):
    """A value cleaned for a spreadsheet: illegal control characters dropped, length capped, formulas quoted.

    Characters are dropped before quoting, so a hidden control character cannot smuggle a leading '='."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL_XML.sub("", value)
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - 1] + "…"
    return neutralise_cell(value)


def safe_filename(name: str, fallback: str = "未命名") -> str:
    """A readable file name (without extension) from an office or site name that cannot leave its folder.

    Chinese stays as it is; separators, NUL, control characters and Windows-forbidden characters become
    '_', leading and trailing dots and spaces go (so '..' cannot survive), reserved device names get a
    leading '_', and the name is cut to a length every file system accepts.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = _UNSAFE_CHARS.sub("_", text)
    text = re.sub(r"\.{2,}", "_", text)  # '..' is harmless without separators, but reads like a path
    text = re.sub(r"_+", "_", re.sub(r"\s+", " ", text)).strip(" ._")
    if not text.strip("_ ."):
        text = fallback
    if text.split(".")[0].upper().rstrip(" ") in _RESERVED:
        text = "_" + text
    encoded = text.encode("utf-8")
    if len(encoded) > _MAX_NAME_BYTES:
        text = encoded[:_MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" .")
    return text


def unique_filenames(names: list[str], fallback: str = "未命名", reserved: tuple[str, ...] = ()) -> dict[str, str]:
    """Safe, distinct file names for distinct names: two offices that clean up to the same name get -2, -3;
    `reserved` names (such as the index file's) are never given out."""
    out: dict[str, str] = {}
    taken: set[str] = {r.casefold() for r in reserved}
    for name in names:
        if name in out:
            continue
        base = safe_filename(name, fallback)
        candidate, n = base, 1
        # compare case-insensitively: Windows and macOS folders would merge 'A' and 'a'
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate.casefold())
        out[name] = candidate
    return out


class UnsafeOutputPath(ValueError):
    """A path built for an output file would land outside the output folder."""


def confined_path(out_dir: str | Path, *parts: str) -> Path:
    """out_dir joined with parts, refused (UnsafeOutputPath) unless it resolves inside out_dir."""
    root = Path(out_dir).resolve()
    target = root.joinpath(*parts).resolve()
    if target == root or not target.is_relative_to(root):
        raise UnsafeOutputPath(f"输出路径越出输出目录：{target}（输出目录 {root}）")
    return target


def is_web_url(url: str) -> bool:
    """True for http(s) URLs only: other schemes (javascript:, data:, file:) are never made clickable."""
    return isinstance(url, str) and re.match(r"(?i)^https?://[^\s]+$", url.strip()) is not None


PARTIAL_SUFFIX = ".partial"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A name beside `path` to write the file under; renamed onto `path` once the writing is done.

    A report killed mid-write (kill -9, power loss) then leaves the previous file or none, never a truncated
    one that reads as complete. The name is fixed (.<name>.partial), so rewriting the output reuses and
    replaces what a killed writer left, and remove_partials clears the rest."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}{PARTIAL_SUFFIX}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_partials(*folders: str | Path) -> int:
    """Delete what writers killed mid-write left in these folders (see atomic_path); returns how many."""
    found = [p for folder in folders for p in Path(folder).glob(f".*{PARTIAL_SUFFIX}") if p.is_file()]
    for p in found:
        p.unlink(missing_ok=True)
    return len(found)
