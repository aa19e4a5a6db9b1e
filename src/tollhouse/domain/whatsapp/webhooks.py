"""Meta's webhook bodies parsed into typed events (R-IN-1, §4.1 .. §4.5). Pure: no I/O, no clock.

Unknown fields and changes are kept as ``UnknownChange`` (stored, never rated). Timestamps stay
integer Unix seconds on the events (``ts``) so that the rating hot path never builds a datetime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from tollhouse.domain.periods import from_unix
from tollhouse.domain.whatsapp.errors import InvalidWebhook
from tollhouse.domain.whatsapp.vocabulary import (
    Category,
    PricingModel,
    PricingType,
    normalise_category,
    normalise_pricing_type,
)

if TYPE_CHECKING:
    from datetime import datetime

OBJECT: Final = "whatsapp_business_account"
TIER_EVENT: Final = "VOLUME_BASED_PRICING_TIER_UPDATE"


class StatusKind(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Pricing:
    model: PricingModel | None
    type: PricingType | None
    category: Category | None  # None: unknown spelling (D-19), see ``raw_category``
    raw_category: str
    billable: bool | None  # deprecated; kept for display, never decides (D-3)


class StatusEvent(NamedTuple):
    """One ``statuses[]`` element. A named tuple: the ingest path builds one per status."""

    waba_id: str
    phone_number_id: str
    wamid: str
    status: StatusKind
    ts: int
    recipient: str
    conversation_id: str | None = None
    conversation_expires: int | None = None
    origin: str | None = None
    pricing: Pricing | None = None
    error_codes: tuple[int, ...] = ()

    @property
    def at(self) -> datetime:
        return from_unix(self.ts)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    waba_id: str
    phone_number_id: str
    wamid: str
    sender: str
    ts: int
    type: str
    referral_source: str | None = None  # "ad" or "post": an FEP entry (§4.3)

    @property
    def at(self) -> datetime:
        return from_unix(self.ts)


@dataclass(frozen=True, slots=True)
class VolumeTierUpdate:
    waba_id: str
    tier_update_time: int
    pricing_category: str  # lower-case: "utility", "authentication"
    tier: str  # Meta's label, "25000001:50000000"
    lower: int
    upper: int | None
    effective_month: str | None
    region: str  # market name, compared case-insensitively


@dataclass(frozen=True, slots=True)
class TemplateCategoryUpdate:
    waba_id: str
    template_id: str
    name: str
    language: str
    new_category: str
    previous_category: str | None = None  # completed change
    correct_category: str | None = None  # impending change
    update_ts: int | None = None


@dataclass(frozen=True, slots=True)
class UnknownChange:
    waba_id: str
    field: str
    value: Mapping[str, Any]


WebhookEvent = (
    StatusEvent | InboundMessage | VolumeTierUpdate | TemplateCategoryUpdate | UnknownChange
)

_PRICING_CACHE: dict[tuple[object, ...], Pricing] = {}


def parse_webhook(body: Mapping[str, Any]) -> list[WebhookEvent]:
    if body.get("object") != OBJECT:
        raise InvalidWebhook(f"object is {body.get('object')!r}, expected {OBJECT!r}")
    events: list[WebhookEvent] = []
    for entry in _list(body, "entry"):
        waba_id = str(entry.get("id", ""))
        for change in _list(entry, "changes"):
            events.extend(parse_change(waba_id, change))
    return events


def parse_change(waba_id: str, change: Mapping[str, Any]) -> list[WebhookEvent]:
    field_name = str(change.get("field", ""))
    value = change.get("value")
    if not isinstance(value, Mapping):
        raise InvalidWebhook(f"change {field_name!r} has no value object")
    if field_name == "messages":
        return _messages(waba_id, value)
    if field_name == "account_update" and value.get("event") == TIER_EVENT:
        return [_tier_update(waba_id, value)]
    if field_name == "template_category_update":
        return [_category_update(waba_id, value)]
    return [UnknownChange(waba_id, field_name, value)]


def _messages(waba_id: str, value: Mapping[str, Any]) -> list[WebhookEvent]:
    number = str(value.get("metadata", {}).get("phone_number_id", ""))
    events: list[WebhookEvent] = [
        parse_status(waba_id, number, s) for s in _list(value, "statuses")
    ]
    events.extend(_inbound(waba_id, number, m) for m in _list(value, "messages"))
    return events


_STATUS_KINDS: Final = {kind.value: kind for kind in StatusKind}
_new_status: Final = tuple.__new__


def parse_status(waba_id: str, phone_number_id: str, raw: Mapping[str, Any]) -> StatusEvent:
    try:
        status = _STATUS_KINDS[raw["status"]]
        wamid = raw["id"]
        recipient = raw.get("recipient_id", "")
        conversation = raw.get("conversation")
        pricing = raw.get("pricing")
        errors = raw.get("errors")
        return _new_status(
            StatusEvent,
            (
                waba_id,
                phone_number_id,
                wamid if type(wamid) is str else str(wamid),
                status,
                int(raw["timestamp"]),
                recipient if type(recipient) is str else str(recipient),
                conversation.get("id") if conversation else None,
                _expiry(conversation) if conversation else None,
                conversation.get("origin", {}).get("type") if conversation else None,
                parse_pricing(pricing) if pricing else None,
                tuple(int(e["code"]) for e in errors if "code" in e) if errors else (),
            ),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidWebhook(f"status {_id_of(raw)!r} is malformed ({exc!r})") from exc


def _id_of(raw: object) -> object:
    return raw.get("id") if isinstance(raw, Mapping) else None


def _expiry(conversation: Mapping[str, Any] | None) -> int | None:
    if not conversation or conversation.get("expiration_timestamp") is None:
        return None
    return int(conversation["expiration_timestamp"])


def parse_pricing(raw: Mapping[str, Any]) -> Pricing:
    key = (raw.get("pricing_model"), raw.get("type"), raw.get("category"), raw.get("billable"))
    found = _PRICING_CACHE.get(key)
    if found is None:
        model_raw, type_raw, category_raw, billable = key
        found = Pricing(
            model=PricingModel(model_raw) if model_raw in ("CBP", "PMP") else None,
            type=normalise_pricing_type(str(type_raw)) if type_raw is not None else None,
            category=normalise_category(str(category_raw or "")),
            raw_category=str(category_raw or ""),
            billable=billable if isinstance(billable, bool) else None,
        )
        if len(_PRICING_CACHE) < 4096:  # noqa: PLR2004 - a handful of shapes exist
            _PRICING_CACHE[key] = found
    return found


def _inbound(waba_id: str, number: str, raw: Mapping[str, Any]) -> InboundMessage:
    try:
        referral = raw.get("referral")
        return InboundMessage(
            waba_id=waba_id,
            phone_number_id=number,
            wamid=str(raw["id"]),
            sender=str(raw["from"]),
            ts=int(raw["timestamp"]),
            type=str(raw.get("type", "")),
            referral_source=str(referral.get("source_type", "ad")) if referral else None,
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidWebhook(f"inbound message {raw.get('id')!r} is malformed ({exc!r})") from exc


def _tier_update(waba_id: str, value: Mapping[str, Any]) -> VolumeTierUpdate:
    info = value.get("volume_tier_info") or {}
    try:
        tier = str(info["tier"])
        lower_raw, _, upper_raw = tier.partition(":")
        return VolumeTierUpdate(
            waba_id=waba_id,
            tier_update_time=int(info["tier_update_time"]),
            pricing_category=str(info["pricing_category"]).lower(),
            tier=tier,
            lower=int(lower_raw),
            upper=None if upper_raw.upper() == "MAX" else int(upper_raw),
            effective_month=info.get("effective_month"),
            region=str(info.get("region", "")),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidWebhook(f"volume tier update is malformed ({exc!r})") from exc


def _category_update(waba_id: str, value: Mapping[str, Any]) -> TemplateCategoryUpdate:
    try:
        stamp = value.get("category_update_timestamp")
        return TemplateCategoryUpdate(
            waba_id=waba_id,
            template_id=str(value["message_template_id"]),
            name=str(value.get("message_template_name", "")),
            language=str(value.get("message_template_language", "")),
            new_category=str(value["new_category"]).lower(),
            previous_category=_lower(value.get("previous_category")),
            correct_category=_lower(value.get("correct_category")),
            update_ts=int(stamp) if stamp is not None else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidWebhook(f"template category update is malformed ({exc!r})") from exc


def _lower(value: object) -> str | None:
    return None if value is None else str(value).lower()


def _list(parent: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    found = parent.get(key) or []
    if not isinstance(found, list):
        raise InvalidWebhook(f"{key!r} must be a list")
    return found
