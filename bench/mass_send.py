"""Mass-send quota step: recipients checked-and-consumed per second, and ms per 10,000-id send.

100,000 followers, 50 sends of 10,000 distinct followers each (seeded), cap 4 per month. Measures
the SQL counter (SQLite file, WAL) and the Redis counter beside baselines timed in the same run:

- a plain dict loop (the in-process floor);
- a naive set-based SQLite upsert, §6.2's statement (one row per follower-month, json_each);
- one Lua call per send on a Redis hash keyed by 28-character OpenIDs (§6.3's reference);
- the ``limits`` package, fixed window "4/month" (a 30-day window, §3.4), one ``hit`` per
  recipient, with memory and Redis storage (Redis storage is timed on 5 sends: it is slow).

It then times the whole HTTP call: ``POST /cgi-bin/message/mass/send`` with 10,000 OpenIDs
through the ASGI app (in-process, no socket) on a SQLite file, 100,000 followers, 50 calls, and
reports the median and p95 (goal: median ≤ 60 ms).

Usage: ``python bench/mass_send.py [--redis redis://127.0.0.1:56379/0]`` (or
TOLLHOUSE_BENCH_REDIS_URL); without Redis the Redis rows are skipped. ``--http-only`` runs only
the HTTP part.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tollhouse.adapters.counters.base import Bucket
from tollhouse.adapters.counters.sql import SqlQuotaCounter
from tollhouse.adapters.db.engine import make_engine

FOLLOWERS = 100_000
SENDS = 50
PER_SEND = 10_000
CAP = 4
ACCOUNT = "wxbench0000000001"
MONTH = "2026-09"

Send = list[int]
Runner = Callable[[Send], int]  # returns how many recipients were refused


def openid(ordinal: int) -> str:
    return f"oBench{ordinal:022d}"  # 28 characters, like WeChat OpenIDs


def time_sends(run: Runner, sends: list[Send]) -> tuple[list[float], int]:
    timings, refused = [], 0
    for send in sends:
        start = time.perf_counter()
        refused += run(send)
        timings.append(time.perf_counter() - start)
    return timings, refused


# -- subjects -----------------------------------------------------------------------------------


def dict_loop() -> Runner:
    used: dict[tuple[str, int], int] = {}

    def run(send: Send) -> int:
        refused = 0
        for ordinal in send:
            key = (MONTH, ordinal)
            count = used.get(key, 0)
            if count < CAP:
                used[key] = count + 1
            else:
                refused += 1
        return refused

    return run


def sql_counter(workdir: Path) -> Runner:
    counter = SqlQuotaCounter(make_engine(f"sqlite:///{workdir}/counter.db"))
    counter.create_tables()
    bucket = Bucket(ACCOUNT, MONTH)
    return lambda send: len(counter.consume(bucket, send, cap=CAP))


NAIVE_UPSERT = """
INSERT INTO wechat_follower_month (appid, month, openid, received)
SELECT ?, ?, value, 1 FROM json_each(?) WHERE true
ON CONFLICT (appid, month, openid)
DO UPDATE SET received = wechat_follower_month.received + 1
WHERE wechat_follower_month.received < ?
RETURNING openid
"""


def naive_sqlite_upsert(workdir: Path) -> Runner:
    db = sqlite3.connect(workdir / "naive.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE wechat_follower_month (appid TEXT, month TEXT, openid TEXT, "
        "received INTEGER, PRIMARY KEY (appid, month, openid)) WITHOUT ROWID"
    )

    def run(send: Send) -> int:
        ids = json.dumps(sorted(openid(o) for o in send))
        db.execute("BEGIN IMMEDIATE")
        charged = db.execute(NAIVE_UPSERT, (ACCOUNT, MONTH, ids, CAP)).fetchall()
        db.execute("COMMIT")
        return len(send) - len(charged)

    return run


HASH_LUA = """
local refused = 0
for i = 2, #ARGV do
  local n = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if n < tonumber(ARGV[1]) then redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  else refused = refused + 1 end
end
redis.call('EXPIRE', KEYS[1], 5356800)
return refused
"""


def redis_hash_lua(url: str) -> Runner:
    from redis import Redis  # noqa: PLC0415 - optional

    client = Redis.from_url(url)
    key = f"bench:{{{ACCOUNT}:202609}}:fm"
    client.delete(key)
    script = client.register_script(HASH_LUA)
    return lambda send: int(script(keys=[key], args=[CAP, *(openid(o) for o in send)]))


def redis_counter(url: str) -> Runner:
    from redis import Redis  # noqa: PLC0415 - optional

    from tollhouse.adapters.counters.redis import RedisQuotaCounter  # noqa: PLC0415

    counter = RedisQuotaCounter(Redis.from_url(url))
    bucket = Bucket(ACCOUNT + "r", MONTH)
    counter.reset(bucket)
    return lambda send: len(counter.consume(bucket, send, cap=CAP))


def limits_runner(storage_uri: str) -> Runner:
    from limits import parse, storage, strategies  # noqa: PLC0415 - optional

    backend = storage.storage_from_string(storage_uri)
    backend.reset()
    limiter = strategies.FixedWindowRateLimiter(backend)
    item = parse(f"{CAP}/month")

    def run(send: Send) -> int:
        return sum(1 for o in send if not limiter.hit(item, ACCOUNT, MONTH, openid(o)))

    return run


# -- report -------------------------------------------------------------------------------------


def row(name: str, timings: list[float], refused: int) -> dict[str, object]:
    recipients = PER_SEND * len(timings)
    return {
        "name": name,
        "sends": len(timings),
        "rate": recipients / sum(timings),
        "median_ms": statistics.median(timings) * 1000,
        "max_ms": max(timings) * 1000,
        "refused": refused,
    }


def http_mass_send(workdir: Path, calls: int = SENDS) -> dict[str, float]:
    """Median and p95 ms of POST /cgi-bin/message/mass/send with 10,000 OpenIDs on SQLite."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from fastapi.testclient import TestClient  # noqa: PLC0415

    from tollhouse.adapters.callbacks.http_sender import RecordingCallbackSender  # noqa: PLC0415
    from tollhouse.bootstrap import build_app, build_runtime  # noqa: PLC0415
    from tollhouse.config import Settings  # noqa: PLC0415
    from tollhouse.services import massend as svc  # noqa: PLC0415

    settings = Settings(database_url=f"sqlite:///{workdir}/http.db", run_worker=False)
    runtime = build_runtime(settings, sender=RecordingCallbackSender())
    account = svc.create_account(
        runtime, svc.NewAccount(type="service", now=datetime(2026, 9, 10, 2, tzinfo=UTC))
    )
    appid = account["appid"]
    followers: list[str] = []
    while len(followers) < FOLLOWERS:
        followers += svc.add_followers(runtime, appid, generate=10_000)["openids"]
    token = svc.issue_token(
        runtime, grant_type="client_credential", appid=appid, secret=account["secret"]
    )["access_token"]
    rnd = random.Random(7)
    bodies = [
        json.dumps(
            {
                "touser": rnd.sample(followers, PER_SEND),
                "msgtype": "text",
                "text": {"content": f"bench {n}"},
            }
        )
        for n in range(calls + 3)
    ]
    timings, cpu = [], []
    with TestClient(build_app(settings, runtime=runtime, worker=False)) as client:
        for n, body in enumerate(bodies):
            start, start_cpu = time.perf_counter(), time.process_time()
            answer = client.post(
                "/cgi-bin/message/mass/send",
                params={"access_token": token},
                content=body,
                headers={"Content-Type": "application/json"},
            )
            elapsed, used = time.perf_counter() - start, time.process_time() - start_cpu
            if answer.json().get("errcode") != 0:
                raise SystemExit(f"mass/send failed: {answer.json()}")
            if n >= 3:  # warm-up
                timings.append(elapsed * 1000)
                cpu.append(used * 1000)
    timings.sort()
    # CPU time of the process (all threads) is less sensitive to a busy machine than wall time
    return {
        "calls": len(timings),
        "median_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "min_ms": timings[0],
        "cpu_median_ms": statistics.median(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default=os.environ.get("TOLLHOUSE_BENCH_REDIS_URL"))
    parser.add_argument("--http-only", action="store_true")
    args = parser.parse_args()
    redis_url = args.redis
    if args.http_only:
        print_http(http_mass_send(Path(tempfile.mkdtemp(prefix="tollhouse-bench-"))))
        return
    rnd = random.Random(2026)
    sends = [rnd.sample(range(FOLLOWERS), PER_SEND) for _ in range(SENDS)]
    workdir = Path(tempfile.mkdtemp(prefix="tollhouse-bench-"))
    subjects: list[tuple[str, Callable[[], Runner], int]] = [
        ("dict loop (baseline)", dict_loop, SENDS),
        ("SqlQuotaCounter, SQLite file", lambda: sql_counter(workdir), SENDS),
        ("naive set upsert, SQLite (§6.2)", lambda: naive_sqlite_upsert(workdir), SENDS),
        ("limits 4/month, memory", lambda: limits_runner("memory://"), SENDS),
    ]
    if redis_url:
        subjects += [
            ("RedisQuotaCounter", lambda: redis_counter(redis_url), SENDS),
            ("raw Lua per send, hash (§6.3)", lambda: redis_hash_lua(redis_url), SENDS),
            ("limits 4/month, Redis", lambda: limits_runner(redis_url), 5),
        ]
    results = {}
    for name, make, count in subjects:
        timings, refused = time_sends(make(), sends[:count])
        results[name] = row(name, timings, refused)
    print_table(results, redis=bool(redis_url))
    print_http(http_mass_send(workdir))


def print_http(result: dict[str, float]) -> None:
    print(
        f"\nHTTP POST /cgi-bin/message/mass/send, 10,000 OpenIDs, SQLite, {FOLLOWERS:,} "
        f"followers, {result['calls']:.0f} calls: median {result['median_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, min {result['min_ms']:.1f} ms, CPU median "
        f"{result['cpu_median_ms']:.1f} ms (goal: median ≤ 60 ms)"
    )


def print_table(results: dict[str, dict[str, object]], *, redis: bool) -> None:
    print(f"{FOLLOWERS:,} followers, {SENDS} sends of {PER_SEND:,}, cap {CAP}/month\n")
    header = f"{'store':34} {'sends':>5} {'recipients/s':>14} {'ms/10k med':>11} {'max':>8} refused"
    print(header)
    print("-" * len(header))
    for r in results.values():
        print(
            f"{r['name']:34} {r['sends']:>5} {r['rate']:>14,.0f} {r['median_ms']:>11.2f}"
            f" {r['max_ms']:>8.2f} {r['refused']:>7,}"
        )

    def ratio(a: str, b: str) -> None:
        if a in results and b in results:
            x, y = float(results[a]["rate"]), float(results[b]["rate"])  # type: ignore[arg-type]
            print(f"  {a} / {b}: {x / y:.2f}x")

    print("\nratios (recipients/s):")
    ratio("SqlQuotaCounter, SQLite file", "naive set upsert, SQLite (§6.2)")
    ratio("SqlQuotaCounter, SQLite file", "dict loop (baseline)")
    ratio("SqlQuotaCounter, SQLite file", "limits 4/month, memory")
    if redis:
        ratio("RedisQuotaCounter", "raw Lua per send, hash (§6.3)")
        ratio("RedisQuotaCounter", "limits 4/month, Redis")
        ratio("RedisQuotaCounter", "dict loop (baseline)")
    print("\nrefused must match across the 50-send rows (same sends, same cap).")


if __name__ == "__main__":
    main()
