# ruff: noqa: N802 - test names cite spec rule IDs (R-CBP-1, D-3) in their capitals; flags mirror platform fields
"""Meta's webhook payload variants parsed into typed events (R-IN-1, §4.1 .. §4.5)."""

from __future__ import annotations

from typing import Any

import pytest

from tollhouse.domain.whatsapp.errors import InvalidWebhook
from tollhouse.domain.whatsapp.vocabulary import Category, PricingModel, PricingType
from tollhouse.domain.whatsapp.webhooks import (
    InboundMessage,
    StatusEvent,
    StatusKind,
    TemplateCategoryUpdate,
    UnknownChange,
    VolumeTierUpdate,
    parse_status,
    parse_webhook,
)


def envelope(field: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": field}]}],
    }


META_4_1 = envelope(
    "messages",
    {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [
            {
                "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
                "status": "sent",
                "timestamp": "1750030073",
                "recipient_id": "16505551234",
                "conversation": {
                    "id": "72b14d6bd5407799e66f64d1b338e567",
                    "expiration_timestamp": "1750116480",
                    "origin": {"type": "marketing"},
                },
                "pricing": {
                    "billable": True,
                    "pricing_model": "PMP",
                    "type": "regular",
                    "category": "marketing",
                },
            }
        ],
    },
)


def test_R_IN_1_meta_status_example_parses_into_a_typed_event() -> None:
    (event,) = parse_webhook(META_4_1)
    assert isinstance(event, StatusEvent)
    assert (event.waba_id, event.phone_number_id, event.status, event.ts, event.recipient) == (
        "102290129340398",
        "106540352242922",
        StatusKind.SENT,
        1750030073,
        "16505551234",
    )
    assert (event.conversation_id, event.conversation_expires, event.origin) == (
        "72b14d6bd5407799e66f64d1b338e567",
        1750116480,
        "marketing",
    )
    assert event.pricing is not None
    assert (event.pricing.model, event.pricing.type, event.pricing.category) == (
        PricingModel.PMP,
        PricingType.REGULAR,
        Category.MARKETING,
    )


@pytest.mark.parametrize(
    ("pricing", "model", "kind", "category"),
    [
        pytest.param(
            {"pricing_model": "CBP", "billable": True, "category": "user_initiated"},
            PricingModel.CBP,
            None,
            Category.USER_INITIATED,
            id="cbp0",
        ),
        pytest.param(
            {"pricing_model": "CBP", "billable": True, "category": "customer_initiated"},
            PricingModel.CBP,
            None,
            Category.USER_INITIATED,
            id="cbp0-customer",
        ),
        pytest.param(
            {
                "billable": False,
                "pricing_model": "PMP",
                "type": "free_entry_point",
                "category": "referral_conversion",
            },
            PricingModel.PMP,
            PricingType.FREE_ENTRY_POINT,
            Category.REFERRAL_CONVERSION,
            id="fep",
        ),
        pytest.param(
            {
                "billable": True,
                "pricing_model": "PMP",
                "type": "regular",
                "category": "authentication-international",
            },
            PricingModel.PMP,
            PricingType.REGULAR,
            Category.AUTHENTICATION_INTERNATIONAL,
            id="auth-intl",
        ),
        pytest.param(
            {
                "billable": False,
                "pricing_model": "PMP",
                "type": "free_group_customer_service",
                "category": "group_service",
            },
            PricingModel.PMP,
            PricingType.FREE_GROUP_CUSTOMER_SERVICE,
            Category.GROUP_SERVICE,
            id="group",
        ),
        pytest.param(
            {
                "billable": True,
                "pricing_model": "PMP",
                "type": "regular",
                "category": "something_new",
            },
            PricingModel.PMP,
            PricingType.REGULAR,
            None,
            id="unknown-category",
        ),
    ],
)
def test_D_19_R_CBP0_4_pricing_variants_are_normalised(
    pricing: dict[str, Any],
    model: PricingModel,
    kind: PricingType | None,
    category: Category | None,
) -> None:
    event = parse_status(
        "W",
        "P",
        {"id": "wamid.X", "status": "delivered", "timestamp": "1720179748", "pricing": pricing},
    )
    assert event.pricing is not None
    assert (event.pricing.model, event.pricing.type, event.pricing.category) == (
        model,
        kind,
        category,
    )


def test_R_X_3_failed_status_carries_its_error_codes() -> None:
    event = parse_status(
        "W",
        "P",
        {
            "id": "wamid.X",
            "status": "failed",
            "timestamp": "1",
            "errors": [{"code": 131049, "title": "x"}],
        },
    )
    assert event.error_codes == (131049,)
    assert event.pricing is None


def test_R_IN_3_inbound_message_with_referral_is_an_fep_entry() -> None:
    body = envelope(
        "messages",
        {
            "metadata": {"phone_number_id": "P"},
            "messages": [
                {
                    "from": "5511912345678",
                    "id": "wamid.I",
                    "timestamp": "1736848800",
                    "type": "text",
                    "text": {"body": "Hi"},
                    "referral": {"source_type": "ad", "source_id": "AD"},
                }
            ],
        },
    )
    (event,) = parse_webhook(body)
    assert isinstance(event, InboundMessage)
    assert (event.sender, event.ts, event.referral_source) == ("5511912345678", 1736848800, "ad")


def test_R_VT_7_volume_tier_update_parses_bounds_and_region() -> None:
    body = envelope(
        "account_update",
        {
            "volume_tier_info": {
                "tier_update_time": 1743451903,
                "pricing_category": "UTILITY",
                "tier": "25000001:50000000",
                "effective_month": "2025-11",
                "region": "INDIA",
            },
            "event": "VOLUME_BASED_PRICING_TIER_UPDATE",
        },
    )
    (event,) = parse_webhook(body)
    assert isinstance(event, VolumeTierUpdate)
    assert (
        event.pricing_category,
        event.lower,
        event.upper,
        event.effective_month,
        event.region.lower(),
    ) == ("utility", 25000001, 50000000, "2025-11", "india")


def test_R_T_6_template_category_update_completed_and_impending() -> None:
    completed = envelope(
        "template_category_update",
        {
            "message_template_id": 1234567890,
            "message_template_name": "order_update",
            "message_template_language": "en_US",
            "previous_category": "UTILITY",
            "new_category": "MARKETING",
        },
    )
    (event,) = parse_webhook(completed)
    assert isinstance(event, TemplateCategoryUpdate)
    assert (event.previous_category, event.new_category) == ("utility", "marketing")
    impending = envelope(
        "template_category_update",
        {
            "message_template_id": 1,
            "new_category": "UTILITY",
            "correct_category": "MARKETING",
            "category_update_timestamp": 1750000000,
        },
    )
    (later,) = parse_webhook(impending)
    assert isinstance(later, TemplateCategoryUpdate)
    assert (later.correct_category, later.update_ts) == ("marketing", 1750000000)


def test_R_IN_1_unknown_fields_are_kept_and_never_rated() -> None:
    (event,) = parse_webhook(envelope("message_template_status_update", {"event": "APPROVED"}))
    assert isinstance(event, UnknownChange)
    assert event.field == "message_template_status_update"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"object": "page", "entry": []}, id="wrong-object"),
        pytest.param(
            envelope("messages", {"statuses": [{"id": "x", "status": "lost", "timestamp": "1"}]}),
            id="bad-status",
        ),
        pytest.param(
            envelope("messages", {"statuses": [{"id": "x", "status": "sent"}]}), id="no-timestamp"
        ),
    ],
)
def test_R_IN_1_malformed_bodies_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(body)
