"""Concurrent sends to overlapping 10,000-lists through the service layer (S1, S2, X16): no
follower passes 4 and the job counts add up, on every backend: SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tollhouse.adapters.counters.base import Bucket
from tollhouse.services import massend as svc
from tollhouse.services.runtime import Runtime

SENDS = 20
FOLLOWERS = 30_000
PER_SEND = 10_000
NOW = datetime(2026, 9, 10, 13, 0, tzinfo=UTC)  # 21:00 Asia/Shanghai


@pytest.fixture(params=["store", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[str]:
    if request.param == "store":
        yield runtime.extras["engine"].dialect.name
        return
    if runtime.extras["engine"].dialect.name != "sqlite":
        pytest.skip("the Redis case runs once, beside SQLite")
    url = os.environ.get("TOLLHOUSE_TEST_REDIS_URL")
    if not url:
        if os.environ.get("TOLLHOUSE_REQUIRE_REDIS") == "1":
            pytest.fail("TOLLHOUSE_REQUIRE_REDIS=1 but TOLLHOUSE_TEST_REDIS_URL is unset")
        pytest.skip("TOLLHOUSE_TEST_REDIS_URL is unset")
    import redis  # noqa: PLC0415

    from tollhouse.adapters.counters.redis import RedisQuotaCounter  # noqa: PLC0415

    client = redis.Redis.from_url(url)
    runtime.extras["quota_counter"] = RedisQuotaCounter(client)
    yield "redis"
    client.close()


def test_twenty_concurrent_overlapping_sends_never_pass_the_cap(runtime: Runtime,
                                                                backend: str) -> None:
    appid = "wx" + uuid.uuid4().hex[:16]
    account = svc.create_account(runtime, svc.NewAccount(type="service", appid=appid, now=NOW))
    followers = svc.add_followers(runtime, appid, generate=FOLLOWERS)["openids"]
    token = svc.issue_token(runtime, grant_type="client_credential", appid=appid,
                            secret=account["secret"])["access_token"]
    lists = [[followers[(i * 1_500 + k) % FOLLOWERS] for k in range(PER_SEND)]
             for i in range(SENDS)]
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(SENDS)

    def fire(n: int) -> None:
        start.wait()
        try:
            answers.append(svc.send(runtime, token, {
                "touser": lists[n], "msgtype": "text", "text": {"content": f"race {n}"}}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(SENDS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert [a["errcode"] for a in answers] == [0] * SENDS, backend
    appearances = Counter(o for lst in lists for o in lst)
    expected = {o: min(4, n) for o, n in appearances.items()}
    with runtime.uow(readonly=True) as uow:
        ordinals = {f[0]: f[1] for f in uow.massend.by_openids(appid, followers)}
        jobs = [uow.massend.job(a["msg_id"]) for a in answers]
    used = svc.quota_counter(runtime).used(Bucket(appid, "2026-09"),
                                           [ordinals[o] for o in followers])
    counts = dict(zip(followers, used, strict=True))
    assert max(counts.values()) == 4
    assert counts == {o: expected.get(o, 0) for o in followers}
    assert sum(j["filter_count"] for j in jobs) == sum(counts.values())
    assert all(j["total_count"] == PER_SEND for j in jobs)
    assert all(j["filter_count"] + len(j["filtered"].get("at_cap", [])) == PER_SEND
               for j in jobs)
