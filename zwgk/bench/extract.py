"""`zwgk bench extract`: hostile page shapes at n and 4n, the extractor's work and time on each (super-linear growth)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from crawler.extract import page as _page_module
from crawler.extract.page import extract_page

_EXTRACT_DIR = str(Path(_page_module.__file__).resolve().parent)

# One builder per family of page a site can grow without bound; n is the family's size (items, depth …).
SHAPES: dict[str, Callable[[int], str]] = {
    "list_entries": lambda n: "<ul class='list'>" + "".join(
        f"<li><a href='/a/{i}.html'>示例县通知{i}</a><span>2024-01-{i % 28 + 1:02d}</span></li>" for i in range(n))
    + "</ul><div class='page'>共5页 <a href='index_1.html'>下一页</a></div>",
    "links": lambda n: "".join(f"<a href='http://ext{i % 50}.example.cn/p/{i}'>外链{i}</a> " for i in range(n)),
    "metadata_rows": lambda n: "<table>" + "".join(
        f"<tr><td>索引号：</td><td>000{i}/2024-0{i}</td><td>发布日期：</td><td>2024-01-05</td></tr>"
        for i in range(n)) + "</table>",
    "nesting": lambda n: "<div>" * n + "<p>发布日期：2024-01-05</p>" + "</div>" * n,
    "unclosed": lambda n: "<b><font>" * n + "文号：示政发〔2024〕1号",
    "long_line": lambda n: "<p>" + "示例县人民政府办公室关于印发通知的通知，" * n + "</p>",
    "nav_menus": lambda n: "<div class='nav'><ul>" + "".join(
        f"<li><a href='/col{i}/'>栏目{i}</a><ul><li><a href='/col{i}/s/'>子栏目{i}</a></li></ul></li>"
        for i in range(n)) + "</ul></div>",
    "script_text": lambda n: "<script>" + "var a = '<a href=\"/x\">';" * n + "</script><p>正文</p>",
}


def page_of(shape: str, n: int) -> str:
    return f"<html><head><title>示例县人民政府</title></head><body>{SHAPES[shape](n)}</body></html>"


def extraction_work(html: str, url: str = "http://www.example.gov.cn/list/", listing: bool = True) -> int:
    """Python lines the extractor's own modules execute on the page: a count of work, not of seconds, so
    it is the same on a busy machine (parsing in lxml's C code is not counted; it is linear in libxml2)."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if not frame.f_code.co_filename.startswith(_EXTRACT_DIR):
            return None
        count += 1 if event == "line" else 0
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        extract_page(html, url, listing=listing)
    finally:
        sys.settrace(previous)
    return count


def growth(shape: str, n: int, factor: int = 4) -> float:
    """Work at factor × n over work at n: about factor when linear, factor² when quadratic."""
    small = extraction_work(page_of(shape, n))
    large = extraction_work(page_of(shape, n * factor))
    return large / max(small, 1)


def seconds(html: str, repeat: int) -> float:
    """The best of `repeat` extractions (the least disturbed by other work on the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        extract_page(html, "http://www.example.gov.cn/list/")
        best = min(best, time.perf_counter() - start)
    return best


@click.command("extract")
@click.option("--size", type=click.IntRange(10, 100000), default=500, show_default=True, help="每种页面的规模 n（条目、链接、嵌套层数…）。")
@click.option("--repeat", type=click.IntRange(1, 50), default=3, show_default=True, help="每个页面抽取次数（取最快一次）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
def extract_bench_command(size: int, repeat: int, as_json: bool):
    """抽取器在恶意页面形态上的增长：规模 n 与 4n 的耗时比和工作量比（线性约为 4，平方约为 16）。"""
    rows = []
    extract_page(page_of("list_entries", 10), "http://www.example.gov.cn/")  # lexicons load on the first call
    for shape in SHAPES:
        small, large = page_of(shape, size), page_of(shape, size * 4)
        t_small, t_large = seconds(small, repeat), seconds(large, repeat)
        rows.append(dict(shape=shape, size=size, bytes_small=len(small.encode()), bytes_large=len(large.encode()),
                         seconds_small=round(t_small, 4), seconds_large=round(t_large, 4),
                         time_ratio=round(t_large / max(t_small, 1e-9), 2), work_ratio=round(growth(shape, size), 2)))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['shape']:<14} n={r['size']:<6} {r['seconds_small'] * 1000:8.1f} ms → {r['seconds_large'] * 1000:8.1f} ms"
                   f"（4n）  耗时比 {r['time_ratio']:5.2f}  工作量比 {r['work_ratio']:5.2f}")
