"""`zwgk bench report`: `zwgk score` and `zwgk report` on generated sites, each timed with its peak memory."""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from zwgk.bench.crawl import measure
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


def _stage(name: str, cmd: list[str], cwd: Path, log: Path) -> dict:
    """One CLI command as a child process: wall and CPU seconds, peak RSS and PSS of it and its workers (MiB)."""
    run = measure(cmd, cwd, log, pss=True, poll=0.2)
    if run["returncode"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise click.ClickException(f"`{' '.join(cmd[2:])}` 失败（退出码 {run['returncode']}）：{tail}")
    return {f"{name}_s": round(run["seconds"], 2), f"{name}_cpu_s": round(run["cpu_seconds"], 2),
            f"{name}_peak_rss_mb": round(run["peak_rss"] / 2**20, 1),
            f"{name}_peak_pss_mb": round(run["peak_pss"] / 2**20, 1)}


def run_bench(sites: int, per_site: int, pdf: bool = False, keep: Path | None = None) -> dict:
    """Generate a workspace, then run `zwgk score` and `zwgk report` on it as the user does, one child process
    each, timing each and taking its peak memory (with the worker processes it starts)."""
    tmp = Path(tempfile.mkdtemp(prefix="zwgk-bench-report-")) if keep is None else keep
    try:
        workspace, out = tmp / "workspace", tmp / "out"
        started = time.perf_counter()
        store, _ = generate(workspace, sites, per_site)
        store.close()
        generated = time.perf_counter() - started
        cli = [sys.executable, "-m", "zwgk.cli"]
        cwd = Path(__file__).resolve().parents[2]
        score = _stage("score", [*cli, "score", "--workspace", str(workspace)], cwd, tmp / "score.log")
        report = _stage("report", [*cli, "report", "--workspace", str(workspace), "--out", str(out),
                                   *([] if pdf else ["--no-pdf"])], cwd, tmp / "report.log")
        html = out / "report.html"
        site_pages = sorted((out / "sites").glob("*.html")) if (out / "sites").exists() else []
        site_pdfs = sorted((out / "sites").glob("*.pdf")) if (out / "sites").exists() else []
        issue_files = [x for x in (out / "issues").glob("*.xlsx") if x.stem != "index"]
        pdf_file = out / "report.pdf"
        return dict(
            sites=sites, findings_per_site=per_site, findings=sites * per_site, pdf=pdf,
            generate_s=round(generated, 2), **score, **report,
            seconds=round(score["score_s"] + report["report_s"], 2),
            peak_rss_mb=max(score["score_peak_rss_mb"], report["report_peak_rss_mb"]),
            peak_pss_mb=max(score["score_peak_pss_mb"], report["report_peak_pss_mb"]),
            html_mb=round(html.stat().st_size / 2**20, 2), site_pages=len(site_pages),
            site_pages_mb=round(sum(x.stat().st_size for x in site_pages) / 2**20, 1),
            pdf_mb=round(pdf_file.stat().st_size / 2**20, 2) if pdf_file.exists() else None,
            site_pdfs=len(site_pdfs), site_pdfs_mb=round(sum(x.stat().st_size for x in site_pdfs) / 2**20, 1),
            offices=len(issue_files), xlsx_mb=round(sum(x.stat().st_size for x in issue_files) / 2**20, 1),
            out_dir=str(out) if keep is not None else "",
        )
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


@click.command("report")
@click.option("--sites", default=200, show_default=True, type=click.IntRange(1), help="生成的网站数")
@click.option("--findings", "per_site", default=None, type=click.IntRange(1),
              help="每个网站的问题数（默认 2000；网站多于 200 个时按共 40 万条问题折算，至少 20 条）")
@click.option("--pdf", is_flag=True, help="同时生成 PDF（网站多时为总览加每个网站一份）")
@click.option("--keep", type=click.Path(file_okay=False), help="保留生成的工作区和输出到此目录（默认用后删除）")
@click.option("--json", "as_json", is_flag=True, help="只输出一行 JSON 结果")
def report(sites: int, per_site: int | None, pdf: bool, keep: str | None, as_json: bool) -> None:
    """基准测试：为生成的网站运行 zwgk score 和 zwgk report（各一个子进程），报告各自的耗时与内存峰值。"""
    if per_site is None:
        per_site = max(20, min(2000, 400_000 // sites))
    result = run_bench(sites, per_site, pdf=pdf, keep=Path(keep) if keep else None)
    if not as_json:
        click.echo(f"{result['sites']} 个网站 × {result['findings_per_site']} 条问题 = {result['findings']} 条"
                   f"（生成数据 {result['generate_s']} 秒，不计入）")
        click.echo(f"zwgk score：{result['score_s']} 秒（CPU {result['score_cpu_s']} 秒），"
                   f"内存峰值 {result['score_peak_pss_mb']} MB（PSS；RSS 合计 {result['score_peak_rss_mb']} MB）")
        click.echo(f"zwgk report{'' if pdf else ' --no-pdf'}：{result['report_s']} 秒（CPU {result['report_cpu_s']} 秒），"
                   f"内存峰值 {result['report_peak_pss_mb']} MB（PSS；RSS 合计 {result['report_peak_rss_mb']} MB）")
        click.echo(f"report.html {result['html_mb']} MB，分站点报告 {result['site_pages']} 个"
                   + (f"，PDF {result['site_pdfs'] + (1 if result['pdf_mb'] is not None else 0)} 个" if pdf else "")
                   + f"；问题清单 {result['offices']} 个单位 {result['xlsx_mb']} MB")
    click.echo(json.dumps(result, ensure_ascii=False))   # the last line, for scripts
