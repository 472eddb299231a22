"""`zwgk` commands of the rules stage."""

COMMANDS: list = []
