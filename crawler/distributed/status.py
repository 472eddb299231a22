"""What `zwgk status --redis-url` shows: the distributed runs in Redis, per site queued / in flight / done, workers."""

from __future__ import annotations

import json
import time

from crawler.distributed.keys import ACTIVE, RUNS, RunKeys


def cluster_status(client) -> dict:
    """Every run still in Redis (the active one first) with its sites and workers."""
    active = (client.get(ACTIVE) or b"").decode()
    runs = []
    for raw in sorted(client.smembers(RUNS), key=lambda t: t != active.encode()):
        token = raw.decode()
        keys = RunKeys(token)
        meta = {k.decode(): v.decode() for k, v in client.hgetall(keys.meta).items()}
        if not meta:
            client.srem(RUNS, token)   # its keys have expired
            continue
        runs.append(_run(client, keys, meta, token == active))
    return dict(active=active, runs=runs)


def _run(client, keys: RunKeys, meta: dict, active: bool) -> dict:
    pending = {k.decode(): int(v) for k, v in client.hgetall(keys.pending).items()}
    finished = {k.decode(): int(v) for k, v in client.hgetall(keys.finished).items()}
    done = {m.decode() for m in client.smembers(keys.done)}
    inflight: dict[str, int] = {}
    workers = []
    now = time.time()
    for raw in sorted(client.smembers(keys.workers)):
        worker = raw.decode()
        beat = client.get(keys.worker(worker))
        info = json.loads(beat) if beat else {}
        flights = client.hvals(keys.inflight(worker))
        for value in flights:
            site = value.split(b"\n", 1)[1][12:].split(b"\n", 1)[0].decode()
            inflight[site] = inflight.get(site, 0) + 1
        workers.append(dict(id=worker, alive=bool(beat), host=info.get("host", ""), pid=info.get("pid"),
                            last_beat_s=round(now - info["at"], 1) if info else None,
                            responses=info.get("responses", 0), in_flight=len(flights)))
    sites = []
    for site in json.loads(meta.get("sites", "[]")):
        sid = site["id"]
        sites.append(dict(id=sid, queued=max(0, pending.get(sid, 0) - inflight.get(sid, 0)),
                          in_flight=inflight.get(sid, 0), finished=finished.get(sid, 0), done=sid in done,
                          delay=site["delay"], concurrency=site["concurrency"]))
    return dict(token=meta.get("token"), run_id=meta.get("run_id"), workspace=meta.get("workspace"),
                status=meta.get("status"), version=meta.get("version"), fingerprint=meta.get("fingerprint"),
                coordinator=meta.get("coordinator"), coordinator_alive=bool(client.exists(keys.coordinator)),
                active=active, queued=client.zcard(keys.requests), expires_s=client.ttl(keys.meta),
                sites=sites, workers=workers)
