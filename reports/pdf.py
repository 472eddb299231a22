"""The report as PDF: WeasyPrint for a whole report and a split report's overview, headless Chromium for its per-site files."""

from __future__ import annotations

import base64
import ctypes
import html
import io
import json
import logging
import os
import posixpath
import re
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from reports.safe_output import atomic_path
from zwgk import __version__
from zwgk.core.chromium import Chromium, chromium_path

WEASYPRINT_WORKERS = 2     # processes making a split report's per-site PDFs when no Chromium is there
# Sites Chromium prints as one document: its cost is mostly per print (one site 0.45 s, ten 1.4 s); more per
# print gain little and hold more memory (ten: 0.7 GB for the browser, fifty: 1.3 GB)
BATCH_SITES = 10
PRINT_SECONDS = 600        # one batch's print may take this long before Chromium is given up for WeasyPrint
# The per-site files' own links (../report.html, neighbours, snapshots) are resolved against this placeholder
# while printing and written back as relative links: the PDF names no path of the machine that made it.
PLACEHOLDER_BASE = "https://zwgk.invalid/report/sites/"
BLOCKED_SCHEMES = ("http", "https", "file", "ftp", "ws", "wss", "blob", "filesystem")
PAGE_NUMBER_COLOUR = "0.42 0.45 0.50"   # report.css's page-number grey (#6b7280)
PAGE_NUMBER_SIZE, PAGE_NUMBER_Y = 8, 24  # points: report.css's 8pt, in the middle of the 18 mm bottom margin
HELVETICA_WIDTHS = {**{d: 556 for d in "0123456789"}, " ": 278, "/": 278}   # per 1000 of the font size


# The PDF sets every text in Noto Sans SC from the pip-installed font package, so Chinese is real text on a
# machine without any system CJK font; both names the report's CSS and charts ask for resolve to that file.
PDF_FONT_FAMILIES = ("Noto Sans CJK SC", "zwgk-sans")


def pdf_font_file() -> Path:
    """The CJK font file the PDF embeds (Noto Sans SC, SIL OFL 1.1, from the pylopdf-fonts-zh-cn package)."""
    from pylopdf_fonts_zh_cn import sans_path
    return Path(sans_path())


def _pdf_stylesheet(font: Path) -> str:
    url = font.resolve().as_uri()
    faces = "".join(f'@font-face {{ font-family: "{name}"; src: url("{url}"); }}\n' for name in PDF_FONT_FAMILIES)
    # the page margins (running title, page numbers) too: one font in the PDF, not a second subset of the same file
    margins = "".join(f'@{box} {{ font-family: "zwgk-sans" !important; }} ' for box in ("top-right", "bottom-center"))
    return (faces + 'body, body * { font-family: "zwgk-sans", "Noto Sans CJK SC", sans-serif !important; }\n'
            + f"@page {{ {margins}}}\n")


class PdfProblems(logging.Handler):
    """Collects what WeasyPrint and fontTools log while the PDF is made: one line per distinct problem.

    They log per glyph and per rule (thousands of lines on a large report); the user sees each real problem
    once, and notices (INFO, DEBUG) not at all."""

    LOGGERS = ("weasyprint", "weasyprint.progress", "fontTools")

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(record.getMessage().split())[:200]
        if text and text not in self.problems:
            self.problems.append(text)

    def __enter__(self):
        self._saved = []
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self._saved.append((logger, logger.handlers[:], logger.propagate, logger.level))
            logger.handlers, logger.propagate = [self], False
            logger.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc):
        for logger, handlers, propagate, level in self._saved:
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)
        return False


class _PdfRenderer:
    """WeasyPrint set up once (fonts, style sheet, offline fetcher) for one or many report files."""

    def __init__(self):
        with warnings.catch_warnings():
            # WeasyPrint checks fontconfig on import and warns "Expect ugly output" on a machine without system
            # fonts: the PDF brings its own font, so that warning is not a problem here
            warnings.filterwarnings("ignore", message=".*Expect ugly output", category=UserWarning)
            from weasyprint import CSS, HTML
            from weasyprint.text.fonts import FontConfiguration
            from weasyprint.urls import URLFetcher

        font = pdf_font_file()
        font_url = font.resolve().as_uri()

        class ReportFetcher(URLFetcher):
            # Only inline data: URLs and the bundled font may load: a crawled link must never make the renderer
            # go online or read a local file.
            def fetch(self, url, headers=None):
                if url.startswith("file:") and url.split("?")[0] != font_url:
                    raise ValueError(f"URI not allowed in the report PDF: {url}")
                return super().fetch(url, headers)

        self._html = HTML
        self.fetcher = ReportFetcher(allowed_protocols={"data", "file"})
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Expect ugly output", category=UserWarning)
            self.fonts = FontConfiguration()
            self.style = CSS(string=_pdf_stylesheet(font), font_config=self.fonts, url_fetcher=self.fetcher)

    def render(self, html_path: Path, problems: list[str] | None) -> Path:
        pdf_path = html_path.with_suffix(".pdf")
        with PdfProblems() as collected, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Expect ugly output", category=UserWarning)
            with atomic_path(pdf_path) as tmp:
                self._html(string=html_path.read_text(encoding="utf-8"), base_url=None,
                           url_fetcher=self.fetcher).write_pdf(tmp, stylesheets=[self.style], font_config=self.fonts)
        if problems is not None:
            problems.extend(p for p in collected.problems if p not in problems)
        return pdf_path


def render_pdf(html_path: str | Path, problems: list[str] | None = None) -> Path:
    """The PDF of a rendered report, beside it (report.pdf); Chinese set in Noto Sans SC (a pip dependency).

    Problems WeasyPrint logs go to `problems` (one line each), never to the console."""
    return _PdfRenderer().render(Path(html_path), problems)


# ---- WeasyPrint in child processes: started fresh, not forked from the process that holds every finding ------

def die_with_parent() -> None:
    """In a child process: end when the report process ends (a killed report leaves no writer behind)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start_weasyprint(paths: list[Path]) -> tuple[subprocess.Popen, IO[bytes]]:
    """A fresh Python process rendering `paths` with WeasyPrint (it prints one JSON line when done), and the
    file its messages go to: a pipe nobody reads while the browser prints would stall it once full."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    errors = tempfile.TemporaryFile()
    return subprocess.Popen([sys.executable, "-m", "reports.pdf", *map(str, paths)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=errors, preexec_fn=die_with_parent), errors


def _finish_weasyprint(started: tuple[subprocess.Popen, IO[bytes]], problems: list[str]) -> list[Path]:
    child, errors = started
    with errors:
        out, _ = child.communicate()
        lines = out.strip().splitlines()
        if child.returncode != 0 or not lines:
            errors.seek(0)
            last = (errors.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1]
            raise RuntimeError(f"WeasyPrint 子进程失败（退出码 {child.returncode}）：{last}")
    done = json.loads(lines[-1])
    problems.extend(p for p in done["problems"] if p not in problems)
    return [Path(p) for p in done["pdfs"]]


def _main(argv: list[str]) -> None:
    """`python -m reports.pdf FILE.html…`: each file's PDF beside it; the last line printed is the JSON result."""
    problems: list[str] = []
    renderer = _PdfRenderer()
    pdfs = [str(renderer.render(Path(p), problems)) for p in argv]
    print(json.dumps({"pdfs": pdfs, "problems": problems}, ensure_ascii=False))


# ---- per-site files printed by Chromium, many to a document, then cut apart ----------------------------------

def web_font(text: str) -> bytes:
    """The bundled CJK font cut down to the characters of `text`, as a TrueType (glyf) font.

    Chromium's PDF writer embeds a TrueType font as a compact subset but turns CFF outlines (Noto's, and the
    system's Noto CJK) into Type 3 glyph procedures: per-site files 20 times the size, and slower to print."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(pdf_font_file())
    options = subset.Options()
    options.name_IDs, options.notdef_outline, options.hinting = ["*"], True, False
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in text})
    subsetter.subset(font)
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = font.getGlyphOrder(), {}
    for name in glyf.glyphOrder:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))   # cubic CFF to quadratic, clockwise
        glyf.glyphs[name] = pen.glyph()
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    font["glyf"], font["loca"] = glyf, newTable("loca")
    font["head"].glyphDataFormat = 0
    font["post"].formatType, font["post"].extraNames, font["post"].mapping = 3.0, [], {}
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints", "maxContours",
                  "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font.sfntVersion = "\x00\x01\x00\x00"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


_HEAD = re.compile(r"<head[^>]*>(.*?)</head>", re.S | re.I)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)


def _title(text: str) -> str:
    found = _TITLE.search(text)
    return html.unescape(" ".join(found.group(1).split())) if found else ""


def _css_string(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")


def _batch_document(pages: list[tuple[Path, str]], title: str, font: bytes) -> str:
    """One document of several per-site files (path, HTML): each on its own pages, reachable by a named destination.

    Each site's pages form their own page group (alternating page names), so its first page has no running
    title, as when the file is printed alone; page numbers are stamped after the cut, per site. The files' own
    style sheets are kept; their policy is replaced by one that also admits the inline font and the base.
    The font has one weight and none is faked: Chromium draws a faked bold as Type 3 glyphs, which made each
    site's file 5 times the size (570 KB against 110 KB for 4 pages)."""
    head = _HEAD.search(pages[0][1])
    if not head:
        raise ValueError(f"{pages[0][0]}: no <head>")
    parts, anchors = [], []
    for i, (path, text) in enumerate(pages):
        body = _BODY.search(text)
        if not body:
            raise ValueError(f"{path}: no <body>")
        parts.append(f'<section class="zwgk-part zwgk-part-{"ab"[i % 2]}" id="zwgk-part-{i}">{body.group(1)}</section>')
        anchors.append(f'<a href="#zwgk-part-{i}"></a>')
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(PLACEHOLDER_BASE))
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri {origin}; "
              "form-action 'none'")
    face = base64.b64encode(font).decode("ascii")
    style = ("<style>@font-face { font-family: \"zwgk-sans\"; src: url(data:font/ttf;base64," + face + "); }\n"
             'body, body * { font-family: "zwgk-sans", "Noto Sans CJK SC", sans-serif !important; font-synthesis: none; }\n'
             ".zwgk-part { break-before: page; } .zwgk-part:first-of-type { break-before: auto; }\n"
             ".zwgk-part-a { page: zwgk-part-a; } .zwgk-part-b { page: zwgk-part-b; }\n"
             f'@page {{ @top-right {{ content: "{_css_string(title)}"; font-family: "zwgk-sans"; }} '
             "@bottom-center { content: none; } }\n"
             "@page zwgk-part-a:first { @top-right { content: none; } }\n"
             "@page zwgk-part-b:first { @top-right { content: none; } }\n"
             ".zwgk-anchors { position: absolute; width: 0; height: 0; overflow: hidden; }</style>")
    # the empty links make Chromium write each part's start as a named destination: where the cut goes
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}"><base href="{PLACEHOLDER_BASE}">'
            f'{"".join(_STYLE.findall(head.group(1)))}{style}</head>'
            f'<body><nav class="zwgk-anchors">{"".join(anchors)}</nav>{"".join(parts)}</body></html>')


def _relative_link(uri: str) -> str:
    """A link resolved against the placeholder base, back to what the file itself says (../report.html)."""
    if not uri.startswith(PLACEHOLDER_BASE.rsplit("/sites/", 1)[0] + "/"):
        return uri
    parts = urlsplit(uri)
    target = posixpath.relpath(parts.path, urlsplit(PLACEHOLDER_BASE).path.rstrip("/"))
    return target + (f"#{parts.fragment}" if parts.fragment else "")


def _page_number(pdf, page, font, number: int, count: int) -> None:
    """'number / count' centred in the page's bottom margin, in Helvetica (which every PDF reader has)."""
    import pikepdf

    text = f"{number} / {count}"
    left, _, right, _ = (float(v) for v in page.mediabox)
    x = left + (right - left - sum(HELVETICA_WIDTHS[c] for c in text) * PAGE_NUMBER_SIZE / 1000) / 2
    name = page.add_resource(font, pikepdf.Name.Font, prefix="ZwgkPageNumber")
    # the page's own drawing is closed in q … Q first, so whatever state it leaves cannot move the number
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, (
        f"Q\nBT {name} {PAGE_NUMBER_SIZE} Tf {PAGE_NUMBER_COLOUR} rg {x:.2f} {PAGE_NUMBER_Y} Td ({text}) Tj ET\n"
    ).encode("ascii")))


def _cut(pdf: bytes, pages: list[Path], titles: list[str]) -> list[Path]:
    """The printed batch cut at its named destinations into one PDF per site file, numbered per site."""
    import pikepdf
    from pikepdf import Dictionary, Name

    source = pikepdf.open(io.BytesIO(pdf))
    index = {page.objgen: i for i, page in enumerate(source.pages)}
    destinations = source.Root.get("/Dests")
    starts = {}
    for name, dest in (destinations.items() if destinations is not None else []):
        name = str(name).lstrip("/")
        if name.startswith("zwgk-part-") and dest[0].objgen in index:
            starts[int(name.rsplit("-", 1)[1])] = index[dest[0].objgen]
    order = [starts.get(i) for i in range(len(pages))]
    if None in order or order != sorted(order) or len(set(order)) != len(order):
        raise ValueError(f"Chromium 打印的分站点 PDF 无法按网站切分（分界 {order}）")
    producer = str(source.docinfo.get("/Producer", "Skia/PDF"))
    out = []
    for i, path in enumerate(pages):
        end = order[i + 1] if i + 1 < len(order) else len(source.pages)
        part = pikepdf.new()
        part.pages.extend(source.pages[order[i]:end])
        part.docinfo[Name.Title] = titles[i]
        part.docinfo[Name.Creator] = f"zwgk {__version__}"
        part.docinfo[Name.Producer] = f"Chromium ({producer}), pikepdf"
        font = part.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                                             Encoding=Name.WinAnsiEncoding))
        for number, page in enumerate(part.pages, start=1):
            annotations = page.obj.get("/Annots")
            if annotations is not None:
                kept = pikepdf.Array()
                for annotation in annotations:
                    if "/Dest" in annotation:   # the anchors that marked the cut: they point into the batch
                        continue
                    action = annotation.get("/A")
                    if action is not None and "/URI" in action:
                        action.URI = pikepdf.String(_relative_link(str(action.URI)))
                    kept.append(annotation)
                page.obj.Annots = kept
            if number > 1:   # as report.css: the first page of a site's file carries no page number
                _page_number(part, page, font, number, len(part.pages))
        pdf_path = path.with_suffix(".pdf")
        with atomic_path(pdf_path) as tmp:
            part.save(tmp)
        out.append(pdf_path)
    return out


def print_site_pdfs(pages: list[Path], title: str, out: list[Path], batch: int | None = None) -> list[Path]:
    """Each per-site file's PDF beside it, printed by headless Chromium `batch` files to a print; appended to
    `out` as they are written, so a failure keeps what was printed before it.

    Scripts are off and every network request is blocked: the report needs nothing from outside."""
    batch = batch or BATCH_SITES
    # one font for every batch: the characters of all the files, their style sheet's and the running title
    # (the files are read again batch by batch: a province's are 80 MB of text in memory)
    characters = set(title + "0123456789")
    for page in pages:
        characters.update(html.unescape(_TAG.sub("", page.read_text(encoding="utf-8"))))
    font = web_font("".join(characters))
    with tempfile.TemporaryDirectory(prefix="zwgk-pdf-") as folder:
        browser = Chromium(profile_dir=Path(folder))
        try:
            browser.new_page(domains=("Page", "Network"))
            # every scheme that leaves the document (data: stays: the inline font); the policy forbids them too
            browser.call("Network.setBlockedURLs", {"urls": [f"{scheme}:*" for scheme in BLOCKED_SCHEMES]})
            browser.call("Emulation.setScriptExecutionDisabled", {"value": True})
            frame = browser.call("Page.getFrameTree")["frameTree"]["frame"]["id"]
            for start in range(0, len(pages), batch):
                chunk = [(page, page.read_text(encoding="utf-8")) for page in pages[start:start + batch]]
                browser.call("Page.setDocumentContent", {"frameId": frame, "html": _batch_document(chunk, title, font)})
                printed = browser.call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                                           "generateTaggedPDF": False}, timeout=PRINT_SECONDS)
                out.extend(_cut(base64.b64decode(printed["data"]), [path for path, _ in chunk],
                                [_title(text) for _, text in chunk]))
        finally:
            browser.close()
    return out


def render_split_pdfs(overview: Path, sites: list[Path], title: str, problems: list[str]) -> tuple[Path, list[Path]]:
    """A split report's PDFs: the overview in WeasyPrint (its contents list has page numbers) in a child process,
    while Chromium prints the per-site files; WeasyPrint in child processes for those too when Chromium is
    missing or fails (each problem then says so)."""
    children = [_start_weasyprint([overview])]
    site_pdfs: list[Path] = []
    try:
        if chromium_path():
            try:
                print_site_pdfs(sites, title, site_pdfs)
            except Exception as exc:   # noqa: BLE001 — any failure of the browser path (a crash, a PDF that
                # cannot be cut, pikepdf missing): WeasyPrint is a whole alternative, and the problem is said
                problems.append(f"Chromium 打印分站点 PDF 失败（已完成 {len(site_pdfs)} 份），其余改用 WeasyPrint："
                                f"{str(exc)[:200]}")
        else:
            problems.append("本机没有 Chromium，分站点 PDF 改用 WeasyPrint 生成（较慢）")
        left = sites[len(site_pdfs):]
        if left:
            workers = max(1, min(WEASYPRINT_WORKERS, len(left)))
            children += [_start_weasyprint(left[i::workers]) for i in range(workers)]
        overview_pdf, *_ = _finish_weasyprint(children[0], problems)
        for child in children[1:]:
            site_pdfs.extend(_finish_weasyprint(child, problems))
    finally:
        for child, errors in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            errors.close()
    order = {p.with_suffix(".pdf"): i for i, p in enumerate(sites)}
    return overview_pdf, sorted(site_pdfs, key=order.__getitem__)


if __name__ == "__main__":
    _main(sys.argv[1:])
