"""SRCH rules: 站内搜索 — the homepage search form submitted with a recent title finds that page."""

from __future__ import annotations

from typing import Iterator

from rules.context import CheckContext, NotAssessed
from rules.integrity import host_of, registrable_domain
from rules.snapshot import Snapshot
from zwgk.core.records import Finding


def _external(action: str, snapshot: Snapshot, ctx: CheckContext) -> bool:
    home = snapshot.home
    own = {registrable_domain(host_of(u), ctx) for u in (ctx.site.homepage, home.url if home else "") if u}
    return registrable_domain(host_of(action), ctx) not in own


def check_site_search_not_working(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage's search form (a form with a text input named q, searchword, keyword …),
    submitted once after the crawl with the title of a recent page the crawl read (at least a week older
    than the site's newest item, so that the search index has had time), answers with a results page that
    lists that page (a link to it, or its title in a link).

    Why: a site search that errs or finds nothing of the site's own recent information leaves visitors to
    browse column by column; the national checklist asks that search work.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》功能设计（搜索功能：能按标题检索本站信息）；
    《政府网站发展指引》（国办发〔2017〕47号）“搜索查询”.

    Not flagged: a results page that does not list the page but prints no "no result" phrase (it may be
    filled by a script: listed for review); a timeout or server error (suspected, not deducted). Not
    assessed when the homepage shows no search form (it may be written by a script), no dated title was
    read, or the search is an external service the evaluation may not or could not reach (no_external,
    robots.txt, connection failure).
    """
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查站内搜索")
    if not home.facts or "search_form" not in home.facts:
        raise NotAssessed("抓取数据中没有站内搜索记录（需用新版 zwgk crawl 重新抓取）")
    form = home.facts.get("search_form")
    if not form:
        raise NotAssessed("首页未识别出站内搜索表单（搜索框可能由脚本生成），未评估站内搜索")
    done = [p for p in snapshot.pages_of_kind("search") if (p.facts or {}).get("search")]
    if not done:
        raise NotAssessed("未读取到带日期的近期信息标题（或站点未抓取完成），未提交站内搜索")
    s = done[0].facts["search"]
    action, query = str(s.get("action", "")), str(s.get("query", ""))
    external = _external(action, snapshot, ctx)
    where = f"站外搜索服务（{host_of(action)}）" if external else "站内搜索"
    error = done[0].error
    evidence = {"query": query, "results_url": s.get("results_url") or done[0].url, "target_url": s.get("target_url"),
                "target_title": s.get("target_title"), "target_date": s.get("target_date"), "action": action,
                "method": s.get("method"), "external": external}
    if s.get("outcome") == "not_checked":
        raise NotAssessed(f"{where}未访问：{error.removeprefix('未检查：')}")
    if done[0].status is None or (done[0].status >= 500) or done[0].status in (408, 429):
        if external:
            raise NotAssessed(f"{where}无法访问（{error or done[0].status}），未评估站内搜索")
        yield ctx.finding(f"站内搜索结果页疑似无法打开（{error or f'HTTP {done[0].status}'}），搜索词“{query}”，请复核",
                          url=done[0].url, confidence="suspected", evidence={**evidence, "error": error,
                                                                              "status": done[0].status})
        return
    if done[0].status >= 400:
        yield ctx.finding(f"站内搜索结果页无法打开（HTTP {done[0].status}），搜索词“{query}”", url=done[0].url,
                          evidence={**evidence, "status": done[0].status})
        return
    if s.get("found"):
        return
    excerpt = str(s.get("excerpt") or "")
    squashed = "".join(excerpt.split())
    said = [p for p in ctx.thresholds.search.no_result_phrases if p in squashed]
    title = s.get("target_title", "")
    if said:
        yield ctx.finding(f"站内搜索检索不到本站信息：以标题“{query}”搜索，结果页显示“{said[0]}”（应能检索到《{title}》）",
                          url=done[0].url, title=title, evidence={**evidence, "no_result_phrase": said[0],
                                                                  "excerpt": excerpt[:200]})
        return
    yield ctx.finding(f"站内搜索结果未列出所搜信息：以标题“{query}”搜索，结果页中未见《{title}》，请人工复核", url=done[0].url,
                      title=title, confidence="review",
                      evidence={**evidence, "links": s.get("links"), "excerpt": excerpt[:200]})
