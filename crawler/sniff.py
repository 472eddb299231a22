"""What a resource really is, told by its first bytes (an HTML error page served as `.jpg`, a 0-byte file)."""

from __future__ import annotations

_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"%PDF", "pdf"),
    (b"PK\x03\x04", "zip"),            # also docx / xlsx / pptx / ofd
    (b"\xd0\xcf\x11\xe0", "ole"),      # doc / xls / wps / et
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf", "7z"),
    (b"FLV", "flv"),
    (b"FWS", "swf"),
    (b"CWS", "swf"),
    (b"ZWS", "swf"),
    (b"ID3", "mp3"),
    (b"OggS", "ogg"),
    (b"\x1aE\xdf\xa3", "webm"),
    (b"{\\rtf", "rtf"),
)


def sniff_type(head: bytes) -> str:
    """A short type name for the first bytes of a body: 'empty', 'html', 'jpeg', 'mp4', ... or 'unknown'."""
    if not head:
        return "empty"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    text = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<script")) \
            or (text.startswith(b"<") and b"<html" in head[:2048].lower()):
        return "html"
    if text.startswith(b"<?xml") or text.startswith(b"<svg"):
        return "svg" if b"<svg" in head[:1024].lower() else "xml"
    return "unknown"
