"""The inference path at ingest (R-IN-5): statuses without ``pricing``, and the cross-check.

A confirming status without a usable ``pricing`` object (no object, or one without
``pricing_model``) is classified by the pure timeline rules (``domain/whatsapp/timeline.py``:
R-CBP, R-CSW, R-PMP, R-PMP26) against the stored thread of the same (business number, user),
and rated like a webhook-priced status; the ledger row's ``reason`` says it was inferred.
The template category is a property of the message, not an outcome of the rules, so it must
come from the payload: ``pricing.category`` of a partial pricing object, the category of
another status of the same wamid, or ``conversation.origin.type``. Without one the status
stays unrated (D-15: a wrong price is worse than a visible gap).

Cross-check: a sample of webhook-priced confirming statuses is classified the same way; a
different category or pricing type publishes a ``rating_mismatch`` feed event. The webhook
always wins (R-IN-5, D-9); nothing is re-rated.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from typing_extensions import override

from tollhouse.domain.periods import from_unix
from tollhouse.domain.whatsapp.rating import ChargeFacts, Waba
from tollhouse.domain.whatsapp.timeline import (
    BusinessMessage,
    Classified,
    ServiceFreeTier,
    UserMessage,
    classify,
)
from tollhouse.domain.whatsapp.vocabulary import Category, PricingModel, PricingType

if TYPE_CHECKING:
    from tollhouse.domain.whatsapp.webhooks import Pricing, StatusEvent
    from tollhouse.services.runtime import Runtime, UnitOfWork

LOOKBACK: Final = timedelta(hours=24 + 72)  # the longest window that can still be open
INFERRED: Final = "inferred (R-IN-5): no pricing object; category from {source}"
NO_CATEGORY: Final = (
    "the status has no pricing object and no template category (pricing "
    "category, another status of the message or conversation.origin.type), "
    "so neither rating path can rate it (R-IN-5, D-15)"
)
CROSS_CHECK_EVERY_KEY: Final = "whatsapp.cross_check_every"
CROSS_CHECK_EVERY: Final = 64  # one confirming status in 64 (by wamid hash) is cross-checked
CROSS_CHECK_MAX_THREADS: Final = 2  # per batch: bounds the extra queries of one webhook
_TEMPLATES: Final = {
    c.value: c
    for c in (
        Category.MARKETING,
        Category.UTILITY,
        Category.AUTHENTICATION,
        Category.AUTHENTICATION_INTERNATIONAL,
        Category.MARKETING_LITE,
    )
}
_NON_TEMPLATE: Final = frozenset({"service"})
_SERVICE_CATEGORIES: Final = ["service", "group_service"]


@dataclass(frozen=True, slots=True)
class Inferred:
    """One confirming status classified by the timeline rules."""

    status: StatusEvent
    classified: Classified
    facts: ChargeFacts | None  # None: no charge item (inside an open CBP conversation)


def template_of(raw: str | None) -> tuple[bool, Category | None]:
    """(known, template category or None for a non-template message) of a category text."""
    text = (raw or "").strip().lower().replace("-", "_")
    if text in _NON_TEMPLATE:
        return True, None
    found = _TEMPLATES.get(text)
    return (found is not None), found


def category_hint(
    status: StatusEvent, others: list[StatusEvent], stored: list[dict[str, Any]]
) -> tuple[str, str] | None:
    """(category text, source) for a status without a usable pricing object."""
    if status.pricing is not None and template_of(status.pricing.raw_category)[0]:
        return status.pricing.raw_category, "the partial pricing object"
    for other in others:
        if other.pricing is not None and template_of(other.pricing.raw_category)[0]:
            return other.pricing.raw_category, f"the {other.status.value} status"
    for row in stored:
        if template_of(row["category"])[0]:
            return str(row["category"]), f"the stored {row['status']} status"
    for other in (status, *others):
        if other.origin and template_of(other.origin)[0]:
            return other.origin, "conversation.origin.type"
    return None


def classify_thread(
    uow: UnitOfWork,
    *,
    waba: Waba,
    number: str,
    user: str,
    targets: dict[str, tuple[StatusEvent, Category | None]],
) -> dict[str, Classified]:
    """Classify ``targets`` (wamid -> confirming status, template) within their stored thread.

    Other business messages of the thread take their stored category as their template, as
    estimates do; the stored thread already holds this batch's rows (stored before rating).
    """
    first = min(s.ts for s, _ in targets.values())
    last = max(s.ts for s, _ in targets.values())
    start = from_unix(first) - LOOKBACK
    inbound, business = uow.whatsapp.thread_events(
        phone_number_id=number, user=user, start_ts=int(start.timestamp()), end_ts=last + 1
    )
    items: list[UserMessage | BusinessMessage] = [
        UserMessage(from_unix(int(r["ts"])), referral=bool(r["referral"])) for r in inbound
    ]
    confirmed: dict[str, dict[str, Any]] = {}
    for row in business:  # the first confirming status per wamid (D-3)
        if row["status"] in ("delivered", "read") and row["wamid"] not in confirmed:
            confirmed[row["wamid"]] = row
    for wamid, row in confirmed.items():
        if wamid in targets:
            continue
        items.append(
            BusinessMessage(from_unix(int(row["ts"])), wamid, template_of(row["category"])[1])
        )
    for wamid, (status, template) in targets.items():
        items.append(BusinessMessage(status.at, wamid, template))
    tier = _LedgerFreeTier(uow=uow)
    classified = classify(items, zone=waba.zone, phone_number_id=number, service_free_tier=tier)
    return {c.wamid: c for c in classified if c.wamid in targets}


@dataclass(eq=False)
class _LedgerFreeTier(ServiceFreeTier):
    """D-11 counter seeded from the ledger on first use (only 2026-10-01 service needs it)."""

    uow: Any = None

    @override
    def take(self, phone_number_id: str, month: str) -> bool:
        if (phone_number_id, month) not in self.used:
            self.used[phone_number_id, month] = self.uow.whatsapp.number_charges(
                phone_number_id=phone_number_id, month=month, categories=_SERVICE_CATEGORIES
            )
        return ServiceFreeTier.take(self, phone_number_id, month)


def infer(
    uow: UnitOfWork, wabas: dict[str, Waba], wanted: list[tuple[StatusEvent, Category | None]]
) -> list[Inferred]:
    """Classify confirming statuses, one thread query per (number, user)."""
    threads: defaultdict[tuple[str, str, str], dict[str, tuple[StatusEvent, Category | None]]]
    threads = defaultdict(dict)
    for status, template in wanted:
        threads[status.waba_id, status.phone_number_id, status.recipient][status.wamid] = (
            status,
            template,
        )
    found: list[Inferred] = []
    for (waba_id, number, user), targets in threads.items():
        classified = classify_thread(
            uow, waba=wabas[waba_id], number=number, user=user, targets=targets
        )
        for wamid, (status, _) in targets.items():
            result = classified[wamid]
            facts = result.facts(phone_number_id=number, recipient=user)
            if facts is not None and result.model is PricingModel.CBP and status.conversation_id:
                facts = facts._replace(key=status.conversation_id)  # Meta's id when it sent one
            found.append(Inferred(status, result, facts))
    return found


def sampled(runtime: Runtime, wamid: str) -> bool:
    """Deterministic sample of the cross-check (by wamid), ``0`` switches it off."""
    every = int(runtime.extras.get(CROSS_CHECK_EVERY_KEY, CROSS_CHECK_EVERY))
    if every <= 0:
        return False
    return every == 1 or zlib.crc32(wamid.encode()) % every == 0


def mismatch(inferred: Inferred, webhook: Pricing) -> dict[str, Any] | None:
    """The webhook's and the inference's answers when they differ.

    PMP: model, category and pricing type. CBP: model and category (a CBP webhook repeats
    the conversation's pricing on every message inside it, so "opens or not" is not compared).
    """
    result = inferred.classified
    if result.failed_error is not None or result.model is None or webhook.model is None:
        return None
    got: tuple[str, str | None, str | None] = (
        result.model.value,
        result.category.value if result.category else None,
        result.pricing_type.value if result.pricing_type else None,
    )
    sent: tuple[str, str | None, str | None] = (
        webhook.model.value,
        webhook.category.value if webhook.category else webhook.raw_category,
        (webhook.type or PricingType.REGULAR).value,
    )
    if webhook.model is PricingModel.CBP and result.model is PricingModel.CBP:
        got, sent = (got[0], got[1], None), (sent[0], sent[1], None)
        if result.category is None:  # CBP0 inside a conversation: nothing to compare
            return None
    if got == sent:
        return None
    return {
        "webhook": dict(zip(("model", "category", "pricing_type"), sent, strict=True)),
        "inferred": dict(zip(("model", "category", "pricing_type"), got, strict=True)),
    }


def mismatch_payload(
    status: StatusEvent, account: str, found: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "type": "rating_mismatch",
        "billing_account": account,
        "waba_id": status.waba_id,
        "phone_number_id": status.phone_number_id,
        "wamid": status.wamid,
        "recipient": status.recipient,
        "ts": status.ts,
        "charge_time": at.isoformat(),
        "kept": "webhook",
        **found,
    }
