# ruff: noqa: PLC0415, S105, PERF401 - imports follow the sys.path set-up; bench secrets are fixtures
"""WhatsApp ingestion benchmark: statuses rated per second in-process, and ingested through
HTTP batches (verify signature, parse, store, deduplicate, rate, commit) on SQLite and, when
``TOLLHOUSE_BENCH_POSTGRES_URL`` is set, on PostgreSQL. Baselines are timed in the same run:
parsing only, and storing the same events without rating.

    .venv/bin/python bench/whatsapp_ingest.py            # full run, prints one table
    .venv/bin/python bench/whatsapp_ingest.py --quick    # smaller sizes

The HTTP server runs in its own process (uvicorn, one worker); the client sends pre-built,
pre-signed bodies over one keep-alive connection.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

ADMIN = "thk_bench_admin"
SECRET = "bench-secret"
MARKETS = ("551191", "919876", "628123", "525512", "491701", "447700", "336123", "393123",
           "346123", "316123", "905321", "201012", "234803", "278212", "549112", "573001",
           "569123", "519123", "966501", "121255")
CATEGORIES = ("marketing", "utility", "authentication")
FEBRUARY = int(datetime(2026, 2, 1, tzinfo=UTC).timestamp())
Row = tuple[str, int, float, str]  # label, items, seconds, baseline key


def statuses(count: int, *, seed: int = 7, prefix: str = "w") -> list[dict[str, Any]]:
    """``count`` statuses: sent + delivered pairs of templates in 20 markets."""
    rng = random.Random(seed)
    found: list[dict[str, Any]] = []
    for index in range(count // 2):
        price = {"billable": True, "pricing_model": "PMP", "type": "regular",
                 "category": CATEGORIES[index % 3]}
        recipient = f"{MARKETS[index % 20]}{rng.randrange(10**5, 10**6)}"
        at = str(FEBRUARY + rng.randrange(27 * 86400))
        for kind in ("sent", "delivered"):
            found.append({"id": f"wamid.{prefix}{index}", "status": kind, "timestamp": at,
                          "recipient_id": recipient, "pricing": price})
    return found


def body(chunk: list[dict[str, Any]]) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "W1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "15550000001", "phone_number_id": "P1"},
            "statuses": chunk}}]}]}).encode()


def timed(fn: Callable[[], Any]) -> float:
    """Seconds for ``fn``; the fixtures built so far are moved out of the collector's sight
    first (``gc.freeze``), as a server's start-up state would be, so that the benchmark's own
    hundreds of thousands of prepared events do not make every full collection slower."""
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---- in-process -------------------------------------------------------------------------------


def in_process(count: int) -> list[Row]:
    """Parsing (baseline) and rating confirmed statuses against the preloaded rate book, in
    batches of 2,000 with a fresh ``Rater`` each (as the ingest path rates them) sharing the
    catalogue's precomputed ``PriceIndex``."""
    from tollhouse.domain.whatsapp.rating import (
        ChargeFacts,
        Rater,
        Waba,
        facts_from_statuses,
        rate_groups,
    )
    from tollhouse.domain.whatsapp.webhooks import parse_webhook
    from tollhouse.services.whatsapp_ingest import build_catalogue

    raw = statuses(count * 2)
    bodies = [json.loads(body(raw[i:i + 2000])) for i in range(0, len(raw), 2000)]
    parsed: list[Any] = []
    parse_s = timed(lambda: [parsed.extend(parse_webhook(b)) for b in bodies])
    delivered = [s for s in parsed if s.status.value == "delivered"]
    facts: list[ChargeFacts] = [f for s in delivered if (f := facts_from_statuses([s]))]
    cat = build_catalogue([])
    waba = Waba("W1", "USD", ZoneInfo("UTC"), "W1")
    chunks = [facts[i:i + 2000] for i in range(0, len(facts), 2000)]
    charged = [0]

    def rate() -> None:
        for chunk in chunks:
            charged[0] += len(rate_groups(Rater(cat.book, cat.resolver, index=cat.index),
                                          [(waba, chunk)]))

    rate_groups(Rater(cat.book, cat.resolver, index=cat.index), [(waba, chunks[0])])  # warm
    rate_s = timed(rate)
    assert charged[0] == len(facts), "every confirmed status is charged once"  # noqa: S101
    return [("parse webhook statuses (baseline A)", len(parsed), parse_s, "A"),
            ("rate confirmed statuses in-process (warm price index)", len(facts), rate_s, "A")]


def in_process_store(count: int, url: str) -> list[Row]:
    """Store the same batches without rating (baseline B) and with rating, in-process."""
    from tollhouse.services import whatsapp_ingest as ingest

    results: list[Row] = []
    for label, rate in (("store without rating (baseline B)", False), ("store + rate", True)):
        runtime = _runtime(url if rate else _other(url))
        raw = statuses(count, prefix="s")
        batches = []
        for start in range(0, len(raw), 2000):
            batch = ingest.Batch(f"{label}{start}", "bench")
            batch.add_body(json.loads(body(raw[start:start + 2000])))
            batches.append(batch)
        seconds = timed(lambda b=batches, r=runtime, rt=rate: [  # type: ignore[misc]
            ingest.store(r, x, rate=rt) for x in b])
        name = f"{label}, in-process, {_engine_name(url)}"
        results.append((name, len(raw), seconds, "B"))
    return results


def _other(url: str) -> str:
    if url.startswith("sqlite"):
        return url.replace(".sqlite3", "-baseline.sqlite3")
    return url


def _engine_name(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def _runtime(url: str) -> Any:
    from tollhouse.adapters.clock import ManualClock
    from tollhouse.bootstrap import build_runtime
    from tollhouse.config import Settings
    from tollhouse.services import whatsapp as setup

    settings = Settings(database_url=url, admin_key=ADMIN, run_worker=False)
    runtime = build_runtime(settings, clock=ManualClock(datetime(2026, 2, 28, tzinfo=UTC)))
    with runtime.uow(readonly=True) as uow:
        known = uow.whatsapp.account("bench") is not None
    if not known:
        setup.add_app(runtime, app_id="bench", app_secret=SECRET, verify_token="v")
        setup.create_account(runtime, setup.NewAccount("bench", "Bench", "UTC", ["USD"]))
        setup.create_waba(runtime, {"waba_id": "W1", "billing_account": "bench",
                                    "app_id": "bench", "currency": "USD", "time_zone": "UTC",
                                    "phone_numbers": [{"phone_number_id": "P1"}]})
    return runtime


# ---- HTTP ----------------------------------------------------------------------------------------


def serve(url: str, port: int) -> None:
    import uvicorn

    from tollhouse.bootstrap import build_app

    runtime = _runtime(url)
    app = build_app(runtime.settings, runtime=runtime, worker=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(url: str, count: int, batch: int, *, again: bool = True) -> list[Row]:
    import httpx

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)])
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        for _ in range(300):
            try:
                if client.get("/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        raw = statuses(count, prefix="h")
        payloads = []
        for start in range(0, len(raw), batch):
            data = body(raw[start:start + batch])
            payloads.append((data, "sha256=" + hmac.new(SECRET.encode(), data,
                                                        hashlib.sha256).hexdigest()))

        def send(items: list[tuple[bytes, str]]) -> None:
            for data, signature in items:
                answer = client.post("/v1/whatsapp/webhooks", content=data, headers={
                    "Content-Type": "application/json", "X-Hub-Signature-256": signature})
                if answer.status_code != 200:
                    raise RuntimeError(answer.text)

        name = _engine_name(url)
        first = timed(lambda: send(payloads))
        rows: list[Row] = [(f"HTTP batches of {batch}: verify+parse+store+dedupe+rate, {name}",
                            len(raw), first, "B")]
        if again:
            twice = [(d + b" ", _sig(d + b" ")) for d, _ in payloads]
            rows.append((f"HTTP re-delivery of the same statuses (duplicates), {name}",
                         len(raw), timed(lambda: send(twice)), "B"))
        return rows
    finally:
        server.terminate()
        server.wait(timeout=10)


def _sig(data: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return
    quick = "--quick" in sys.argv
    rate_n = 100_000 if quick else 400_000
    http_n = 40_000 if quick else 200_000
    rows: list[Row] = []
    rows += in_process(rate_n)
    with tempfile.TemporaryDirectory() as tmp:
        rows += in_process_store(http_n // 2, f"sqlite:///{tmp}/store.sqlite3")
        rows += http(f"sqlite:///{tmp}/bench.sqlite3", http_n, 2000)
        rows += http(f"sqlite:///{tmp}/bench1000.sqlite3", http_n // 2, 1000, again=False)
    postgres = os.environ.get("TOLLHOUSE_BENCH_POSTGRES_URL")
    if postgres:
        rows += http(postgres, http_n, 2000, again=False)
    baselines = {key: items / seconds for label, items, seconds, key in rows
                 if f"(baseline {key})" in label}
    print(f"{'what':<70} {'items':>9} {'seconds':>8} {'items/s':>10} {'vs baseline':>12}")
    for label, items, seconds, key in rows:
        rate = items / seconds
        print(f"{label:<70} {items:>9,} {seconds:>8.2f} {rate:>10,.0f} "
              f"{rate / baselines[key]:>8.2f}x {key}")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
