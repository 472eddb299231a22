"""Where a crawl reaches, and how hard: host_map, no_external (no connection and no DNS lookup outside
loopback, checked with strace), each site's delay and concurrency as seen by the site, and pages built by
script rendered in headless Chromium. `zwgk crawl` runs as a subprocess against the nyj fixture site."""

from __future__ import annotations

import gzip
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from zwgk.core.chromium import chromium_path
from tests.conftest import AS_OF

pytestmark = pytest.mark.e2e
HOST = "nyj.example.gov.cn"
SITE = f"http://{HOST}"
needs_chromium = pytest.mark.skipif(not chromium_path(), reason="Debian chromium is not installed")


def nyj_profile(fixture_profiles, tmp_path: Path, drop=(), **changes) -> Path:
    """The nyj profile as rendered for the running server, with some fields changed."""
    data = yaml.safe_load([p for p in fixture_profiles if p.stem == "nyj"][0].read_text(encoding="utf-8"))
    for key in drop:
        data.pop(key, None)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path = tmp_path / "nyj.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def crawl(profile: Path, workspace: Path, *options: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    result = subprocess.run([*prefix, sys.executable, "-m", "zwgk.cli", "crawl", str(profile), "--workspace",
                             str(workspace), "--as-of", AS_OF.isoformat(), "--no-progress", *options],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def check(workspace: Path) -> sqlite3.Connection:
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "check", "--workspace", str(workspace)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return open_db(workspace)


def open_db(workspace: Path) -> sqlite3.Connection:
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    db.row_factory = sqlite3.Row
    return db


def columns(db) -> dict[str, sqlite3.Row]:
    return {r["url"][len(SITE):]: r for r in db.execute("SELECT * FROM columns WHERE site_id='nyj'")}


@needs_chromium
def test_script_built_menu_and_list_are_rendered_under_the_sites_own_host(fixture_server, fixture_profiles, tmp_path):
    ext_before = len(fixture_server.requests("_external"))
    crawl(nyj_profile(fixture_profiles, tmp_path), tmp_path / "ws")
    db = check(tmp_path / "ws")
    cols = columns(db)
    # 政策文件 is linked only from the menu document.write builds; 通知公告's list comes from a JSON API
    assert set(cols) == {"/gzdt/", "/tzgg/", "/zcwj/", "/ldxx/"}
    tzgg = cols["/tzgg/"]
    assert (tzgg["assessable"], tzgg["rendered"], tzgg["reason"]) == (1, 1, "")
    entries = db.execute("SELECT COUNT(*), MAX(date) FROM entries WHERE site_id='nyj' AND column_id=?",
                         (tzgg["column_id"],)).fetchone()
    assert tuple(entries) == (3, (AS_OF - timedelta(days=200)).isoformat())
    # the rendered list is judged like any other: 200 days without a 通知公告 is stale, not "not assessed"
    codes = {(r["code"], r["url"]) for r in db.execute("SELECT code, url FROM findings")}
    assert ("STALE003", f"{SITE}/tzgg/") in codes and ("STALE010", f"{SITE}/tzgg/") not in codes
    # host_map: the connection went to the fixture server, everything recorded keeps the site's own URLs
    server = fixture_server.host("nyj")
    for table, column in (("pages", "url"), ("pages", "final_url"), ("links", "page_url"), ("links", "url"),
                          ("resources", "url"), ("entries", "url"), ("columns", "url"), ("findings", "url")):
        leaked = db.execute(f"SELECT {column} FROM {table} WHERE {column} LIKE ?", (f"%{server}%",)).fetchall()
        assert not leaked, f"{table}.{column} records the mapped address: {leaked[:3]}"
    assert db.execute("SELECT COUNT(*) FROM pages WHERE site_id='nyj' AND status=200").fetchone()[0] >= 12
    # no_external (in the profile): the external server saw nothing, its links are recorded as not checked
    assert len(fixture_server.requests("_external")) == ext_before
    not_checked = {r["url"]: r["error"] for r in db.execute("SELECT url, error FROM resources WHERE outcome='not_checked'")}
    for url in (f"{fixture_server.ext_url}/gov/", "http://www.nongye-example.cn/"):
        assert "站外" in not_checked.get(url, ""), f"{url} not recorded as not checked: {not_checked.get(url)}"


def test_without_rendering_script_lists_are_not_assessed_never_blank(fixture_server, fixture_profiles, tmp_path):
    result = crawl(nyj_profile(fixture_profiles, tmp_path), tmp_path / "ws", "--no-render")
    db = check(tmp_path / "ws")
    cols = columns(db)
    assert "/zcwj/" not in cols  # only the script-written menu links it
    tzgg = cols["/tzgg/"]
    assert tzgg["assessable"] == 0 and tzgg["rendered"] == 0
    assert tzgg["reason"].startswith("栏目列表由脚本生成，未渲染：") and "--no-render" in tzgg["reason"]
    assert "无法评估的栏目：通知公告 —— 栏目列表由脚本生成，未渲染" in result.stdout
    codes = {(r["code"], r["url"]) for r in db.execute("SELECT code, url FROM findings")}
    assert ("STALE010", f"{SITE}/tzgg/") in codes          # not assessed, with the reason
    assert ("STALE004", f"{SITE}/tzgg/") not in codes      # never a blank column
    events = [r[0] for r in db.execute("SELECT message FROM crawl_events WHERE site_id='nyj'")]
    assert any(m.startswith("首页导航由脚本生成，未渲染：") for m in events), events  # the menu left unread, said


@pytest.mark.parametrize("case", ["no browser", "limit reached"])
def test_a_script_list_the_crawl_cannot_render_says_why(fixture_server, fixture_profiles, tmp_path, case):
    env = None
    if case == "no browser":
        env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # python, but no chromium on PATH
        profile, why = nyj_profile(fixture_profiles, tmp_path), "本机没有可用的 Chromium 浏览器"
    else:
        if not chromium_path():
            pytest.skip("Debian chromium is not installed")
        # the homepage's script-written menu takes the only render; the 通知公告 list finds none left
        profile, why = nyj_profile(fixture_profiles, tmp_path, limits={"max_rendered_pages": 1}), "已达到每站渲染页面上限 1"
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "crawl", str(profile), "--workspace",
                             str(tmp_path / "ws"), "--as-of", AS_OF.isoformat(), "--no-progress"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    tzgg = columns(open_db(tmp_path / "ws"))["/tzgg/"]
    assert (tzgg["assessable"], tzgg["rendered"]) == (0, 0)
    assert tzgg["reason"] == f"栏目列表由脚本生成，未渲染：{why}"


# the descriptor's -yy annotation is optional: strace prints none when it cannot name the socket
_CALL = re.compile(r"^\d+\s+(connect|sendto|sendmsg)\(\d+(?:<([A-Za-z0-9-]+):\[([^\]]*(?:\[[^\]]*\][^\]]*)*)\]>)?(.*)$")


def _loopback(address: str) -> bool:
    return address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1") or address.startswith("::ffff:127.")


def _outside(call: str) -> bool:
    """Whether a call's socket address (the argument, not the descriptor) is beyond loopback."""
    addresses = re.findall(r'inet_addr\("([^"]+)"\)', call) + re.findall(r'inet_pton\(AF_INET6, "([^"]+)"', call)
    return any(not _loopback(a) for a in addresses)


def _peer_outside(endpoints: str) -> bool:
    """Whether a connected socket's peer, as strace -yy prints it ("local->peer"), is beyond loopback."""
    if "->" not in endpoints:
        return False
    peer = endpoints.split("->", 1)[1]
    host = peer[1:peer.index("]")] if peer.startswith("[") else peer.rsplit(":", 1)[0]
    return not _loopback(host)


def outside_loopback(trace: str) -> list[str]:
    """Lines of an `strace -f -yy` log that send anything beyond loopback, or that look a name up.

    -yy prints every descriptor with its protocol and endpoints, so each line is judged alone: descriptor
    numbers need not be followed across the many processes of a crawl (Chromium reuses numbers freely).
    A UDP socket connected to a public address sends nothing by itself (Chromium does that at start to
    learn whether IPv6 is routed); it counts once something is sent on it."""
    bad = []
    for line in trace.splitlines():
        if "nscd" in line or "htons(53)" in line:
            bad.append(line)  # a DNS lookup, local resolver or not
            continue
        m = _CALL.search(line)
        if not m:
            continue
        call, protocol, endpoints, rest = m.groups()
        protocol, endpoints = protocol or "", endpoints or ""
        if call == "connect":
            if _outside(rest) and not protocol.startswith("UDP"):
                bad.append(line)
        elif _outside(rest) or (protocol.startswith(("TCP", "UDP")) and _peer_outside(endpoints)):
            bad.append(line)
    return bad


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed (apt-get install strace)")
def test_no_external_contacts_and_resolves_nothing_outside_loopback(fixture_server, fixture_profiles, tmp_path):
    # the option given on the command line this time; the page links an external server on loopback that
    # is not in the profile, and a host name that only DNS could resolve
    profile = nyj_profile(fixture_profiles, tmp_path, drop=("no_external",))
    ext_before = len(fixture_server.requests("_external"))
    trace = tmp_path / "strace.log"
    crawl(profile, tmp_path / "ws", "--no-external",
          prefix=("strace", "-f", "-qq", "-yy", "-e", "trace=socket,connect,sendto,sendmsg,close", "-o", str(trace)))
    text = trace.read_text(errors="replace")
    assert "connect(" in text  # the trace saw the crawl's own connections
    assert outside_loopback(text) == []
    assert len(fixture_server.requests("_external")) == ext_before, "the external server was contacted"
    db = open_db(tmp_path / "ws")
    rows = {r["url"]: (r["outcome"], r["error"]) for r in db.execute("SELECT url, outcome, error FROM resources")}
    assert rows["http://www.nongye-example.cn/"][0] == "not_checked"
    assert rows[f"{fixture_server.ext_url}/gov/"][0] == "not_checked"
    assert "未检查：站外地址" in rows["http://www.nongye-example.cn/"][1]
    stored = db.execute("SELECT profile_json FROM run_sites WHERE site_id='nyj'").fetchone()[0]
    assert '"no_external": true' in stored  # a resumed crawl keeps the option


def concurrency(timeline) -> int:
    """The most requests the server was answering at one moment."""
    events = sorted([(t0, 1) for _, _, t0, _ in timeline] + [(t1, -1) for _, _, _, t1 in timeline])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def test_the_site_sees_the_profiles_delay(fixture_server, fixture_profiles, tmp_path):
    # the case: delay and concurrency 1; the browser's requests during a render count too
    delay = 0.4
    profile = nyj_profile(fixture_profiles, tmp_path, limits={"delay": delay, "concurrency_per_host": 1})
    mark = len(fixture_server.timeline("nyj"))
    result = crawl(profile, tmp_path / "ws")
    seen = fixture_server.timeline("nyj")[mark:]
    assert len(seen) >= 15  # pages, robots.txt, images, and (with a browser) the render's own requests
    starts = sorted(t0 for _, _, t0, _ in seen)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= delay, f"two requests {min(gaps):.3f} s apart (profile delay {delay} s)"
    assert concurrency(seen) == 1
    row = open_db(tmp_path / "ws").execute("SELECT * FROM site_requests WHERE site_id='nyj'").fetchone()
    assert row["requests"] == len(seen) and row["min_gap_ms"] >= delay * 1000 and row["max_concurrency"] == 1
    assert re.search(r"请求 \d+ 次，用时 [\d.]+ 秒，平均 [\d.]+ 次/秒，最小间隔 0\.[4-9]\d 秒，最多同时 1 个", result.stdout), \
        result.stdout


def test_the_site_sees_no_more_than_the_profiles_concurrency(fixture_server, fixture_profiles, tmp_path):
    # no delay: Scrapy's own slot starts a burst of queued requests before it counts any of them
    ceiling = 2
    profile = nyj_profile(fixture_profiles, tmp_path, limits={"delay": 0, "concurrency_per_host": ceiling})
    mark = len(fixture_server.timeline("nyj"))
    crawl(profile, tmp_path / "ws")
    seen = fixture_server.timeline("nyj")[mark:]
    assert len(seen) >= 15
    assert concurrency(seen) <= ceiling
    row = open_db(tmp_path / "ws").execute("SELECT * FROM site_requests WHERE site_id='nyj'").fetchone()
    assert row["max_concurrency"] <= ceiling


def test_the_trace_reader_flags_what_leaves_loopback():
    lines = [
        '7 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5<TCP:[101]>',
        '7 connect(5<TCP:[101]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '7 sendto(5<TCP:[127.0.0.1:40000->127.0.0.1:80]>, "GET / HTTP/1.1", 14, 0, NULL, 0) = 14',
        '7 connect(6<UDPv6:[102]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        # another process reuses number 6 for its IPC socket pair: not the probe above (CI caught this)
        '8 sendto(6<UNIX-STREAM:[103->104]>, "\\20\\0\\0\\0p"..., 112, MSG_NOSIGNAL, NULL, 0 <unfinished ...>',
        '8 <... sendto resumed>) = 112',
        '9 sendto(4<TCPv6:[[::1]:41000->[::1]:8080]>, "x", 1, 0, NULL, 0) = 1',
    ]
    assert outside_loopback("\n".join(lines)) == []  # a route probe sends nothing
    sent = '7 sendto(6<UDPv6:[[2001:db8::1]:5000->[2001:4860:4860::8888]:443]>, "x", 1, 0, NULL, 0) = 1'
    tcp = '8 connect(9<TCP:[105]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("10.1.2.3")}, 16) ' \
          '= -1 EINPROGRESS'
    udp = '8 sendto(7<UDP:[106]>, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("10.1.2.3")}, 16) = 1'
    dns = '9 connect(3<UDP:[107]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0'
    nscd = '9 connect(4<UNIX-STREAM:[108]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT'
    unnamed = '9 connect(5, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("10.1.2.3")}, 16) = 0'
    found = outside_loopback("\n".join([*lines, sent, tcp, udp, dns, nscd, unnamed]))
    assert found == [sent, tcp, udp, dns, nscd, unnamed]


def snapshot_facts(db, run_id: int) -> dict:
    """What a round records of the site, without times: pages, entries, checked resources."""
    q = lambda sql: sorted(tuple(r) for r in db.execute(sql, (run_id,)))  # noqa: E731
    return dict(pages=q("SELECT url, status, kind, title, body_hash, fields, dates FROM pages WHERE run_id=?"),
                entries=q("SELECT url, title FROM entries WHERE run_id=?"),
                resources=q("SELECT url, method, status, outcome, sniffed_type FROM resources WHERE run_id=?"))


def findings_of(db, run_id: int) -> list[tuple]:
    return sorted(tuple(r) for r in db.execute(
        "SELECT code, severity, url, message FROM findings WHERE run_id=?", (run_id,)))


def test_incremental_round_reuses_unchanged_pages_and_records_the_same_snapshot(fixture_server, fixture_profiles,
                                                                                tmp_path):
    profile = nyj_profile(fixture_profiles, tmp_path, no_external=True)   # host_map and no_external together
    workspace = tmp_path / "ws"
    start = len(fixture_server.requests("nyj"))
    first = crawl(profile, workspace, "--incremental")
    check(workspace).close()
    assert "增量抓取" not in first.stdout      # nothing to reuse yet
    cached = list((workspace / "httpcache").rglob("response_body"))
    assert cached
    mark = len(fixture_server.requests("nyj"))
    second = crawl(profile, workspace, "--incremental")
    db = check(workspace)
    try:
        assert snapshot_facts(db, 2) == snapshot_facts(db, 1)
        assert findings_of(db, 2) == findings_of(db, 1) and findings_of(db, 1)
        rounds = {r["run_id"]: r for r in db.execute("SELECT * FROM site_requests WHERE site_id='nyj'")}
        assert rounds[1]["reused"] == 0 and rounds[2]["reused"] > 0
        assert rounds[2]["bytes_reused"] > 0 and rounds[2]["bytes_fetched"] < rounds[1]["bytes_fetched"]
        assert rounds[2]["requests"] == rounds[1]["requests"]
        assert f"增量抓取：{rounds[2]['reused']} 个响应未修改（304）" in second.stdout
        # link checks are cut after their first bytes: never stored as whole bodies, so never reused
        stored = {pickle.loads(gzip.decompress(p.read_bytes()))["url"] for p in (workspace / "httpcache").rglob("pickled_meta")}
        pages = {r[0] for r in db.execute("SELECT url FROM pages")}
        checked = {r[0] for r in db.execute("SELECT url FROM resources")} - pages
        assert checked and stored and stored.isdisjoint(checked)
        # every reuse was a conditional request: the site saw the same URLs as in the first round (how often
        # one URL is fetched may follow crawl order, e.g. a column page also reached as an ordinary link)
        seen = fixture_server.requests("nyj")
        assert set(seen[mark:]) == set(seen[start:mark])
    finally:
        db.close()


def test_incremental_round_sees_a_page_broken_since_the_last_round(fixture_server, fixture_profiles, tmp_path):
    profile = nyj_profile(fixture_profiles, tmp_path)
    workspace = tmp_path / "ws"
    crawl(profile, workspace, "--incremental")
    db = open_db(workspace)
    url = db.execute("SELECT url FROM pages WHERE run_id=1 AND kind='article' AND status=200 ORDER BY url").fetchone()[0]
    db.close()
    path = url[len(SITE):]
    fixture_server.set_route("nyj", path, {"status": 503})
    try:
        crawl(profile, workspace, "--incremental")
    finally:
        fixture_server.set_route("nyj", path, None)
    db = open_db(workspace)
    try:
        # the stored copy is reused only on a 304: a server error stays an error, never the last round's page
        assert db.execute("SELECT status FROM pages WHERE run_id=2 AND url=?", (url,)).fetchone()[0] == 503
        assert db.execute("SELECT reused FROM site_requests WHERE run_id=2").fetchone()[0] > 0
    finally:
        db.close()
