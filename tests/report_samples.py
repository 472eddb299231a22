"""A small hand-made workspace for the report tests: three sites, findings with hostile text, stored scores."""

from __future__ import annotations

import zlib
from pathlib import Path

from zwgk.core.config import SiteProfile
from zwgk.core.records import Finding, RuleOutcome
from zwgk.core.store import Store

AS_OF = "2025-06-30"
SCRIPT_TITLE = '<script>alert("xss")</script>关于印发某某办法的通知'
FORMULA_TITLE = '=HYPERLINK("http://evil.example/","点我领奖")'
TRAVERSAL_OFFICE = "../../越界/某市司法局"
PORTAL = "某市人民政府门户网站"
# A fetched page as hostile as crawled pages can be: its snapshot must show the text and run nothing.
HOSTILE_PAGE = ('<html><head><title>某某办法</title><meta http-equiv="refresh" content="0;url=http://evil.example/">'
                '<base href="http://evil.example/"><script>document.title="已执行"</script></head>'
                '<body onload="document.title=\'已执行\'"><h1>关于印发某某办法的通知</h1>'
                '<a href="http://evil.example/">外部链接</a><img src="http://evil.example/x.png" onerror="alert(1)">'
                '<iframe src="http://evil.example/"></iframe></body></html>')
DEPT_A = "某市发展和改革委员会"
DEPT_B = "某市教育局"
FINANCE = "某市财政局"   # a department with its own section of the portal, not a site of its own


def _profile(site_id: str, name: str, office: str, kind: str, external: bool = True) -> SiteProfile:
    homepage = f"http://127.0.0.1:9/{site_id}/"
    return SiteProfile(id=site_id, name=name, office=office, site_code=f"51{len(site_id):08d}",
                       homepage=homepage, allowed_domains=("127.0.0.1:9",), kind=kind, external_services=external)


def _findings() -> list[Finding]:
    p, a = "portal", "dept-a"
    base = "http://127.0.0.1:9/portal/"
    return [
        # portal: metadata problems in the policy column owned by 司法局 (office with a path in its name)
        Finding("META001", "发布解读.信息公开要素", "deduct", p, "政策文件缺少文号", office=TRAVERSAL_OFFICE,
                column_id="zcwj", column_name="政策文件", url=base + "zcwj/1.html", parent_url=base + "zcwj/",
                title=SCRIPT_TITLE, evidence={"field": "文号", "value": ""}),
        # a second 要素 missing on the same page: the issue lists give the page one row for both
        Finding("META001", "发布解读.信息公开要素", "deduct", p, "政策文件缺少发布机构", office=TRAVERSAL_OFFICE,
                column_id="zcwj", column_name="政策文件", url=base + "zcwj/1.html", parent_url=base + "zcwj/",
                title=SCRIPT_TITLE, evidence={"field": "发布机构"}),
        # weak evidence (layout not recognised): 待人工复核, listed apart and never deducted
        Finding("META001", "发布解读.信息公开要素", "deduct", p, "疑似缺少索引号（要素区格式未能识别）",
                office=TRAVERSAL_OFFICE, column_id="zcwj", column_name="政策文件", url=base + "zcwj/3.html",
                parent_url=base + "zcwj/", title="关于某某事项的通知", confidence="review",
                evidence={"field": "索引号"}),
        Finding("META003", "发布解读.信息公开要素", "deduct", p, "文号格式不规范：年份应使用六角括号〔〕",
                office=TRAVERSAL_OFFICE, column_id="zcwj", column_name="政策文件", url=base + "zcwj/2.html",
                parent_url=base + "zcwj/", title=FORMULA_TITLE,
                evidence={"field": "文号", "value": "-某府发[2023]5号", "suggested": "某府发〔2023〕5号"}),
        # homepage broken links: aggregated finding standing for 3 links
        Finding("LINK001", "功能设计.链接可用性", "deduct", p, "首页链接无法访问（HTTP 404）",
                url=base + "broken.html", parent_url=base, title="首页", count=3,
                evidence={"status": 404, "link_text": "@领导信箱"}),
        # a banner image broken on the homepage, counted 10 times: 多媒体解读 (5 points) is capped
        Finding("MEDIA001", "发布解读.多媒体解读", "deduct", p, "图片无法打开（HTTP 404）", office="某市人民政府办公室",
                url=base + "banner.jpg", parent_url=base, title="首页", count=10,
                evidence={"http_status": 404, "page_type": "首页", "kind": "image", "occurrences": 10,
                          "pages": [base, base + "zcwj/1.html"]}),
        Finding("LINK002", "功能设计.链接可用性", "deduct", p, "链接地址不是网页地址", url="javascript:alert(1)",
                parent_url=base + "zcwj/1.html", title="附件下载", evidence={"link_text": "+附件"}),
        Finding("STALE003", "发布解读.栏目更新", "deduct", p, "“工作动态”栏目超过14天未更新（最新条目 2025-05-20）",
                office="某市人民政府办公室", column_id="gzdt", column_name="工作动态", url=base + "gzdt/",
                evidence={"column_class": "动态要闻", "last_date": "2025-05-20", "days": 41}),
        Finding("STALE003", "发布解读.栏目更新", "deduct", p, "“通知公告”栏目超过6个月未更新（最新条目 2024-10-08）",
                column_id="czj-tzgg", column_name="通知公告", url=base + "gzjg/czj/tzgg/",
                evidence={"column_class": "通知公告", "newest_date": "2024-10-08"}),
        Finding("MEDIA009", "发布解读.多媒体解读", "warn", p, "视频解读加载超时（待复核）",
                column_id="jd", column_name="政策解读", url=base + "jd/v.mp4", parent_url=base + "jd/1.html",
                confidence="suspected", evidence={"error": "timeout", "kind": "video"}),
        # dept-a: vetoed for stale columns, with its own stale-column findings
        Finding("STALE008", "否决.栏目不更新", "veto", a, "空白栏目达5个，触发单项否决", office=DEPT_A,
                evidence={"count": 5}),
        Finding("STALE003", "发布解读.栏目更新", "deduct", a, "“通知公告”栏目超过6个月未更新", office=DEPT_A,
                column_id="tzgg", column_name="通知公告", url="http://127.0.0.1:9/dept-a/tzgg/",
                evidence={"column_class": "通知公告", "last_date": "2024-11-02"}),
    ]


def build_workspace(workspace: Path, score: bool = True) -> tuple[Store, int]:
    """A store with one run, one finished check and (unless score=False) scores under gov2019."""
    from scoring.scorer import score_check

    store = Store(workspace)
    run_id = store.create_run(AS_OF, "samplehash", "test")
    profiles = [_profile("portal", PORTAL, "某市人民政府办公室", "portal"),
                _profile("dept-a", DEPT_A, DEPT_A, "department", external=False),
                _profile("dept-b", DEPT_B, DEPT_B, "department")]
    for prof in profiles:
        store.register_site(run_id, prof)
    store.set_site_status(run_id, "portal", "done")
    store.set_site_status(run_id, "dept-a", "done")
    store.set_site_status(run_id, "dept-b", "unreachable", "连接超时（15秒）")
    store.write_rows("columns", [
        dict(run_id=run_id, site_id="portal", column_id="zwgk-js", name="重点领域信息公开",
             url="http://127.0.0.1:9/portal/zdly/", cls="政策文件", office="", catalog_path="", path="", level=1,
             parent_id="", source="discovered", assessable=0, reason="列表由脚本生成，无法评估"),
        # the portal's section of a department: 工作机构 > 某市财政局 > 通知公告 (its findings go to that unit)
        dict(run_id=run_id, site_id="portal", column_id="gzjg", name="工作机构", url="http://127.0.0.1:9/portal/gzjg/",
             cls="静态", office="", catalog_path="", path="首页>工作机构", level=1, parent_id="", source="discovered",
             assessable=1, reason=""),
        dict(run_id=run_id, site_id="portal", column_id="czj", name=FINANCE, url="http://127.0.0.1:9/portal/gzjg/czj/",
             cls="静态", office="", catalog_path="", path="", level=2, parent_id="gzjg", source="discovered",
             assessable=1, reason=""),
        dict(run_id=run_id, site_id="portal", column_id="czj-tzgg", name="通知公告",
             url="http://127.0.0.1:9/portal/gzjg/czj/tzgg/", cls="通知公告", office="", catalog_path="", path="",
             level=3, parent_id="czj", source="discovered", assessable=1, reason=""),
    ])
    # what the crawl fetched on the portal: three pages, one failed (the report's coverage figures)
    store.write_rows("pages", [
        dict(run_id=run_id, site_id="portal", url=f"http://127.0.0.1:9/portal/{path}", final_url="", status=status,
             fetched_at=AS_OF, kind="article", error="")
        for path, status in (("", 200), ("zcwj/1.html", 200), ("zcwj/2.html", 200), ("gone.html", 404))])
    store.write_rows("page_bodies", [dict(run_id=run_id, site_id="portal", url="http://127.0.0.1:9/portal/zcwj/1.html",
                                          body=zlib.compress(HOSTILE_PAGE.encode("gbk")), encoding="gbk",
                                          fetched_at=AS_OF + "T10:00:00")])
    store.set_run_status(run_id, "done")
    findings = _findings()
    codes = sorted({f.code for f in findings})
    check_id = store.create_check(run_id, AS_OF, "rules-test-1", codes)
    store.write_findings(check_id, run_id, AS_OF, findings)
    outcomes = [RuleOutcome(code, site, "assessed") for code in codes for site in ("portal", "dept-a")]
    outcomes += [RuleOutcome(code, "dept-b", "not_assessed", "首页无法访问") for code in codes]
    store.write_rule_outcomes(check_id, outcomes)
    store.finish_check(check_id)
    if score:
        score_check(store, check_id, "gov2019")
    return store, check_id
