"""Pre-send estimates (R-RT-3) with budget and wallet decisions (R-BUD-3, R-BUD-4).

The inference path (R-IN-5, ``domain/whatsapp/timeline.py``) classifies the planned message
against the stored thread of the same (business number, user): inbound messages open or
refresh the CSW and FEP offers, delivered business messages open CBP conversations. The
classified message is rated as a confirmed charge would be (``Rater.rate``, counters seeded
from the ledger), then checked against the account's budgets and prepaid wallet. With
``reserve`` the estimated amount is held on the wallet until it expires or is released.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from tollhouse.domain.errors import InvalidRequest, NotFound
from tollhouse.domain.periods import from_unix, local_date, month_label, require_utc, to_unix
from tollhouse.domain.whatsapp.markets import recipient_digits
from tollhouse.domain.whatsapp.rating import AuthIntlProfile, Rater, authentication_category
from tollhouse.domain.whatsapp.timeline import (
    ERROR_NO_CSW,
    BusinessMessage,
    ServiceFreeTier,
    UserMessage,
    classify,
)
from tollhouse.domain.whatsapp.vocabulary import US_MARKETING_PAUSE, Category
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork
from tollhouse.services.whatsapp import account_zone, require_account, require_waba, tenant_of

LOOKBACK: Final = timedelta(hours=24 + 72)  # the longest window that can still be open
DEFAULT_HOLD_S: Final = 3600
_PLANNED: Final = "\x00planned"  # the planned message's wamid inside the thread
_PAUSED: Final = frozenset({"PAUSED", "DISABLED", "REJECTED", "LOCKED", "ARCHIVED"})
_CATEGORIES: Final = {
    c.value: c
    for c in (
        Category.MARKETING,
        Category.UTILITY,
        Category.AUTHENTICATION,
        Category.AUTHENTICATION_INTERNATIONAL,
        Category.MARKETING_LITE,
    )
}


class InvalidEstimate(InvalidRequest):
    code = "whatsapp.estimate.invalid"


class UnknownReservation(NotFound):
    code = "whatsapp.reservation.unknown"

    def __init__(self, reservation_id: str) -> None:
        super().__init__(
            f"reservation {reservation_id!r} does not exist; estimates with "
            '"reserve": true return the id'
        )


def estimate(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:  # noqa: C901, PLR0912, PLR0915 - one decision read top to bottom
    """POST /v1/whatsapp/estimates."""
    from tollhouse.services import whatsapp_billing as billing  # noqa: PLC0415
    from tollhouse.services import whatsapp_ingest as ingest  # noqa: PLC0415

    waba_id, number = str(body["waba_id"]), str(body["phone_number_id"])
    user = recipient_digits(str(body["recipient"]))
    if not user:
        raise InvalidEstimate(f"recipient {body['recipient']!r} has no digits; send E.164")
    raw_category = body.get("category")
    template = None
    if raw_category not in (None, "service", "non_template"):
        template = _CATEGORIES.get(str(raw_category).lower().replace("-", "_"))
        if template is None:
            raise InvalidEstimate(
                f"category {raw_category!r} is not one of "
                f"{sorted(_CATEGORIES)} or null for a non-template message"
            )
    reserve = bool(body.get("reserve", False))
    with runtime.uow(readonly=not reserve) as uow:
        waba_row = require_waba(uow, waba_id)
        account = waba_row["billing_account"]
        if reserve:
            uow.lock_tenant(tenant_of(account))
        if number not in {n["phone_number_id"] for n in uow.whatsapp.numbers(waba_id=waba_id)}:
            raise InvalidEstimate(f"phone number {number!r} does not belong to WABA {waba_id}")
        now = tenant_now(runtime, uow, tenant_of(account))
        at = body.get("at") or now
        require_utc(at)
        context = ingest.waba_contexts(uow, {waba_id})[waba_id]
        zone, currency = context.waba.zone, context.waba.currency
        cat = ingest.catalogue(runtime, uow)
        day = local_date(at, zone)
        match = cat.resolver.resolve(user, day)
        warnings: list[dict[str, Any]] = []
        if template is Category.AUTHENTICATION:  # D-18: R-AI-1 with the WABA's fields
            has_rate = (
                cat.book.in_force(
                    currency, match.market, Category.AUTHENTICATION_INTERNATIONAL, day
                )
                is not None
            )
            template = authentication_category(
                _profile(waba_row), recipient_country=match.country, at=at, market_has_rate=has_rate
            )
        classified = _classify(uow, number=number, user=user, at=at, zone=zone, template=template)
        result: dict[str, Any] = {
            "waba_id": waba_id,
            "phone_number_id": number,
            "recipient": user,
            "at": at.isoformat(),
            "country": match.country,
            "market": match.market,
            "currency": currency,
            "model": classified.model,
            "category": classified.category or (template.value if template else "service"),
            "pricing_type": None,
            "unit_rate": None,
            "amount_exact": "0",
            "amount": 0,
        }
        amount = Decimal(0)
        if classified.failed_error is not None:
            warnings.append(
                _warn(
                    "no_customer_service_window",
                    blocks=True,
                    message=f"a non-template message needs an open customer service "
                    f"window; Meta would answer error {ERROR_NO_CSW} (R-CSW-1)",
                )
            )
        else:
            facts = classified.facts(phone_number_id=number, recipient=user)
            if facts is None:  # inside an open CBP conversation: no new charge (R-CBP-3)
                result["pricing_type"] = "inside_conversation"
            else:
                rater = Rater(
                    cat.book,
                    cat.resolver,
                    seed=ingest._seed(uow),  # noqa: SLF001
                    index=cat.index,
                )
                charge = rater.rate(facts, context.waba)
                if charge is not None:
                    result.update(
                        pricing_type=charge.pricing_type, tier=charge.tier, category=charge.category
                    )
                    if charge.amount is None:
                        warnings.append(
                            _warn(
                                "no_rate",
                                blocks=False,
                                message=f"no rate in force: {charge.reason} (D-15)",
                            )
                        )
                    else:
                        amount = charge.amount
                        result["unit_rate"] = billing.dec(charge.unit_rate or Decimal(0))
        digits = billing._minor(currency)  # noqa: SLF001
        result["amount_exact"] = billing.dec(amount)
        result["amount"] = int(amount.scaleb(digits).to_integral_value())
        if (
            template in (Category.MARKETING, Category.MARKETING_LITE)
            and match.country == "US"
            and day >= US_MARKETING_PAUSE
        ):
            warnings.append(
                _warn(
                    "us_marketing_pause",
                    blocks=False,
                    message="marketing templates are not delivered to US numbers since "
                    "2025-04-01; the send will fail (R-ML-4, D-30)",
                )
            )
        if body.get("template_name"):
            paused = _template_status(
                uow, account, waba_id, str(body["template_name"]), body.get("language")
            )
            if paused:
                warnings.append(
                    _warn(
                        "template_paused",
                        blocks=True,
                        message=f"template {body['template_name']!r} is {paused} (R-T-5)",
                    )
                )
        month = month_label(at, account_zone(uow, require_account(uow, account)))
        warnings += _budget_warnings(
            runtime,
            uow,
            account=account,
            month=month,
            amount=amount,
            currency=currency,
            waba_id=waba_id,
            number=number,
        )
        wallet = billing.wallet_state(uow, account, currency, now)
        if wallet["enabled"] and amount > 0:
            available = Decimal(wallet["available_exact"]) - amount
            minimum = Decimal(wallet["minimum_balance"]).scaleb(-digits)
            if available < minimum:
                warnings.append(
                    _warn(
                        "wallet_insufficient",
                        blocks=wallet["block"],
                        message=f"the wallet would fall to {billing.dec(available)} "
                        f"{currency}, below its minimum (R-BUD-4)",
                    )
                )
        decision = (
            "block" if any(w["blocks"] for w in warnings) else "warn" if warnings else "allow"
        )
        result.update(warnings=warnings, decision=decision, reservation=None)
        if reserve and decision != "block" and amount > 0:
            hold = int(body.get("hold_s") or DEFAULT_HOLD_S)
            reservation = {
                "id": "res_" + secrets.token_hex(8),
                "billing_account": account,
                "currency": currency,
                "amount": amount,
                "created_at": now,
                "expires_at": now + timedelta(seconds=hold),
                "payload": {k: v for k, v in result.items() if k != "reservation"},
            }
            uow.whatsapp.add_reservation(reservation)
            uow.commit()
            result["reservation"] = {
                "id": reservation["id"],
                "amount": result["amount"],
                "amount_exact": result["amount_exact"],
                "expires_at": reservation["expires_at"].isoformat(),
            }
    return result


def release(runtime: Runtime, reservation_id: str) -> dict[str, Any]:
    """DELETE /v1/whatsapp/reservations/{id}: the hold stops counting at once."""
    with runtime.uow() as uow:
        row = uow.whatsapp.reservation(reservation_id)
        if row is None:
            raise UnknownReservation(reservation_id)
        uow.lock_tenant(tenant_of(row["billing_account"]))
        now = tenant_now(runtime, uow, tenant_of(row["billing_account"]))
        released = uow.whatsapp.release_reservation(reservation_id, now)
        uow.commit()
    return {"id": reservation_id, "released": released}


def reservation_account(runtime: Runtime, reservation_id: str) -> str:
    with runtime.uow(readonly=True) as uow:
        row = uow.whatsapp.reservation(reservation_id)
    if row is None:
        raise UnknownReservation(reservation_id)
    return str(row["billing_account"])


def _classify(
    uow: UnitOfWork, *, number: str, user: str, at: datetime, zone: Any, template: Category | None
) -> Any:
    inbound, business = uow.whatsapp.thread_events(
        phone_number_id=number, user=user, start_ts=to_unix(at - LOOKBACK), end_ts=to_unix(at)
    )
    items: list[UserMessage | BusinessMessage] = [
        UserMessage(from_unix(int(r["ts"])), referral=bool(r["referral"])) for r in inbound
    ]
    confirmed: dict[str, dict[str, Any]] = {}
    for row in business:  # the first confirming status per wamid (D-3)
        if row["status"] in ("delivered", "read") and row["wamid"] not in confirmed:
            confirmed[row["wamid"]] = row
    for row in confirmed.values():
        category = _CATEGORIES.get((row["category"] or "").replace("-", "_"))
        items.append(BusinessMessage(from_unix(int(row["ts"])), row["wamid"], category))
    tier = ServiceFreeTier()
    month = month_label(at, zone)
    tier.used[number, month] = uow.whatsapp.number_charges(
        phone_number_id=number, month=month, categories=["service", "group_service"]
    )
    planned = BusinessMessage(at, _PLANNED, template)
    classified = classify(
        [*items, planned], zone=zone, phone_number_id=number, service_free_tier=tier
    )
    return next(c for c in classified if c.wamid == _PLANNED)


def _profile(waba_row: dict[str, Any]) -> AuthIntlProfile:
    eligibility = waba_row.get("auth_intl") or {}
    start = eligibility.get("start_time")
    start_at: datetime | None = None
    if isinstance(start, int) and not isinstance(start, bool):
        start_at = from_unix(start)
    elif isinstance(start, str) and start:
        start_at = datetime.fromisoformat(start)
        if start_at.utcoffset() is None:
            start_at = start_at.replace(tzinfo=UTC)
    return AuthIntlProfile(
        waba_row.get("primary_location"),
        start_at,
        frozenset(eligibility.get("exception_countries") or ()),
    )


def _template_status(
    uow: UnitOfWork, account: str, waba_id: str, name: str, language: Any
) -> str | None:
    """The latest ``message_template_status_update`` of a template, when it stops sends."""
    latest: str | None = None
    for row in uow.whatsapp.other_events(account=account, field="message_template_status_update"):
        value = row["payload"]
        if row["waba_id"] != waba_id or value.get("message_template_name") != name:
            continue
        if language and value.get("message_template_language") not in (None, language):
            continue
        latest = str(value.get("event", "")).upper()
    return latest if latest in _PAUSED else None


def _budget_warnings(
    runtime: Runtime,
    uow: UnitOfWork,
    *,
    account: str,
    month: str,
    amount: Decimal,
    currency: str,
    waba_id: str,
    number: str,
) -> list[dict[str, Any]]:
    """R-BUD-3: warn, or block with a hard limit, when the estimate passes a budget."""
    from tollhouse.services import whatsapp_billing as billing  # noqa: PLC0415

    found = []
    for budget in uow.whatsapp.budgets([account]):
        scope, scope_id = budget["scope_type"], budget["scope_id"]
        if (
            budget["currency"] != currency
            or (scope == "waba" and scope_id != waba_id)
            or (scope == "phone_number" and scope_id != number)
            or scope == "campaign_tag"
        ):
            continue
        limit = Decimal(budget["amount"]).scaleb(-billing._minor(currency))  # noqa: SLF001
        spent = billing.budget_spend(runtime, uow, budget, month)
        if amount > 0 and spent + amount > limit:
            found.append(
                _warn(
                    "budget_exceeded",
                    blocks=bool(budget["hard_limit"]),
                    message=f"budget {budget['id']} ({billing.dec(limit)} {currency}) would "
                    f"reach {billing.dec(spent + amount)} (R-BUD-3)",
                    budget_id=budget["id"],
                )
            )
    return found


def _warn(code: str, message: str, *, blocks: bool, **details: Any) -> dict[str, Any]:
    return {"code": code, "blocks": blocks, "message": message, **details}
