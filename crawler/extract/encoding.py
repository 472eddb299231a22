"""Decode a fetched body to text: BOM, HTTP charset, <meta> charset, then what the bytes allow."""

from __future__ import annotations

import codecs
import re

# Labels real Chinese sites print that Python's codec registry does not know.
_ALIASES = {
    "x-gbk": "gbk", "gb_2312": "gb2312", "gb_2312-80": "gb2312", "x-gb2312": "gb2312",
    "csgb2312": "gb2312", "x-euc-cn": "gb2312", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
}
# GB2312 and GBK are subsets of GB18030; decoding with the superset accepts characters pages
# declared as gb2312 routinely contain (e.g. 镕, 堃) without changing any valid GB2312 text.
_GB_FAMILY = {"gb2312", "gbk", "gb18030"}

_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_META_RE = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9_.:\-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _canonical(label: str | None) -> str | None:
    """The codec name for a declared label ('GB2312' -> 'gb2312'), or None when Python has no codec."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A <meta> in ASCII bytes cannot truthfully declare UTF-16/32: the page would not be readable.
    if name.startswith(("utf-16", "utf-32")):
        return None
    return name


_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii"}


def _trust_order(name: str) -> int:
    return 0 if name == "utf-8" else 2 if name in _SINGLE_BYTE else 1


def _codec(name: str) -> str:
    return "gb18030" if name in _GB_FAMILY else name


def _strict(body: bytes, name: str) -> str | None:
    try:
        return body.decode(_codec(name))
    except (UnicodeDecodeError, LookupError):
        return None


def header_charset(content_type_header: str | None) -> str | None:
    """The charset named in a Content-Type header, as a codec name (None when absent or unknown)."""
    if not content_type_header:
        return None
    match = _CHARSET_RE.search(content_type_header)
    return _canonical(match.group(1)) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (<meta charset>, http-equiv, or an XML declaration)."""
    head = body[:4096]
    match = _META_RE.search(head) or _XML_DECL_RE.search(head)
    return _canonical(match.group(1).decode("ascii", "ignore")) if match else None


def decode_body(body: bytes, content_type_header: str | None) -> tuple[str, str]:
    """Return (text, encoding used). Never raises; undecodable bytes become U+FFFD as a last resort."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), name

    declared = [n for n in (header_charset(content_type_header), meta_charset(body)) if n]
    if len(declared) == 2 and _codec(declared[0]) == _codec(declared[1]):
        declared = declared[:1]  # "gbk" vs "gb2312": the same decoding, report the header's label

    # When header and page disagree, believe whichever the bytes support. UTF-8 goes first because
    # GBK bytes almost never form valid UTF-8 while UTF-8 bytes sometimes pass as GB18030; a
    # Western single-byte label goes last because it "decodes" any bytes (servers often send
    # ISO-8859-1 by default for GBK pages), after UTF-8 and GB18030 even when it is alone.
    order = sorted(declared, key=_trust_order)
    if order and "utf-8" not in order and not body.isascii() and _strict(body, "utf-8") is not None:
        # a template's stale <meta charset=gb2312> on a page saved as UTF-8: multi-byte UTF-8 text is
        # practically never valid by chance, while UTF-8 bytes often pass as GB18030 (and read as mojibake)
        order.insert(0, "utf-8")
    if order and order[-1] in _SINGLE_BYTE:
        order[-1:-1] = [n for n in ("utf-8", "gb18030") if n not in order]
    for name in order:
        text = _strict(body, name)
        if text is not None:
            return text, name

    # A declared multi-byte encoding with a stray bad byte (or a body cut mid-character) is still
    # that encoding; only a page that is wrong throughout is re-read as something else.
    lossy = []
    for name in order:
        if name not in _SINGLE_BYTE:
            text = body.decode(_codec(name), errors="replace")
            lossy.append((text.count("\ufffd"), name, text))
    if lossy:
        errors, name, text = min(lossy, key=lambda item: item[0])
        if errors <= max(2, len(text) // 1000):
            return text, name
        # a UTF-8 page with a block pasted in another encoding: most of it still reads as UTF-8 (GBK bytes
        # almost never form valid multi-byte UTF-8), so keep the page readable and lose only the block
        utf8 = next((t for _, n, t in lossy if n == "utf-8"), None)
        if utf8 is not None and sum(1 for c in utf8 if c > "\x7f" and c != "\ufffd") > 2 * utf8.count("\ufffd"):
            return utf8, "utf-8"

    tried = {_codec(n) for n in order}
    for name in ("utf-8", "gb18030"):
        if name not in tried:
            text = _strict(body, name)
            if text is not None:
                return text, name
            text = body.decode(name, errors="replace")
            lossy.append((text.count("\ufffd"), name, text))

    # Nothing decodes cleanly: whichever candidate loses fewest characters (UTF-8 on a tie).
    lossy.sort(key=lambda item: (item[0], item[1] != "utf-8"))
    return lossy[0][2], lossy[0][1]
