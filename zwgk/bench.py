"""`zwgk bench`: benchmarks of crawl, check and report."""

COMMANDS: list = []
