"""YAML for files users hand us: safe types only, no duplicate keys, no alias bombs, errors that name the place."""

from __future__ import annotations

import yaml

# A profile, catalog or threshold file has a few thousand nodes; an alias bomb (anchors nesting anchors)
# expands a few kilobytes into billions. Counting the expanded size before building anything bounds both.
MAX_EXPANDED_NODES = 200_000


class YamlError(yaml.YAMLError):
    """A YAML document we refuse; callers that catch yaml.YAMLError report it with their file name."""


class _Loader(yaml.SafeLoader):
    pass


def _where(source: str, node: yaml.Node) -> str:
    line = f"line {node.start_mark.line + 1}"
    return f"{source}, {line}" if source else line


def _check(node: yaml.Node, source: str) -> None:
    """Refuse duplicate mapping keys and documents that expand beyond MAX_EXPANDED_NODES."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YamlError(f"{_where(source, n)}: a recursive alias is not allowed")
        active.add(key)
        total = 1
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if k.value in seen:
                        raise YamlError(f"{_where(source, k)}: duplicate key {k.value!r} "
                                        f"(first on line {seen[k.value]})")
                    seen[k.value] = k.start_mark.line + 1
                total += size(k) + size(v)
                if total > MAX_EXPANDED_NODES:
                    break
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                total += size(item)
                if total > MAX_EXPANDED_NODES:
                    break
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise YamlError(f"{_where(source, n)}: the document expands to more than {MAX_EXPANDED_NODES:,} "
                            "values through aliases (&anchor/*alias); refused")
        sizes[key] = total
        return total

    size(node)


def load_yaml(text: str, source: str = ""):
    """The data of one YAML document (None when empty); a yaml.YAMLError for bad YAML, duplicate keys or alias
    bombs (YamlError for the last two), so callers keep one `except yaml.YAMLError` that names their file."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()
