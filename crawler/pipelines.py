"""RecordStorePipeline: writes the spider's rows into the workspace store in short batched transactions."""

from __future__ import annotations

import time
from collections import defaultdict

from crawler.items import CrawlEvent, ResponseRows, SiteStatus, StoreRows
from zwgk.core.store import Store


class RecordStorePipeline:
    """Batches rows per table; flushes by size or age and always on close, so a stop loses nothing queued."""

    def __init__(self, workspace: str, run_id: int, batch_rows: int, batch_seconds: float):
        self.store = Store(workspace)
        self.run_id = run_id
        self.batch_rows = batch_rows
        self.batch_seconds = batch_seconds
        self.pending: dict[str, list[dict]] = defaultdict(list)
        self.pending_count = 0
        self.last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s["ZWGK_WORKSPACE"], s.getint("ZWGK_RUN_ID"), s.getint("ZWGK_BATCH_ROWS"),
                   s.getfloat("ZWGK_BATCH_SECONDS"))

    def process_item(self, item):
        if isinstance(item, (StoreRows, ResponseRows)):
            for part in item.parts if isinstance(item, ResponseRows) else (item,):
                self.pending[part.table].extend(part.rows)
                self.pending_count += len(part.rows)
            if self.pending_count >= self.batch_rows or time.monotonic() - self.last_flush > self.batch_seconds:
                self.flush()
        elif isinstance(item, SiteStatus):
            self.flush()  # a site's status is only true once its rows are stored
            self.store.set_site_status(self.run_id, item.site_id, item.status, item.error)
        elif isinstance(item, CrawlEvent):
            self.store.log_event(self.run_id, item.site_id, item.level, item.message, item.url)
        return item

    def flush(self) -> None:
        # pages before the rows that refer to them; resources last so a page's own check wins ties; one
        # transaction for the whole batch
        self.store.write_tables([(table, self.pending[table]) for table in sorted(self.pending, key=_TABLE_ORDER.get)],
                                replace=True)
        self.pending.clear()
        self.pending_count = 0
        self.last_flush = time.monotonic()

    def close_spider(self):
        self.flush()
        self.store.settle_pages(self.run_id)
        self.store.close()


_TABLE_ORDER = {"columns": 0, "pages": 1, "metadata": 2, "entries": 3, "links": 4, "resources": 5, "page_bodies": 6,
                "page_texts": 7, "attachment_texts": 8}
