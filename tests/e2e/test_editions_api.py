"""Paid app editions through HTTP and the database (spec app-editions §4, X1–X14)."""



from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.editions_support import ADMIN, Editions, strategy

FEB_2024 = 1706781600  # 2024-02-01 10:00 +08:00
X1_PAID = 1709258400  # 2024-03-01 10:00 +08:00


@pytest.fixture
def shop(runtime: Any, client: Any) -> Editions:
    """The spec strategy, live since 2024-02-01 10:00; the clock at X1's payment instant."""
    editions = Editions(runtime, client, clock_now=FEB_2024)
    editions.live()
    editions.clock(X1_PAID)
    return editions


def code(response: Any) -> str:
    return str(response.json()["error"]["code"]).removeprefix("wecom.editions.")


@pytest.mark.parametrize(
    ("body", "amount", "days"),
    [
        pytest.param({"edition_id": "std-y", "user_count": 37, "cycles": 1}, 736_300, 365,
                     id="editions-X1"),
        pytest.param({"edition_id": "lite-m", "user_count": 5, "cycles": 3}, 17_537, 93,
                     id="editions-X2"),
        pytest.param({"edition_id": "lite-m", "user_count": 5, "cycles": 2}, 12_990, 62,
                     id="editions-X2-two-months"),
        pytest.param({"edition_id": "tier-y", "user_count": 35, "cycles": 2}, 1_200_000, 730,
                     id="editions-X3"),
        pytest.param({"edition_id": "tier-y", "user_count": 1, "cycles": 1}, 600_000, 365,
                     id="editions-X3-one"),
        pytest.param({"edition_id": "tier-y", "user_count": 50, "cycles": 1}, 600_000, 365,
                     id="editions-X3-fifty"),
        pytest.param({"edition_id": "tier-y", "user_count": 120, "cycles": 1}, 1_200_000, 365,
                     id="editions-X4-120"),
        pytest.param({"edition_id": "tier-y", "user_count": 200, "cycles": 1}, 2_000_000, 365,
                     id="editions-X4-200"),
        pytest.param({"edition_id": "tier-y", "user_count": 201, "cycles": 1}, 1_608_000, 365,
                     id="editions-X4-201"),
        pytest.param({"edition_id": "tier-y", "user_count": 250, "cycles": 1}, 2_000_000, 365,
                     id="editions-X4-250"),
        pytest.param({"edition_id": "promo-y", "user_count": 10, "cycles": 3}, 417_900, 1095,
                     id="editions-X5"),
        pytest.param({"edition_id": "std-y", "user_count": 5, "cycles": 1}, 99_500, 365,
                     id="editions-X8-5"),
        pytest.param({"edition_id": "std-y", "user_count": 500, "cycles": 1}, 5_000_000, 365,
                     id="editions-X8-500"),
        pytest.param({"edition_id": "std-y", "user_count": 300, "cycles": 3}, 14_328_000, 1095,
                     id="editions-X9-300"),
        pytest.param({"edition_id": "std-y", "user_count": 400, "cycles": 3}, 15_000_000, 1095,
                     id="editions-X9-400"),
    ],
)
def test_quotes_over_http_match_the_spec(shop: Editions, body: dict[str, Any], amount: int,
                                         days: int) -> None:
    answer = shop.quote(order_type=0, **body)
    assert answer.status_code == 200, answer.json()
    quoted = answer.json()
    assert quoted["amount_fen"] == amount
    assert quoted["purchased_days"] == days
    assert sum(line["amount_fen"] for line in quoted["lines"]) == amount


def test_editions_X2_breakdown_shows_discount_and_half_up_rounding(shop: Editions) -> None:
    quoted = shop.quote(order_type=0, edition_id="lite-m", user_count=5, cycles=3).json()
    assert quoted["base_fen"] == 19_485
    assert quoted["discount"] == {"type": "price_discount", "min_cycles": 3, "rate_percent": 90}
    assert quoted["after_discount"] == "17536.50"
    assert quoted["cap_fen"] is None
    assert quoted["amount_fen"] == 17_537


@pytest.mark.parametrize(
    ("cycles", "amount", "bonus", "term"),
    [pytest.param(4, 103_200, 32, 156, id="editions-X6-4"),
     pytest.param(12, 309_600, 130, 502, id="editions-X6-12")],
)
def test_editions_X6_bonus_days_lengthen_the_term(shop: Editions, cycles: int, amount: int,
                                                  bonus: int, term: int) -> None:
    quoted = shop.quote(order_type=0, edition_id="lite-mb", user_count=20, cycles=cycles).json()
    assert (quoted["amount_fen"], quoted["bonus_days"], quoted["term_days"]) == (
        amount, bonus, term)


def test_editions_X7_bonus_127_days_on_a_year(shop: Editions) -> None:
    quoted = shop.quote(order_type=0, edition_id="bonus-y", user_count=10, cycles=1).json()
    assert (quoted["amount_fen"], quoted["term_days"]) == (100_000, 492)


def _edition(body: dict[str, Any], edition_id: str) -> dict[str, Any]:
    return next(e for e in body["editions"] if e["edition_id"] == edition_id)


@pytest.mark.parametrize(
    ("edition_id", "rows", "expected"),
    [
        pytest.param("promo-y", [{"min_cycles": 3, "rate_percent": 69}], "discount_below_floor",
                     id="editions-X5-69"),
        pytest.param("lite-mb", [{"min_cycles": 3, "bonus_days": 33}], "bonus_above_cap",
                     id="editions-X6-33"),
        pytest.param("lite-mb", [{"min_cycles": 6, "bonus_days": 66}], "bonus_above_cap",
                     id="editions-X6-66"),
        pytest.param("lite-mb", [{"min_cycles": 12, "bonus_days": 131}], "bonus_above_cap",
                     id="editions-X6-131"),
        pytest.param("bonus-y", [{"min_cycles": 1, "bonus_days": 128}], "bonus_above_cap",
                     id="editions-X7-128"),
        pytest.param("bonus-y", [{"min_cycles": 1, "rate_percent": 65}], "discount_below_floor",
                     id="editions-X7-65"),
    ],
)
def test_an_invalid_strategy_is_rejected_and_the_saved_one_stays(
        shop: Editions, edition_id: str, rows: list[dict[str, Any]], expected: str) -> None:
    body = strategy()
    edition = _edition(body, edition_id)
    kind = "price_discount" if "rate_percent" in rows[0] else "bonus_days"
    edition["discount"] = {"type": kind, "rows": rows}
    answer = shop.client.put(shop.url("/strategy"), json=body, headers=shop.vendor_key)
    assert answer.status_code == 422
    assert code(answer) == expected
    assert answer.json()["error"]["details"]["violations"][0]["path"].startswith("editions[")
    kept = shop.client.get(shop.url("/strategy"), headers=shop.vendor_key).json()
    assert kept["version"] == 1


def test_every_violation_is_named_at_once(shop: Editions) -> None:
    body = strategy(trial_days=61)
    _edition(body, "promo-y")["discount"]["rows"] = [{"min_cycles": 3, "rate_percent": 50}]
    _edition(body, "tier-y")["rule"]["tiers"][1]["from"] = 60
    _edition(body, "lite-m")["rule"]["unit_price_fen"] = 12.5
    answer = shop.client.put(shop.url("/strategy"), json=body, headers=shop.vendor_key)
    assert answer.status_code == 422
    paths = [v["path"] for v in answer.json()["error"]["details"]["violations"]]
    assert paths == ["editions[1].rule.unit_price_fen"]  # shape problems first, alone
    _edition(body, "lite-m")["rule"]["unit_price_fen"] = 1299
    answer = shop.client.put(shop.url("/strategy"), json=body, headers=shop.vendor_key)
    names = [v["name"] for v in answer.json()["error"]["details"]["violations"]]
    assert names == ["trial_days_invalid", "trial_total_exceeds_60", "tiers_invalid",
                     "discount_below_floor"]


@pytest.mark.parametrize(
    ("user_count", "expected"),
    [pytest.param(4, "headcount_below_min", id="editions-X8-4"),
     pytest.param(501, "headcount_above_max", id="editions-X8-501")],
)
def test_editions_X8_orders_outside_the_limits_are_refused_and_nothing_is_written(
        shop: Editions, user_count: int, expected: str) -> None:
    answer = shop.order(order_type=0, edition_id="std-y", user_count=user_count, cycles=1)
    assert answer.status_code == 422
    assert code(answer) == expected
    assert answer.json()["error"]["details"]["errcode"] in {880010, 880011}
    listed = shop.client.get(shop.url("/orders"), headers=shop.vendor_key).json()
    assert listed["orders"] == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [pytest.param({"edition_id": "std-y", "user_count": 10, "cycles": 6},
                  "duration_out_of_range", id="duration-above-1825"),
     pytest.param({"edition_id": "std-y", "user_count": 10, "cycles": 0},
                  "duration_out_of_range", id="duration-zero"),
     pytest.param({"edition_id": "std-y", "user_count": 0, "cycles": 1},
                  "headcount_invalid", id="headcount-zero")],
)
def test_bad_orders_are_refused_with_nothing_written(shop: Editions, body: dict[str, Any],
                                                     expected: str) -> None:
    answer = shop.order(order_type=0, **body)
    assert answer.status_code == 422
    assert code(answer) == expected
    assert shop.client.get(shop.url("/orders"), headers=shop.vendor_key).json()["orders"] == []


def test_editions_X9_per_order_cap_setting(runtime: Any, client: Any) -> None:
    editions = Editions(runtime, client, clock_now=FEB_2024, settings={"cap_scope": "per_order"})
    editions.live()
    for user_count in (300, 400):
        quoted = editions.quote(order_type=0, edition_id="std-y", user_count=user_count,
                                cycles=3).json()
        assert quoted["amount_fen"] == 5_000_000


def test_editions_X1_purchase_opens_a_365_day_term(shop: Editions) -> None:
    paid = shop.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    assert paid["price_fen"] == 736_300
    assert (paid["begin_time"], paid["end_time"]) == (1709258400, 1740794400)
    assert paid["order_status"] == 1
    status = shop.status()
    assert (status["app_status"], status["user_limit"], status["expired_time"]) == (
        3, 37, 1740794400)
    assert status["edition_id"] == "std-y"


def test_editions_X10a_renewal_before_the_reminder(shop: Editions) -> None:
    shop.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    shop.clock(1740013200)  # 2025-02-20 09:00
    renewal = shop.buy(order_type=2, cycles=1)
    assert renewal["price_fen"] == 736_300
    assert (renewal["begin_time"], renewal["end_time"]) == (1740794400, 1772330400)
    shop.clock(1771725600 - 1)
    assert shop.events("edition.service_reminder") == []
    shop.clock(1771725600)  # 2026-02-22 10:00
    sent = shop.events("edition.service_reminder")
    assert [e["payload"]["end_time"] for e in sent] == [1772330400]
    assert sent[0]["occurred_at"].startswith("2026-02-22T02:00:00")


def test_editions_X10b_two_year_renewal(shop: Editions) -> None:
    shop.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    shop.clock(1740013200)
    renewal = shop.buy(order_type=2, cycles=2)
    assert renewal["price_fen"] == 1_325_340
    assert renewal["end_time"] == 1803866400


def test_editions_X10c_expiry_interception_and_renewal_from_payment(shop: Editions) -> None:
    shop.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    shop.clock(1740794400 - 1)
    assert shop.access()["allowed"] is True
    assert [e["payload"]["end_time"] for e in shop.events("edition.service_reminder")] == [
        1740794400]
    shop.clock(1740794400)
    blocked = shop.access()
    assert (blocked["allowed"], blocked["app_status"], blocked["reason"]) == (
        False, 4, "term_expired")
    shop.clock(1741587600)  # 2025-03-10 14:20
    renewal = shop.buy(order_type=2, cycles=1)
    assert renewal["price_fen"] == 736_300
    assert (renewal["begin_time"], renewal["end_time"]) == (1741587600, 1773123600)
    assert shop.access()["allowed"] is True


def test_editions_X11_refund_within_240_hours(runtime: Any, client: Any) -> None:
    editions = Editions(runtime, client, clock_now=1746516600 - 86400)
    editions.live()
    editions.clock(1746516600)  # 2025-05-06 15:30
    paid = editions.buy(order_type=0, edition_id="std-y", user_count=10, cycles=1)
    editions.clock(1747467000)  # day 11
    late = client.post(f"/v1/editions/orders/{paid['order_id']}/refund",
                       json={"reason": "x"}, headers=editions.admin_key)
    assert late.status_code == 409
    assert code(late) == "refund_window_closed"
    assert late.json()["error"]["details"]["rule"] == "AE35"
    order = client.get(f"/v1/editions/orders/{paid['order_id']}", headers=ADMIN).json()
    assert order["order_status"] == 1


def test_editions_X11a_refund_on_day_9_is_accepted(runtime: Any, client: Any) -> None:
    editions = Editions(runtime, client, clock_now=1746516600 - 86400)
    editions.live()
    editions.clock(1746516600)
    paid = editions.buy(order_type=0, edition_id="std-y", user_count=10, cycles=1)
    editions.clock(1747294200)  # day 9
    asked = client.post(f"/v1/editions/orders/{paid['order_id']}/refund",
                        json={"reason": "not needed"}, headers=editions.admin_key)
    assert asked.status_code == 200, asked.json()
    assert asked.json()["order_status"] == 4
    decided = client.post(f"/v1/editions/orders/{paid['order_id']}/refund/decision",
                          json={"approve": True}, headers=editions.vendor_key)
    assert decided.json()["order_status"] == 5
    assert editions.status()["app_status"] == 2  # the term is gone; the trial was forfeited


def test_editions_X12_over_headcount_grace(shop: Editions) -> None:
    shop.buy(order_type=0, edition_id="std-y", user_count=200, cycles=1)
    shop.clock(1725238800)  # 2024-09-02 09:00
    reported = shop.client.put(shop.url("/active-users"), headers=shop.vendor_key,
                               json={"count": 210})
    assert reported.json()["app_status"] == 6
    grace = shop.access(at=1725840000)
    assert (grace["app_status"], grace["allowed"]) == (6, True)
    used = shop.access(at=1725843600)
    assert (used["app_status"], used["allowed"]) == (7, False)
    assert len(shop.events("edition.over_headcount")) == 1
    shop.clock(1725508800)  # 2024-09-05 12:00
    cleared = shop.client.put(shop.url("/active-users"), headers=shop.vendor_key,
                              json={"count": 198})
    assert cleared.json()["app_status"] == 3


def test_editions_X12_a_paid_expansion_clears_the_clock(shop: Editions) -> None:
    shop.buy(order_type=0, edition_id="std-y", user_count=200, cycles=1)
    shop.clock(1725238800)
    shop.client.put(shop.url("/active-users"), headers=shop.vendor_key, json={"count": 210})
    expanded = shop.buy(order_type=1, user_count=210)
    assert expanded["order_type"] == 1
    assert shop.status()["app_status"] == 3
    assert shop.access(at=1725843600)["app_status"] == 3


def test_plan_change_order_shows_the_credit_line(shop: Editions) -> None:
    shop.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    shop.clock(X1_PAID + 265 * 86400)  # 100 days left
    quoted = shop.quote(order_type=1, user_count=50).json()
    term = quoted["terms"][0]
    assert (term["remaining_days"], term["term_days"]) == (100, 365)
    assert term["credit"] == "201726.0274"  # 736 300 × 100 / 365
    kinds = [line["kind"] for line in quoted["lines"]]
    assert kinds == ["new_plan_value", "value_credit"]
    assert sum(line["amount_fen"] for line in quoted["lines"]) == quoted["amount_fen"]
    assert quoted["amount_fen"] == 70_877  # (995 000 − 736 300) × 100 / 365 = 70 876.7…


def test_editions_X14_trial_reminder_interception_and_purchase(runtime: Any, client: Any) -> None:
    editions = Editions(runtime, client, clock_now=1717120800)
    editions.live()  # go-live 2024-05-31 10:00
    status = editions.status()
    assert (status["app_status"], status["expired_time"]) == (1, 1719712800)
    editions.clock(1719108000 - 1)
    assert editions.events("edition.trial_reminder") == []
    editions.clock(1719108000)
    sent = editions.events("edition.trial_reminder")
    assert [e["payload"]["end_time"] for e in sent] == [1719712800]
    assert editions.access(at=1719712799)["app_status"] == 1
    blocked = editions.access(at=1719712800)
    assert (blocked["app_status"], blocked["allowed"]) == (2, False)
    editions.clock(1719889200)  # 2024-07-02 11:00
    paid = editions.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    assert paid["price_fen"] == 736_300
    assert (paid["begin_time"], paid["end_time"]) == (1719889200, 1751425200)
    assert editions.access()["app_status"] == 3


def test_unpaid_orders_expire_after_24_hours_and_a_new_one_cancels_the_old(
        shop: Editions) -> None:
    first = shop.order(order_type=0, edition_id="std-y", user_count=10, cycles=1).json()
    second = shop.order(order_type=0, edition_id="std-y", user_count=11, cycles=1).json()
    assert second["cancelled"] == [first["order_id"]]
    shop.clock(X1_PAID + 86400)
    order = shop.client.get(f"/v1/editions/orders/{second['order_id']}", headers=ADMIN).json()
    assert order["order_status"] == 3
    late = shop.pay(second["order_id"])
    assert late.status_code == 409
    assert code(late) == "invalid_status_transition"


def test_invoices_and_refund_rules(shop: Editions) -> None:
    paid = shop.buy(order_type=0, edition_id="std-y", user_count=10, cycles=1)
    base = f"/v1/editions/orders/{paid['order_id']}"
    asked = shop.client.post(f"{base}/invoice", headers=shop.admin_key,
                             json={"invoice_type": "vat", "title": "Acme", "tax_id": "91310"})
    assert asked.status_code == 201
    again = shop.client.post(f"{base}/invoice", headers=shop.admin_key,
                             json={"invoice_type": "normal", "title": "Acme"})
    assert code(again) == "invoice_exists"
    issued = shop.client.post(f"{base}/invoice/status", headers=shop.vendor_key,
                              json={"status": "issued_electronic"})
    assert issued.json()["status"] == "issued_electronic"
    refused = shop.client.post(f"{base}/refund", headers=shop.admin_key, json={"reason": "x"})
    assert code(refused) == "order_invoiced"
    complaint = shop.client.post(f"{base}/complaints", headers=shop.admin_key,
                                 json={"text": "slow support"})
    assert complaint.status_code == 201
    detail = shop.client.get(base, headers=shop.vendor_key).json()
    assert detail["invoice"]["status"] == "issued_electronic"
    assert detail["complaints"][0]["text"] == "slow support"


def test_keys_are_scoped_to_their_role(shop: Editions) -> None:
    other = shop.client.put(shop.url("/strategy"), json=strategy(), headers=shop.admin_key)
    assert other.status_code == 401
    assert shop.client.post(shop.url("/go-live"), headers=shop.admin_key).status_code == 401
    assert shop.client.get(shop.url("/status"), headers=shop.admin_key).status_code == 200
