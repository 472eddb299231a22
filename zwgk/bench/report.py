"""`zwgk bench report`: score and write every output for generated sites, timing each part and peak memory."""

from __future__ import annotations

import json
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import click

from zwgk.core.config import SiteProfile
from zwgk.core.records import Finding, RuleOutcome
from zwgk.core.store import Store

AS_OF = "2025-06-30"
DISTRICTS = ("东城区", "西城区", "南山区", "北湖区", "江岸区", "河西区", "高新区", "经开区", "滨海新区", "临港区")
DEPARTMENTS = ("人民政府", "发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
               "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局",
               "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局")
COLUMNS = (("gzdt", "工作动态", "动态要闻"), ("tzgg", "通知公告", "通知公告"), ("zcwj", "政策文件", "政策文件"),
           ("rsxx", "人事信息", "人事"), ("ghjh", "规划计划", "规划计划"), ("jgzn", "机构职能", "基本信息"),
           ("zcjd", "政策解读", "政策文件"), ("tjxx", "统计信息", "基本信息"))
# Evidence a rule of each family writes, so that the report formats realistic findings.
EVIDENCE = {
    "META": lambda rnd, col: {"field": rnd.choice(("文号", "索引号", "发布机构", "成文日期", "有效性")),
                              "value": rnd.choice(("", "无", "-", "[2023]5号"))},
    "MEDIA": lambda rnd, col: {"status": rnd.choice((404, 403, 410)), "kind": rnd.choice(("image", "video")),
                               "link_text": "图解"},
    "STALE": lambda rnd, col: {"column_class": col[2], "last_date": "2024-12-01", "days": rnd.randint(15, 400)},
    "CAT": lambda rnd, col: {"catalog_path": f"政府信息公开>法定主动公开内容>{col[1]}"},
    "LINK": lambda rnd, col: {"status": rnd.choice((404, 403, 410)), "link_text": "相关链接"},
}


def _sites(n: int) -> list[SiteProfile]:
    sites = []
    for i in range(n):
        district, dept = DISTRICTS[i % len(DISTRICTS)], DEPARTMENTS[(i // len(DISTRICTS)) % len(DEPARTMENTS)]
        round_no = i // (len(DISTRICTS) * len(DEPARTMENTS))
        name = f"{district}{dept}" + (f"（{round_no + 1}）" if round_no else "")
        portal = dept == "人民政府"
        sites.append(SiteProfile(
            id=f"site-{i:04d}", name=name + ("门户网站" if portal else "网站"), office=name, site_code=f"{i:010d}",
            homepage=f"http://127.0.0.1:9/site-{i:04d}/", allowed_domains=("127.0.0.1:9",),
            kind="portal" if portal else "department", external_services=portal or i % 4 != 1))
    return sites


def _findings(site: SiteProfile, per_site: int, rules: list, rnd: random.Random) -> list[Finding]:
    """per_site findings of a few rules each: real sites fail some rules many times, not every rule at once,
    so generated scores spread over the bands instead of all sitting at the caps."""
    vetoes = [r for r in rules if r.severity == "veto"]
    common = [r for r in rules if r.severity != "veto" and r.family in ("LINK", "META")]
    other = [r for r in rules if r.severity != "veto" and r.family not in ("LINK", "META")]
    chosen = rnd.sample(common, min(len(common), rnd.randint(1, 4))) + \
        rnd.sample(other, min(len(other), rnd.randint(0, 4)))
    # most instances are cheap ones (broken links on inner pages, 要素 problems); costly rules appear a few times
    weights = [50 if r.code in ("LINK002", "LINK003") else 10 if r.family in ("LINK", "META") else 1
               for r in chosen]
    district = next((d for d in DISTRICTS if site.office.startswith(d)), "")
    # columns are owned by the site's office or by other offices of the same district (portal columns)
    owners = [site.office] * 7 + [f"{district}{d}" for d in rnd.sample(DEPARTMENTS[1:], 3)]
    picks = rnd.choices(chosen, weights=weights, k=per_site)
    if vetoes and rnd.random() < 0.08:
        picks[0] = rnd.choice(vetoes)
    out = []
    for k, rule in enumerate(picks):
        col = rnd.choice(COLUMNS)
        base = f"{site.homepage}{col[0]}/"
        evidence = EVIDENCE.get(rule.family, lambda rnd, col: {})(rnd, col)
        evidence.setdefault("column_class", col[2])
        out.append(Finding(
            code=rule.code, indicator=rule.indicator, severity=rule.severity, site_id=site.id,
            message=f"{rule.title}：{col[1]}第{k}条信息", office=rnd.choice(owners), column_id=col[0],
            column_name=col[1], url=f"{base}t{k}.html", parent_url=base,
            title=f"关于印发{col[1]}工作方案的通知（第{k}号）", evidence=evidence,
            confidence="suspected" if rnd.random() < 0.03 else "confirmed",
            count=rnd.choice((1, 1, 1, 1, 2, 3)),
        ))
    return out


def generate(workspace: Path, sites: int, per_site: int, seed: int = 7) -> tuple[Store, int]:
    """A store with one run and one finished check of generated sites and findings; returns (store, check_id)."""
    from rules.registry import RULES, rules_version

    rnd = random.Random(seed)
    store = Store(workspace)
    profiles = _sites(sites)
    run_id = store.create_run(AS_OF, "bench", "bench")
    for profile in profiles:
        store.register_site(run_id, profile)
        store.set_site_status(run_id, profile.id, "done")
    store.set_run_status(run_id, "done")
    rules = list(RULES)
    codes = [r.code for r in rules]
    check_id = store.create_check(run_id, AS_OF, rules_version(), codes)
    seq = 0
    for profile in profiles:
        found = _findings(profile, per_site, rules, rnd)
        store.write_findings(check_id, run_id, AS_OF, found, start_seq=seq)
        seq += len(found)
    store.write_rule_outcomes(check_id, [RuleOutcome(code, p.id, "assessed") for p in profiles for code in codes])
    store.finish_check(check_id)
    return store, check_id


def _peak_rss_mb() -> float:
    """Peak resident memory of this process and of its finished workers (issue-list writers), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # Linux reports KiB


def run_bench(sites: int, per_site: int, pdf: bool = False, keep: Path | None = None) -> dict:
    from reports.outputs import write_outputs
    from scoring.scorer import score_check

    tmp = Path(tempfile.mkdtemp(prefix="zwgk-bench-report-")) if keep is None else keep
    try:
        started = time.perf_counter()
        store, check_id = generate(tmp / "workspace", sites, per_site)
        generated = time.perf_counter() - started
        try:
            started = time.perf_counter()
            score_check(store, check_id, "gov2019")
            scored = time.perf_counter() - started
            started = time.perf_counter()
            outputs = write_outputs(store, check_id, tmp / "out", "gov2019", pdf=pdf)
            written = time.perf_counter() - started
        finally:
            store.close()
        issue_files = [o.xlsx for o in outputs.issues.offices]
        return dict(
            sites=sites, findings_per_site=per_site, findings=sites * per_site,
            generate_s=round(generated, 2), score_s=round(scored, 2),
            **{f"{k}_s": round(v, 2) for k, v in outputs.seconds.items()},
            outputs_s=round(written, 2), seconds=round(scored + written, 2), peak_rss_mb=_peak_rss_mb(),
            html_mb=round(outputs.html.stat().st_size / 2**20, 2),
            pdf_mb=round(outputs.pdf.stat().st_size / 2**20, 2) if outputs.pdf else None,
            offices=len(issue_files), xlsx_mb=round(sum(p.stat().st_size for p in issue_files) / 2**20, 1),
            out_dir=str(tmp / "out") if keep is not None else "",
        )
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


@click.command("report")
@click.option("--sites", default=200, show_default=True, type=click.IntRange(1), help="生成的网站数")
@click.option("--findings", "per_site", default=2000, show_default=True, type=click.IntRange(1),
              help="每个网站的问题数")
@click.option("--pdf", is_flag=True, help="同时生成 PDF（问题很多时很慢）")
@click.option("--keep", type=click.Path(file_okay=False), help="保留生成的工作区和输出到此目录（默认用后删除）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
def report(sites: int, per_site: int, pdf: bool, keep: str | None, as_json: bool) -> None:
    """基准测试：为生成的网站评分并写出全部输出（报告、问题清单、得分 CSV），报告耗时与内存峰值。"""
    result = run_bench(sites, per_site, pdf=pdf, keep=Path(keep) if keep else None)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{result['sites']} 个网站 × {result['findings_per_site']} 条问题 = {result['findings']} 条")
    click.echo(f"生成数据 {result['generate_s']} 秒（不计入）；评分 {result['score_s']} 秒；输出 {result['outputs_s']} 秒"
               f"（读取 {result['load_s']}，HTML {result['html_s']}，问题清单 {result['issue_lists_s']}，"
               f"得分 CSV {result['scores_csv_s']}" + (f"，PDF {result['pdf_s']}" if pdf else "") + "）")
    click.echo(f"seconds {result['seconds']}  peak_rss_mb {result['peak_rss_mb']}  "
               f"report.html {result['html_mb']} MB  问题清单 {result['offices']} 个单位 {result['xlsx_mb']} MB")
