"""Builders for the editions e2e tests: the six editions of spec §6 and a small HTTP client."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import ADMIN_KEY
from tollhouse.services import editions as svc
from tollhouse.services.auth import create_key
from tollhouse.services.runtime import Runtime

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}

STD_Y = {"edition_id": "std-y", "edition_name": "Standard", "basic": True, "cycle": "year",
         "rule": {"type": "per_person", "unit_price_fen": 19900},
         "discount": {"type": "price_discount", "rows": [{"min_cycles": 2, "rate_percent": 90},
                                                         {"min_cycles": 3, "rate_percent": 80}]},
         "headcount_limits": {"min_users": 5, "max_users": 500},
         "price_cap": {"max_price_fen_per_cycle": 5000000}}
LITE_M = {"edition_id": "lite-m", "edition_name": "Lite", "basic": False, "cycle": "month",
          "rule": {"type": "per_person", "unit_price_fen": 1299},
          "discount": {"type": "price_discount", "rows": [{"min_cycles": 3, "rate_percent": 90}]}}
TIER_Y = {"edition_id": "tier-y", "edition_name": "Tiered", "basic": False, "cycle": "year",
          "rule": {"type": "tiered", "tiers": [
              {"from": 1, "to": 50, "fixed_price_fen": 600000},
              {"from": 51, "to": 200, "unit_price_fen": 10000},
              {"from": 201, "to": None, "unit_price_fen": 8000}]}}
PROMO_Y = {"edition_id": "promo-y", "edition_name": "Promo", "basic": False, "cycle": "year",
           "rule": {"type": "per_person", "unit_price_fen": 19900},
           "discount": {"type": "price_discount", "rows": [{"min_cycles": 3, "rate_percent": 70}]},
           "headcount_limits": {"min_users": 5, "max_users": 500}}
LITE_MB = {"edition_id": "lite-mb", "edition_name": "Lite bonus", "basic": False,
           "cycle": "month", "rule": {"type": "per_person", "unit_price_fen": 1290},
           "discount": {"type": "bonus_days", "rows": [
               {"min_cycles": 3, "bonus_days": 32}, {"min_cycles": 6, "bonus_days": 65},
               {"min_cycles": 12, "bonus_days": 130}]}}
BONUS_Y = {"edition_id": "bonus-y", "edition_name": "Bonus", "basic": False, "cycle": "year",
           "rule": {"type": "per_person", "unit_price_fen": 10000},
           "discount": {"type": "bonus_days", "rows": [{"min_cycles": 1, "bonus_days": 127}]}}
SPEC_STRATEGY: dict[str, Any] = {
    "trial_days": 30, "extra_trial": {"enabled": True, "days": 7},
    "editions": [STD_Y, LITE_M, TIER_Y, PROMO_Y, LITE_MB, BONUS_Y],
}


def strategy(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SPEC_STRATEGY)
    body.update(changes)
    return body


class Editions:
    """One vendor `wwvendor` with suite `suite1`, one app `suite1.wwcorpA`, and keys."""

    def __init__(self, runtime: Runtime, client: Any, *, clock_now: int,
                 settings: dict[str, Any] | None = None, vendor: str = "wwvendor") -> None:
        from tollhouse.domain.periods import from_unix  # noqa: PLC0415

        self.runtime, self.client, self.vendor = runtime, client, vendor
        svc.create_vendor(runtime, vendor, name="Vendor", clock_now=from_unix(clock_now),
                          settings=settings)
        svc.add_suite(runtime, vendor, "suite1", "suite1-secret")
        app = svc.create_app(runtime, vendor, suite_id="suite1", corpid="wwcorpA")
        self.app_id = app["app_id"]
        self.tenant = app["tenant"]
        self.vendor_key = {"Authorization": f"Bearer {create_key(runtime, name='v', tenant_id=app['tenant'])[1]}"}
        self.admin_key = {"Authorization": f"Bearer {create_key(runtime, name='a', tenant_id=app['corp_tenant'])[1]}"}

    def url(self, tail: str) -> str:
        return f"/v1/editions/apps/{self.app_id}{tail}"

    def live(self, body: dict[str, Any] | None = None, *, go_live_time: int | None = None) -> None:
        saved = self.client.put(self.url("/strategy"), json=body or SPEC_STRATEGY,
                                headers=self.vendor_key)
        assert saved.status_code == 200, saved.json()
        went = self.client.post(self.url("/go-live"), headers=self.vendor_key,
                                json={"go_live_time": go_live_time} if go_live_time else None)
        assert went.status_code == 200, went.json()

    def clock(self, now: int) -> dict[str, Any]:
        from datetime import UTC, datetime  # noqa: PLC0415

        moved = self.client.post("/v1/sandbox/clock", headers=ADMIN, json={
            "tenant": self.tenant, "now": datetime.fromtimestamp(now, tz=UTC).isoformat()})
        assert moved.status_code == 200, moved.json()
        return dict(moved.json())

    def quote(self, **body: Any) -> Any:
        return self.client.post(self.url("/quotes"), json=body, headers=self.admin_key)

    def order(self, **body: Any) -> Any:
        return self.client.post(self.url("/orders"), json=body, headers=self.admin_key)

    def pay(self, order_id: str, paid_time: int | None = None) -> Any:
        return self.client.post(f"/v1/editions/orders/{order_id}/payment", headers=ADMIN,
                                json={"pay_channel": 1, "channel_order_id": "wx1",
                                      **({"paid_time": paid_time} if paid_time else {})})

    def buy(self, **body: Any) -> dict[str, Any]:
        created = self.order(**body)
        assert created.status_code == 201, created.json()
        paid = self.pay(created.json()["order_id"])
        assert paid.status_code == 200, paid.json()
        return dict(paid.json())

    def status(self) -> dict[str, Any]:
        return dict(self.client.get(self.url("/status"), headers=self.vendor_key).json())

    def access(self, at: int | None = None) -> dict[str, Any]:
        return dict(self.client.get(self.url("/access"), headers=self.vendor_key,
                                    params={"at": at} if at else {}).json())

    def events(self, kind: str) -> list[dict[str, Any]]:
        answer = self.client.get("/v1/events", headers=ADMIN,
                                 params={"tenant": self.tenant, "kind": kind}).json()
        return list(answer["events"])
