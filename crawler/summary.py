"""The end-of-crawl summary: counts read back from the store, formatted in Chinese for the evaluator."""

from __future__ import annotations

from zwgk.core.store import Store


def crawl_summary(store: Store, run_id: int, coverage: dict[str, dict] | None = None) -> dict:
    """Per-site figures of one run: pages, columns by class, entries, checks, broken by kind, not assessable,
    and the coverage figures (rules/coverage.py, computed by the caller) when given."""
    db = store.db
    sites = {}
    for site in store.sites(run_id):
        sid = site["site_id"]
        q = lambda sql, *args: db.execute(sql, (run_id, sid, *args)).fetchall()  # noqa: E731
        by_class = {r[0]: r[1] for r in q(
            "SELECT cls, COUNT(*) FROM columns WHERE run_id=? AND site_id=? GROUP BY cls ORDER BY cls")}
        broken = {r[0]: r[1] for r in q(
            "SELECT l.kind, COUNT(DISTINCT l.url) FROM links l JOIN resources r ON r.run_id=l.run_id AND r.url=l.url"
            " WHERE l.run_id=? AND l.site_id=? AND r.outcome IN ('broken','suspected') GROUP BY l.kind")}
        not_assessable = [dict(name=r[0], reason=r[1]) for r in q(
            "SELECT name, reason FROM columns WHERE run_id=? AND site_id=? AND assessable=0 ORDER BY name")]
        rate = db.execute("SELECT * FROM site_requests WHERE run_id=? AND site_id=?", (run_id, sid)).fetchone()
        sites[sid] = dict(
            requests=dict(rate) if rate else None,
            name=site["name"], status=site["status"], error=site["error"],
            pages=q("SELECT COUNT(*) FROM pages WHERE run_id=? AND site_id=?")[0][0],
            pages_failed=q("SELECT COUNT(*) FROM pages WHERE run_id=? AND site_id=? AND (status IS NULL OR status>=400)")[0][0],
            columns=sum(by_class.values()), columns_by_class=by_class,
            entries=q("SELECT COUNT(*) FROM entries WHERE run_id=? AND site_id=?")[0][0],
            links=q("SELECT COUNT(DISTINCT url) FROM links WHERE run_id=? AND site_id=? AND url!=''")[0][0],
            checked=q("SELECT COUNT(DISTINCT l.url) FROM links l JOIN resources r ON r.run_id=l.run_id AND r.url=l.url"
                      " WHERE l.run_id=? AND l.site_id=? AND r.outcome!='not_checked'")[0][0],
            broken_by_kind=broken, not_assessable=not_assessable,
            warnings=q("SELECT COUNT(*) FROM crawl_events WHERE run_id=? AND site_id=?")[0][0],
            coverage=(coverage or {}).get(sid),
        )
    run = store.run(run_id)
    return dict(run_id=run_id, as_of=run["as_of"], status=run["status"], sites=sites)


def format_summary(summary: dict) -> str:
    lines = [f"运行 {summary['run_id']}（评估基准日 {summary['as_of']}，状态：{_STATUS.get(summary['status'], summary['status'])}）"]
    for sid, s in summary["sites"].items():
        lines.append(f"\n■ {s['name']}（{sid}）：{_STATUS.get(s['status'], s['status'])}"
                     + (f" —— {s['error']}" if s["error"] else ""))
        lines.append(f"  页面 {s['pages']}（失败 {s['pages_failed']}），栏目 {s['columns']}，条目 {s['entries']}，"
                     f"链接与资源 {s['links']}（已检查 {s['checked']}）")
        if s["requests"]:
            r = s["requests"]
            per_second = r["requests"] / r["seconds"] if r["seconds"] > 0 else float(r["requests"])
            gap = f"，最小间隔 {r['min_gap_ms'] / 1000:.2f} 秒" if r["min_gap_ms"] is not None else ""
            lines.append(f"  请求 {r['requests']} 次，用时 {r['seconds']:.1f} 秒，平均 {per_second:.1f} 次/秒{gap}，"
                         f"最多同时 {r['max_concurrency']} 个（配置：间隔 ≥ {r['delay']:g} 秒，同时 ≤ {r['concurrency']} 个）"
                         + (f"，已渲染 {r['rendered']} 页" if r["rendered"] else ""))
            if r.get("reused"):
                lines.append(f"  增量抓取：{r['reused']} 个响应未修改（304），沿用上一轮内容；下载 {_size(r['bytes_fetched'])}，"
                             f"沿用 {_size(r['bytes_reused'])}")
        if s["columns_by_class"]:
            lines.append("  栏目分类：" + "、".join(f"{k} {v}" for k, v in s["columns_by_class"].items()))
        if s["broken_by_kind"]:
            lines.append("  无法打开：" + "、".join(f"{_KIND.get(k, k)} {v}" for k, v in s["broken_by_kind"].items()))
        for col in s["not_assessable"]:
            lines.append(f"  无法评估的栏目：{col['name']} —— {col['reason']}")
        cov = s.get("coverage")
        if cov and "columns_discovered" in cov:
            reach = cov["linked_not_reached"]
            lines.append(f"  覆盖：导航栏目 {cov['nav_columns']}，发现栏目 {cov['columns_discovered']}，"
                         f"已评估 {cov['columns_assessed']}，未评估 {cov['columns_not_assessed']}；"
                         f"页面抓取 {cov['pages_fetched']}（失败 {cov['pages_failed']}，未抓取 {cov['pages_skipped']}）")
            lines.append(f"  有链接未到达：上限 {reach['limits']}，robots {reach['robots']}，出错 {reach['errors']}，"
                         f"站外 {reach['offsite']}")
            for why, n in cov["not_assessed_reasons"].items():
                lines.append(f"  未评估原因：{why} {n} 个")
        for note in (cov or {}).get("partial") or []:
            lines.append(f"  部分评估：{note}")
        if cov and not cov.get("sufficient", True):
            lines.append("  覆盖不足，评分将为待定：" + "；".join(cov.get("reasons") or []))
        if s["warnings"]:
            lines.append(f"  抓取提示 {s['warnings']} 条（陷阱链接、页面上限等，见 crawl_events 表）")
    return "\n".join(lines)


def _size(n: int | None) -> str:
    n = n or 0
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


_STATUS = {"done": "完成", "running": "进行中", "interrupted": "已中断，可用 --resume 继续", "crawling": "未完成",
           "unreachable": "无法访问", "failed": "失败", "pending": "未开始"}
_KIND = {"link": "链接", "image": "图片", "video": "视频", "audio": "音频", "embed": "嵌入播放器", "attachment": "附件"}
