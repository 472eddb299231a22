"""`zwgk bench distributed`: N generated sites with a per-request latency, crawled by 1, 2, 4 … workers."""

from __future__ import annotations

import contextlib
import json
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import click
import psutil

from fixtures.generator import MAX_PAGES, MIN_PAGES, GeneratedSiteProcess
from zwgk.bench.crawl import RSS_POLL_SECONDS, ROOT, count_store_pages, write_profile


@contextlib.contextmanager
def local_redis(folder: Path):
    """A throwaway redis-server on a free port of 127.0.0.1 (its URL), stopped on the way out."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server 未安装（apt-get install redis-server），或用 --redis-url 指定一个 Redis")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server 未能启动") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def redis_used_memory(url: str) -> int:
    import redis
    return int(redis.Redis.from_url(url).info("memory")["used_memory"])


def one_run(workers: int, sites: int, pages: int, latency_ms: int, concurrency: int, redis_url: str,
            work: Path, as_of: date) -> dict:
    """Serve the sites, crawl them with `workers` workers and one coordinator, and measure."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    run_dir = work / f"workers-{workers}"
    run_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        served = [stack.enter_context(GeneratedSiteProcess(pages, seed=i + 1, as_of=as_of, latency_ms=latency_ms,
                                                           stats=str(run_dir / f"site{i}.json")))
                  for i in range(sites)]
        profiles = []
        for i, site in enumerate(served):
            path = write_profile(run_dir / f"site{i}.yaml", site.base, pages)
            data = json.loads(path.read_text(encoding="utf-8"))
            data["id"] = f"bench{i}"
            data["limits"]["concurrency_per_host"] = concurrency
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            profiles.append(path)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        logs = [open(run_dir / f"worker{i}.log", "wb") for i in range(workers)]
        procs = [subprocess.Popen([sys.executable, "-m", "zwgk.cli", "worker", "--redis-url", redis_url],
                                  cwd=ROOT, stdout=log, stderr=subprocess.STDOUT) for log in logs]
        coord_log = open(run_dir / "coordinator.log", "wb")
        coord = subprocess.Popen([sys.executable, "-m", "zwgk.cli", "crawl", *map(str, profiles), "--workspace",
                                  str(run_dir / "workspace"), "--as-of", as_of.isoformat(), "--no-progress",
                                  "--redis-url", redis_url], cwd=ROOT, stdout=coord_log, stderr=subprocess.STDOUT)
        peak = {p.pid: 0 for p in procs}
        coord_cpu = 0.0   # the one writer's share: what bounds a cluster when it has many workers
        redis_peak = 0
        while coord.poll() is None or any(p.poll() is None for p in procs):
            for p in procs:
                with contextlib.suppress(psutil.NoSuchProcess):
                    peak[p.pid] = max(peak[p.pid], psutil.Process(p.pid).memory_info().rss)
            with contextlib.suppress(psutil.NoSuchProcess):
                times = psutil.Process(coord.pid).cpu_times()
                coord_cpu = max(coord_cpu, times.user + times.system)
            with contextlib.suppress(Exception):
                redis_peak = max(redis_peak, redis_used_memory(redis_url))
            time.sleep(RSS_POLL_SECONDS)
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        for f in [*logs, coord_log]:
            f.close()
        if coord.returncode != 0:
            tail = (run_dir / "coordinator.log").read_text(encoding="utf-8", errors="replace")[-2000:]
            raise click.ClickException(f"协调进程失败（退出码 {coord.returncode}）：\n{tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stored = count_store_pages(run_dir / "workspace")
    seen = [json.loads((run_dir / f"site{i}.json").read_text()) for i in range(sites)]
    return {
        "workers": workers,
        "pages_per_s": round(stored["pages"] / seconds, 1),
        "cpu_pages_per_s": round(stored["pages"] / cpu, 1) if cpu else 0.0,
        "max_host_concurrency": max(s["max_inflight"] for s in seen),
        "allowed_host_concurrency": concurrency,
        "peak_rss_mb": round(max(peak.values()) / 2**20, 1),
        "pages": stored["pages"],
        "requests": sum(s["requests"] for s in seen),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "coordinator_cpu_seconds": round(coord_cpu, 2),
        "redis_peak_mb": round(redis_peak / 2**20, 1),
    }


@click.command("distributed")
@click.option("--sites", type=click.IntRange(1, 64), default=4, show_default=True, help="生成站点数。")
@click.option("--pages", type=click.IntRange(MIN_PAGES, MAX_PAGES), default=300, show_default=True,
              help="每个生成站点的 HTML 页面数。")
@click.option("--workers", "worker_counts", default="1,2,4", show_default=True, help="依次使用的工作进程数。")
@click.option("--latency-ms", type=click.IntRange(0, 10000), default=50, show_default=True,
              help="生成站点每次响应前的等待（模拟远程站点）。")
@click.option("--host-concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="站点配置的同时请求数上限（concurrency_per_host）。")
@click.option("--redis-url", default=None, help="使用的 Redis（默认临时启动本机 redis-server）。")
@click.option("--json", "as_json", is_flag=True, help="最后一行输出 JSON。")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="保留日志、配置和工作区的目录（默认用后即删）。")
def distributed_bench_command(sites, pages, worker_counts, latency_ms, host_concurrency, redis_url, as_json, keep):
    """分布式抓取基准：N 个生成站点（每次响应有延迟），分别用 1、2、4 个工作进程抓取，
    报告每秒页数、扩展效率、每 CPU 秒页数、各工作进程内存峰值与站点所见最大并发。"""
    try:
        counts = [int(x) for x in worker_counts.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"应为逗号分隔的整数，收到 {worker_counts!r}", param_hint="--workers") from None
    echo = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
    runs = []
    with tempfile.TemporaryDirectory(prefix="zwgk-bench-dist-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            if redis_url is None:
                try:
                    redis_url = stack.enter_context(local_redis(Path(tmp)))
                except (FileNotFoundError, RuntimeError) as exc:
                    raise click.ClickException(str(exc)) from None
            for n in counts:
                echo(f"{n} 个工作进程抓取 {sites} 个站点（各 {pages} 页，响应延迟 {latency_ms} 毫秒）……")
                runs.append(one_run(n, sites, pages, latency_ms, host_concurrency, redis_url, work, date.today()))
                echo("  " + json.dumps(runs[-1], ensure_ascii=False))
    base = runs[0]["pages_per_s"] / runs[0]["workers"] if runs and runs[0]["pages_per_s"] else 0
    for run in runs:
        run["scaling_efficiency"] = round(run["pages_per_s"] / (base * run["workers"]), 3) if base else 0.0
    if len({r["pages"] for r in runs}) > 1:
        click.echo("注意：各次运行记录的页面数不同，比较仅供参考。", err=True)
    if not as_json:
        for run in runs:
            click.echo(f"{run['workers']} 个工作进程：{run['pages_per_s']} 页/秒（效率 {run['scaling_efficiency']}），"
                       f"{run['cpu_pages_per_s']} 页/CPU 秒，站点最多同时 {run['max_host_concurrency']} 个"
                       f"（允许 {run['allowed_host_concurrency']}），工作进程内存峰值 {run['peak_rss_mb']} MB，"
                       f"页面 {run['pages']}")
    click.echo(json.dumps({"runs": runs}))
