"""WeCom-shaped edition endpoints: service/* with a suite_access_token, paytool/* with a
provider_access_token and signing (spec app-editions §4.1, X13)."""



from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.e2e.editions_support import ADMIN, Editions
from tests.factories import a_provider, token_for
from tollhouse.services.editions_wecom import sign_paytool

GO_LIVE = 1711936800  # 2024-04-01 10:00 +08:00


def suite_token(client: Any) -> str:
    answer = client.post("/cgi-bin/service/get_suite_token", json={
        "suite_id": "suite1", "suite_secret": "suite1-secret", "suite_ticket": "t"}).json()
    assert answer["errcode"] == 0, answer
    return str(answer["suite_access_token"])


def service(client: Any, name: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/cgi-bin/service/{name}",
                           params={"suite_access_token": suite_token(client)}, json=body)
    assert response.status_code == 200
    return dict(response.json())


@pytest.fixture
def trial_app(runtime: Any, client: Any) -> Editions:
    editions = Editions(runtime, client, clock_now=GO_LIVE)
    editions.live()
    editions.clock(1713600000)  # 2024-04-20 16:00, status 1
    return editions


def test_editions_X13_prolong_try_stops_at_60_days(trial_app: Editions) -> None:
    body = {"buyer_corpid": "wwcorpA", "prolong_days": 31}
    refused = service(trial_app.client, "prolong_try", body)
    assert refused["errcode"] == 880020
    assert refused["errmsg"].startswith("trial_total_exceeds_60")
    granted = service(trial_app.client, "prolong_try", {**body, "prolong_days": 30})
    assert granted == {"errcode": 0, "errmsg": "ok", "try_end_time": 1717120800}
    again = service(trial_app.client, "prolong_try", {**body, "prolong_days": 1})
    assert again["errcode"] == 880020
    trial_app.clock(1717120800)
    claim = trial_app.client.post(trial_app.url("/extra-trial"), headers=trial_app.admin_key)
    assert claim.status_code == 422
    assert claim.json()["error"]["code"] == "wecom.editions.trial_total_exceeds_60"


def test_extra_trial_is_granted_once_after_the_trial(runtime: Any, client: Any) -> None:
    editions = Editions(runtime, client, clock_now=GO_LIVE)
    editions.live()
    early = client.post(editions.url("/extra-trial"), headers=editions.admin_key)
    assert early.json()["error"]["code"] == "wecom.editions.extra_trial_unavailable"
    editions.clock(GO_LIVE + 31 * 86400)
    granted = client.post(editions.url("/extra-trial"), headers=editions.admin_key).json()
    assert granted["app_status"] == 1
    assert granted["trial"]["end"] == GO_LIVE + 38 * 86400
    twice = client.post(editions.url("/extra-trial"), headers=editions.admin_key)
    assert twice.status_code == 409


def test_prolong_try_outside_the_trial_states(trial_app: Editions) -> None:
    trial_app.buy(order_type=0, edition_id="std-y", user_count=10, cycles=1)
    refused = service(trial_app.client, "prolong_try",
                      {"buyer_corpid": "wwcorpA", "prolong_days": 5})
    assert refused["errcode"] == 880021


def test_service_get_order_and_list_shapes(trial_app: Editions) -> None:
    paid = trial_app.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    order = service(trial_app.client, "get_order", {"orderid": paid["order_id"]})
    assert order["errcode"] == 0
    assert {k: order[k] for k in ("order_status", "order_type", "paid_corpid", "suiteid",
                                  "edition_id", "price", "user_count", "order_period",
                                  "paid_time", "begin_time", "service_share_amount")} == {
        "order_status": 1, "order_type": 0, "paid_corpid": "wwcorpA", "suiteid": "suite1",
        "edition_id": "std-y", "price": 736300, "user_count": 37, "order_period": 365,
        "paid_time": 1713600000, "begin_time": 1713600000, "service_share_amount": 736300}
    listed = service(trial_app.client, "get_order_list",
                     {"start_time": 1713600000, "end_time": 1713600000, "test_mode": 0})
    assert [o["orderid"] for o in listed["order_list"]] == [paid["order_id"]]
    assert service(trial_app.client, "get_order_list", {"test_mode": 1})["order_list"] == []
    missing = service(trial_app.client, "get_order", {"orderid": "nope"})
    assert missing["errcode"] == 40013
    no_token = trial_app.client.post("/cgi-bin/service/get_order", json={"orderid": "x"}).json()
    assert no_token["errcode"] == 41001


class Cashier:
    def __init__(self, editions: Editions, clock: Any) -> None:
        self.editions, self.clock = editions, clock
        self.token = token_for(editions.client, "wwvendor")

    def __call__(self, name: str, body: dict[str, Any], *, nonce: str | None = None,
                 secret: str = "wwvendor-secret") -> dict[str, Any]:
        signed = sign_paytool(secret, body, nonce=nonce or secrets.token_hex(8),
                              ts=int(self.clock.now().timestamp()))
        response = self.editions.client.post(f"/cgi-bin/paytool/{name}", json=signed,
                                             params={"provider_access_token": self.token})
        assert response.status_code == 200
        return dict(response.json())


def open_body(**line: Any) -> dict[str, Any]:
    return {"business_type": 2, "custom_corpid": "wwcorpA", "pay_type": 0,
            "product_list": {"customized_app": {"order_type": 0, "buy_info_list": [
                {"suiteid": "suite1", "user_count": 20, "duration_days": 100,
                 "total_price": 123_456, **line}]}}}


@pytest.fixture
def cashier(runtime: Any, client: Any, clock: Any) -> Cashier:
    a_provider(runtime, "wwvendor")
    editions = Editions(runtime, client, clock_now=GO_LIVE)
    editions.live()
    return Cashier(editions, clock)


def test_paytool_open_order_is_vendor_priced_and_listed(cashier: Cashier) -> None:
    opened = cashier("open_order", open_body())
    assert opened["errcode"] == 0, opened
    assert opened["origin_price"] == opened["paid_price"] == 123_456
    paid = cashier.editions.pay(opened["order_id"])
    assert paid.status_code == 200, paid.json()
    assert paid.json()["end_time"] - paid.json()["begin_time"] == 100 * 86400
    listed = cashier("get_order_list", {"limit": 10})
    assert [o["order_status"] for o in listed["pay_order_list"]] == [2]
    assert listed["pay_order_list"][0]["order_from"] == 2
    detail = cashier("get_order_detail", {"order_id": opened["order_id"]})["pay_order"]
    line = detail["product_list"]["customized_app"]["buy_info_list"][0]
    assert (line["user_count"], line["duration_days"], line["paid_price"]) == (20, 100, 123_456)
    assert detail["pay_channel"] == 1
    expansion = cashier.editions.quote(order_type=1, user_count=30)
    assert expansion.json()["error"]["code"] == "wecom.editions.vendor_priced_term"


@pytest.mark.parametrize(
    ("change", "errcode"),
    [pytest.param({"total_price": 0}, 880040, id="price-zero"),
     pytest.param({"total_price": 500_000_001}, 880040, id="price-above-5m-cny"),
     pytest.param({"duration_days": 1826}, 880014, id="days-above-1825"),
     pytest.param({"user_count": 501}, 880011, id="above-max-users")],
)
def test_paytool_open_order_bad_lines_write_nothing(cashier: Cashier, change: dict[str, Any],
                                                    errcode: int) -> None:
    refused = cashier("open_order", open_body(**change))
    assert refused["errcode"] == errcode
    listed = cashier.editions.client.get(cashier.editions.url("/orders"), headers=ADMIN).json()
    assert listed["orders"] == []


def test_paytool_signing_checks(cashier: Cashier) -> None:
    assert cashier("get_order_list", {"limit": 10}, secret="wrong")["errcode"] == 880050
    assert cashier("get_order_list", {"limit": 10}, nonce="n1")["errcode"] == 0
    assert cashier("get_order_list", {"limit": 10}, nonce="n1")["errcode"] == 880051
    stale = sign_paytool("wwvendor-secret", {"limit": 1}, nonce="n2",
                         ts=int(cashier.clock.now().timestamp()) - 901)
    answer = cashier.editions.client.post("/cgi-bin/paytool/get_order_list", json=stale,
                                          params={"provider_access_token": cashier.token}).json()
    assert answer["errcode"] == 880052
    pay_type_2 = cashier("open_order", {**open_body(), "pay_type": 2})
    assert pay_type_2["errcode"] == 880041
