"""INTER rules: 互动交流 — letters unanswered (the 互动回应差 veto), reply lags, the 咨询建言 channel, 调查征集 count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from rules.context import CheckContext, NotAssessed
from rules.snapshot import Column, Snapshot
from zwgk.core.records import Finding

_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
MAX_LISTED = 20


def _day(text: str) -> date | None:
    m = _DAY.search(text or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass(frozen=True)
class Letter:
    url: str
    title: str
    column_id: str
    written: date | None        # 留言时间
    replied: date | None        # 答复时间
    status: str                 # 状态 as printed
    answered: bool | None       # True / False / None (the page does not say)
    unit: str                   # 答复单位
    list_url: str = ""          # read from a row of this letter list page (no detail page read)
    row: str = ""               # that row as printed


def _answered(fields, ctx: CheckContext) -> bool | None:
    t = ctx.thresholds.interaction
    status = "".join((fields.get("状态") or "").split())
    if status:
        if any(s == status or status.startswith(s) for s in t.answered_status):
            return True
        if any(s == status or status.startswith(s) for s in t.unanswered_status):
            return False
    if _day(fields.get("答复时间", "")) or (fields.get("答复内容") or "").strip():
        return True
    if "答复内容" in fields or "答复时间" in fields:   # the labels are printed with nothing after them
        return False
    return None


def letters(snapshot: Snapshot, ctx: CheckContext) -> list[Letter]:
    """The letters the crawl read, once per site: 留言/信件 detail pages (facts "letter") and rows of letter
    list tables (facts "letter_rows"); a row and a detail page of the same URL are one letter, the page wins."""
    def collect():
        out, rows = [], []
        for page in snapshot.pages():
            facts = (page.facts or {}) if page.ok else {}
            fields = facts.get("letter")
            if fields:
                out.append(Letter(url=page.url, title=page.headline, column_id=page.column_id,
                                  written=_day(fields.get("留言时间", "")), replied=_day(fields.get("答复时间", "")),
                                  status=fields.get("状态", ""), answered=_answered(fields, ctx),
                                  unit=fields.get("答复单位", "")))
            rows += [(page, r) for r in facts.get("letter_rows") or () if isinstance(r, dict)]
        seen = {x.url for x in out}
        # an empty 答复时间 cell says "not answered" only where the list fills that column for other letters
        filled = {page.url for page, r in rows if _day(r.get("答复时间", ""))}
        for page, r in rows:
            key = r.get("url") or f"{page.url}#{r.get('title', '')}|{r.get('留言时间', '')}"
            if key in seen:
                continue
            seen.add(key)
            fields = {k: str(v) for k, v in r.items() if k not in ("url", "title", "row")}
            if page.url not in filled and not fields.get("答复时间", "x").strip():
                fields.pop("答复时间")
            out.append(Letter(url=r.get("url") or page.url, title=str(r.get("title", "")), column_id=page.column_id,
                              written=_day(fields.get("留言时间", "")), replied=_day(fields.get("答复时间", "")),
                              status=fields.get("状态", ""), answered=_answered(fields, ctx),
                              unit=fields.get("答复单位", ""), list_url=page.url, row=str(r.get("row", ""))))
        return out
    return ctx.memo("interaction_letters", collect)


def _where(letter: Letter) -> dict:
    """Evidence naming the list page and the row as printed, for a letter read from a list."""
    return {"list_page": letter.list_url, "row": letter.row} if letter.list_url else {}


def _interaction_columns(snapshot: Snapshot) -> list[Column]:
    return [c for c in snapshot.columns if c.cls == "互动"]


def check_unanswered_over_three_months(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: letters (留言/信件/咨询) written within the last year that the page shows as not
    answered (状态 办理中/未答复…, or the 答复 labels printed empty) more than 3 months after they were
    written.

    Why: leaving a citizen's message unanswered for months is the 互动回应差 veto.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决"互动回应差"（1年内有效政务咨询类留言超过3个月未回复）.

    Letters are read from their pages and from rows of letter list tables (标题 | 留言时间 | 状态 …; the
    finding names the list page and the row), so letters whose detail page is not public count too.

    Not flagged: letters whose page or row does not say whether they were answered (a row's empty 答复时间
    counts only where the list fills it for other letters), or prints no readable 留言时间; letters older
    than a year; the site is not assessed when the crawl read no letter page or list.
    """
    t = ctx.thresholds.interaction
    found = letters(snapshot, ctx)
    if not found:
        raise NotAssessed("未抓取到留言/信件页面（互动栏目无详情页或未识别留言要素），无法检查留言答复")
    since, before = t.veto_lookback.start(ctx.as_of), t.veto_unanswered.start(ctx.as_of)
    for letter in found:
        if letter.answered is False and letter.written and since <= letter.written < before:
            days = (ctx.as_of - letter.written).days
            status = f"，办理状态“{letter.status}”" if letter.status else ""
            yield ctx.finding(f"留言超过{t.veto_unanswered.label}未答复：{letter.title}（留言时间 {letter.written.isoformat()}，"
                              f"已 {days} 天{status}{'，见留言列表' if letter.list_url else ''}）", url=letter.url,
                              title=letter.title, column=snapshot.column(letter.column_id), parent_url=letter.list_url,
                              evidence={"written": letter.written.isoformat(), "days": days, "status": letter.status,
                                        **_where(letter)})


def check_slow_replies(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: letters answered later than the reply limit (thresholds interaction.reply_days) or
    still unanswered past it (under 3 months: older ones are INTER001's); one finding per
    site with the count and the longest lag.

    Why: slow answers are what citizens notice first; the lag is shown so the office can act.

    Basis: 国办秘函〔2019〕19号 扣分指标"互动交流"（留言办理）；《政府网站发展指引》（国办发〔2017〕47号）互动交流（及时答复）.
    The reply limit itself is local (3–15 working days): a warning, never a deduction.

    Not flagged: letters without 留言时间; answered letters without 答复时间; not assessed when the crawl
    read no letter page.
    """
    t = ctx.thresholds.interaction
    found = letters(snapshot, ctx)
    if not found:
        raise NotAssessed("未抓取到留言/信件页面，无法检查答复时限")
    before = t.veto_unanswered.start(ctx.as_of)
    late, lags = [], []
    for letter in found:
        if not letter.written or letter.written > ctx.as_of:
            continue
        if letter.answered and letter.replied and letter.replied >= letter.written:
            lag = (letter.replied - letter.written).days
            lags.append((lag, letter))
            if lag > t.reply_days:
                late.append((lag, letter, "答复"))
        elif letter.answered is False and letter.written >= before:
            lag = (ctx.as_of - letter.written).days
            if lag > t.reply_days:
                late.append((lag, letter, "未答复"))
    if not late:
        return
    late.sort(key=lambda x: -x[0])
    lag, worst, how = late[0]
    yield ctx.finding(f"{len(late)}件留言超过{t.reply_days}天才答复或仍未答复；最长 {lag} 天（{worst.title}，{how}）",
                      url=worst.url, title=worst.title, count=1,
                      evidence={"late": len(late), "longest_days": lag, "reply_days": t.reply_days,
                                "answered": len(lags),
                                "letters": [{"url": x.url, "days": d, "state": h, **_where(x)} for d, x, h in late[:MAX_LISTED]]})


def check_no_consultation_channel(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the site offers a 咨询建言 channel — a 互动 column or a homepage link named 信箱,
    留言, 咨询, 建言 … (thresholds interaction.channel_markers).

    Why: without a channel the public cannot ask or propose anything: the 互动回应差 veto.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决"互动回应差"（未提供有效的在线咨询建言渠道）.

    Not flagged: any column or homepage link carrying a marker, including links to a provincial or city
    platform. The crawl may miss a channel reached by script, so a finding is listed for review
    (待人工复核), never vetoed by itself. Not assessed when the homepage was not fetched.
    """
    markers = ctx.thresholds.interaction.channel_markers
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查咨询建言渠道")
    named = [c.name for c in snapshot.columns if any(m in c.name for m in markers)]
    linked = [lk.text for lk in home.links if any(m in (lk.text or "") for m in markers)]
    if named or linked:
        return
    yield ctx.finding("未发现在线咨询建言渠道（栏目和首页链接中均无信箱、留言、咨询等入口），请人工核实", url=home.url,
                      confidence="review", evidence={"columns": len(snapshot.columns), "home_links": len(home.links)})


def check_few_consultations(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the number of 调查征集 items (columns named 征集/调查/征求意见) dated within the last
    year, against the minimum (6 for a portal, 3 for other sites).

    Why: 调查征集 is how the public takes part in decisions; too few a year costs points.

    Basis: 国办秘函〔2019〕19号 扣分指标"调查征集"（门户网站每年少于6期、其他网站少于3期）.

    Not flagged: items whose date is unknown are not counted against the site: when they could make up
    the shortfall the indicator is not assessed. Not assessed when the site has no such column (its
    absence may be a crawl gap) or the column could not be read.
    """
    t = ctx.thresholds.interaction
    columns = [c for c in snapshot.columns if any(m in c.name for m in t.consultation_markers)]
    if not columns:
        raise NotAssessed("未发现调查征集栏目（栏目名含“征集”“调查”“征求意见”），无法统计征集次数")
    unreadable = [c.name for c in columns if c.assessable is not True]
    if unreadable and len(unreadable) == len(columns):
        raise NotAssessed(f"调查征集栏目无法读取：{'、'.join(unreadable)}")
    since = t.consultation_window.start(ctx.as_of)
    minimum = t.consultation_min_portal if snapshot.site.kind == "portal" else t.consultation_min_other
    seen: dict[str, date | None] = {}
    unknown = 0
    for col in columns:
        feed = snapshot.feed(col.column_id)
        for e in feed.newest:
            seen.setdefault(e.url or e.title, date.fromisoformat(e.date))
        undated = [e for e in feed.head if not e.date]
        page_dates = snapshot.published_on(e.url for e in undated)
        for e in undated:
            d = page_dates.get(e.url)
            seen.setdefault(e.url or e.title, date.fromisoformat(d) if d else None)
        # entries beyond the kept head and newest ones: their dates were not kept
        unknown += max(0, feed.undated - len(undated))
    unknown += sum(1 for d in seen.values() if d is None)
    in_window = sorted(d for d in seen.values() if d and since < d <= ctx.as_of)
    if len(in_window) >= minimum:
        return
    if len(in_window) + unknown >= minimum:
        raise NotAssessed(f"调查征集近{t.consultation_window.label}可确认 {len(in_window)} 期，另有 {unknown} 期日期不明，"
                          f"无法判断是否达到 {minimum} 期")
    names = "、".join(c.name for c in columns)
    kind = "门户网站" if snapshot.site.kind == "portal" else "网站"
    yield ctx.finding(f"近{t.consultation_window.label}调查征集仅 {len(in_window)} 期（{names}），{kind}应不少于 {minimum} 期",
                      url=columns[0].url, column=columns[0],
                      evidence={"count": len(in_window), "minimum": minimum, "unknown": unknown,
                                "since": since.isoformat()})


def check_consultation_channel_broken(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 咨询建言 channels the site offers — 互动 columns and homepage links named 信箱,
    留言, 咨询, 建言 … (thresholds interaction.channel_markers) — open: when every one of them fails
    (HTTP 404/410/403, a 软404 page), the site has no working channel.

    Why: a 信箱 whose page does not load is no channel at all: the 互动回应差 veto's "no valid channel".

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决"互动回应差"（未提供有效的在线咨询建言渠道）.

    Not flagged: a site where at least one channel opens (a single broken link is LINK's); a channel whose
    page timed out or answered 5xx (suspected: listed, not vetoed); a channel not checked (no_external,
    robots.txt): not assessed. No channel at all is INTER003's.
    """
    markers = ctx.thresholds.interaction.channel_markers
    home = snapshot.home
    if home is None or not home.ok:
        raise NotAssessed("首页未能抓取，无法检查咨询建言渠道能否打开")
    states: list[tuple[str, str, str]] = []     # (name, url, ok | broken | suspected | unknown)
    for c in snapshot.columns:
        if c.cls == "互动" and any(m in c.name for m in markers):
            status = c.page_status
            state = "ok" if status is not None and 200 <= status < 300 and c.page_kind and "错误" not in c.reason \
                else "broken" if status is not None and 400 <= status < 500 or "错误页面" in c.reason \
                else "suspected" if status is not None and status >= 500 else "unknown"
            states.append((c.name, c.url, state))
    for lk in home.links:
        if lk.kind != "link" or not any(m in (lk.text or "") for m in markers) or len(lk.text) > 20:
            continue
        res = lk.resource
        state = "unknown" if res is None else {"ok": "ok", "broken": "broken", "suspected": "suspected"}.get(
            res.outcome, "unknown")
        states.append((lk.text.strip(), lk.url, state))
    if not states or any(s == "ok" for _, _, s in states):
        return
    if any(s == "unknown" for _, _, s in states):
        raise NotAssessed("咨询建言渠道未全部检查（站外平台未访问或未抓取），无法判断渠道能否打开")
    names = "、".join(dict.fromkeys(n for n, _, _ in states))
    suspected = any(s == "suspected" for _, _, s in states)
    yield ctx.finding(f"咨询建言渠道均无法打开（{names}）" + ("，疑似，待复核" if suspected else ""),
                      url=states[0][1], confidence="suspected" if suspected else "confirmed",
                      evidence={"channels": [{"name": n, "url": u, "state": s} for n, u, s in states[:10]]})
