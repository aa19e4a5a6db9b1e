"""The project's own /v1/ API for licences: quotes, orders, idempotency, auth, test clocks."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import ADMIN_KEY
from tests.factories import SPEC_NOW, a_provider
from tollhouse.services.auth import create_key

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def provider(runtime: Any) -> str:
    return a_provider(runtime)


def bind(runtime: Any, corpid: str, days_left: list[int]) -> None:
    rows = [{
        "active_code": f"B{corpid}{i}", "provider_corpid": "wwprov", "order_id": "imported",
        "owner_corpid": corpid, "type": 1, "duration_days": 372,
        "create_time": SPEC_NOW - timedelta(days=1), "userid": f"u{i}", "bound_corpid": corpid,
        "active_time": SPEC_NOW - timedelta(days=1),
        "expire_time": SPEC_NOW + timedelta(days=d), "awaiting_transfer": False,
        "invalidated": False} for i, d in enumerate(days_left)]
    with runtime.uow() as uow:
        uow.licences.add_codes(rows)
        uow.commit()


def test_W18_quote_returns_every_tier_line_with_its_offset(client: Any, runtime: Any,
                                                            provider: str) -> None:
    bind(runtime, "wwcorpA", [400] * 3 + [372] + [100] * 6)
    answer = client.post("/v1/wecom/licences/quote", headers=ADMIN, json={
        "provider": provider, "corpid": "wwcorpA", "order_kind": "new",
        "account_count": {"base_count": 3}, "account_duration": {"months": 12}}).json()
    assert answer["price"] == 1_300
    line = answer["lines"][0]
    assert line["offset"] == 4
    assert line["tiers"] == [{"from": 5, "to": 5, "count": 1, "unit_price": 500},
                             {"from": 6, "to": 7, "count": 2, "unit_price": 400}]


def test_quote_has_no_side_effects_and_renewal_quotes_start_at_zero(client: Any, runtime: Any,
                                                                     provider: str) -> None:
    bind(runtime, "wwcorpA", [10, 10])
    answer = client.post("/v1/wecom/licences/quote", headers=ADMIN, json={
        "provider": provider, "corpid": "wwcorpA", "order_kind": "renew",
        "account_duration": {"months": 12},
        "renew_accounts": [{"userid": "u0", "type": 1}, {"userid": "u1", "type": 1}]}).json()
    assert answer["price"] == 1_000
    listed = client.get("/v1/wecom/licences/orders", headers=ADMIN,
                        params={"provider": provider}).json()
    assert listed["orders"] == []


@pytest.mark.parametrize(
    ("body", "status", "price", "errcode"),
    [
        pytest.param({"profile": "caoliao", "purchase_kind": "first",
                      "account_count": {"base_count": 10_000},
                      "account_duration": {"months": 12}}, 200, 1_170_500, None,
                     id="licences-W21-http"),
        pytest.param({"profile": "scrm-interop", "purchase_kind": "first",
                      "account_count": {"external_contact_count": 50},
                      "account_duration": {"months": 6}}, 422, None, 701931,
                     id="licences-W22-http-first-6"),
        pytest.param({"profile": "scrm-interop", "purchase_kind": "first",
                      "account_count": {"external_contact_count": 50},
                      "account_duration": {"months": 61}}, 422, None, 701932,
                     id="licences-W22-http-61"),
        pytest.param({"profile": "nope", "account_count": {"base_count": 1},
                      "account_duration": {"months": 12}}, 404, None, 701933,
                     id="unknown-profile"),
    ],
)
def test_reseller_quote_over_http(client: Any, provider: str, body: dict[str, Any], status: int,
                                  price: int | None, errcode: int | None) -> None:
    response = client.post("/v1/wecom/licences/reseller-quote", headers=ADMIN,
                           json={"provider": provider, "corpid": "wwcorpA", **body})
    assert response.status_code == status, response.json()
    if errcode is None:
        assert response.json()["price"] == price
        return
    error = response.json()["error"]
    assert error["code"] == f"wecom.licences.{errcode}"
    assert error["details"]["errcode"] == errcode
    assert error["message"]


def test_L80_purchase_kind_is_inferred_from_paid_buy_orders(client: Any, provider: str) -> None:
    body = {"provider": provider, "corpid": "wwcorpA", "profile": "caoliao",
            "account_count": {"base_count": 20}, "account_duration": {"months": 12}}
    first = client.post("/v1/wecom/licences/reseller-quote", headers=ADMIN, json=body).json()
    assert first["purchase_kind"] == "first"
    order = client.post("/v1/wecom/licences/orders", headers=ADMIN, json={
        "provider": provider, "corpid": "wwcorpA", "buyer_userid": "admin1",
        "account_count": {"base_count": 1}, "account_duration": {"months": 1}}).json()
    client.post(f"/v1/wecom/licences/orders/{order['order_id']}/pay", headers=ADMIN,
                params={"provider": provider})
    again = client.post("/v1/wecom/licences/reseller-quote", headers=ADMIN, json=body).json()
    assert again["purchase_kind"] == "additional"
    assert again["price"] == 8_500


def test_reseller_profiles_are_validated_when_saved(client: Any, provider: str) -> None:
    bad = client.put("/v1/wecom/licences/profiles/broken", headers=ADMIN,
                     params={"provider": provider},
                     json={"tiers": {"basic": [{"from": 2, "to": None, "unit_price": 1}]}})
    assert bad.status_code == 422
    assert "starts at 2" in bad.json()["error"]["message"]
    good = client.put("/v1/wecom/licences/profiles/mine", headers=ADMIN,
                      params={"provider": provider},
                      json={"tiers": {"basic": [{"from": 1, "to": None, "unit_price": 700}]}})
    assert good.status_code == 200
    quote = client.post("/v1/wecom/licences/reseller-quote", headers=ADMIN, json={
        "provider": provider, "corpid": "wwcorpA", "profile": "mine",
        "account_count": {"base_count": 2}, "account_duration": {"months": 12}}).json()
    assert quote["price"] == 1_400


def test_idempotency_key_creates_one_order(client: Any, provider: str) -> None:
    body = {"provider": provider, "corpid": "wwcorpA", "buyer_userid": "admin1",
            "account_count": {"base_count": 3}, "account_duration": {"months": 12}}
    headers = {**ADMIN, "Idempotency-Key": "order-42"}
    first = client.post("/v1/wecom/licences/orders", headers=headers, json=body)
    second = client.post("/v1/wecom/licences/orders", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    listed = client.get("/v1/wecom/licences/orders", headers=ADMIN,
                        params={"provider": provider}).json()["orders"]
    assert len(listed) == 1
    other = client.post("/v1/wecom/licences/orders", headers=headers,
                        json={**body, "account_count": {"base_count": 4}})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency.key_reused"


def test_concurrent_retries_with_one_idempotency_key_create_one_order(
    sqlite_runtime: Any,
) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from tollhouse.bootstrap import build_app  # noqa: PLC0415

    a_provider(sqlite_runtime)
    app = build_app(sqlite_runtime.settings, runtime=sqlite_runtime, worker=False)
    body = {"provider": "wwprov", "corpid": "wwcorpA", "buyer_userid": "admin1",
            "account_count": {"base_count": 3}, "account_duration": {"months": 12}}
    answers: list[Any] = []
    with TestClient(app) as test_client:
        def retry() -> None:
            answers.append(test_client.post("/v1/wecom/licences/orders", json=body, headers={
                **ADMIN, "Idempotency-Key": "same"}).json())
        threads = [threading.Thread(target=retry) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len({a["order_id"] for a in answers}) == 1
    with sqlite_runtime.uow() as uow:
        assert len(uow.licences.all_orders("wwprov")) == 1


def test_v1_needs_a_key_and_a_tenant_key_sees_only_its_tenant(client: Any, runtime: Any,
                                                               provider: str) -> None:
    a_provider(runtime, "wwother")
    body = {"provider": provider, "corpid": "wwcorpA", "order_kind": "new",
            "account_count": {"base_count": 1}, "account_duration": {"months": 12}}
    assert client.post("/v1/wecom/licences/quote", json=body).status_code == 401
    _, own = create_key(runtime, name="isv", tenant_id="wecom:wwprov")
    _, other = create_key(runtime, name="other", tenant_id="wecom:wwother")
    ok = client.post("/v1/wecom/licences/quote", json=body,
                     headers={"Authorization": f"Bearer {own}"})
    assert ok.status_code == 200
    denied = client.post("/v1/wecom/licences/quote", json=body,
                         headers={"Authorization": f"Bearer {other}"})
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "auth.forbidden_tenant"


def test_sandbox_clock_moves_forward_only_after_activity(client: Any, runtime: Any,
                                                         provider: str) -> None:
    back = client.post("/v1/sandbox/clock", headers=ADMIN,
                       json={"provider": provider, "now": "2024-01-01T00:00:00+08:00"})
    assert back.status_code == 200  # no activity yet: any instant
    assert back.json()["now"] == "2023-12-31T16:00:00+00:00"
    client.post("/v1/wecom/licences/orders", headers=ADMIN, json={
        "provider": provider, "corpid": "wwcorpA", "buyer_userid": "admin1",
        "account_count": {"base_count": 1}, "account_duration": {"months": 1}})
    refused = client.post("/v1/sandbox/clock", headers=ADMIN,
                          json={"provider": provider, "now": "2023-06-01T00:00:00+08:00"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "sandbox.clock_backwards"
    shown = client.get("/v1/sandbox/clock", headers=ADMIN, params={"provider": provider}).json()
    assert shown["now"] == "2023-12-31T16:00:00+00:00"
    both = client.post("/v1/sandbox/clock", headers=ADMIN,
                       json={"provider": provider, "now": "2025-01-01T00:00:00+08:00",
                             "advance_s": 5})
    assert both.status_code == 422


def test_production_tenants_refuse_clock_changes(client: Any, runtime: Any) -> None:
    from tollhouse.services import licence_setup as setup  # noqa: PLC0415

    setup.create_provider(runtime, setup.NewProvider(corpid="wwlive", provider_secret="s",
                                                     sandbox=False))
    refused = client.post("/v1/sandbox/clock", headers=ADMIN,
                          json={"provider": "wwlive", "advance_s": 60})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "sandbox.production_tenant"


def test_v1_validation_errors_name_the_field(client: Any, provider: str) -> None:
    response = client.post("/v1/wecom/licences/quote", headers=ADMIN, json={
        "provider": provider, "corpid": "wwcorpA", "account_count": {"base_count": -1},
        "account_duration": {"months": 12}})
    assert response.status_code == 422
    assert "account_count.base_count" in response.json()["error"]["message"]
