"""Licence interception check and batch activation (spec wecom-licences L59, L41).

For corps of 10,000 and 100,000 members on a SQLite file (WAL), half of them licensed, a quarter
outside the visible range and a quarter never activated (already notified today, the steady
state), measures beside baselines timed in the same run:

- in-process checks per second (``services.licence_codes.check`` on a warm cache) against a plain
  dict lookup over the same random userids;
- the cache-miss check (one read transaction per member) and the first blocked check of a member
  of the day (one write: the ``unlicensed_notify`` event);
- HTTP ``POST /v1/wecom/licences/check`` through uvicorn on 127.0.0.1 (sequential, keep-alive),
  p50/p99, against ``GET /v1/health`` on the same server;
- one 1,000-item ``batch_active_account`` (service call) against reading the same 1,000 codes
  and members in one read transaction.

Usage: ``python bench/licence_check.py [--http-requests 5000] [--sizes 10000,100000]``
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).absolute().parents[1] / "src"))

from tollhouse.adapters.db.engine import make_engine
from tollhouse.bootstrap import build_app, build_runtime
from tollhouse.config import Settings
from tollhouse.domain.licence_codes import ApiClass
from tollhouse.domain.licences import Duration
from tollhouse.domain.periods import SHANGHAI, local_date
from tollhouse.services import licence_codes as codes
from tollhouse.services import licence_orders as orders
from tollhouse.services import licence_setup as setup

ADMIN = "thk_bench_admin"
SUITE = "suite1"
NOW = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)


def populate(runtime: Any, provider: str, corpid: str, size: int) -> list[str]:
    setup.create_provider(
        runtime,
        setup.NewProvider(
            corpid=provider,
            provider_secret="s",
            sandbox=True,
            clock_now=NOW,
            admins=["admin1"],
        ),
    )
    setup.save_corp(runtime, provider, corpid)
    setup.install_app(runtime, provider, corpid, SUITE, at=NOW - timedelta(days=400))
    userids = [f"user{i:06d}" for i in range(size)]
    members = [{"userid": u, "visible": i % 4 != 1} for i, u in enumerate(userids)]
    rows = [
        {
            "active_code": f"LC{provider}{i:07d}",
            "provider_corpid": provider,
            "order_id": "bench",
            "owner_corpid": corpid,
            "type": 1,
            "duration_days": 372,
            "create_time": NOW - timedelta(days=10),
            "userid": u,
            "bound_corpid": corpid,
            "active_time": NOW - timedelta(days=10),
            "expire_time": NOW + timedelta(days=362),
            "awaiting_transfer": False,
            "invalidated": False,
        }
        for i, u in enumerate(userids)
        if i % 2 == 0
    ]
    with runtime.uow() as uow:
        for start in range(0, size, 5000):
            uow.licences.upsert_members(provider, corpid, members[start : start + 5000])
        for start in range(0, len(rows), 5000):
            uow.licences.add_codes(rows[start : start + 5000])
        uow.commit()
    return userids


def rate(fn: Callable[[str], Any], userids: list[str]) -> float:
    started = time.perf_counter()
    for userid in userids:
        fn(userid)
    return len(userids) / (time.perf_counter() - started)


def in_process(
    runtime: Any, provider: str, corpid: str, userids: list[str], samples: int
) -> dict[str, float]:
    codes.warm_check_cache(runtime, provider, corpid)
    cache = codes.check_cache(runtime)
    today = local_date(NOW, SHANGHAI)
    for i, userid in enumerate(userids):  # steady state: blocked members were notified today
        if i % 4 == 3:
            cache.mark_notified(today, (provider, corpid, userid))
    rng = random.Random(7)
    picks = [rng.choice(userids) for _ in range(samples)]
    table = {u: i for i, u in enumerate(userids)}

    def check(userid: str) -> Any:
        return codes.check(
            runtime, codes.CheckRequest(provider, corpid, SUITE, userid, ApiClass.BASIC)
        )

    check(picks[0])
    out = {"dict": rate(table.__getitem__, picks), "check": rate(check, picks)}
    outcomes = [check(u).allowed for u in picks[:1000]]
    out["allowed_share"] = sum(outcomes) / len(outcomes)
    cold = picks[:1000]
    cache.bump()
    out["miss"] = rate(check, cold)
    fresh = [u for i, u in enumerate(userids) if i % 4 == 3][-200:]
    for userid in fresh:
        cache.notified.get(today, set()).discard((provider, corpid, userid))
    codes.warm_check_cache(runtime, provider, corpid)
    out["first_blocked"] = rate(check, fresh)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def over_http(
    runtime: Any, provider: str, corpid: str, userids: list[str], requests: int
) -> dict[str, float]:
    import httpx  # noqa: PLC0415
    import uvicorn  # noqa: PLC0415

    app = build_app(runtime.settings, runtime=runtime, worker=False)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    codes.warm_check_cache(runtime, provider, corpid)
    rng = random.Random(11)
    headers = {"Authorization": f"Bearer {ADMIN}"}
    results: dict[str, float] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:

        def timed(call: Callable[[], Any]) -> list[float]:
            took = []
            for _ in range(requests):
                started = time.perf_counter()
                response = call()
                took.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text  # noqa: S101
            return sorted(took)

        for _ in range(200):  # warm-up
            client.get("/v1/health")
        health = timed(lambda: client.get("/v1/health"))
        body = {"provider": provider, "corpid": corpid, "suite_id": SUITE, "api_class": "basic"}
        checks = timed(
            lambda: client.post(
                "/v1/wecom/licences/check", json={**body, "userid": rng.choice(userids)}
            )
        )
    server.should_exit = True
    thread.join(timeout=5)
    for name, took in (("health", health), ("check", checks)):
        results[f"{name}_p50"] = statistics.median(took)
        results[f"{name}_p99"] = took[int(len(took) * 0.99) - 1]
    return results


def batch(runtime: Any) -> dict[str, float]:
    provider, corpid = "wwbatch", "wwbatchcorp"
    setup.create_provider(
        runtime,
        setup.NewProvider(
            corpid=provider,
            provider_secret="s",
            sandbox=True,
            clock_now=NOW,
            admins=["admin1"],
        ),
    )
    setup.save_corp(runtime, provider, corpid, members=[{"userid": f"b{i}"} for i in range(1000)])
    setup.install_app(runtime, provider, corpid, SUITE, at=NOW - timedelta(days=400))
    order = orders.create_new_order(
        runtime, provider, orders.NewOrder(corpid, "admin1", 1000, 0, Duration(12, 0))
    )
    orders.pay_order(runtime, provider, order.order_id)
    with runtime.uow(readonly=True) as uow:
        found = [
            r["active_code"]
            for r in uow.licences.order_codes(order.order_id, after=None, limit=1000)
        ]
    items = [(code, f"b{i}") for i, code in enumerate(found)]
    started = time.perf_counter()
    with runtime.uow(readonly=True) as uow:
        uow.codes.get_many(provider, found)
        uow.codes.members(provider, corpid, [u for _, u in items])
        uow.codes.held_by_members(provider, corpid, [u for _, u in items])
    read_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    outcome = codes.batch_activate_codes(runtime, provider, corpid, items)
    batch_ms = (time.perf_counter() - started) * 1000
    assert outcome.errcode == 0  # noqa: S101
    assert {r.errcode for r in outcome.results} == {0}  # noqa: S101
    return {"read_ms": read_ms, "batch_ms": batch_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--http-requests", type=int, default=5000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tollhouse-bench-"))
    engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
    settings = Settings(database_url=str(engine.url), admin_key=ADMIN, run_worker=False)
    runtime = build_runtime(settings, engine=engine)
    print("| measure | members | baseline | result | ratio |")
    print("|---|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        provider, corpid = f"wwbench{size}", f"wwcorp{size}"
        userids = populate(runtime, provider, corpid, size)
        got = in_process(runtime, provider, corpid, userids, args.samples)
        print(
            f"| in-process checks/s (warm; {got['allowed_share']:.0%} allowed) | {size:,} | "
            f"dict lookup {got['dict']:,.0f}/s | {got['check']:,.0f}/s | "
            f"{got['dict'] / got['check']:.1f}× slower |"
        )
        print(
            f"| in-process checks/s, cache miss (1 read tx) | {size:,} | – | "
            f"{got['miss']:,.0f}/s | {got['check'] / got['miss']:.0f}× the warm check |"
        )
        print(
            f"| first blocked check of the day (writes unlicensed_notify) | {size:,} | – | "
            f"{got['first_blocked']:,.0f}/s | – |"
        )
        web = over_http(runtime, provider, corpid, userids, args.http_requests)
        print(
            f"| HTTP check p50 / p99 (ms) | {size:,} | health {web['health_p50']:.2f} / "
            f"{web['health_p99']:.2f} | {web['check_p50']:.2f} / {web['check_p99']:.2f} | "
            f"{web['check_p99'] / web['health_p99']:.1f}× at p99 |"
        )
    done = batch(runtime)
    print(
        f"| batch_active_account, 1,000 items (ms) | 1,000 | read the same rows "
        f"{done['read_ms']:.1f} | {done['batch_ms']:.1f} | "
        f"{done['batch_ms'] / done['read_ms']:.1f}× |"
    )


if __name__ == "__main__":
    main()
