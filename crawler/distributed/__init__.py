"""The distributed crawl: a coordinator that seeds and writes, workers that crawl from a shared Redis queue."""
