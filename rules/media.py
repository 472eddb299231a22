"""MEDIA rules: images, audio/video, players and attachments that do not display, play or download (RULEBOOK §6)."""

from __future__ import annotations

from typing import Iterator

from rules.context import CheckContext
from rules.resources import (EMPTY_FILE, EMPTY_SRC, KIND_NAMES, UNPLAYABLE, UNREACHABLE, WRONG_TYPE,
                             is_interpretation_page, link_evidence, page_problems)
from rules.snapshot import Page, Snapshot
from zwgk.core.records import Finding

LINKS_INDICATOR = "功能设计.链接可用性"
_INTERP_NAMES = {"image": "图解图片", "video": "视频解读", "audio": "音频解读", "embed": "解读播放器"}


def _media(page: Page, snapshot: Snapshot, ctx: CheckContext, kinds: tuple[str, ...], reasons: tuple[str, ...],
           confidence: str, template: str) -> Iterator[Finding]:
    column = None
    interp = None
    for link, problem in page_problems(page, ctx):
        if link.kind not in kinds or problem.reason not in reasons or problem.confidence != confidence:
            continue
        if interp is None:
            column = snapshot.column(page.column_id)
            interp = is_interpretation_page(page, column.name if column else "", ctx)
        what = (_INTERP_NAMES if interp else KIND_NAMES).get(link.kind, "文件")
        target = link.url or f"<{link.tag or link.kind}>"
        message = template.format(what=what, detail=problem.detail, url=target, page=page.headline or page.url)
        ev = link_evidence(link, problem)
        ev["interpretation"] = interp
        ev["page_type"] = "解读页面" if interp else "首页" if page.kind == "home" else "其他页面"
        # RULEBOOK §3: outside interpretations, images and media count under 链接可用性 like any link
        indicator = "" if interp else LINKS_INDICATOR
        yield ctx.finding(message, url=link.url, column=column, parent_url=page.url, title=page.headline,
                          evidence=ev, confidence=problem.confidence, indicator=indicator)


_BROKEN = "{what}无法打开（{detail}）：{url}（所在页面：{page}）"


def check_broken_image(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: every image on a page loads (no 404/403/410, DNS failure or refused connection), and
    none points at a file on the editor's own computer (`file:///C:/Users/…`, `C:\\…`: pasted from a word
    processor, no visitor can load it; known from the address, nothing is fetched).

    Why: a broken 图解 or illustration is what a visitor sees first; interpretations "不得出现无法打开等现象".

    Basis: seed 003 (梁平区2021年政务公开任务清单: 图片、音视频解读 "能够正确显示、播放，不得出现无法打开等现象");
    RULEBOOK §6; 国办秘函〔2019〕19号 "多媒体解读".

    Not flagged: images the crawler did not check (out of scope, robots); timeouts and 5xx answers
    (MEDIA009, suspected); wrong type or empty files (MEDIA004, MEDIA005).
    """
    yield from _media(page, snapshot, ctx, ("image",), (UNREACHABLE,), "confirmed", _BROKEN)


def check_broken_video_audio(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: every `<video>`/`<audio>` source (and `<source>` child) loads.

    Why: 视频、音频解读 that do not play fail the 多媒体解读 requirement.

    Basis: seed 003 ("能够正确显示、播放，不得出现无法打开"); RULEBOOK §6.

    Not flagged: sources not checked by the crawler; suspected failures (MEDIA009); Flash formats (MEDIA007).
    """
    yield from _media(page, snapshot, ctx, ("video", "audio"), (UNREACHABLE,), "confirmed", _BROKEN)


def check_broken_embedded_player(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: embedded players (`<iframe>`, `<embed>`, `<object>`) load.

    Why: a player frame showing an error page is a 视频解读 that cannot be watched.

    Basis: seed 003; RULEBOOK §6.

    Not flagged: players not checked; an HTML answer from an `<iframe>` player (that is what a player
    page is); Flash players (MEDIA007).
    """
    yield from _media(page, snapshot, ctx, ("embed",), (UNREACHABLE,), "confirmed", _BROKEN)


def check_media_wrong_content_type(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: an image, audio/video source or `<embed>` that answers 200 with an HTML page (the
    site's error or login page) instead of the media file.

    Why: such a "soft 404" shows as a broken image or a player that never starts, while a status-only
    check calls it fine.

    Basis: RULEBOOK §6 ("loads with the wrong type (an HTML error page served for a `.jpg`)").

    Not flagged: `<iframe>` players (HTML is right for them); answers whose first bytes were not sniffed
    and whose Content-Type is not HTML.
    """
    yield from _media(page, snapshot, ctx, ("image", "video", "audio", "embed"), (WRONG_TYPE,), "confirmed",
                      "{what}无法打开（{detail}）：{url}（所在页面：{page}）")


def check_empty_media_file(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: an image or audio/video file that answers 200 with no content (0 bytes).

    Why: an empty file displays or plays nothing.

    Basis: RULEBOOK §6 ("is empty (0 bytes)").

    Not flagged: files whose size the crawler did not learn (no Content-Length and no body read).
    """
    yield from _media(page, snapshot, ctx, ("image", "video", "audio", "embed"), (EMPTY_FILE,), "confirmed",
                      "{what}无法打开（{detail}）：{url}（所在页面：{page}）")


def check_empty_media_source(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: an `<img>`, `<video>`, `<audio>`, `<source>` or `<embed>` whose `src` is empty.

    Why: the element shows a broken frame; it is usually a 解读 whose file was never uploaded.

    Basis: RULEBOOK §6 ("an empty `<video src="">`").

    Not flagged: elements that get their source from `<source>` children (the crawler records those).
    """
    yield from _media(page, snapshot, ctx, ("image", "video", "audio", "embed"), (EMPTY_SRC,), "confirmed",
                      "{what}地址为空，无法显示或播放（所在页面：{page}）")


def check_unplayable_media_format(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: audio/video or players in a format current browsers cannot play (Flash `.swf`,
    `.flv`).

    Why: Flash support ended in 2020; such a 视频解读 cannot be watched on any current browser.

    Basis: RULEBOOK §6 ("a format a modern browser cannot play (Flash `.swf`)"); seed 003.

    Not flagged: `.flv` or `.swf` offered as a download link (an attachment, not a player); formats not in
    `media.unplayable_extensions`.
    """
    yield from _media(page, snapshot, ctx, ("video", "audio", "embed"), (UNPLAYABLE,), "confirmed",
                      "{what}无法播放（{detail}）：{url}（所在页面：{page}）")


def check_broken_attachment(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: attachments (pdf/doc/docx/xls/xlsx/wps/zip ...) download: no 404/403/410, no HTML
    error page in place of the file, no empty file.

    Why: the attachment is usually the document itself; a dead attachment is a dead link.

    Basis: RULEBOOK §6 ("attachments that fail to download are broken links too"), §3 链接可用性
    (images, attachments and external links count as links); 国办秘函〔2019〕19号 "链接可用性".

    Not flagged: attachments not checked; suspected failures (LINK003).
    """
    yield from _media(page, snapshot, ctx, ("attachment",), (UNREACHABLE, WRONG_TYPE, EMPTY_FILE), "confirmed",
                      "附件无法下载（{detail}）：{url}（所在页面：{page}）")


def check_suspected_broken_media(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: images, audio/video and players that timed out or answered 5xx after retries.

    Why: they may be down for good or only for a moment; evaluators re-check before deducting.

    Basis: RULEBOOK §6 ("timeouts and 5xx are suspected until retried").

    Not flagged: confirmed failures (MEDIA001–MEDIA003).
    """
    yield from _media(page, snapshot, ctx, ("image", "video", "audio", "embed"), (UNREACHABLE,), "suspected",
                      "疑似{what}无法打开（{detail}）：{url}（所在页面：{page}）")
