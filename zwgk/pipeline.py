"""`zwgk run` and `zwgk demo`: the stages chained."""

COMMANDS: list = []
