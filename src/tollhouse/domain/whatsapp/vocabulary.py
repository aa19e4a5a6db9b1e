"""WhatsApp vocabulary: categories, pricing types, models, rule sets and their dates (§1.3)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Final


class Category(StrEnum):
    MARKETING = "marketing"
    UTILITY = "utility"
    AUTHENTICATION = "authentication"
    AUTHENTICATION_INTERNATIONAL = "authentication_international"
    SERVICE = "service"
    MARKETING_LITE = "marketing_lite"
    REFERRAL_CONVERSION = "referral_conversion"
    GROUP_MARKETING = "group_marketing"
    GROUP_UTILITY = "group_utility"
    GROUP_SERVICE = "group_service"
    META_TOKENS = "meta_tokens"
    GENERAL_PURPOSE_AI = "general_purpose_ai"
    BUSINESS_INITIATED = "business_initiated"  # CBP0 (R-CBP0-4)
    USER_INITIATED = "user_initiated"  # CBP0; some texts write customer_initiated


class PricingType(StrEnum):
    REGULAR = "regular"
    FREE_CUSTOMER_SERVICE = "free_customer_service"
    FREE_ENTRY_POINT = "free_entry_point"
    FREE_GROUP_CUSTOMER_SERVICE = "free_group_customer_service"
    FREE_TIER = "free_tier"  # engine-only: CBP monthly free tier (D-10)


class PricingModel(StrEnum):
    CBP = "CBP"
    PMP = "PMP"


class RuleSet(StrEnum):
    """The rule set in force on a local date (§1.3, R-X-5)."""

    NONE = "none"  # before 2022-02-01: per-notification pricing, out of scope
    CBP0 = "cbp0"  # 2022-02-01 .. 2023-05-31
    CBP = "cbp"  # 2023-06-01 .. 2025-06-30
    PMP = "pmp"  # 2025-07-01 .. 2026-09-30
    PMP26 = "pmp26"  # from 2026-10-01


CBP0_START: Final = date(2022, 2, 1)
CBP_START: Final = date(2023, 6, 1)
SERVICE_FREE_UNLIMITED: Final = date(2024, 11, 1)  # R-CBP-8
PMP_START: Final = date(2025, 7, 1)  # R-RC-4 boundary
US_MARKETING_PAUSE: Final = date(2025, 4, 1)  # R-ML-4, D-30
TOKENS_START: Final = date(2026, 8, 1)  # R-PMP26-6
PMP26_START: Final = date(2026, 10, 1)

CARD_CATEGORIES: Final = frozenset(
    {
        Category.MARKETING,
        Category.UTILITY,
        Category.AUTHENTICATION,
        Category.AUTHENTICATION_INTERNATIONAL,
        Category.SERVICE,
        Category.MARKETING_LITE,
        Category.GROUP_MARKETING,
        Category.GROUP_UTILITY,
        Category.GROUP_SERVICE,
        Category.META_TOKENS,
        Category.GENERAL_PURPOSE_AI,
    }
)
"""Categories a rate-card row may name (§4.8)."""

TIER_GROUP: Final = {
    Category.UTILITY: "utility",
    Category.AUTHENTICATION: "authentication",
    Category.AUTHENTICATION_INTERNATIONAL: "authentication",  # R-VT-5, D-14
}
"""Categories with volume tiers and the accrual they share (R-VT-1, R-VT-5)."""

_SPELLINGS: Final = {c.value: c for c in Category} | {"customer_initiated": Category.USER_INITIATED}


def rule_set_on(day: date) -> RuleSet:
    """The rule set in force on a local date (R-X-5): the date of the charge, not of arrival."""
    if day >= PMP26_START:
        return RuleSet.PMP26
    if day >= PMP_START:
        return RuleSet.PMP
    if day >= CBP_START:
        return RuleSet.CBP
    if day >= CBP0_START:
        return RuleSet.CBP0
    return RuleSet.NONE


def normalise_category(raw: str) -> Category | None:
    """D-19: lower-case, hyphen to underscore; None for a category the engine does not know."""
    found = _SPELLINGS.get(raw)
    if found is None:
        found = _SPELLINGS.get(raw.strip().lower().replace("-", "_"))
    return found


def normalise_pricing_type(raw: str) -> PricingType | None:
    try:
        return PricingType(raw.strip().lower())
    except ValueError:
        return None
