# ruff: noqa: N802 - test names cite spec rule IDs (R-CBP-1, D-3) in their capitals; flags mirror platform fields
"""Rate cards and the market table: parsing, validation with line numbers, effective dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.unit.test_whatsapp_fixtures import book, card_from, market_table, resolver
from tollhouse.domain.whatsapp.errors import InvalidMarketTable, InvalidRateCard
from tollhouse.domain.whatsapp.markets import MarketResolver, parse_market_table
from tollhouse.domain.whatsapp.ratecards import RateBook

D = Decimal
HEADER = "effective_from,currency,market,category,rate,tier_from,tier_to\n"


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        pytest.param("2026-01-01,USD,Brazil,marketing,-0.01,,\n", 3, "negative", id="negative"),
        pytest.param(
            "2026-01-01,USD,Brazil,marketing,0.0000001,,\n", 3, "6 decimal", id="over-precise"
        ),
        pytest.param(
            "2026-01-01,USD,Brazil,marketing,1e-3,,\n", 3, "plain decimal", id="float-like"
        ),
        pytest.param(
            "2026-01-01,USD,Atlantis,marketing,0.01,,\n", 3, "Atlantis", id="unknown-market"
        ),
        pytest.param("2026-01-01,USD,Brazil,promo,0.01,,\n", 3, "promo", id="unknown-category"),
        pytest.param("2026-02-30,USD,Brazil,marketing,0.01,,\n", 3, "calendar", id="bad-date"),
        pytest.param("2026-01-01,usd,Brazil,marketing,0.01,,\n", 3, "ISO 4217", id="currency"),
        pytest.param(
            "2026-01-01,USD,Brazil,marketing,0.01,,\n2026-01-01,USD,Brazil,marketing,0.02,,\n",
            4,
            "already has a row",
            id="overlapping-flat",
        ),
        pytest.param(
            "2026-01-01,USD,India,utility,0.0014,1,100\n2026-01-01,USD,India,utility,0.0013,90,\n",
            4,
            "overlaps",
            id="tier-overlap",
        ),
        pytest.param(
            "2026-01-01,USD,India,utility,0.0014,1,100\n2026-01-01,USD,India,utility,0.0013,102,\n",
            4,
            "gap",
            id="tier-gap",
        ),
        pytest.param("2026-01-01,USD,India,utility,0.0014,2,\n", 3, "gap", id="tier-not-from-1"),
        pytest.param(
            "2026-01-01,USD,India,utility,0.0014,1,100\n", 3, "empty tier_to", id="tier-closed-end"
        ),
        pytest.param(
            "2026-01-01,USD,India,utility,0.0014,,\n2026-01-01,USD,India,utility,0.0013,1,\n",
            4,
            "",
            id="flat-and-tiered",
        ),
        pytest.param("2026-01-01,USD,India,utility,,1,\n", 3, "withdraws", id="withdraw-tier"),
        pytest.param("2026-01-01,USD,India,utility,0.01\n", 3, "fields", id="short-row"),
    ],
)
def test_R_RC_1_R_RC_3_D_1_invalid_cards_name_the_line(body: str, line: int, words: str) -> None:
    with pytest.raises(InvalidRateCard) as caught:
        card_from("# source: test\n" + HEADER + body)
    assert caught.value.details["line"] == line
    assert words in caught.value.message
    assert caught.value.code == "whatsapp.rate_card.invalid"


def test_R_RC_1_a_card_needs_the_exact_header() -> None:
    with pytest.raises(InvalidRateCard) as caught:
        card_from("# c\neffective_from,currency,market\n")
    assert caught.value.details["line"] == 2


def test_R_RC_1_comments_are_skipped_and_rates_are_exact() -> None:
    card = card_from("# a\n" + HEADER + "# b\n2026-01-01,USD,Brazil,marketing,0.000001,,\n")
    assert card.rows[0].rate == D("0.000001")
    assert card.rows[0].line == 4


def test_R_RC_5_identical_content_is_the_same_version() -> None:
    text = HEADER + "2026-01-01,USD,Brazil,marketing,0.0625,,\n"
    assert card_from(text).version == card_from(text).version
    assert card_from(text).version != card_from(text.replace("0.0625", "0.0626")).version


def test_R_RC_2_latest_row_on_or_before_the_local_date_is_in_force() -> None:
    rates = book()
    assert rates.in_force("USD", "Egypt", "authentication", date(2025, 1, 31)) is not None
    assert rates.in_force("USD", "Egypt", "authentication", date(2025, 2, 1)) is None  # withdrawn
    assert rates.in_force("USD", "Brazil", "marketing", date(2024, 9, 30)) is None  # before card


def test_R_RC_4_D_16_cbp_rows_never_rate_on_or_after_2025_07_01() -> None:
    rates = book(shipped=("usd-cbp-2024-10-01",))
    found = rates.in_force("USD", "Brazil", "utility", date(2025, 6, 30))
    assert found is not None
    assert found.flat == D("0.0080")
    assert rates.in_force("USD", "Brazil", "utility", date(2025, 7, 1)) is None


def test_R_RC_5_two_cards_that_disagree_on_one_key_and_date_are_refused() -> None:
    first = card_from(HEADER + "2026-01-01,USD,Brazil,marketing,0.0625,,\n")
    second = card_from(HEADER + "2026-01-01,USD,Brazil,marketing,0.0626,,\n")
    with pytest.raises(InvalidRateCard):
        RateBook((first, second))


def test_R_RC_3_tier_labels_follow_card_and_meta_spellings() -> None:
    card = card_from(
        HEADER + "2026-01-01,USD,India,utility,0.0014,1,25000000\n"
        "2026-01-01,USD,India,utility,0.0013,25000001,\n"
    )
    entry = RateBook((card,)).in_force("USD", "India", "utility", date(2026, 2, 1))
    assert entry is not None
    assert [(t.label, t.meta_label) for t in entry.tiers] == [
        ("1:25000000", "0:25000000"),
        ("25000001:MAX", "25000001:MAX"),
    ]


# ---- markets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "on", "country", "market"),
    [
        pytest.param("18095550101", "2025-01-20", "DO", "Rest of Latin America", id="R-X-2-DO"),
        pytest.param("18765550101", "2025-01-20", "JM", "Rest of Latin America", id="R-X-2-JM"),
        pytest.param("17875550101", "2025-01-20", "PR", "Rest of Latin America", id="R-X-2-PR"),
        pytest.param("12125550101", "2025-01-20", "US", "North America", id="R-X-2-US"),
        pytest.param("14165550101", "2025-01-20", "CA", "North America", id="R-X-2-CA"),
        pytest.param("12425550101", "2025-01-20", "BS", "Other", id="R-MK-3-BS"),
        pytest.param("13405550101", "2025-01-20", "VI", "Other", id="D-6-VI"),
        pytest.param("3725123456", "2025-01-20", "EE", "Other", id="R-MK-3-EE"),
        pytest.param("77011234567", "2026-09-30", "KZ", "Other", id="D-6-KZ-before"),
        pytest.param("77011234567", "2026-10-01", "KZ", "Kazakhstan", id="R-MK-4-KZ-after"),
        pytest.param("263771234567", "2025-09-30", "ZW", "Other", id="R-MK-4-ZW-before"),
        pytest.param("263771234567", "2025-10-01", "ZW", "Rest of Africa", id="R-MK-4-ZW-after"),
        pytest.param("85291234567", "2026-06-30", "HK", "Rest of Asia Pacific", id="R-MK-4-HK"),
        pytest.param("85291234567", "2026-07-01", "HK", "Hong Kong", id="R-MK-4-HK-after"),
        pytest.param("447700900123", "2025-01-20", "GB", "United Kingdom", id="D-6-GB-shared"),
        pytest.param(
            "+44 1481 123456", "2025-01-20", "GB", "United Kingdom", id="D-6-GG-follows-GB"
        ),
    ],
)
def test_R_MK_1_R_X_2_market_from_number_and_date(
    number: str, on: str, country: str, market: str
) -> None:
    found = resolver().resolve(number, date.fromisoformat(on))
    assert (found.country, found.market) == (country, market)


def test_R_MK_1_without_a_region_lookup_the_prefix_table_decides() -> None:
    plain = MarketResolver(market_table())
    assert plain.resolve("18095550101", date(2025, 1, 20)).market == "Rest of Latin America"
    assert plain.resolve("12425550101", date(2025, 1, 20)).country == "BS"
    assert plain.resolve("99912345", date(2025, 1, 20)).country == "ZZ"


def test_D_6_a_number_matching_nothing_is_zz_in_other() -> None:
    found = MarketResolver(market_table(), region_of=lambda _: None).resolve(
        "99912345", date(2025, 1, 20)
    )
    assert (found.country, found.market) == ("ZZ", "Other")


@pytest.mark.parametrize(
    ("body", "line"),
    [
        pytest.param("2022-02-01,Brazil,BR=55x\n", 3, id="bad-token"),
        pytest.param("2022-02-01,Brazil,\n", 3, id="no-country"),
        pytest.param("2022-02-01,Brazil,BR=55\n2022-02-01,Chile,BR=56\n", 4, id="listed-twice"),
        pytest.param("22-02-01,Brazil,BR=55\n", 3, id="bad-date"),
    ],
)
def test_R_MK_1_invalid_market_tables_name_the_line(body: str, line: int) -> None:
    with pytest.raises(InvalidMarketTable) as caught:
        parse_market_table("# x\neffective_from,market,countries\n" + body)
    assert caught.value.details["line"] == line
