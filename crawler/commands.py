"""`zwgk` commands of the crawler stage."""

COMMANDS: list = []
