"""`zwgk page`: what the extractor makes of one saved or fetched page."""

from __future__ import annotations

import dataclasses
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import click

from crawler.extract.encoding import decode_body
from crawler.extract.page import extract_page
from zwgk.core.records import PageExtract

USER_AGENT = "zwgk/0.1 (+政务公开合规检查)"
FETCH_TIMEOUT = 15  # seconds, the homepage-failure line of RULEBOOK §2

_KIND_NAMES = {"article": "文章页", "list": "列表页", "": "未判定"}
_LINK_KINDS = (("link", "超链接"), ("attachment", "附件"), ("image", "图片"), ("video", "视频"),
               ("audio", "音频"), ("embed", "嵌入播放器"))


_SOURCE_NAMES = {"block": "要素区块", "byline": "标题下方的日期行", "body": "正文首行", "script": "页面脚本中的取值",
                 "script-unknown": "由脚本写入，无法读取", "meta": "仅见于<meta>标签", "url": "网址"}
_LAYOUT_NAMES = {"block": "已识别", "line": "单行标注", "byline": "仅有发布日期/来源行（不是要素区块）",
                 "unrecognised": "版式未能识别（取值不作扣分依据）"}


class _SourceError(Exception):
    """A page that could not be read; the message is shown to the user as is."""


def _fetch(url: str) -> tuple[bytes, str | None, str]:
    # HTTP header values travel as bytes; http.client only takes latin-1 text, so the UTF-8 bytes
    # of the Chinese part are passed through that way (servers see the UTF-8 bytes).
    agent = USER_AGENT.encode("utf-8").decode("latin-1")
    request = urllib.request.Request(url, headers={"User-Agent": agent})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 (http/https only)
            return response.read(), response.headers.get("Content-Type"), response.geturl()
    except urllib.error.HTTPError as exc:
        raise _SourceError(f"无法获取页面：{url} 返回 HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise _SourceError(f"无法访问页面：{url}（{exc.reason}）") from None
    except (TimeoutError, OSError) as exc:
        raise _SourceError(f"无法访问页面：{url}（{exc}）") from None
    except ValueError as exc:
        raise _SourceError(f"网址无效：{url}（{exc}）") from None


def _read(source: str, base_url: str | None) -> tuple[str, str, str]:
    """(html, encoding used, page URL) of a saved file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        body, content_type, final_url = _fetch(source)
        text, encoding = decode_body(body, content_type)
        return text, encoding, base_url or final_url
    path = Path(source)
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise _SourceError(f"找不到文件：{source}") from None
    except IsADirectoryError:
        raise _SourceError(f"这是一个目录，不是页面文件：{source}") from None
    except OSError as exc:
        raise _SourceError(f"无法读取文件：{source}（{exc.strerror}）") from None
    text, encoding = decode_body(body, None)
    return text, encoding, base_url or path.resolve().as_uri()


def _as_json(page: PageExtract, url: str, encoding: str) -> str:
    data = {"url": url, "encoding": encoding, **dataclasses.asdict(page)}
    return json.dumps(data, ensure_ascii=False, indent=2)


def _as_text(page: PageExtract, url: str, encoding: str) -> str:
    lines = [
        f"页面：{url}",
        f"编码：{encoding}",
        f"类型：{_KIND_NAMES.get(page.kind_hint, page.kind_hint)}",
        f"标题：{page.title or '（无）'}",
    ]
    if page.breadcrumb:
        lines.append(f"当前位置：{' > '.join(page.breadcrumb)}")
    if page.meta_tags:
        lines.append("页面元数据（<meta>）：" + "；".join(f"{k}={v}" for k, v in page.meta_tags.items()))

    lines.append("")
    if page.metadata:
        lines.append(f"信息公开要素（{len(page.metadata)} 项）：")
        for item in page.metadata:
            field = item.field or "（未识别）"
            value = item.value if item.value else "（空）"
            lines.append(f"  {field}\t［{item.label}］\t{value}")
    else:
        lines.append("信息公开要素：未发现要素区块")
    if page.metadata and page.layout in _LAYOUT_NAMES:
        lines.append(f"要素区块：{_LAYOUT_NAMES[page.layout]}")
    if page.dates:
        lines.append("日期：" + "；".join(f"{k} {v}（{_SOURCE_NAMES.get(page.sources.get(k, ''), '要素区块')}）"
                                        for k, v in page.dates.items()))
    unknown = [k for k, v in page.sources.items() if v == "script-unknown"]
    if unknown:
        lines.append("由脚本写入、无法读取（不视为空）：" + "、".join(unknown))

    if page.entries:
        lines.append("")
        lines.append(f"列表条目（{len(page.entries)} 条）：")
        for entry in page.entries:
            date = entry.date or (f"{entry.date_text}（无法解析）" if entry.date_text else "（无日期）")
            pinned = "[置顶] " if entry.pinned else ""
            lines.append(f"  {date}\t{pinned}{entry.title}\t{entry.url}")
        if page.undated_list:
            lines.append("列表未标注日期：更新时间需从条目页面的发布日期判断")
    if page.pagination:
        lines.append(f"分页（{len(page.pagination)} 页）：")
        lines.extend(f"  {url}" for url in page.pagination)
    if page.script_rendered_list:
        lines.append("列表由脚本加载：栏目内容无法直接评估")
    if page.empty_note:
        lines.append(f"空栏目说明：{page.empty_note}")

    lines.append("")
    counts = {kind: sum(1 for link in page.links if link.kind == kind) for kind, _ in _LINK_KINDS}
    lines.append(f"链接：共 {len(page.links)} 个（" + "，".join(f"{name} {counts[kind]}" for kind, name in _LINK_KINDS) + "）")
    media = [link for link in page.links if link.kind != "link"]
    if media:
        lines.append("附件与多媒体：")
        names = dict(_LINK_KINDS)
        for link in media:
            lines.append(f"  [{names[link.kind]}] {link.text or '（无文字）'}\t{link.url or '（空地址）'}\t{link.tag}")
    if page.nav:
        lines.append(f"导航栏目（{len(page.nav)} 个）：" + "、".join(
            (link.text or "（未印名称）") + ("" if link.url else "（无链接）") for link in page.nav[:30])
                     + ("……" if len(page.nav) > 30 else ""))
    lines.append(f"正文字数：{page.text_len}；内容指纹：{page.body_hash[:12]}")
    return "\n".join(lines)


@click.command("page")
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--url", "base_url", default=None, help="页面的网址（解析相对链接用；默认 file:// 路径或抓取后的网址）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def page_command(source: str, base_url: str | None, as_json: bool) -> None:
    """查看抽取结果：一个已保存的页面文件或网址中的要素、日期、列表条目、分页、链接与多媒体。"""
    try:
        html, encoding, url = _read(source, base_url)
    except _SourceError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    page = extract_page(html, url)
    click.echo(_as_json(page, url, encoding) if as_json else _as_text(page, url, encoding))


COMMANDS: list = [page_command]
