"""zwgk: compliance crawler and scorer for government websites (政务公开)."""
__version__ = "0.1.0"
