"""WeCom licence orders through the platform-shaped HTTP API (spec §2.2–§2.4, §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from tests.conftest import ADMIN_KEY
from tests.factories import AES_KEY, SPEC_NOW, a_corp, a_provider, token_for
from tollhouse.services import clocks

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


class Wecom:
    """A tiny ISV client: POST /cgi-bin/license/<name>?provider_access_token=…"""

    def __init__(self, client: Any, corpid: str = "wwprov") -> None:
        self.client = client
        self.token = token_for(client, corpid)

    def __call__(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        path = name if name.startswith("/") else f"/cgi-bin/license/{name}"
        response = self.client.post(path, params={"provider_access_token": self.token},
                                    json=body or {})
        assert response.status_code == 200
        return dict(response.json())

    def order(self, **overrides: Any) -> dict[str, Any]:
        body = {"corpid": "wwcorpA", "buyer_userid": "admin1",
                "account_count": {"base_count": 1, "external_contact_count": 0},
                "account_duration": {"months": 1}}
        body.update(overrides)
        return self("create_new_order", body)

    def pay(self, order_id: str) -> dict[str, Any]:
        response = self.client.post("/v1/sandbox/wecom/pay_order", headers=ADMIN,
                                    json={"provider": "wwprov", "order_id": order_id})
        assert response.status_code == 200, response.json()
        return dict(response.json())


@pytest.fixture
def wecom(runtime: Any, client: Any) -> Wecom:
    a_provider(runtime)
    return Wecom(client)


def test_L67_get_provider_token_returns_the_same_token_within_its_lifetime(wecom: Wecom) -> None:
    again = token_for(wecom.client)
    assert again == wecom.token
    wrong = wecom.client.post("/cgi-bin/service/get_provider_token",
                              json={"corpid": "wwprov", "provider_secret": "nope"}).json()
    assert wrong["errcode"] == 40001
    unknown = wecom.client.post("/cgi-bin/service/get_provider_token",
                                json={"corpid": "wwnobody", "provider_secret": "x"}).json()
    assert unknown["errcode"] == 40013


def test_L67_every_licence_call_needs_a_provider_token(wecom: Wecom) -> None:
    missing = wecom.client.post("/cgi-bin/license/get_order", json={"order_id": "x"}).json()
    assert missing["errcode"] == 41001
    bogus = wecom.client.post("/cgi-bin/license/get_order", params={"provider_access_token": "x"},
                              json={"order_id": "x"}).json()
    assert bogus["errcode"] == 40014


def test_W1_order_duration_price_and_get_order_shape(wecom: Wecom) -> None:
    created = wecom.order(account_duration={"months": 2, "days": 20})
    assert created["errcode"] == 0
    order = wecom("get_order", {"order_id": created["order_id"]})["order"]
    assert order["account_duration"] == {"months": 2, "days": 20}
    assert order["price"] == 110
    assert order["order_status"] == 0
    assert order["order_type"] == 1
    assert order["create_time"] == 1714960800
    assert "pay_time" not in order


@pytest.mark.parametrize(
    ("overrides", "errcode"),
    [
        pytest.param({"account_duration": {"months": 1, "days": 0}}, 0, id="licences-W2"),
        pytest.param({"account_duration": {"months": 0, "days": 30}}, 701903, id="licences-W3"),
        pytest.param({"account_duration": {"months": 60, "days": 0}}, 0, id="licences-W4-60"),
        pytest.param({"account_duration": {"months": 60, "days": 1}}, 701903, id="licences-W4-61"),
        pytest.param({"account_count": {"base_count": 0, "external_contact_count": 0},
                      "account_duration": {"months": 12}}, 701901, id="licences-W5"),
        pytest.param({"corpid": "wwtest", "account_count": {"base_count": 1001}},
                     701027, id="licences-W6-count"),
        pytest.param({"corpid": "wwtest", "account_count": {"base_count": 10},
                      "account_duration": {"months": 1, "days": 5}}, 701028, id="licences-W6-days"),
        pytest.param({"account_count": {"base_count": 1_000_001}}, 701902, id="L7-over-a-million"),
        pytest.param({"buyer_userid": "stranger"}, 701921, id="L9-not-an-admin"),
        pytest.param({"corpid": "wwnobody"}, 40013, id="unknown-corp"),
        pytest.param({"account_count": {"base_count": "one"}}, 40058, id="wrong-type"),
        pytest.param({"account_duration": None}, 40063, id="missing-duration"),
    ],
)
def test_create_new_order_limits(wecom: Wecom, overrides: dict[str, Any], errcode: int) -> None:
    answer = wecom.order(**overrides)
    assert answer["errcode"] == errcode, answer
    if errcode:
        assert set(answer) == {"errcode", "errmsg"}
        listed = wecom("list_order", {})
        assert listed["order_list"] == []  # nothing was written


def test_L10_an_unpaid_order_blocks_the_next_one_and_an_uninstalled_corp_cannot_order(
    wecom: Wecom, runtime: Any,
) -> None:
    assert wecom.order()["errcode"] == 0
    assert wecom.order()["errcode"] == 701032
    a_corp(runtime, "wwprov", "wwnoapp")
    from tollhouse.services.licence_setup import install_app  # noqa: PLC0415

    install_app(runtime, "wwprov", "wwnoapp", "suite1", uninstall=True)
    assert wecom.order(corpid="wwnoapp")["errcode"] == 701015


def test_W13_cancel_only_awaiting_payment(wecom: Wecom) -> None:
    o1 = wecom.order()["order_id"]
    assert wecom("cancel_order", {"corpid": "wwcorpA", "order_id": o1})["errcode"] == 0
    assert wecom("get_order", {"order_id": o1})["order"]["order_status"] == 2
    o2 = wecom.order()["order_id"]
    wecom.pay(o2)
    refused = wecom("cancel_order", {"corpid": "wwcorpA", "order_id": o2})
    assert refused["errcode"] == 701084
    assert wecom("get_order", {"order_id": o2})["order"]["order_status"] == 1


def test_L18_cancel_with_another_corp_is_701086(wecom: Wecom) -> None:
    order_id = wecom.order()["order_id"]
    assert wecom("cancel_order", {"corpid": "wwtest", "order_id": order_id})["errcode"] == 701086
    assert wecom("get_order", {"order_id": "nope"})["errcode"] == 701005


def test_L16_paying_creates_codes_and_pushes_an_encrypted_license_pay_success(
    wecom: Wecom, runtime: Any, sender: Any,
) -> None:
    order_id = wecom.order(account_count={"base_count": 2, "external_contact_count": 1})["order_id"]
    before = wecom("list_order_account", {"order_id": order_id})
    assert before["account_list"] == []
    wecom.pay(order_id)
    after = wecom("list_order_account", {"order_id": order_id})
    assert sorted(a["type"] for a in after["account_list"]) == [1, 1, 2]
    order = wecom("get_order", {"order_id": order_id})["order"]
    assert order["order_status"] == 1
    assert order["pay_time"] == 1714960800
    # the callback is delivered by the due-task runner, encrypted as WeCom does
    clocks.run_due(runtime, "wecom:wwprov", until=SPEC_NOW)
    url, body, _ = sender.sent[-1]
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    crypto = WeChatCrypto("tok", AES_KEY, "wwprov")
    xml = crypto.decrypt_message(body.decode(), query["msg_signature"], query["timestamp"],
                                 query["nonce"])
    assert "<InfoType><![CDATA[license_pay_success]]></InfoType>" in xml
    assert f"<OrderId><![CDATA[{order_id}]]></OrderId>" in xml
    feed = wecom.client.get("/v1/events", headers=ADMIN,
                            params={"kind": "license_pay_success"}).json()["events"]
    assert feed[-1]["delivery_status"] == "delivered"


def test_callbacks_are_retried_with_backoff_and_every_attempt_is_logged(
    wecom: Wecom, runtime: Any, sender: Any,
) -> None:
    sender.answer = "busy"
    order_id = wecom.order()["order_id"]
    wecom.pay(order_id)
    clocks.run_due(runtime, "wecom:wwprov", until=SPEC_NOW)
    sender.answer = "success"
    moved = wecom.client.post("/v1/sandbox/clock", headers=ADMIN,
                              json={"provider": "wwprov", "advance_s": 60}).json()
    assert any("delivered" in r["outcome"] for r in moved["ran"])
    event = wecom.client.get("/v1/events", headers=ADMIN,
                             params={"kind": "license_pay_success"}).json()["events"][-1]
    detail = wecom.client.get(f"/v1/events/{event['id']}", headers=ADMIN).json()
    assert [a["ok"] for a in detail["delivery_attempts"]] == [False, True]
    assert detail["delivery_attempts"][1]["attempted_at"] == (
        SPEC_NOW + timedelta(seconds=5)).isoformat()


def test_W11_list_order_span_rules(wecom: Wecom) -> None:
    assert wecom("list_order", {"start_time": 1704038400, "end_time": 1707062400})["errcode"] \
        == 701910
    assert wecom("list_order", {"start_time": 1704038400})["errcode"] == 701909
    assert wecom("list_order", {"start_time": 1704038400, "end_time": 1706716800})["errcode"] == 0
    assert wecom("list_order", {"limit": 1001})["errcode"] == 701911


def test_L66_list_order_pages_with_a_cursor(wecom: Wecom, runtime: Any) -> None:
    ids = []
    for _ in range(3):
        order_id = wecom.order()["order_id"]
        wecom.pay(order_id)
        ids.append(order_id)
    first = wecom("list_order", {"limit": 2})
    assert first["has_more"] == 1
    second = wecom("list_order", {"limit": 2, "cursor": first["next_cursor"]})
    assert second["has_more"] == 0
    listed = [o["order_id"] for o in first["order_list"] + second["order_list"]]
    assert sorted(listed) == sorted(ids)
    assert wecom("list_order", {"corpid": "wwtest"})["order_list"] == []


def test_W14_balance_payment_job_and_its_7_day_window(wecom: Wecom, runtime: Any) -> None:
    from tollhouse.services.licence_setup import set_balance  # noqa: PLC0415

    set_balance(runtime, "wwprov", balance_fen=10_000)
    o2 = wecom.order()["order_id"]
    wecom.pay(o2)
    assert wecom("submit_pay_job", {"payer_userid": "admin1", "order_id": o2})["errcode"] == 701084
    o3 = wecom.order(account_count={"base_count": 5})["order_id"]
    job = wecom("submit_pay_job", {"payer_userid": "admin1", "order_id": o3})
    assert job["errcode"] == 0
    result = wecom("pay_job_result", {"jobid": job["jobid"]})
    assert result["status"] == 1
    balance = wecom.client.get("/cgi-bin/service/get_account_balance",
                               params={"provider_access_token": wecom.token}).json()
    assert balance["balance"] == 10_000 - 208  # 5 × 500 × 31 / 372 = 208.33… → 208
    wecom.client.post("/v1/sandbox/clock", headers=ADMIN,
                      json={"provider": "wwprov", "now": "2024-05-14T10:00:00+08:00"})
    assert wecom("pay_job_result", {"jobid": job["jobid"]})["errcode"] == 701912


def test_L31_failed_balance_payment_reports_inside_the_result(wecom: Wecom, runtime: Any) -> None:
    order_id = wecom.order()["order_id"]
    assert wecom("submit_pay_job", {"payer_userid": "stranger", "order_id": order_id})[
        "errcode"] == 48001
    job = wecom("submit_pay_job", {"payer_userid": "admin1", "order_id": order_id})
    result = wecom("pay_job_result", {"jobid": job["jobid"]})
    assert result["errcode"] == 0
    assert result["status"] == 3
    assert result["pay_job_result"]["errcode"] == 90432
    console = wecom.client.post("/v1/sandbox/wecom/pay_order", headers=ADMIN,
                                json={"provider": "wwprov", "order_id": order_id})
    assert console.status_code == 409
    assert console.json()["error"]["details"]["errcode"] == 701922


def test_W17_offset_from_bound_codes_prices_the_next_purchase(wecom: Wecom, runtime: Any) -> None:
    _bind_codes(runtime, "wwcorpA", count=3, days_left=400)
    order_id = wecom.order(account_count={"base_count": 5}, account_duration={"months": 12})[
        "order_id"]
    assert wecom("get_order", {"order_id": order_id})["order"]["price"] == 2_200


def _bind_codes(runtime: Any, corpid: str, *, count: int, days_left: int, type_: int = 1,
                first_user: int = 1) -> None:
    rows = [{
        "active_code": f"BOUND{corpid}{type_}{i}", "provider_corpid": "wwprov",
        "order_id": "imported", "owner_corpid": corpid, "type": type_, "duration_days": 372,
        "create_time": SPEC_NOW - timedelta(days=1), "userid": f"u{first_user + i}",
        "bound_corpid": corpid, "active_time": SPEC_NOW - timedelta(days=1),
        "expire_time": SPEC_NOW + timedelta(days=days_left), "awaiting_transfer": False,
        "invalidated": False} for i in range(count)]
    with runtime.uow() as uow:
        uow.licences.add_codes(rows)
        uow.commit()


def test_W10_renewal_submit_limits(wecom: Wecom, runtime: Any) -> None:
    _bind_codes(runtime, "wwcorpA", count=1, days_left=10)
    _bind_codes(runtime, "wwtest", count=1, days_left=10)
    job = wecom("create_renew_order_job", {"corpid": "wwcorpA",
                                           "account_list": [{"userid": "u1", "type": 1}]})
    assert job["errcode"] == 0
    assert job["invalid_account_list"] == []
    submit = {"jobid": job["jobid"], "buyer_userid": "admin1"}
    assert wecom("submit_order_job", {**submit, "account_duration": {"months": 61}})[
        "errcode"] == 701905
    test_job = wecom("create_renew_order_job", {"corpid": "wwtest",
                                                "account_list": [{"userid": "u1", "type": 1}]})
    test_submit = {"jobid": test_job["jobid"], "buyer_userid": "admin1"}
    assert wecom("submit_order_job", {**test_submit, "account_duration": {"months": 2}})[
        "errcode"] == 701028
    assert wecom("submit_order_job", {**test_submit, "account_duration": {
        "new_expire_time": 1735660800}})["errcode"] == 701906
    assert wecom("submit_order_job", {**submit, "account_duration": {}})["errcode"] == 701904


def test_L21_renewal_job_reports_invalid_items_and_skips_them(wecom: Wecom, runtime: Any) -> None:
    _bind_codes(runtime, "wwcorpA", count=2, days_left=10)
    job = wecom("create_renew_order_job", {"corpid": "wwcorpA", "account_list": [
        {"userid": "u1", "type": 1}, {"userid": "u1", "type": 1}, {"userid": "ghost", "type": 1},
        {"userid": "u2", "type": 3}, {"userid": "u5", "type": 1}]})
    codes = [(i["userid"], i["errcode"]) for i in job["invalid_account_list"]]
    assert codes == [("u1", 701020), ("ghost", 701019), ("u2", 701006), ("u5", 701099)]
    order = wecom("submit_order_job", {"jobid": job["jobid"], "buyer_userid": "admin1",
                                       "account_duration": {"months": 12}})
    assert wecom("submit_order_job", {"jobid": job["jobid"], "buyer_userid": "admin1",
                                      "account_duration": {"months": 12}})["errcode"] == 701126
    got = wecom("get_order", {"order_id": order["order_id"]})["order"]
    assert (got["order_type"], got["price"]) == (2, 500)
    listed = wecom("list_order_account", {"order_id": order["order_id"]})["account_list"]
    assert listed == [{"userid": "u1", "type": 1}]
    wecom.pay(order["order_id"])
    with runtime.uow() as uow:
        code = uow.licences.member_code("wwprov", "wwcorpA", "u1", 1)
    assert code["expire_time"] == SPEC_NOW + timedelta(days=10 + 372)  # L25


def test_W19_renewal_prices_from_offset_zero(wecom: Wecom, runtime: Any) -> None:
    from tollhouse.services.licence_setup import save_corp  # noqa: PLC0415

    members = [{"userid": f"u{i}"} for i in range(1, 301)]
    save_corp(runtime, "wwprov", "wwcorpA", members=members)
    _bind_codes(runtime, "wwcorpA", count=300, days_left=400)
    _bind_codes(runtime, "wwcorpA", count=100, days_left=400, type_=2)
    accounts = [{"userid": f"u{i}", "type": 1} for i in range(1, 9)]
    accounts += [{"userid": f"u{i}", "type": 2} for i in range(1, 101)]
    job = wecom("create_renew_order_job", {"corpid": "wwcorpA", "account_list": accounts})
    assert job["invalid_account_list"] == []
    order = wecom("submit_order_job", {"jobid": job["jobid"], "buyer_userid": "admin1",
                                       "account_duration": {"months": 12}})
    assert wecom("get_order", {"order_id": order["order_id"]})["order"]["price"] == 503_700


def test_L23_new_expire_time_is_normalised_to_the_end_of_its_day(wecom: Wecom,
                                                                  runtime: Any) -> None:
    _bind_codes(runtime, "wwcorpA", count=1, days_left=10)
    job = wecom("create_renew_order_job", {"corpid": "wwcorpA",
                                           "account_list": [{"userid": "u1", "type": 1}]})
    # 2024-06-01 12:00 Shanghai → 24:00 of 2024-06-01 = 2024-06-02 00:00 (1717257600)
    order = wecom("submit_order_job", {"jobid": job["jobid"], "buyer_userid": "admin1",
                                       "account_duration": {"new_expire_time": 1717214400}})
    got = wecom("get_order", {"order_id": order["order_id"]})["order"]
    assert got["account_duration"] == {"new_expire_time": 1717257600}
    # expire 2024-05-16 10:00 → target 2024-06-02 00:00: ceil(16.58 days) = 17 days; 500 × 17 / 372
    assert got["price"] == 23
    today = wecom("submit_order_job", {"jobid": job["jobid"], "buyer_userid": "admin1",
                                       "account_duration": {"new_expire_time": 1714960800}})
    assert today["errcode"] == 701126


def test_L26_L27_multi_corp_order_job(wecom: Wecom, runtime: Any) -> None:
    a_corp(runtime, "wwprov", "wwcorpB")
    buy = {"account_count": {"base_count": 5}, "account_duration": {"months": 12}}
    job = wecom("create_new_order_job", {"buy_list": [
        {"corpid": "wwcorpA", **buy}, {"corpid": "wwcorpB", **buy, "auto_active_status": 0},
        {"corpid": "wwtest", **buy}, {"corpid": "wwcorpA", **buy}]})
    assert [(i["corpid"], i["errcode"]) for i in job["invalid_list"]] == [
        ("wwtest", 701121), ("wwcorpA", 701124)]
    assert wecom("new_order_job_result", {"jobid": job["jobid"]})["errcode"] == 701125
    wecom("submit_new_order_job", {"jobid": job["jobid"], "buyer_userid": "admin1"})
    result = wecom("new_order_job_result", {"jobid": job["jobid"]})
    assert result["status"] == 1
    parent = result["order_id"]
    assert wecom("get_order", {"order_id": parent})["errcode"] == 701120
    union = wecom("get_union_order", {"order_id": parent})
    assert union["order"]["price"] == 2 * (5 * 500)
    subs = [s["sub_order_id"] for s in union["buy_list"]]
    assert len(subs) == 2
    assert [o["order_id"] for o in wecom("list_order", {})["order_list"]] == [parent]
    wecom.pay(parent)
    codes = wecom("list_order_account", {"order_id": subs[0]})["account_list"]
    assert len(codes) == 5
    assert wecom("list_order_account", {"order_id": parent})["errcode"] == 701120


def test_W12_batch_over_1000_is_rejected_whole(wecom: Wecom) -> None:
    accounts = [{"userid": f"u{i}", "type": 1} for i in range(1001)]
    assert wecom("create_renew_order_job", {"corpid": "wwcorpA", "account_list": accounts})[
        "errcode"] == 701026


def test_D18_unpaid_order_expires_after_7_days_with_an_event(wecom: Wecom) -> None:
    order_id = wecom.order()["order_id"]
    moved = wecom.client.post("/v1/sandbox/clock", headers=ADMIN,
                              json={"provider": "wwprov", "advance_s": 7 * 86400}).json()
    assert "ran" in moved, moved
    assert any(r["kind"] == "licences.order_expired" for r in moved["ran"])
    assert wecom("get_order", {"order_id": order_id})["order"]["order_status"] == 3
    assert wecom.order()["errcode"] == 0  # an expired order no longer blocks (L10)
    events = wecom.client.get("/v1/events", headers=ADMIN,
                              params={"kind": "order_expired"}).json()["events"]
    assert events[0]["occurred_at"] == datetime(2024, 5, 13, 2, 0, tzinfo=UTC).isoformat()


def test_refund_console_flow_invalidates_unbound_codes(wecom: Wecom, runtime: Any) -> None:
    order_id = wecom.order(account_count={"base_count": 2})["order_id"]
    sandbox = "/v1/sandbox/wecom/"
    body = {"provider": "wwprov", "order_id": order_id}
    early = wecom.client.post(sandbox + "refund_request", headers=ADMIN, json=body)
    assert early.json()["error"]["details"]["errcode"] == 701083
    wecom.pay(order_id)
    assert wecom.client.post(sandbox + "refund_request", headers=ADMIN, json=body).json()[
        "order_status"] == 4
    assert wecom.order()["errcode"] == 701037
    done = wecom.client.post(sandbox + "refund_result", headers=ADMIN,
                             json={**body, "decision": "approve"}).json()
    assert done["order_status"] == 5
    again = wecom.client.post(sandbox + "refund_result", headers=ADMIN,
                              json={**body, "decision": "approve"})
    assert again.json()["error"]["details"]["errcode"] == 701935
    with runtime.uow() as uow:
        codes = uow.licences.order_codes(order_id, after=None, limit=10)
        from tollhouse.adapters.db import tables as t  # noqa: PLC0415

        flags = [r[0] for r in uow.conn.execute(
            t.activation_codes.select().with_only_columns(t.activation_codes.c.invalidated)
            .where(t.activation_codes.c.order_id == order_id))]
    assert len(codes) == 2
    assert flags == [True, True]


def test_a_provider_never_sees_another_providers_orders(wecom: Wecom, runtime: Any,
                                                        client: Any) -> None:
    a_provider(runtime, "wwother")
    mine = wecom.order()["order_id"]
    other = Wecom(client, "wwother")
    assert other("get_order", {"order_id": mine})["errcode"] == 701005
    assert other("cancel_order", {"corpid": "wwcorpA", "order_id": mine})["errcode"] == 701005
    assert other("list_order", {})["order_list"] == []


def test_support_policy_query_is_not_implemented(wecom: Wecom) -> None:
    assert wecom("support_policy_query", {"corpid": "wwcorpA"})["errcode"] == 701923
