"""WhatsApp demo data: a sandbox billing account with one WABA, a Twilio-like fee plan, a
budget and a few delivered templates, created through the services (idempotent)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from tollhouse.services import whatsapp as setup
from tollhouse.services import whatsapp_billing as billing
from tollhouse.services import whatsapp_ingest as ingest
from tollhouse.services.runtime import Runtime

ACCOUNT = "demo"
APP, SECRET, WABA = "demo-app", "demo-app-secret", "100000000000001"
NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
RECIPIENTS = ("5511912345678", "919876543210", "447700900123", "4917012345678", "12125550101")
CATEGORIES = ("marketing", "utility", "authentication")


def demo_body(index: int) -> dict[str, Any]:
    ts = int(datetime(2026, 2, 1 + index % 19, 9, tzinfo=UTC).timestamp()) + index * 37
    recipient = RECIPIENTS[index % len(RECIPIENTS)]
    pricing = {
        "billable": True,
        "pricing_model": "PMP",
        "type": "regular",
        "category": CATEGORIES[index % len(CATEGORIES)],
    }
    statuses = [
        {
            "id": f"wamid.demo{index}",
            "status": kind,
            "timestamp": str(ts + lag),
            "recipient_id": recipient,
            "pricing": pricing,
        }
        for kind, lag in (("sent", 0), ("delivered", 3))
    ]
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": "200000000000001",
                            },
                            "statuses": statuses,
                        },
                    }
                ],
            }
        ],
    }


def create(runtime: Runtime) -> dict[str, object]:
    with runtime.uow(readonly=True) as uow:
        exists = uow.whatsapp.account(ACCOUNT) is not None
    if not exists:
        if not any(app == APP for app, _, _ in setup.app_secrets(runtime, reload=True)):
            setup.add_app(runtime, app_id=APP, app_secret=SECRET, verify_token="demo-verify")  # noqa: S106 - demo
        setup.create_account(
            runtime,
            setup.NewAccount(
                ACCOUNT, "Demo WhatsApp customer", "UTC", ["USD"], sandbox=True, clock_now=NOW
            ),
        )
        setup.create_waba(
            runtime,
            {
                "waba_id": WABA,
                "billing_account": ACCOUNT,
                "app_id": APP,
                "currency": "USD",
                "time_zone": "UTC",
                "phone_numbers": [
                    {
                        "phone_number_id": "200000000000001",
                        "display_phone_number": "15550001111",
                        "plan": "regular",
                        "onboarded_at": "2026-01-01T00:00:00+00:00",
                    }
                ],
            },
        )
        billing.put_fee_plan(
            runtime,
            ACCOUNT,
            {
                "currency": "USD",
                "effective_from": "2026-02",
                "rules": [
                    {"model": "meta_passthrough"},
                    {"model": "per_message", "name": "msg_fee", "amount": "0.005"},
                ],
            },
        )
        billing.create_budget(
            runtime,
            {
                "billing_account": ACCOUNT,
                "currency": "USD",
                "amount": 500,
                "thresholds": [50, 80, 100],
                "basis": "meta",
                "forecast": True,
            },
        )
        for index in range(120):
            raw = json.dumps(demo_body(index)).encode()
            signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            ingest.ingest_webhook(runtime, raw, signature)
    statement = billing.get_statement(runtime, ACCOUNT, "2026-02", "USD")
    return {
        "whatsapp billing account": ACCOUNT,
        "waba": WABA,
        "app": APP,
        "app secret": SECRET,
        "February 2026 total (USD cents)": statement["total"],
        "dashboard": "/dashboard/whatsapp?account=demo&month=2026-02",
    }
