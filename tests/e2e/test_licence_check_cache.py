"""The interception check answered from memory gives the same decision as the full check, and
falls back to the database whenever memory cannot decide (L59, L60, L53)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_wecom_codes_api import Codes
from tests.factories import a_provider
from tollhouse.domain.licence_codes import ApiClass
from tollhouse.services import licence_codes as codes


@pytest.fixture
def wecom(runtime: Any, client: Any) -> Codes:
    a_provider(runtime)
    return Codes(client)


def request(userid: str, api_class: ApiClass = ApiClass.BASIC) -> codes.CheckRequest:
    return codes.CheckRequest("wwprov", "wwcorpA", "suite1", userid, api_class)


def test_a_warm_cache_answers_exactly_as_the_full_check(wecom: Codes, runtime: Any) -> None:
    basic = wecom.buy(base=1)[1]
    assert wecom.activate(basic[0], "u1") == 0
    cold = codes.check_if_cached(runtime, request("u1"))
    assert cold is None  # nothing in memory yet
    full = codes.check(runtime, request("u1"))
    assert codes.check_if_cached(runtime, request("u1")) == full
    assert full.allowed
    codes.check(runtime, request("u1", ApiClass.INTEROP))  # notifies once; the commit clears
    blocked = codes.check(runtime, request("u1", ApiClass.INTEROP))  # reloads, no new notify
    assert codes.check_if_cached(runtime, request("u1", ApiClass.INTEROP)) == blocked


def test_the_first_unlicensed_check_of_a_day_goes_to_the_database(wecom: Codes,
                                                                   runtime: Any) -> None:
    wecom.buy(base=1)
    codes.check(runtime, request("u2"))  # pushes unlicensed_notify; its commit clears memory
    codes.check(runtime, request("u2"))  # reloads; already notified today, writes nothing
    again = codes.check_if_cached(runtime, request("u2"))
    assert again is not None
    assert not again.allowed  # notified already today: memory can answer
    assert len(wecom.events("unlicensed_notify")) == 1


def test_auto_activation_is_never_answered_from_memory(wecom: Codes, runtime: Any) -> None:
    wecom.buy(base=1)
    assert wecom("set_auto_active_status", {"corpid": "wwcorpA",
                                            "auto_active_status": 1})["errcode"] == 0
    codes.check(runtime, request("u3"))
    assert codes.check_if_cached(runtime, request("u4")) is None
