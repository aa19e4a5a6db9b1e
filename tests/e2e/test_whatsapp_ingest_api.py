# ruff: noqa: ISC002, RUF059, PT018 - CSV literals span lines; unpacking documents the recorded call
"""WhatsApp ingestion, bad input and races, late webhooks, imports, rate cards, analytics,
budgets, alerts and wallets through HTTP (spec §8, R-IN-*, D-2 .. D-5, R-RC-*, R-BUD-*)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.e2e.whatsapp_client import (
    ADMIN,
    VERIFY,
    WhatsApp,
    body,
    inbound,
    lines,
    message,
    sign,
    status,
)
from tollhouse.adapters.db import tables_whatsapp as w
from tollhouse.services.runtime import Runtime

BRAZIL = "5511912345678"


@pytest.fixture
def wa(client: Any) -> WhatsApp:
    return WhatsApp(client, now="2026-02-01T00:00:00+00:00")


def stored(runtime: Runtime) -> dict[str, int]:
    with runtime.uow(readonly=True) as uow:
        return {t.name: uow.whatsapp.count_rows(t) for t in (
            w.wa_webhook_bodies, w.wa_statuses, w.wa_inbound, w.wa_charges, w.wa_rate_cards,
            w.wa_activity)}


NOTHING = {"wa_webhook_bodies": 0, "wa_statuses": 0, "wa_inbound": 0, "wa_charges": 0,
           "wa_rate_cards": 0, "wa_activity": 0}


def test_webhook_verification_answers_the_challenge_only_for_a_known_token(wa: WhatsApp) -> None:
    ok = wa.client.get("/v1/whatsapp/webhooks", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = wa.client.get("/v1/whatsapp/webhooks", params={
        "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert bad.status_code == 403


@pytest.mark.parametrize("signature", [None, "sha256=00", "md5=abc"])
def test_unsigned_or_wrongly_signed_webhooks_are_refused_logged_and_not_stored(
    wa: WhatsApp, runtime: Runtime, signature: str | None
) -> None:
    raw = json.dumps(body("W1", "P1", message("m1", "2026-02-10 00:00", BRAZIL,
                                              "marketing"))).encode()
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["X-Hub-Signature-256"] = signature
    response = wa.client.post("/v1/whatsapp/webhooks", content=raw, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "whatsapp.webhook.bad_signature"
    assert stored(runtime) == NOTHING
    logged = wa.client.get("/v1/whatsapp/rejections", headers=ADMIN).json()["rejections"]
    assert [r["code"] for r in logged] == ["whatsapp.webhook.bad_signature"]


def test_a_malformed_status_refuses_the_whole_body(wa: WhatsApp, runtime: Runtime) -> None:
    good = message("m1", "2026-02-10 00:00", BRAZIL, "marketing")
    broken = {"id": "m2", "status": "delivered", "recipient_id": BRAZIL}  # no timestamp
    response = wa.post(body("W1", "P1", [*good, broken]))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "whatsapp.webhook.invalid"
    not_json = wa.post(b"{not json")
    assert not_json.status_code == 422
    assert stored(runtime) == NOTHING


def test_webhooks_of_an_unknown_waba_are_refused(wa: WhatsApp, runtime: Runtime) -> None:
    response = wa.post(body("W-unknown", "P9", message("m1", "2026-02-10 00:00", BRAZIL,
                                                      "marketing")))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "whatsapp.waba.unknown"
    assert stored(runtime) == NOTHING


def test_D2_the_same_webhook_delivered_ten_times_concurrently_is_charged_once(
    wa: WhatsApp, runtime: Runtime
) -> None:
    # given one delivered template, and ten deliveries of it: five identical bodies and five
    # bodies that differ in bytes only (Meta's retries are not byte-identical)
    statuses = message("m1", "2026-02-10 00:00", BRAZIL, "marketing")
    payloads = [json.dumps(body("W1", "P1", statuses)).encode()] * 5 + [
        json.dumps(body("W1", "P1", statuses), indent=i).encode() for i in range(1, 6)]
    answers: list[int] = []
    barrier = threading.Barrier(len(payloads))

    def deliver(raw: bytes) -> None:
        barrier.wait()
        answers.append(wa.post(raw).status_code)

    threads = [threading.Thread(target=deliver, args=(raw,)) for raw in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every delivery is acknowledged, and the message is stored and charged once
    assert answers == [200] * 10
    counts = stored(runtime)
    assert (counts["wa_statuses"], counts["wa_charges"]) == (2, 1)
    assert wa.statement("2026-02")["total"] == 6


def test_D3_a_read_without_delivered_confirms_and_a_later_failed_does_not_undo(
    wa: WhatsApp
) -> None:
    price = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}
    wa.send([status("m1", "read", "2026-02-10 00:00", BRAZIL, price=price)])
    wa.send([status("m1", "delivered", "2026-02-09 23:59", BRAZIL, price=price),
             status("m1", "failed", "2026-02-10 00:01", BRAZIL, errors=[131026])])
    got = wa.statement("2026-02")
    assert lines(got) == [("meta", "Brazil", "marketing", "regular", 1, "0.0625", 6)]


def test_D4_a_message_seen_only_as_sent_is_pending(wa: WhatsApp) -> None:
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing")[:1])
    got = wa.statement("2026-02")
    assert (got["total"], got["pending"], got["lines"]) == (0, 1, [])
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing")[1:])
    assert (wa.statement("2026-02")["pending"], wa.statement("2026-02")["total"]) == (0, 6)


def test_D5_a_late_webhook_for_a_final_month_is_an_adjustment_on_the_open_month(
    wa: WhatsApp
) -> None:
    # given February billed and final (its grace ended on 2026-03-08)
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing"))
    wa.clock("2026-03-09T00:00:00+00:00")
    february = wa.statement("2026-02")
    assert (february["status"], february["total"]) == ("final", 6)
    # when a webhook for 2026-02-27 arrives late
    wa.send(message("m2", "2026-02-27 00:00", BRAZIL, "marketing"))
    # then February is unchanged and March carries the adjustment, labelled with February
    assert wa.statement("2026-02") == february
    march = wa.statement("2026-03")
    assert [(a["category"], a["original_month"], a["amount"]) for a in march["adjustments"]] == [
        ("marketing", "2026-02", 6)]
    assert march["total"] == sum(line["amount"] for line in march["lines"]) == 6


def test_R_ST_3_the_sandbox_clock_closes_statements_and_publishes_an_event(
    wa: WhatsApp
) -> None:
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing"))
    moved = wa.clock("2026-03-10T00:00:00+00:00")
    assert [r["kind"] for r in moved["ran"]] == ["whatsapp.close_statement"]
    feed = wa.client.get("/v1/whatsapp/events", headers=ADMIN,
                         params={"billing_account": "acme", "type": "whatsapp.statement_closed"})
    assert [e["payload"]["total"] for e in feed.json()["events"]] == [6]


def test_D15_D19_unknown_category_is_kept_unrated_with_a_reason_and_alerted(
    wa: WhatsApp, runtime: Runtime
) -> None:
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "mystery_category"))
    got = wa.statement("2026-02")
    assert (got["total"], got["unrated"]) == (0, 1)
    with runtime.uow(readonly=True) as uow:
        [charge] = uow.whatsapp.charges(account="acme")
    assert charge["status"] == "unrated"
    assert "mystery_category" in charge["reason"]
    feed = wa.client.get("/v1/whatsapp/events", headers=ADMIN,
                         params={"billing_account": "acme", "type": "unrated_charge"}).json()
    assert feed["events"][0]["payload"]["count"] == 1


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        pytest.param("2026-05-01,USD,Indonesa,marketing,0.0411,,", "Indonesa", id="unknown-market"),
        pytest.param("2026-05-01,USD,Brazil,promo,0.0411,,", "promo", id="unknown-category"),
        pytest.param("2026-05-01,USD,Brazil,marketing,-0.01,,", "negative", id="negative"),
        pytest.param("2026-05-01,USD,Brazil,marketing,1e-2,,", "plain decimal", id="float-like"),
        pytest.param("2026-01-01,USD,Brazil,marketing,0.0700,,", "overlaps", id="overlap"),
        pytest.param("2025-06-01,USD,Brazil,utility,0.0100,1,10\n"
                     "2025-06-01,USD,Brazil,utility,0.0090,12,", "gap", id="tier-gap"),
    ],
)
def test_R_RC_invalid_rate_cards_are_refused_with_their_line(
    wa: WhatsApp, runtime: Runtime, row: str, problem: str
) -> None:
    text = "# source: test\neffective_from,currency,market,category,rate,tier_from,tier_to\n" + row
    response = wa.card(text)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "whatsapp.rate_card.invalid"
    assert error["details"]["line"] >= 3
    assert problem in error["message"]
    assert stored(runtime)["wa_rate_cards"] == 0


def test_R_RC_5_importing_the_same_card_twice_returns_the_same_version(wa: WhatsApp) -> None:
    text = "effective_from,currency,market,category,rate,tier_from,tier_to\n" \
           "2026-05-01,USD,Brazil,marketing,0.0700,,\n"
    first, again = wa.card(text), wa.card(text)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["version"] == again.json()["version"]
    listed = wa.client.get("/v1/whatsapp/rate-cards", headers=ADMIN,
                           params={"currency": "USD", "at": "2026-05-02"}).json()
    brazil = [r for r in listed["rows"] if (r["market"], r["category"]) == ("Brazil", "marketing")]
    assert brazil[0]["rate"] == "0.0700"


def test_R_IN_4_ndjson_imports_keep_valid_lines_and_report_the_others(
    wa: WhatsApp, runtime: Runtime
) -> None:
    webhook = {"type": "webhook", "idempotency_key": "h-1", "received_at":
               "2026-02-11T00:00:00+00:00", "body": body("W1", "P1", message(
                   "m1", "2026-02-10 00:00", BRAZIL, "marketing"))}
    records = [
        webhook,
        {"type": "wallet_topup", "idempotency_key": "t-1", "timestamp": "2026-02-01T00:00:00Z",
         "billing_account": "acme", "currency": "USD", "amount": 5000},
        {"type": "wallet_topup", "idempotency_key": "t-2", "timestamp": "2026-02-01T00:00:00Z",
         "billing_account": "acme", "currency": "USD", "amount": "50.00"},
        {"type": "teleport", "idempotency_key": "x-1", "timestamp": "2026-02-01T00:00:00Z"},
        webhook,
    ]
    text = "\n".join(json.dumps(r) for r in records) + "\n{broken"
    response = wa.client.post("/v1/whatsapp/imports", headers={
        **ADMIN, "Content-Type": "application/x-ndjson"}, content=text.encode())
    assert response.status_code == 200
    answer = response.json()
    assert (answer["accepted"], answer["duplicates"]) == (2, 1)
    assert [r["line"] for r in answer["rejected"]] == [3, 4, 6]
    assert wa.statement("2026-02")["total"] == 6
    wallet = wa.client.get("/v1/whatsapp/billing-accounts/acme/wallets/USD", headers=ADMIN).json()
    assert (wallet["balance"], wallet["balance_exact"]) == (4993, "49.9375")


def test_D22_meta_token_usage_is_rated_per_token(wa: WhatsApp) -> None:
    record = {"type": "meta_tokens", "idempotency_key": "k-1",
              "timestamp": "2026-09-03T14:20:00+01:00", "waba_id": "W1",
              "phone_number_id": "P1", "recipient": "447700900123", "wamid": "wamid.X",
              "tokens": 23500}
    response = wa.client.post("/v1/whatsapp/imports", headers=ADMIN,
                              content=json.dumps(record).encode())
    assert response.json()["accepted"] == 1
    got = wa.statement("2026-09")
    assert lines(got) == [("meta", "United Kingdom", "meta_tokens", "regular", 23500,
                           "0.000002", 5)]
    assert got["total_exact"] == "0.0470"


def test_R_AN_1_pricing_analytics_answers_in_metas_shape(wa: WhatsApp) -> None:
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing")
            + message("m2", "2026-02-10 01:00", BRAZIL, "marketing")
            + message("m3", "2026-02-11 01:00", "919876543210", "utility",
                      kind="free_customer_service"))
    fields = ("pricing_analytics.start(1770681600).end(1770854400).granularity(DAILY)"
              ".dimensions(PRICING_CATEGORY,PRICING_TYPE,TIER,COUNTRY)")
    response = wa.client.get("/v1/whatsapp/wabas/W1/analytics", headers=ADMIN,
                             params={"fields": fields})
    assert response.status_code == 200
    assert response.json() == {"pricing_analytics": {"data": [{"data_points": [
        {"start": 1770681600, "end": 1770768000, "pricing_category": "MARKETING",
         "pricing_type": "REGULAR", "tier": "0:MAX", "country": "BR", "volume": 2,
         "cost": 0.125},
        {"start": 1770768000, "end": 1770854400, "pricing_category": "UTILITY",
         "pricing_type": "FREE_CUSTOMER_SERVICE", "country": "IN", "volume": 1, "cost": 0}]}]},
        "id": "W1"}
    assert b'"cost":0.125' in response.content  # exact decimal text, not a float's repr
    bad = wa.client.get("/v1/whatsapp/wabas/W1/analytics", headers=ADMIN,
                        params={"fields": "pricing_analytics.start(1).end(2).granularity(WEEKLY)"})
    assert bad.status_code == 400
    assert bad.json()["error"]["details"]["parameter"] == "granularity"


def test_R_BUD_2_each_threshold_alerts_once_per_period_by_feed_and_signed_hook(
    wa: WhatsApp, sender: Any
) -> None:
    # given a USD 0.10 budget (meta basis) and an alert hook
    made = wa.client.post("/v1/whatsapp/budgets", headers=ADMIN, json={
        "billing_account": "acme", "currency": "USD", "amount": 10, "thresholds": [50, 100],
        "basis": "meta"})
    assert made.status_code == 201
    wa.client.post("/v1/whatsapp/alert-hooks", headers=ADMIN, json={
        "billing_account": "acme", "url": "https://bsp.example/alerts", "secret": "s3cret",
        "events": ["threshold_reached"]})
    # when 0.0625 then 0.125 then 0.1875 are spent
    for index in range(3):
        wa.send(message(f"m{index}", f"2026-02-1{index} 00:00", BRAZIL, "marketing"))
    # then 50 % and 100 % fired once each, in the feed and to the hook, signed
    feed = wa.client.get("/v1/whatsapp/events", headers=ADMIN, params={
        "billing_account": "acme", "type": "threshold_reached"}).json()["events"]
    assert [e["payload"]["threshold"] for e in feed] == [50, 100]
    wa.clock("2026-02-20T00:00:00+00:00")  # runs the deliveries
    posted = [call for call in sender.sent if call[0] == "https://bsp.example/alerts"]
    assert len(posted) == 2
    url, sent_body, headers = posted[0]
    assert headers["X-Tollhouse-Signature"] == sign(sent_body, "s3cret")
    budget = wa.client.get(f"/v1/whatsapp/budgets/{made.json()['id']}", headers=ADMIN).json()
    assert (budget["spent"], budget["spent_exact"]) == (18, "0.1875")


def test_R_BUD_2_forecast_alert_when_the_run_rate_passes_the_budget(wa: WhatsApp) -> None:
    wa.clock("2026-02-02T00:00:00+00:00")
    wa.client.post("/v1/whatsapp/budgets", headers=ADMIN, json={
        "billing_account": "acme", "currency": "USD", "amount": 100, "thresholds": [100],
        "basis": "meta", "forecast": True})
    wa.send(message("m1", "2026-02-01 12:00", BRAZIL, "marketing"))  # 0.0625 on day 1 of 28
    feed = wa.client.get("/v1/whatsapp/events", headers=ADMIN, params={
        "billing_account": "acme", "type": "forecast_exceeds"}).json()["events"]
    assert feed[0]["payload"]["forecast_exact"] == "1.7500"  # 0.0625 after 1 of 28 days


def test_statement_exports_as_csv_and_pdf(wa: WhatsApp) -> None:
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing"))
    as_csv = wa.client.get("/v1/whatsapp/billing-accounts/acme/statements/2026-02",
                           headers={**ADMIN, "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[1] == "meta,Brazil,marketing,regular,,1,0.0625,0.0625,6,"
    as_pdf = wa.client.get("/v1/whatsapp/billing-accounts/acme/statements/2026-02",
                           headers={**ADMIN, "Accept": "application/pdf"})
    assert as_pdf.content.startswith(b"%PDF-1.4") and as_pdf.content.rstrip().endswith(b"%%EOF")
    assert b"Brazil" in as_pdf.content


def test_D26_two_currencies_need_a_currency_choice(wa: WhatsApp, client: Any) -> None:
    client.post("/v1/whatsapp/wabas", headers=ADMIN, json={
        "waba_id": "W2", "billing_account": "acme", "currency": "EUR", "time_zone": "UTC",
        "phone_numbers": [{"phone_number_id": "P3"}]})
    wa.send(message("m1", "2026-07-10 00:00", BRAZIL, "marketing"))
    response = wa.post(body("W2", "P3", message("m2", "2026-07-10 00:00", BRAZIL, "marketing")))
    assert response.status_code == 200
    refused = client.get("/v1/whatsapp/billing-accounts/acme/statements/2026-07", headers=ADMIN)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "whatsapp.statement.currency_required"
    assert wa.statement("2026-07", "EUR")["total_exact"] == "0.0518"


def test_set_up_errors_are_the_documented_ones(wa: WhatsApp, client: Any) -> None:
    again = client.post("/v1/whatsapp/billing-accounts", headers=ADMIN, json={"id": "acme"})
    assert (again.status_code, again.json()["error"]["code"]) == (
        409, "whatsapp.billing_account.exists")
    zone = client.post("/v1/whatsapp/billing-accounts", headers=ADMIN,
                       json={"id": "other", "time_zone": "Mars/Olympus"})
    assert (zone.status_code, zone.json()["error"]["code"]) == (422, "whatsapp.time_zone.invalid")
    waba = client.post("/v1/whatsapp/wabas", headers=ADMIN, json={
        "waba_id": "W1", "billing_account": "acme"})
    assert (waba.status_code, waba.json()["error"]["code"]) == (409, "whatsapp.waba.exists")
    app = client.get("/v1/whatsapp/wabas/W1", headers=ADMIN).json()
    assert "app_secret" not in json.dumps(app)
    inbound_only = wa.send(messages=[inbound("u1", "2026-02-10 00:00", BRAZIL)])
    assert inbound_only["charges"] == 0
