"""A callback's outputs as the spider hands them to Scrapy: rows gathered per response, never behind a request."""

from scrapy.http import Request

from crawler.items import CrawlEvent, ResponseRows, SiteStatus, StoreRows
from crawler.spiders.site import rows_together


def test_rows_go_out_before_the_requests_that_follow_them():
    """A column found on the homepage (assessment unknown) must be stored before its own page can judge it:
    a request yielded after a row waits until the rows are out."""
    found = StoreRows("columns", [{"column_id": "c1", "assessable": None}])
    other = StoreRows("links", [{"url": "http://site.test/a"}])
    request = Request("http://site.test/c1/")
    event = CrawlEvent("demo", "warning", "提示", "http://site.test/")
    out = list(rows_together(iter([found, request, event, other])))
    assert out[0] is event                     # events are not held
    assert isinstance(out[1], ResponseRows) and out[1].parts == [found, other]
    assert out[2] is request


def test_a_site_status_follows_the_rows_and_requests_before_it():
    row = StoreRows("pages", [{"url": "http://site.test/"}])
    request = Request("http://site.test/next/")
    status = SiteStatus("demo", "unreachable", "首页无法访问")
    out = list(rows_together(iter([row, request, status])))
    assert out == [row, request, status]


def test_what_was_read_before_a_failure_is_kept():
    row = StoreRows("pages", [{"url": "http://site.test/"}])

    def failing():
        yield row
        raise ValueError("bad page")

    out = []
    try:
        for item in rows_together(failing()):
            out.append(item)
    except ValueError:
        pass
    assert out == [row]
