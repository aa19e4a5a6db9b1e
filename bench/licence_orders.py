"""Licence orders and pricing: how fast, against baselines measured in the same run.

1. In-process price computation for a 5-tier graduated table (the platform's basic table),
   against a naive per-account loop over the same positions.
2. `create_new_order` through HTTP on SQLite (uvicorn in a subprocess, one keep-alive client),
   against a trivial FastAPI endpoint on the same server that writes one row.

Usage: .venv/bin/python bench/licence_orders.py [--orders 1000] [--seconds 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tollhouse.domain.licences import AccountType, PlatformPricing  # noqa: E402


def rate(fn, seconds: float) -> float:  # type: ignore[no-untyped-def]
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            fn()
        count += 200
    return count / elapsed


def in_process(seconds: float) -> list[tuple[str, float, str]]:
    pricing = PlatformPricing.default()
    table, rules = pricing.basic, pricing.rules

    def tiered() -> None:
        rules.line(table, type_=AccountType.BASIC, count=1_200, offset=150, duration_days=372)

    def naive() -> None:
        total = Decimal(0)
        for position in range(151, 1_351):
            total += table.unit_price_at(position) or 0
        (total * 372 / 372).quantize(Decimal(1))

    def tiered_small() -> None:
        rules.line(table, type_=AccountType.BASIC, count=8, offset=0, duration_days=82)

    fast = rate(tiered, seconds)
    slow = rate(naive, seconds)
    small = rate(tiered_small, seconds)
    return [
        ("price 1,200 accounts, 5-tier table (computations/s)", fast, f"{fast / slow:.0f}x naive"),
        ("naive per-account loop, same purchase (baseline)", slow, "1x"),
        ("price 8 accounts, 82 days (computations/s)", small, ""),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(db: Path, corps: int) -> None:
    from tollhouse.adapters.db.engine import make_engine  # noqa: PLC0415
    from tollhouse.bootstrap import build_runtime  # noqa: PLC0415
    from tollhouse.config import Settings  # noqa: PLC0415
    from tollhouse.services import licence_setup as setup  # noqa: PLC0415

    engine = make_engine(f"sqlite:///{db}")
    runtime = build_runtime(Settings(database_url=f"sqlite:///{db}"), engine=engine)
    setup.create_provider(
        runtime,
        setup.NewProvider(
            corpid="wwbench",
            provider_secret="s",
            sandbox=True,
            clock_now=datetime(2024, 5, 6, 2, tzinfo=UTC),
            admins=["admin1"],
        ),
    )
    for i in range(corps):
        setup.save_corp(runtime, "wwbench", f"corp{i}", members=[{"userid": "u1"}])
        setup.install_app(runtime, "wwbench", f"corp{i}", "suite")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, body TEXT)")
    engine.dispose()


SERVER = """
import sys
from fastapi import Request
from sqlalchemy import text
from tollhouse.bootstrap import build_app
from tollhouse.config import Settings
settings = Settings(database_url=sys.argv[1], run_worker=False)
app = build_app(settings)
engine = app.state.runtime.extras["engine"]

@app.post("/bench/trivial")
async def trivial(request: Request) -> dict:
    body = await request.body()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bench_rows (body) VALUES (:b)"), {"b": body.decode()})
    return {"errcode": 0, "errmsg": "ok"}

import uvicorn
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def over_http(orders: int) -> list[tuple[str, float, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        prepare(db, orders)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, f"sqlite:///{db}", str(port)], env=env
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=10) as client:
                _wait(client)
                token = client.post(
                    "/cgi-bin/service/get_provider_token",
                    json={"corpid": "wwbench", "provider_secret": "s"},
                ).json()["provider_access_token"]
                trivial = _timed(
                    orders,
                    lambda i: client.post("/bench/trivial", json={"corpid": f"corp{i}", "n": i}),
                )
                created = _timed(
                    orders,
                    lambda i: client.post(
                        "/cgi-bin/license/create_new_order",
                        params={"provider_access_token": token},
                        json={
                            "corpid": f"corp{i}",
                            "buyer_userid": "admin1",
                            "account_count": {"base_count": 8, "external_contact_count": 2},
                            "account_duration": {"months": 12},
                        },
                    ),
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    ratio = trivial[0] / created[0]
    return [
        (
            "create_new_order via HTTP, SQLite (orders/s)",
            created[0],
            f"{ratio:.2f}x slower than trivial; p50 {created[1]:.2f} ms, p99 {created[2]:.2f} ms",
        ),
        (
            "trivial endpoint writing one row (baseline, req/s)",
            trivial[0],
            f"p50 {trivial[1]:.2f} ms, p99 {trivial[2]:.2f} ms",
        ),
    ]


def _wait(client: httpx.Client) -> None:
    for _ in range(200):
        try:
            client.get("/v1/health")
        except httpx.TransportError:
            time.sleep(0.05)
        else:
            return
    raise SystemExit("server did not start")


def _timed(n: int, call) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        response = call(i)
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.json().get("errcode") != 0:
            raise SystemExit(f"request {i} failed: {response.text}")
    elapsed = time.perf_counter() - start
    latencies.sort()
    return n / elapsed, statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    rows = in_process(args.seconds) + over_http(args.orders)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'per second':>12}  ratio / latency")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>12,.0f}  {note}")


if __name__ == "__main__":
    main()
