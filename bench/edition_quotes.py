"""Edition quotes per second, in-process and through HTTP, for a 6-tier strategy.

Run: .venv/bin/python bench/edition_quotes.py [--quotes 200000] [--http 500]

Each figure is reported with its ratio to a baseline timed in the same run over the same inputs:
in-process, the baseline is the cheapest step of a quote (look up the tier and multiply: CP × N);
over HTTP, it is `GET /v1/health` through the same app and client. Goal (issue 5): ≥ 100 000
quotes/s in-process, so that a 50 × 10 preview table renders without a wait.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tollhouse.domain.editions import (
    Cycle,
    DiscountRow,
    DiscountType,
    DurationDiscount,
    Edition,
    HeadcountLimits,
    OrderType,
    PriceBook,
    PriceTier,
    Strategy,
    TieredRule,
    cycle_price_fen,
    quote,
)

SIX_TIERS = Edition(
    "six-y", "Six tiers", Cycle.YEAR,
    TieredRule((
        PriceTier(1, 10, fixed_price_fen=150_000), PriceTier(11, 50, unit_price_fen=18_000),
        PriceTier(51, 100, unit_price_fen=15_000), PriceTier(101, 200, unit_price_fen=12_000),
        PriceTier(201, 500, unit_price_fen=10_000), PriceTier(501, None, unit_price_fen=8_000),
    )),
    basic=True,
    discount=DurationDiscount(
        DiscountType.PRICE_DISCOUNT, (DiscountRow(2, 90), DiscountRow(3, 80))
    ),
    limits=HeadcountLimits(1, 5_000), max_price_fen_per_cycle=20_000_000,
)  # fmt: skip
STRATEGY = Strategy(trial_days=30, editions=(SIX_TIERS,))


def rate(count: int, action: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for index in range(count):
        action(index)
    return count / (time.perf_counter() - start)


def in_process(count: int) -> list[tuple[str, float, float]]:
    rng = random.Random(7)
    inputs = [(rng.randint(1, 5_000), rng.randint(1, 5)) for _ in range(count)]
    baseline = rate(count, lambda i: cycle_price_fen(SIX_TIERS, inputs[i][0]) * inputs[i][1])
    new = OrderType.NEW_PURCHASE
    reference = rate(
        count,
        lambda i: quote(SIX_TIERS, order_type=new, headcount=inputs[i][0], cycles=inputs[i][1]),
    )
    cold = PriceBook(STRATEGY)
    compiled = rate(
        count,
        lambda i: cold.quote_uncached(
            "six-y", order_type=new, headcount=inputs[i][0], cycles=inputs[i][1]
        ),
    )
    warm = PriceBook(STRATEGY)
    for headcount, cycles in inputs:
        warm.quote("six-y", order_type=new, headcount=headcount, cycles=cycles)
    memo = rate(
        count,
        lambda i: warm.quote("six-y", order_type=new, headcount=inputs[i][0], cycles=inputs[i][1]),
    )
    table = PriceBook(STRATEGY)
    counts = list(range(1, 5_001, 100))  # 50 head-counts
    start = time.perf_counter()
    table.table("six-y", headcounts=counts, cycles=list(range(1, 11)))
    preview_s = time.perf_counter() - start
    return [
        ("baseline: tier lookup × N (CP × N)", baseline, 1.0),
        ("quote(), reference algorithm", reference, reference / baseline),
        ("PriceBook, compiled, no memo", compiled, compiled / baseline),
        ("PriceBook, memoised (repeat inputs)", memo, memo / baseline),
        (
            f"preview 50 × 10 cold ({preview_s * 1000:.1f} ms), cells/s",
            500 / preview_s,
            (500 / preview_s) / baseline,
        ),
    ]


def over_http(count: int) -> list[tuple[str, float, float]]:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from tollhouse.adapters.clock import ManualClock  # noqa: PLC0415
    from tollhouse.bootstrap import build_app, build_runtime  # noqa: PLC0415
    from tollhouse.config import Settings  # noqa: PLC0415
    from tollhouse.domain.editions import strategy_to_json  # noqa: PLC0415
    from tollhouse.services import editions as svc  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            admin_key="bench-admin",
            run_worker=False,
        )
        runtime = build_runtime(settings, clock=ManualClock(datetime(2024, 5, 6, tzinfo=UTC)))
        svc.create_vendor(runtime, "wwbench")
        svc.add_suite(runtime, "wwbench", "suite1", "s")
        app = svc.create_app(runtime, "wwbench", suite_id="suite1", corpid="wwcorp")
        svc.put_strategy(runtime, app["app_id"], strategy_to_json(STRATEGY))
        svc.go_live(runtime, app["app_id"])
        headers = {"Authorization": "Bearer bench-admin"}
        url = f"/v1/editions/apps/{app['app_id']}/quotes"
        rng = random.Random(7)
        bodies = [
            {
                "order_type": 0,
                "edition_id": "six-y",
                "user_count": rng.randint(1, 5_000),
                "cycles": rng.randint(1, 5),
            }
            for _ in range(count)
        ]
        with TestClient(build_app(settings, runtime=runtime, worker=False)) as client:
            client.get("/v1/health")
            baseline = rate(count, lambda _: client.get("/v1/health"))
            quotes = rate(count, lambda i: client.post(url, json=bodies[i], headers=headers))
        runtime.extras["engine"].dispose()
    return [
        ("baseline: GET /v1/health", baseline, 1.0),
        ("POST .../quotes (SQLite, TestClient)", quotes, quotes / baseline),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=200_000)
    parser.add_argument("--http", type=int, default=500)
    args = parser.parse_args()
    rows = in_process(args.quotes) + over_http(args.http)
    print(f"{'measure':<44} {'per second':>14} {'× baseline':>11}")
    for name, per_second, ratio in rows:
        print(f"{name:<44} {per_second:>14,.0f} {ratio:>11.3f}")


if __name__ == "__main__":
    main()
