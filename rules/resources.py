"""What is wrong with a linked resource, told from the crawler's check of it (shared by MEDIA and LINK)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rules.context import CheckContext
from rules.snapshot import Link, Page

KIND_NAMES = {"image": "图片", "video": "视频", "audio": "音频", "embed": "嵌入播放器", "attachment": "附件",
              "link": "链接"}
MEDIA_KINDS = ("image", "video", "audio", "embed")
# types an HTML error page is told apart from; an HTML answer is right only for links and iframe players
HTML_TYPES = ("html", "xhtml")

# problem reasons, most fundamental first: a resource gets the first that applies
EMPTY_SRC, UNPLAYABLE, WRONG_TYPE, EMPTY_FILE, UNREACHABLE = (
    "empty_src", "unplayable", "wrong_type", "empty_file", "unreachable")


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str
    confidence: str          # confirmed | suspected
    detail: str              # Chinese, e.g. "HTTP 404", "返回的是网页而不是图片"
    status: int | None = None


def extension(url: str) -> str:
    path = urlsplit(url).path.lower()
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


def is_local_file(url: str) -> bool:
    """A file: address or a bare Windows drive path (C:/Users/…): a file on the author's computer."""
    scheme = url[:8].split(":", 1)[0].lower() if ":" in url[:8] else ""
    return scheme == "file" or (len(scheme) == 1 and scheme.isalpha())


def _expects_html(link: Link) -> bool:
    return link.kind == "link" or (link.kind == "embed" and link.tag.startswith("iframe"))


def _is_html(res) -> bool:
    sniffed = (res.sniffed_type or "").lower()
    if sniffed:
        return sniffed in HTML_TYPES
    return (res.content_type or "").lower().startswith(("text/html", "application/xhtml"))


def problem_of(link: Link, ctx: CheckContext) -> Problem | None:
    """Why this link's target fails a visitor, or None when it works or was never checked."""
    if link.kind != "link":
        if not link.url:
            return Problem(EMPTY_SRC, "confirmed", "地址为空（src 属性为空）")
        played = link.kind in ("video", "audio", "embed") and not link.tag.startswith("a@")  # a@href: a download
        if played and extension(link.url) in ctx.thresholds.media.unplayable_extensions:
            return Problem(UNPLAYABLE, "confirmed", f"浏览器不支持的 {extension(link.url)} 格式")
    if is_local_file(link.url):
        # pasted from a word processor: the address is a file on the editor's own computer, which no visitor
        # has; known from the address alone, nothing is fetched
        return Problem(UNREACHABLE, "confirmed", "地址指向编辑者电脑上的本地文件，访客无法打开")
    res = link.resource
    if res is None or res.outcome == "not_checked":
        return None
    if link.kind in ("video", "audio", "embed") and not link.tag.startswith("a@") \
            and (res.sniffed_type or "").lower() in ("swf", "flv"):
        return Problem(UNPLAYABLE, "confirmed", f"浏览器不支持的 {res.sniffed_type.lower()} 格式")
    ok_status = res.status is not None and 200 <= res.status < 300
    if ok_status and not _expects_html(link) and _is_html(res):
        kind = KIND_NAMES.get(link.kind, "文件")
        return Problem(WRONG_TYPE, "confirmed", f"返回的是网页而不是{kind}", res.status)
    empty = res.content_length == 0 or ((res.sniffed_type or "") == "empty" and res.method != "HEAD")
    if ok_status and link.kind != "link" and empty:
        return Problem(EMPTY_FILE, "confirmed", "文件为空，0字节", res.status)
    # Only 404/403/410 are confirmed (RULEBOOK §6); a failure with no answer at all (redirect loop) is
    # too. Other 4xx (400, 401, 429 ...), 5xx, timeouts and connection failures stay suspected.
    if ok_status and res.outcome == "broken" and res.error:
        # 软404: the page answers 200 but shows an error page; the crawler names the words it found
        return Problem(UNREACHABLE, "confirmed", res.error, res.status)
    if res.status in ctx.thresholds.links.confirmed_statuses:
        return Problem(UNREACHABLE, "confirmed", f"HTTP {res.status}", res.status)
    if res.outcome == "broken" and res.status is None:
        return Problem(UNREACHABLE, "confirmed", _error_text(res.error) or "无法访问", None)
    if res.outcome in ("broken", "suspected") or (res.status is not None and res.status >= 400):
        what = f"HTTP {res.status}" if res.status else (_error_text(res.error) or "请求超时")
        return Problem(UNREACHABLE, "suspected", what, res.status)
    return None


def _error_text(error: str) -> str:
    e = (error or "").lower()
    if not e:
        return ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in e) and len(e) <= 20:
        return error.strip()       # the crawler already says it in Chinese (请求超时, 域名解析失败 ...)
    if "timeout" in e or "timed out" in e or "超时" in e:
        return "请求超时"
    if "dns" in e or "resolve" in e or "name or service" in e or "域名" in e:
        return "域名无法解析"
    if "redirect" in e or "重定向" in e:
        return "重定向循环"
    if "refused" in e or "拒绝" in e:
        return "连接被拒绝"
    if "ssl" in e or "certificate" in e:
        return "证书错误"
    return "无法访问"


def is_interpretation_page(page: Page, column_name: str, ctx: CheckContext) -> bool:
    """A 解读 page (its images are 图解, its videos 视频解读)."""
    where = f"{page.headline} {column_name}"
    return any(m in where for m in ctx.thresholds.media.interpretation_markers)


def link_evidence(link: Link, problem: Problem) -> dict:
    res = link.resource
    ev = {"link_text": link.text, "tag": link.tag, "kind": link.kind, "reason": problem.reason,
          "http_status": problem.status, "internal": link.internal}
    if res is not None:
        ev.update(outcome=res.outcome, content_type=res.content_type, sniffed_type=res.sniffed_type,
                  content_length=res.content_length, error=res.error, final_url=res.final_url,
                  attempts=res.attempts)
    return ev


def page_problems(page: Page, ctx: CheckContext) -> list[tuple[Link, Problem]]:
    """The page's links whose target fails, each (url, kind) once; computed once per page for all rules."""
    def compute():
        out, seen = [], set()
        for link in page.links:
            key = (link.url, link.kind)
            if key in seen:
                continue
            seen.add(key)
            problem = problem_of(link, ctx)
            if problem is not None:
                out.append((link, problem))
        return out
    return ctx.for_page(page, "page_problems", compute)
