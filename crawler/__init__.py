"""Scrapy crawling of government sites into a snapshot of facts."""
