"""A page read in the reader process is the page read in the crawl's own process; a dead reader loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

import psutil

from crawler.reading import PageReader, read_page
from fixtures.server import SITES_ROOT

BASE = "http://www.example.gov.cn"


def pages():
    """(body, url, role, column class) of fixture pages of every kind: home, lists, letters, articles, GBK."""
    chosen = [("cityportal", "index.html", "home", ""), ("cityportal", "hdjl/ldxx/content_1149.html", "entry", "互动"),
              ("cityportal", "hdjl/ldxx/index.html", "column", "互动")]
    for site in ("cityportal", "fgw", "hanweb", "nyj"):
        articles = sorted(p for p in (SITES_ROOT / site / "www").rglob("*.html")
                          if p.name != "index.html" and "_errors" not in p.parts)[:4]
        chosen += [(site, str(p.relative_to(SITES_ROOT / site / "www")), "entry", "") for p in articles]
    for site, path, role, cls in chosen:
        body = (SITES_ROOT / site / "www" / path).read_bytes()
        yield body, f"{BASE}/{path}", role, cls


def test_the_reader_process_reads_every_page_as_the_crawl_process_does():
    async def read_all(reader):
        return [await reader.read(body, "text/html", url, url, role, cls) for body, url, role, cls in pages()]

    reader = PageReader(offload_after=0)
    try:
        offloaded = asyncio.run(read_all(reader))
    finally:
        reader.close()
    if reader.offload_after is None:   # one core: the reader stays in the crawl's process by design
        assert reader.offloaded == 0
    else:
        assert reader.offloaded == len(offloaded) > 10
    inline = [read_page(body, "text/html", url, url, role, cls) for body, url, role, cls in pages()]
    assert offloaded == inline
    assert any(r.facts for r in inline) and any(r.page.metadata for r in inline) and any(r.text_z for r in inline)


def test_a_killed_reader_process_leaves_reading_to_the_crawl_process():
    async def scenario(reader, items):
        first = await reader.read(*items[0])
        if reader._pool is not None:
            for process in list(reader._pool._processes.values()):
                os.kill(process.pid, signal.SIGKILL)
        rest = [await reader.read(*item) for item in items[1:]]
        return [first, *rest]

    items = [(body, "text/html", url, url, role, cls) for body, url, role, cls in pages()][:4]
    reader = PageReader(offload_after=0)
    try:
        got = asyncio.run(scenario(reader, items))
    finally:
        reader.close()
    assert got == [read_page(*item) for item in items]   # every page read, once, whatever happened to the process
    if reader.failure:
        assert "页面读取进程意外退出" in reader.failure and reader.offload_after is None


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_crawl_killed_outright_leaves_no_reader_behind(tmp_path):
    import subprocess
    import sys
    import time

    script = tmp_path / "crawl_like.py"
    script.write_text(   # the main guard: the reader process is spawned, and spawn imports the main module
        "import asyncio, time\n"
        "from crawler.reading import PageReader\n"
        "if __name__ == '__main__':\n"
        "    reader = PageReader(offload_after=0)\n"
        "    asyncio.run(reader.read(b'<html><body><p>x</p></body></html>', 'text/html', 'http://a/', 'http://a/',"
        " 'entry'))\n"
        "    print(reader.offloaded, flush=True)\n"
        "    time.sleep(300)\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(SITES_ROOT.parents[1])})
    try:
        offloaded = proc.stdout.readline().strip()
        children = psutil.Process(proc.pid).children(recursive=True)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    if offloaded != "1":
        pytest.skip("one core: no reader process is started")
    assert children, "the reader process was not found"
    deadline = time.monotonic() + 60
    while any(_alive(c) for c in children):
        assert time.monotonic() < deadline, "the reader outlived its crawl"
        time.sleep(0.2)
