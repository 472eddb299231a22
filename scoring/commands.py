"""`zwgk` commands of the scoring stage."""

COMMANDS: list = []
