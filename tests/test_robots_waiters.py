"""robots.txt binds every request that waited for it, not only the first (Scrapy 2.19 let the others through)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

base, middleware = sys.argv[1], sys.argv[2]
fetched = []

class Burst(scrapy.Spider):
    name = "burst"

    async def start(self):
        # all at once, before robots.txt has come back: each one waits for the same parser
        for i in range(6):
            yield scrapy.Request(f"{base}/private/?n={i}", callback=self.parse, errback=lambda f: None)

    def parse(self, response):
        fetched.append(response.url)

mws = {"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None, middleware: 100} \\
    if middleware != "stock" else {}
process = CrawlerProcess({"ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR", "DOWNLOADER_MIDDLEWARES": mws,
                          "TELNETCONSOLE_ENABLED": False})
process.crawl(Burst)
process.start()
print(json.dumps(fetched))
"""


def burst(base: str, middleware: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, base, middleware], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.e2e
def test_every_waiting_request_obeys_robots_txt(fixture_server):
    base = fixture_server.base_url("cityportal")   # its robots.txt: Disallow: /private/
    assert burst(base, "crawler.middlewares.SharedRobotsTxtMiddleware") == []
    # the reason the subclass exists: with Scrapy's own, the requests after the first got through
    assert burst(base, "stock"), "Scrapy's RobotsTxtMiddleware now hands the parser to every waiter: drop ours"
