"""A small WhatsApp test client: set-up calls, signed Meta webhooks and status builders."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from tests.conftest import ADMIN_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
APP_ID, APP_SECRET, VERIFY = "app1", "app-secret-1", "verify-1"


def ts(text: str) -> int:
    """'2025-01-14 00:00' (UTC) or an ISO instant -> Unix seconds."""
    parsed = datetime.fromisoformat(text)
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def pricing(category: str, *, model: str = "PMP", kind: str | None = "regular",
            billable: bool = True) -> dict[str, Any]:
    found: dict[str, Any] = {"billable": billable, "pricing_model": model, "category": category}
    if kind is not None and model == "PMP":
        found["type"] = kind
    return found


def status(wamid: str, kind: str, at: str, recipient: str, *, price: dict[str, Any] | None = None,
           conversation: str | None = None, errors: list[int] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"id": wamid, "status": kind, "timestamp": str(ts(at)),
                             "recipient_id": recipient}
    if conversation is not None:
        found["conversation"] = {"id": conversation, "origin": {"type": (price or {}).get(
            "category", "service")}}
    if price is not None:
        found["pricing"] = price
    if errors:
        found["errors"] = [{"code": code, "title": "failed"} for code in errors]
    return found


def message(wamid: str, at: str, recipient: str, category: str, *, model: str = "PMP",
            kind: str | None = "regular", conversation: str | None = None,
            failed: int | None = None) -> list[dict[str, Any]]:
    """A business message as Meta reports it: ``sent`` then ``delivered`` (or ``failed``)."""
    price = pricing(category, model=model, kind=kind)
    sent = status(wamid, "sent", at, recipient, price=price, conversation=conversation)
    if failed is not None:
        return [sent, status(wamid, "failed", at, recipient, errors=[failed])]
    return [sent, status(wamid, "delivered", at, recipient, price=price,
                         conversation=conversation)]


def inbound(wamid: str, at: str, sender: str, *, referral: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"from": sender, "id": wamid, "timestamp": str(ts(at)),
                             "type": "text", "text": {"body": "Hi"}}
    if referral:
        found["referral"] = {"source_url": "https://ad", "source_id": "ad1", "source_type": "ad",
                             "ctwa_clid": "click"}
    return found


def body(waba: str, number: str, statuses: list[dict[str, Any]] = (),  # type: ignore[assignment]
         messages: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "15550783881",
                                          "phone_number_id": number}}
    if statuses:
        value["statuses"] = list(statuses)
    if messages:
        value["messages"] = list(messages)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba, "changes": [{"field": "messages", "value": value}]}]}


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class WhatsApp:
    """One billing account with one WABA (numbers P1, P2) on a sandbox clock."""

    def __init__(self, client: Any, *, account: str = "acme", waba: str = "W1",
                 currency: str = "USD", zone: str = "UTC", now: str = "2026-02-01T00:00:00+00:00",
                 numbers: list[dict[str, Any]] | None = None, app: bool = True) -> None:
        self.client, self.account, self.waba = client, account, waba
        if app:
            self.client.post("/v1/whatsapp/apps", headers=ADMIN, json={
                "app_id": APP_ID, "app_secret": APP_SECRET, "verify_token": VERIFY})
        made = client.post("/v1/whatsapp/billing-accounts", headers=ADMIN, json={
            "id": account, "name": account, "time_zone": zone, "currencies": [currency],
            "sandbox": True, "now": now})
        assert made.status_code == 201, made.json()
        numbers = numbers or [
            {"phone_number_id": "P1", "display_phone_number": "15550000001",
             "onboarded_at": "2020-01-01T00:00:00+00:00"},
            {"phone_number_id": "P2", "display_phone_number": "15550000002",
             "onboarded_at": "2020-01-01T00:00:00+00:00"}]
        made = client.post("/v1/whatsapp/wabas", headers=ADMIN, json={
            "waba_id": waba, "billing_account": account, "app_id": APP_ID, "currency": currency,
            "time_zone": zone, "phone_numbers": numbers})
        assert made.status_code == 201, made.json()

    def post(self, payload: dict[str, Any] | bytes, *, secret: str = APP_SECRET,
             signature: str | None = None) -> Any:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": signature or sign(raw, secret)}
        return self.client.post("/v1/whatsapp/webhooks", content=raw, headers=headers)

    def send(self, statuses: list[dict[str, Any]] = (),  # type: ignore[assignment]
             messages: list[dict[str, Any]] = (), number: str = "P1") -> dict[str, Any]:  # type: ignore[assignment]
        response = self.post(body(self.waba, number, statuses, messages))
        assert response.status_code == 200, response.json()
        return dict(response.json())

    def statement(self, month: str, currency: str | None = None, **extra: Any) -> dict[str, Any]:
        params = {"currency": currency} if currency else {}
        response = self.client.get(
            f"/v1/whatsapp/billing-accounts/{self.account}/statements/{month}",
            headers=ADMIN, params=params, **extra)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def clock(self, now: str) -> dict[str, Any]:
        response = self.client.post("/v1/sandbox/clock", headers=ADMIN,
                                    json={"billing_account": self.account, "now": now})
        assert response.status_code == 200, response.json()
        return dict(response.json())

    def fee_plan(self, plan: dict[str, Any]) -> dict[str, Any]:
        response = self.client.put(f"/v1/whatsapp/billing-accounts/{self.account}/fee-plan",
                                   headers=ADMIN, json=plan)
        assert response.status_code == 200, response.json()
        return dict(response.json())

    def card(self, text: str, kind: str = "rates") -> Any:
        return self.client.post("/v1/whatsapp/rate-cards", headers={
            **ADMIN, "Content-Type": "text/csv"}, params={"kind": kind}, content=text.encode())


def lines(statement: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(section, market, category, pricing_type, quantity, unit_rate, amount) per line."""
    return [(line["section"], line["market"], line["category"], line["pricing_type"],
             line["quantity"], line["unit_rate"], line["amount"]) for line in statement["lines"]]
