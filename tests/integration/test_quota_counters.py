"""One contract suite for every QuotaCounter: memory, SQLite, PostgreSQL and Redis (M2, S1–S3, S6).

PostgreSQL and Redis cases skip with a visible reason when TOLLHOUSE_TEST_POSTGRES_URL or
TOLLHOUSE_TEST_REDIS_URL is unset, and fail instead when TOLLHOUSE_REQUIRE_POSTGRES=1 or
TOLLHOUSE_REQUIRE_REDIS=1.
"""

# ruff: noqa: S311 - seeded pseudo-random test data, not secrets
from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollhouse.adapters.counters.base import Bucket, InvalidCounterArgument, QuotaCounter
from tollhouse.adapters.counters.memory import MemoryQuotaCounter
from tollhouse.adapters.counters.sql import (
    SqlQuotaCounter,
    charge_shards,
    quota_applied,
    quota_bucket,
    quota_shard,
)
from tollhouse.adapters.db.engine import make_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CAP = 4


def _server_url(env: str, require: str, what: str) -> str:
    url = os.environ.get(env)
    if url:
        return url
    if os.environ.get(require) == "1":
        pytest.fail(f"{require}=1 but {env} is unset: the {what} counter tests must run")
    pytest.skip(f"{env} is unset; set it to run the {what} counter contract tests")


def _sql_counter(url: str, *, shard_size: int) -> Iterator[SqlQuotaCounter]:
    engine = make_engine(url)
    tables = [quota_bucket, quota_shard, quota_applied]
    counter = SqlQuotaCounter(engine, shard_size=shard_size)
    counter.create_tables()
    yield counter
    if engine.dialect.name == "postgresql":
        for table in tables:
            with engine.begin() as conn:
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def counter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QuotaCounter]:
    if request.param == "memory":
        yield MemoryQuotaCounter()
    elif request.param == "sqlite":
        # small shards, so that the suite crosses shard boundaries
        yield from _sql_counter(f"sqlite:///{tmp_path}/counters.db", shard_size=1000)
    elif request.param == "postgresql":
        url = _server_url("TOLLHOUSE_TEST_POSTGRES_URL", "TOLLHOUSE_REQUIRE_POSTGRES", "PostgreSQL")
        yield from _sql_counter(url, shard_size=1000)
    else:
        yield from _redis_counter()


def _redis_counter() -> Iterator[QuotaCounter]:
    from redis import Redis  # noqa: PLC0415 - only the Redis cases need the client

    from tollhouse.adapters.counters.redis import RedisQuotaCounter  # noqa: PLC0415

    url = _server_url("TOLLHOUSE_TEST_REDIS_URL", "TOLLHOUSE_REQUIRE_REDIS", "Redis")
    client = Redis.from_url(url)
    yield RedisQuotaCounter(client)
    client.close()


@pytest.fixture
def bucket(counter: QuotaCounter) -> Iterator[Bucket]:
    made = Bucket(f"wx{uuid.uuid4().hex[:16]}", "2026-09")
    yield made
    counter.reset(made)


# -- the contract -------------------------------------------------------------------------------


def test_M2_consume_charges_each_distinct_id_once_and_refuses_ids_at_the_cap(
    counter: QuotaCounter, bucket: Bucket
) -> None:
    counter.seed(bucket, {5: 4, 6: 3})
    refused = counter.consume(bucket, [7, 6, 5, 7, 1500, 5], cap=CAP)
    assert refused == [5]
    assert counter.used(bucket, [5, 6, 7, 1500, 8]) == [4, 4, 1, 1, 0]


def test_M2_repeated_sends_stop_at_the_cap(counter: QuotaCounter, bucket: Bucket) -> None:
    results = [counter.consume(bucket, [1, 2, 2999], cap=CAP) for _ in range(6)]
    assert results == [[], [], [], [], [1, 2, 2999], [1, 2, 2999]]
    assert counter.histogram(bucket) == {4: 3}


def test_cap_zero_refuses_everyone_and_an_empty_send_changes_nothing(
    counter: QuotaCounter, bucket: Bucket
) -> None:
    assert counter.consume(bucket, [3, 1, 2], cap=0) == [1, 2, 3]
    assert counter.consume(bucket, [], cap=CAP) == []
    assert counter.histogram(bucket) == {}


def test_D17_buckets_are_separate_per_account_and_month(
    counter: QuotaCounter, bucket: Bucket
) -> None:
    october = Bucket(bucket.account, "2026-10")
    other = Bucket(bucket.account + "x", "2026-09")
    counter.seed(bucket, {1: 4})
    try:
        assert counter.consume(october, [1], cap=CAP) == []
        assert counter.consume(other, [1], cap=CAP) == []
        assert counter.used(october, [1]) == counter.used(other, [1]) == [1]
    finally:
        counter.reset(october)
        counter.reset(other)


def test_histogram_seed_and_reset(counter: QuotaCounter, bucket: Bucket) -> None:
    counter.seed(bucket, {0: 1, 1: 2, 999: 2, 1000: 4, 25_000: 3})
    assert counter.histogram(bucket) == {1: 1, 2: 2, 3: 1, 4: 1}
    counter.seed(bucket, {999: 0})
    assert counter.used(bucket, [999, 1000]) == [0, 4]
    counter.reset(bucket)
    assert counter.histogram(bucket) == {}
    assert counter.used(bucket, [1000]) == [0]


def test_S3_a_retried_call_with_the_same_key_changes_nothing(
    counter: QuotaCounter, bucket: Bucket
) -> None:
    counter.seed(bucket, {2: 4})
    first = counter.consume(bucket, [1, 2, 3], cap=CAP, key="1000000101:0")
    again = counter.consume(bucket, [1, 2, 3], cap=CAP, key="1000000101:0")
    assert first == again == [2]
    assert counter.used(bucket, [1, 2, 3]) == [1, 4, 1]
    assert counter.consume(bucket, [1], cap=CAP, key="1000000101:1") == []
    assert counter.used(bucket, [1]) == [2]


def test_sparse_large_ordinals(counter: QuotaCounter, bucket: Bucket) -> None:
    assert counter.consume(bucket, [1_000_000, 3, 250_000], cap=CAP) == []
    assert counter.used(bucket, [1_000_000, 250_000, 3, 999_999]) == [1, 1, 1, 0]


@pytest.mark.parametrize(
    ("ordinals", "cap"),
    [
        pytest.param([1], 256, id="cap-over-a-byte"),
        pytest.param([1], -1, id="negative-cap"),
        pytest.param([-1], 4, id="negative-ordinal"),
    ],
)
def test_invalid_arguments_are_refused(
    counter: QuotaCounter, bucket: Bucket, ordinals: list[int], cap: int
) -> None:
    with pytest.raises(InvalidCounterArgument):
        counter.consume(bucket, ordinals, cap=cap)


def test_X15_S2_one_call_charges_9963_and_refuses_the_37_at_the_cap(
    counter: QuotaCounter, bucket: Bucket
) -> None:
    # given: 10,000 followers; 37 at 4, the others at most 3
    listed = list(range(10_000))
    at_cap = set(random.Random(15).sample(listed, 37))
    counter.seed(bucket, {o: (4 if o in at_cap else o % 4) for o in listed})
    # when
    refused = counter.consume(bucket, listed, cap=CAP)
    # then
    assert refused == sorted(at_cap)
    assert len(listed) - len(refused) == 9963
    assert max(counter.used(bucket, listed)) == 4


def test_X16_S1_concurrent_overlapping_sends_leave_2000_at_4_and_8000_at_1(
    counter: QuotaCounter, bucket: Bucket
) -> None:
    shared = list(range(2000))
    lists = [shared + list(range(10_000, 14_000)), shared + list(range(20_000, 24_000))]
    counter.seed(bucket, dict.fromkeys(shared, 3))
    refused = _run_concurrently(counter, bucket, lists)
    assert sorted(len(r) for r in refused) == [0, 2000]
    assert counter.histogram(bucket) == {1: 8000, 4: 2000}
    assert sum(len(lst) - len(r) for lst, r in zip(lists, refused, strict=True)) == 10_000


def test_S1_twenty_concurrent_overlapping_10000_id_sends_never_pass_the_cap(
    counter: QuotaCounter, bucket: Bucket
) -> None:
    # given: 20 sends of 10,000 drawn from 30,000 followers, so each follower is in ~6.7 of them
    rnd = random.Random(20)
    lists = [rnd.sample(range(30_000), 10_000) for _ in range(20)]
    # when
    refused = _run_concurrently(counter, bucket, lists)
    # then: nobody above 4, and every follower got min(4, sends that named it)
    named = Counter(o for lst in lists for o in lst)
    used = counter.used(bucket, list(range(30_000)))
    assert max(used) == CAP
    assert used == [min(CAP, named[o]) for o in range(30_000)]
    charged = sum(len(lst) - len(r) for lst, r in zip(lists, refused, strict=True))
    assert charged == sum(used) == sum(n * k for n, k in counter.histogram(bucket).items())


def _run_concurrently(
    counter: QuotaCounter, bucket: Bucket, lists: list[list[int]]
) -> list[list[int]]:
    results: list[list[int]] = [[] for _ in lists]
    errors: list[BaseException] = []
    start = threading.Barrier(len(lists))

    def send(i: int) -> None:
        try:
            start.wait()
            results[i] = counter.consume(bucket, lists[i], cap=CAP)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(lists))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


# -- store-specific -----------------------------------------------------------------------------


def test_sql_counter_works_on_a_plain_sqlite_engine_too(tmp_path: Path) -> None:
    from sqlalchemy import create_engine  # noqa: PLC0415

    counter = SqlQuotaCounter(create_engine(f"sqlite:///{tmp_path}/plain.db"), shard_size=100)
    counter.create_tables()
    bucket = Bucket("wxplain", "2026-09")
    lists = [random.Random(i).sample(range(500), 300) for i in range(8)]
    _run_concurrently(counter, bucket, lists)
    named = Counter(o for lst in lists for o in lst)
    assert counter.used(bucket, list(range(500))) == [min(CAP, named[o]) for o in range(500)]


@pytest.mark.redis
def test_S6_redis_keys_share_one_hash_tag_and_expire_two_months_after_the_month_starts() -> None:
    from redis import Redis  # noqa: PLC0415

    from tollhouse.adapters.counters.redis import (  # noqa: PLC0415
        PAST_MONTH_RETENTION_S,
        RedisQuotaCounter,
        applied_key,
        counts_key,
    )

    url = _server_url("TOLLHOUSE_TEST_REDIS_URL", "TOLLHOUSE_REQUIRE_REDIS", "Redis")
    client = Redis.from_url(url)
    counter = RedisQuotaCounter(client)
    account = f"wx{uuid.uuid4().hex[:16]}"
    server_now = client.time()[0]
    future = Bucket(account, time.strftime("%Y-%m", time.gmtime(server_now + 40 * 86_400)))
    past = Bucket(account, "2020-01")
    try:
        counter.consume(future, [1, 2], cap=CAP, key="m:0")
        counter.consume(past, [1], cap=CAP)
        assert counts_key(future) == f"wx:{{{account}:{future.compact_month}}}:fmb"
        assert applied_key(future).startswith(f"wx:{{{account}:{future.compact_month}}}")
        ttl = client.ttl(counts_key(future))
        assert 0 < ttl <= 4 * 31 * 86_400
        assert client.ttl(applied_key(future)) == pytest.approx(ttl, abs=2)
        assert PAST_MONTH_RETENTION_S - 5 <= client.ttl(counts_key(past)) <= PAST_MONTH_RETENTION_S
        with pytest.raises(InvalidCounterArgument):
            counter.consume(future, list(range(10_001)), cap=CAP)
    finally:
        counter.reset(future)
        counter.reset(past)
        client.close()


# -- the pure charging step of the SQL store, against a dict model ------------------------------


@given(
    sends=st.lists(st.lists(st.integers(0, 200), max_size=60), max_size=10),
    cap=st.integers(0, 5),
    size=st.integers(1, 64),
)
def test_S1_packed_shards_charge_exactly_like_a_dict(
    sends: list[list[int]], cap: int, size: int
) -> None:
    stored: dict[int, bytes] = {}
    model: Counter[int] = Counter()
    for send in sends:
        unique = sorted(set(send))
        shards = {s: bytearray(b) for s, b in stored.items()}
        refused = charge_shards(shards, unique, cap=cap, size=size)
        stored.update({s: bytes(b) for s, b in shards.items()})
        assert refused == [o for o in unique if model[o] >= cap]
        model.update(o for o in unique if model[o] < cap)
    flat = {s * size + i: n for s, b in stored.items() for i, n in enumerate(b) if n}
    assert flat == {o: n for o, n in model.items() if n}
