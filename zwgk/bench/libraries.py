"""`zwgk bench libraries`: the project's decoder, sniffer and URL key against maintained libraries, on the same inputs."""

from __future__ import annotations

import codecs
import time
from pathlib import Path
from typing import Callable

import click

from crawler.extract.encoding import decode_body, header_charset
from crawler.scope import canonical_url
from crawler.sniff import sniff_type

ROOT = Path(__file__).resolve().parents[2]
TEXT = "阜阳市2023年政务公开工作总结：索引号 003158495/202312-00416，镕堃"   # 镕/堃 are outside GB2312


# ---- body encoding --------------------------------------------------------------------------------------------
def _w3lib(body: bytes, content_type: str | None) -> tuple[str, str]:
    from w3lib.encoding import html_to_unicode
    encoding, text = html_to_unicode(content_type, body)
    return text, encoding


def _dammit(body: bytes, content_type: str | None) -> tuple[str, str]:
    from bs4.dammit import UnicodeDammit
    # the HTTP charset first, as a browser takes it; then BOM, <meta>, charset detection, UTF-8, windows-1252
    known = [header_charset(content_type)] if header_charset(content_type) else []
    dammit = UnicodeDammit(body, known_definite_encodings=known, is_html=True)
    return dammit.unicode_markup or "", dammit.original_encoding or ""


def _dammit_hint(body: bytes, content_type: str | None) -> tuple[str, str]:
    from bs4.dammit import UnicodeDammit
    # the HTTP charset only as a hint, tried after the BOM and the page's own <meta>
    hint = [header_charset(content_type)] if header_charset(content_type) else []
    dammit = UnicodeDammit(body, user_encodings=hint, is_html=True)
    return dammit.unicode_markup or "", dammit.original_encoding or ""


DECODERS: dict[str, Callable[[bytes, str | None], tuple[str, str]]] = {
    "zwgk decode_body": decode_body, "w3lib html_to_unicode": _w3lib, "bs4 UnicodeDammit (header first)": _dammit,
    "bs4 UnicodeDammit (header as hint)": _dammit_hint}


def _page(charset: str | None, body: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return f"<html><head>{meta}<title>政务公开</title></head><body><p>{body}</p></body></html>"


def encoding_cases() -> list[tuple[str, bytes, str | None]]:
    """The decoding cases of tests/test_extract_encoding.py (and the lying servers real sites have): all must read TEXT."""
    bad_byte = _page("utf-8", TEXT * 20).encode("utf-8")
    filler = "<!-- " + "x" * 5000 + " -->"
    return [
        ("GBK, no charset anywhere", _page(None).encode("gbk"), "text/html"),
        ("UTF-8, no charset anywhere", _page(None).encode("utf-8"), None),
        ("GBK, header charset", _page(None).encode("gbk"), "text/html; charset=GBK"),
        ("declared gb2312, GBK-only characters", _page("gb2312").encode("gbk"), None),
        ("<meta charset=GBK>", f'<html><head><meta charset="GBK"></head><body>{TEXT}</body></html>'.encode("gbk"),
         "text/html"),
        ("header GBK, page UTF-8 says so", _page("utf-8").encode("utf-8"), "text/html; charset=gbk"),
        ("header UTF-8, page GBK says so", _page("gb2312").encode("gbk"), "text/html; charset=utf-8"),
        ("header UTF-8 lies, page GBK silent", _page(None).encode("gbk"), "text/html; charset=utf-8"),
        ("header ISO-8859-1 on a GBK page", _page(None).encode("gbk"), "text/html; charset=ISO-8859-1"),
        ("<meta> after the first 4 KB", f"<html><head>{filler}<meta charset=gbk></head><body>{TEXT}</body></html>"
         .encode("utf-8"), None),
        ("UTF-8 BOM, header says GBK", codecs.BOM_UTF8 + _page("gbk").encode("utf-8"), "text/html; charset=gbk"),
        ("UTF-16-LE BOM", codecs.BOM_UTF16_LE + _page("gbk").encode("utf-16-le"), "text/html; charset=gbk"),
        ("UTF-16-BE BOM", codecs.BOM_UTF16_BE + _page("gbk").encode("utf-16-be"), "text/html; charset=gbk"),
        ("one bad byte in declared UTF-8", bad_byte[:200] + b"\xff" + bad_byte[200:], "text/html; charset=utf-8"),
        ("unknown labels, GBK bytes", _page("x-unknown-charset").encode("gbk"), "text/html; charset=bogus"),
    ]


def _timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def corpus_pages(pages_dir: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(pages_dir.glob("*.htm*"))]


def encoding_figures(pages_dir: Path, labels: Path) -> list[dict]:
    import zwgk.evaluation.corpus as corpus

    pages = corpus_pages(pages_dir)
    ours = {name: decode_body(body, None)[0] for name, body in pages}
    cases = encoding_cases()
    rows = []
    for name, decoder in DECODERS.items():
        try:
            decoded = {page: decoder(body, None)[0] for page, body in pages}
        except ImportError as exc:
            rows.append(dict(name=name, missing=str(exc)))
            continue
        cases_ok = [label for label, body, header in cases if TEXT in decoder(body, header)[0]]
        real = corpus.decode_body
        corpus.decode_body = decoder   # the corpus eval with this decoder in the extractor's place
        try:
            report = corpus.evaluate_corpus(pages_dir, labels)["overall"]
        finally:
            corpus.decode_body = real
        seconds = _timed(lambda: [decoder(body, None) for _, body in pages])
        rows.append(dict(
            name=name, cases=len(cases_ok), case_total=len(cases),
            failed=[label for label, _, _ in cases if label not in cases_ok],
            same=sum(decoded[p] == ours[p] for p in ours), pages=len(pages),
            replacement=sum("\ufffd" in t for t in decoded.values()),
            fields=f"{report['fields']['right']}/{report['fields']['labelled']}",
            wrong=report["fields"]["wrong"], lists=f"{report['lists']['newest_right']}/{report['lists']['pages']}",
            nav=f"{report['nav']['found']}/{report['nav']['columns']}",
            ms_per_page=1000 * seconds / max(1, len(pages))))
    return rows


# ---- file-type sniffing ---------------------------------------------------------------------------------------
# Library answers (file extensions) as the project's type names: the rules ask "is it HTML, empty, Flash, …".
_AS_OURS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "gif": "gif", "bmp": "bmp", "pdf": "pdf", "zip": "zip",
            "docx": "zip", "xlsx": "zip", "pptx": "zip", "doc": "ole", "xls": "ole", "ppt": "ole", "msi": "ole",
            "wps": "ole", "rar": "rar", "7z": "7z", "flv": "flv", "swf": "swf", "mp3": "mp3", "ogg": "ogg",
            "webm": "webm", "rtf": "rtf", "mp4": "mp4", "m4v": "mp4", "mov": "mp4", "3gp": "mp4", "m4a": "mp4",
            "webp": "webp", "wav": "wav", "html": "html", "htm": "html", "xml": "xml", "svg": "svg"}


def _puremagic(head: bytes) -> str:
    import puremagic
    if not head:
        return "empty"
    try:
        ext = puremagic.from_string(head)
    except puremagic.PureError:
        return "unknown"
    return _AS_OURS.get(ext.lstrip(".").lower(), "unknown")


def _filetype(head: bytes) -> str:
    import filetype
    if not head:
        return "empty"
    kind = filetype.guess(head)
    return _AS_OURS.get(kind.extension, "unknown") if kind else "unknown"


SNIFFERS: dict[str, Callable[[bytes], str]] = {"zwgk sniff_type": sniff_type, "puremagic": _puremagic,
                                               "filetype": _filetype}
# What each fixture file suffix really is, in the project's names.
_EXPECTED = {"png": "png", "jpg": "jpeg", "pdf": "pdf", "xlsx": "zip", "docx": "zip", "zip": "zip", "wps": "ole",
             "mp4": "mp4", "mp3": "mp3", "swf": "swf", "gif": "gif", "txt": "unknown", "js": "unknown",
             "css": "unknown", "json": "unknown"}


def sniff_samples() -> list[tuple[str, bytes, str]]:
    """Every media and attachment file of the fixture sites, the binary makers' files, and the wrong bodies
    the rules look for (an HTML error page served as an image, an empty file)."""
    from fixtures import binary_files

    samples = []
    for path in sorted((ROOT / "fixtures" / "sites").glob("*/www/**/*")):
        kind = path.suffix.lstrip(".").lower()
        if path.is_file() and kind in _EXPECTED:
            samples.append((str(path.relative_to(ROOT)), path.read_bytes()[:2048], _EXPECTED[kind]))
    for kind in ("jpeg", "gif", "png", "pdf", "docx", "xlsx", "zip_file", "wps", "mp4", "mp3", "swf"):
        body = binary_files.make("xlsx") if kind == "xlsx" else getattr(binary_files, kind)("示例")
        samples.append((f"fixtures.binary_files.{kind}", body[:2048], _EXPECTED.get(kind, {"jpeg": "jpeg",
                        "zip_file": "zip"}.get(kind, kind))))
    error_page = "<!DOCTYPE html><html><head><title>404</title></head><body>页面不存在</body></html>".encode()
    samples += [("HTML error page served as .jpg", error_page, "html"),
                ("HTML after a BOM and blank lines", b"\xef\xbb\xbf\r\n\r\n" + error_page, "html"),
                ("<html> without doctype", b"<html><body>404</body></html>", "html"),
                ("empty body", b"", "empty"),
                ("SVG image", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "svg")]
    return samples


def sniff_figures() -> list[dict]:
    samples = sniff_samples()
    rows = []
    for name, sniffer in SNIFFERS.items():
        try:
            got = [(label, expected, sniffer(head)) for label, head, expected in samples]
        except ImportError as exc:
            rows.append(dict(name=name, missing=str(exc)))
            continue
        seconds = _timed(lambda: [sniffer(head) for _, head, _ in samples * 20])
        rows.append(dict(name=name, right=sum(e == g for _, e, g in got), total=len(samples),
                         html_right=sum(e == g for _, e, g in got if e in ("html", "empty")),
                         html_total=sum(e in ("html", "empty") for _, _, e in samples),
                         wrong=[f"{label}: {g} (is {e})" for label, e, g in got if e != g],
                         us_per_file=1e6 * seconds / (len(samples) * 20)))
    return rows


# ---- URL keys -------------------------------------------------------------------------------------------------
def corpus_links(pages_dir: Path, labels: Path) -> list[str]:
    from crawler.extract.page import extract_page
    from zwgk.evaluation.corpus import load_labels

    urls = []
    for label in load_labels(labels):
        path = pages_dir / label["file"]
        if path.exists() and label.get("url"):
            page = extract_page(decode_body(path.read_bytes(), None)[0], label["url"])
            urls += [link.url for link in page.links if link.url.startswith(("http://", "https://"))]
    return urls


def url_figures(pages_dir: Path, labels: Path) -> dict:
    from w3lib.url import canonicalize_url, safe_url_string

    urls = corpus_links(pages_dir, labels)
    ours = [canonical_url(u) for u in urls]
    theirs = [canonicalize_url(u) for u in urls]
    merged = {}   # URLs w3lib gives one key that the project keeps apart (parameter order, escaping)
    for u, o, t in zip(urls, ours, theirs):
        merged.setdefault(t, set()).add(o)
    return dict(
        links=len(urls), distinct_ours=len(set(ours)), distinct_w3lib=len(set(theirs)),
        differ=sum(o != t for o, t in zip(ours, theirs)),
        differ_after_escaping=sum(o != t for o, t in zip((canonical_url(safe_url_string(u)) for u in urls), theirs)),
        merged_by_w3lib=sum(len(v) - 1 for v in merged.values()),
        examples=[(u, o, t) for u, o, t in zip(urls, ours, theirs) if o != t][:5],
        us_ours=1e6 * _timed(lambda: [canonical_url(u) for u in urls]) / max(1, len(urls)),
        us_w3lib=1e6 * _timed(lambda: [canonicalize_url(u) for u in urls]) / max(1, len(urls)),
        us_safe=1e6 * _timed(lambda: [safe_url_string(u) for u in urls]) / max(1, len(urls)))


@click.command("libraries")
@click.argument("pages_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--labels", type=click.Path(dir_okay=False, exists=True), help="标注文件（默认 PAGES_DIR 上一级的 pages.yaml）")
def libraries_bench_command(pages_dir: str, labels: str | None) -> None:
    """本项目的解码、文件类型识别、URL 规范化与成熟库（w3lib、bs4、puremagic、filetype）在同一输入上的对比。"""
    pages = Path(pages_dir)
    labels_path = Path(labels) if labels else pages.parent / "pages.yaml"
    click.echo("## Body encoding\n")
    click.echo("| decoder | project cases | corpus pages decoded as zwgk | pages with U+FFFD | labelled fields |"
               " wrong | list newest date | nav | ms/page |")
    click.echo("|---|---|---|---|---|---|---|---|---|")
    for r in encoding_figures(pages, labels_path):
        if "missing" in r:
            click.echo(f"| {r['name']} | not installed: {r['missing']} |")
            continue
        click.echo(f"| {r['name']} | {r['cases']}/{r['case_total']} | {r['same']}/{r['pages']} | {r['replacement']} |"
                   f" {r['fields']} | {r['wrong']} | {r['lists']} | {r['nav']} | {r['ms_per_page']:.2f} |")
        for label in r["failed"]:
            click.echo(f"|  ↳ fails: {label} |")
    click.echo("\n## File-type sniffing\n")
    click.echo("| sniffer | right | HTML/empty right | µs/file |\n|---|---|---|---|")
    for r in sniff_figures():
        if "missing" in r:
            click.echo(f"| {r['name']} | not installed: {r['missing']} |")
            continue
        click.echo(f"| {r['name']} | {r['right']}/{r['total']} | {r['html_right']}/{r['html_total']} |"
                   f" {r['us_per_file']:.1f} |")
        for line in r["wrong"]:
            click.echo(f"|  ↳ {line} |")
    u = url_figures(pages, labels_path)
    click.echo("\n## URL keys\n")
    click.echo(f"links {u['links']}; distinct keys: zwgk canonical_url {u['distinct_ours']}, w3lib canonicalize_url"
               f" {u['distinct_w3lib']}; keys that differ {u['differ']} ({u['differ_after_escaping']} after"
               f" safe_url_string); URLs w3lib merges that zwgk keeps apart {u['merged_by_w3lib']}")
    click.echo(f"µs/URL: canonical_url {u['us_ours']:.1f}, canonicalize_url {u['us_w3lib']:.1f},"
               f" safe_url_string {u['us_safe']:.1f}")
    for example in u["examples"]:
        click.echo(f"  {example}")
