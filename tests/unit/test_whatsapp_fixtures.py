# ruff: noqa: N802 - test names cite spec rule IDs (R-CBP-1, D-3) in their capitals; flags mirror platform fields
"""Shared builders for the WhatsApp tests, and the tests of the shipped default data (§5)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from tollhouse.domain.whatsapp.markets import MarketResolver, MarketTable, parse_market_table
from tollhouse.domain.whatsapp.ratecards import RateBook, RateCard, parse_rate_card
from tollhouse.domain.whatsapp.rating import Rater, Waba

SHIPPED = ("usd-cbp-2024-10-01", "usd-pmp-2026-01-01", "eur-pmp-2026-07-01")

SOURCE_5_5 = (
    "# source: https://developers.facebook.com/docs/whatsapp/pricing/conversation-based-pricing "
    '(Meta USD CBP rate card, "Cost per conversation in USD", rows for Indonesia, Malaysia and '
    "Other) ; test use 2024-06-01 to 2024-07-31 only\n"
)
# §5.5: partial USD CBP card for June and July 2024 (test fixture, not shipped)
FIXTURE_5_5 = (
    SOURCE_5_5
    + """\
effective_from,currency,market,category,rate,tier_from,tier_to
2024-06-01,USD,Indonesia,marketing,0.0411,,
2024-06-01,USD,Indonesia,utility,0.0200,,
2024-06-01,USD,Indonesia,authentication,0.0300,,
2024-06-01,USD,Indonesia,authentication_international,0.1360,,
2024-06-01,USD,Indonesia,service,0.0190,,
2024-06-01,USD,Malaysia,marketing,0.0860,,
2024-06-01,USD,Malaysia,utility,0.0200,,
2024-06-01,USD,Malaysia,authentication,0.0180,,
2024-06-01,USD,Malaysia,service,0.0220,,
2024-06-01,USD,Other,marketing,0.0604,,
2024-06-01,USD,Other,utility,0.0338,,
2024-06-01,USD,Other,authentication,0.0304,,
2024-06-01,USD,Other,service,0.0145,,
"""
)

# Y14's test row (a fixture value, not checked against Meta's card)
Y14_ROW = """\
effective_from,currency,market,category,rate,tier_from,tier_to
2025-07-01,USD,Brazil,utility,0.0068,,
"""


def data_text(name: str) -> str:
    return (resources.files("tollhouse") / "data" / f"whatsapp-{name}.csv").read_text("utf-8")


@cache
def market_table() -> MarketTable:
    return parse_market_table(data_text("markets"))


def phonenumbers_region(digits: str) -> str | None:
    """The adapter's lookup, backed by phonenumbers (tests may import it; the domain may not)."""
    try:
        number = phonenumbers.parse(f"+{digits}")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number)


def resolver() -> MarketResolver:
    return MarketResolver(market_table(), region_of=phonenumbers_region)


@cache
def shipped_card(name: str) -> RateCard:
    return parse_rate_card(data_text(name), markets=market_table().markets)


def card_from(text: str) -> RateCard:
    return parse_rate_card(text, markets=market_table().markets)


def book(*extra: str, shipped: tuple[str, ...] = SHIPPED) -> RateBook:
    cards = [shipped_card(name) for name in shipped] + [card_from(text) for text in extra]
    return RateBook(tuple(cards))


def rater(*extra: str, shipped: tuple[str, ...] = SHIPPED) -> Rater:
    return Rater(book(*extra, shipped=shipped), resolver())


def instant(text: str) -> datetime:
    """'2025-01-14 00:00' in UTC, or an ISO instant with its offset."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def a_waba(*, currency: str = "USD", zone: str = "UTC", waba_id: str = "W") -> Waba:
    return Waba(waba_id, currency, ZoneInfo(zone), portfolio_id="portfolio")


D = Decimal


@pytest.mark.parametrize("name", SHIPPED)
def test_R_RC_1_shipped_cards_parse_as_exact_decimals(name: str) -> None:
    card = shipped_card(name)
    assert card.rows
    assert all(row.rate is None or isinstance(row.rate, Decimal) for row in card.rows)


def test_R_MK_2_shipped_market_table_lists_the_2026_markets() -> None:
    assert {"Hong Kong", "Kazakhstan", "North America", "Other"} <= market_table().markets


def test_R_RC_2_shipped_usd_cards_load_together_into_one_book() -> None:
    rates = book()
    entry = rates.in_force("USD", "Brazil", "marketing", instant("2026-02-10").date())
    assert entry is not None
    assert entry.flat == D("0.0625")
