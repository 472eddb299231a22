"""The layers stay apart: contracts import no stage, rules run without Scrapy, tooling sits above the stages."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("crawler", "rules", "scoring", "reports")
# What each layer may import of the project's own packages.
ALLOWED = {
    "zwgk/core": {"zwgk.core"},
    "crawler": {"zwgk.core", "crawler"},
    "rules": {"zwgk.core", "rules"},
    "scoring": {"zwgk.core", "scoring", "rules"},
    "reports": {"zwgk.core", "reports", "scoring", "rules"},  # rule texts: 依据, 整改建议
}
OWN = ("zwgk", "crawler", "rules", "scoring", "reports", "fixtures")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _allowed(module: str, allowed: set[str]) -> bool:
    if module == "zwgk":   # `from zwgk import __version__`: the version only
        return True
    return any(module == a or module.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    allowed = ALLOWED[layer]
    offences = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for module in _imports(path):
            if module.split(".")[0] in OWN and not _allowed(module, allowed) \
                    and module != "zwgk.__version__":
                offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offences, "\n".join(offences)


def test_rules_check_a_fixture_without_scrapy_or_the_crawler():
    """rules/ runs on a snapshot with Scrapy, Twisted and the crawler made unimportable."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('scrapy', 'twisted', 'crawler', 'scrapy_redis'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
from zwgk.evaluation.rule_fixtures import all_case_files, load_case, run_case
case = load_case([p for p in all_case_files() if p.suffix == '.yaml' and p.name.startswith('bad_')
                  and not p.with_suffix('.html').exists()][0])
print(len(run_case(case)))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 1


def test_an_older_workspace_gets_the_new_columns(tmp_path):
    """A store made before a column was added keeps working: the column is added with its default."""
    import sqlite3

    from zwgk.core.store import Store

    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / Store.FILENAME)
    db.execute("CREATE TABLE entries_old AS SELECT * FROM entries")
    db.execute("DROP TABLE entries")
    db.execute("CREATE TABLE entries (run_id INTEGER NOT NULL, site_id TEXT NOT NULL, column_id TEXT NOT NULL,"
               " url TEXT NOT NULL, title TEXT NOT NULL, date_text TEXT DEFAULT '', date TEXT,"
               " list_url TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (run_id, site_id, column_id, url))")
    db.execute("INSERT INTO entries VALUES (1, 's', 'c', 'http://x/1', '标题', '', NULL, 'http://x/', 0)")
    db.commit()
    db.close()
    store = Store(tmp_path)
    row = store.db.execute("SELECT pinned FROM entries").fetchone()
    assert row["pinned"] == 0
    store.close()
