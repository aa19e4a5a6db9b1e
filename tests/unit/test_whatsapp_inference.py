"""Pure helpers of the ingest inference path (R-IN-5): category hints and the cross-check's
comparison rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tollhouse.domain.whatsapp.timeline import Classified
from tollhouse.domain.whatsapp.vocabulary import Category, PricingModel, PricingType
from tollhouse.domain.whatsapp.webhooks import StatusEvent, StatusKind, parse_pricing
from tollhouse.services.whatsapp_inference import Inferred, mismatch, template_of

AT = datetime(2026, 2, 10, 10, tzinfo=UTC)
STATUS = StatusEvent("W1", "P1", "m1", StatusKind.DELIVERED, int(AT.timestamp()), "5511")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("marketing", (True, Category.MARKETING), id="template"),
        pytest.param("Authentication-International",
                     (True, Category.AUTHENTICATION_INTERNATIONAL), id="D-19-spelling"),
        pytest.param("service", (True, None), id="non-template"),
        pytest.param("referral_conversion", (False, None), id="not-a-hint"),
        pytest.param(None, (False, None), id="missing"),
    ],
)
def test_R_IN_5_template_of(raw: str | None, expected: tuple[bool, Category | None]) -> None:
    assert template_of(raw) == expected


def inferred(model: PricingModel, category: Category | None,
             kind: PricingType | None, *, opens: bool = True) -> Inferred:
    return Inferred(STATUS, Classified("m1", AT, model, category, kind, opens=opens), None)


def test_R_IN_5_pmp_compares_model_category_and_type() -> None:
    webhook = parse_pricing({"pricing_model": "PMP", "type": "regular", "category": "utility"})
    found = mismatch(inferred(PricingModel.PMP, Category.UTILITY,
                              PricingType.FREE_CUSTOMER_SERVICE), webhook)
    assert found is not None
    assert found["inferred"]["pricing_type"] == "free_customer_service"
    assert mismatch(inferred(PricingModel.PMP, Category.UTILITY, PricingType.REGULAR),
                    webhook) is None


def test_R_IN_5_cbp_ignores_whether_the_message_opened_the_conversation() -> None:
    webhook = parse_pricing({"pricing_model": "CBP", "category": "marketing"})
    inside = inferred(PricingModel.CBP, Category.MARKETING, None, opens=False)
    assert mismatch(inside, webhook) is None
    other = inferred(PricingModel.CBP, Category.UTILITY, PricingType.REGULAR)
    assert mismatch(other, webhook) is not None
