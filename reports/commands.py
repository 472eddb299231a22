"""`zwgk` commands of the reports stage."""

COMMANDS: list = []
