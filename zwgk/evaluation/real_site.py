"""`zwgk eval site`: the whole pipeline on a saved real site, served on loopback, kept inside its own host.

The mirror is served on 127.0.0.1; the profile maps the site's host name to it (host_map) and forbids every
other host (no_external), so links to other organisations are recorded as not checked, never fetched.
The command also refuses to run where the machine has a network interface other than loopback, unless told
to: a real evaluation's traffic must not leave the machine (run it under `unshare -n`, as `make eval-real`).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from zwgk.core.store import Store
from zwgk.evaluation.mirror import INDEX_FILES, MirrorServer, unpack


def network_interfaces() -> list[str]:
    """The network interfaces this process sees other than loopback (Linux); [] inside `unshare -n`."""
    try:
        return sorted(p.name for p in Path("/sys/class/net").iterdir() if p.name != "lo")
    except OSError:
        return []


def write_profile(path: Path, host: str, address: str, name: str, office: str, site_code: str) -> Path:
    profile = {
        "id": "real", "name": name, "office": office, "site_code": site_code,
        "homepage": f"http://{host}/",
        "allowed_domains": [host],
        "allow_private_hosts": [address.split(":")[0]],
        "host_map": {host: address},
        "no_external": True,
        # our own loopback server: no need to wait between requests, robots.txt is not part of the mirror
        "limits": {"delay": 0, "concurrency_per_host": 4, "obey_robots": False, "timeout": 10},
    }
    path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def in_mirror(url: str, host: str, root: Path) -> bool | None:
    """Whether the mirror holds the file a site URL names (None for other hosts).

    A site URL the mirror does not hold was never saved (the mirroring tool stopped at a depth): its 404
    here says nothing about the real site, so findings about it are artefacts of the mirror."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != host.lower():
        return None
    relative = [p for p in unquote(parts.path).split("/") if p and p not in (".", "..")]
    target = root.joinpath(*relative)
    if target.is_dir():
        return any((target / name).is_file() for name in INDEX_FILES)
    return target.is_file()


def site_summary(store: Store, run_id: int, check_id: int, host: str = "", root: Path | None = None) -> dict:
    """What the run saw and found: pages, columns, resources, findings by rule and confidence.

    With the mirror's root, findings whose target the mirror never saved are counted apart as artefacts."""
    db = store.db
    pages = Counter({f"{kind} {status}": n for kind, status, n in db.execute(
        "SELECT kind, COALESCE(status, 'error'), COUNT(*) FROM pages WHERE run_id=? GROUP BY 1, 2", (run_id,))})
    columns = [dict(r) for r in db.execute(
        "SELECT name, url, cls, level, assessable, reason, hub FROM columns WHERE run_id=? ORDER BY level, url",
        (run_id,))]
    resources = Counter({outcome: n for outcome, n in db.execute(
        "SELECT outcome, COUNT(*) FROM resources WHERE run_id=? GROUP BY 1", (run_id,))})
    findings: dict[str, dict] = {}
    for code, confidence, url, count in db.execute(
            "SELECT code, confidence, url, count FROM findings WHERE check_id=? ORDER BY code", (check_id,)):
        entry = findings.setdefault(f"{code} {confidence}", {"rows": 0, "count": 0, "artefacts": 0})
        entry["rows"] += 1
        entry["count"] += count
        if root is not None and code.startswith(("LINK", "MEDIA")) and in_mirror(url, host, root) is False:
            entry["artefacts"] += 1
    return {"run_id": run_id, "check_id": check_id, "pages": dict(pages), "columns": columns,
            "resources": dict(resources), "findings": findings}


def evaluate_site(source: Path, host: str, as_of: date, workspace: Path, out: Path, name: str, office: str,
                  site_code: str, pdf: bool = False) -> dict:
    """Unpack (if needed), serve, crawl, check, score and report the saved site; returns its summary."""
    from zwgk.pipeline import run_pipeline

    workspace.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zwgk-mirror-") as tmp:
        root = source if source.is_dir() else unpack(source, Path(tmp) / "site")
        with MirrorServer(root) as server:
            profile = write_profile(workspace / "real-site.yaml", host, server.address, name, office, site_code)
            run_id, check_id, _ = run_pipeline([str(profile)], workspace, as_of, "gov2019", out, pdf)
        store = Store(workspace)
        try:
            summary = site_summary(store, run_id, check_id, host, root)
        finally:
            store.close()
    (out / "eval-site.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def format_summary(summary: dict) -> str:
    cols = summary["columns"]
    assessed = sum(1 for c in cols if c["assessable"] == 1)
    lines = [
        f"运行 {summary['run_id']}，检查 {summary['check_id']}",
        "页面：" + "，".join(f"{k} {v}" for k, v in sorted(summary["pages"].items())),
        f"栏目：发现 {len(cols)} 个，可评估 {assessed} 个",
        "资源：" + "，".join(f"{k} {v}" for k, v in sorted(summary["resources"].items())),
        "问题（规则 确定性：条数 / 实例数）：",
    ]
    lines += [f"  {k}：{v['rows']} / {v['count']}" + (f"（其中镜像未保存的目标 {v['artefacts']} 条）" if v["artefacts"] else "")
              for k, v in summary["findings"].items()]
    return "\n".join(lines)
