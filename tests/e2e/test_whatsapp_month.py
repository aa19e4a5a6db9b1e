"""A month of synthetic traffic: 100,000 status webhooks across 20 markets, posted in batches,
rate to a statement whose totals equal an independent recomputation (issue 7, done-when).

The recomputation below does not use the engine: rates are literals copied from the USD PMP
card of §5.2, rounding is ROUND_HALF_UP per (market, category) line as D-1 says."""

from __future__ import annotations

import random
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.e2e.whatsapp_client import WhatsApp, body, pricing, status

D = Decimal
# market: (a recipient prefix, marketing, utility, authentication) — §5.2, February 2026
MARKETS: dict[str, tuple[str, str, str, str]] = {
    "Brazil": ("551191", "0.0625", "0.0068", "0.0068"),
    "India": ("919876", "0.0118", "0.0014", "0.0014"),
    "Indonesia": ("628123", "0.0411", "0.0250", "0.0250"),
    "Mexico": ("525512", "0.0305", "0.0085", "0.0085"),
    "Germany": ("491701", "0.1365", "0.0550", "0.0550"),
    "United Kingdom": ("447700", "0.0529", "0.0220", "0.0220"),
    "France": ("336123", "0.0859", "0.0300", "0.0300"),
    "Italy": ("393123", "0.0691", "0.0300", "0.0300"),
    "Spain": ("346123", "0.0615", "0.0200", "0.0200"),
    "Netherlands": ("316123", "0.1597", "0.0500", "0.0500"),
    "Turkey": ("905321", "0.0109", "0.0053", "0.0053"),
    "Egypt": ("201012", "0.0644", "0.0036", "0.0036"),
    "Nigeria": ("234803", "0.0516", "0.0067", "0.0067"),
    "South Africa": ("278212", "0.0379", "0.0076", "0.0076"),
    "Argentina": ("549112", "0.0618", "0.0260", "0.0260"),
    "Colombia": ("573001", "0.0125", "0.0008", "0.0008"),
    "Chile": ("569123", "0.0889", "0.0200", "0.0200"),
    "Peru": ("519123", "0.0703", "0.0200", "0.0200"),
    "Saudi Arabia": ("966501", "0.0455", "0.0107", "0.0107"),
    "North America": ("121255", "0.0250", "0.0034", "0.0034"),
}
CATEGORIES = ("marketing", "utility", "authentication")
MESSAGES = 50_000  # x 2 statuses each (sent, then delivered or failed) = 100,000 statuses
BATCH = 2_500
FEBRUARY_2026 = 1769904000  # 2026-02-01T00:00:00Z


def traffic() -> tuple[list[dict[str, Any]], Counter[tuple[str, str]], int]:
    rng = random.Random(20260201)
    statuses: list[dict[str, Any]] = []
    charged: Counter[tuple[str, str]] = Counter()
    free = 0
    names = list(MARKETS)
    for index in range(MESSAGES):
        market = names[index % len(names)]
        category = rng.choice(CATEGORIES)
        recipient = f"{MARKETS[market][0]}{rng.randrange(10**5, 10**6)}"
        at = FEBRUARY_2026 + rng.randrange(28 * 86400)
        roll = rng.random()
        kind = "free_customer_service" if category == "utility" and roll < 0.2 else "regular"
        price = pricing(category, kind=kind)
        wamid = f"wamid.{index}"
        when = f"{_iso(at)}"
        statuses.append(status(wamid, "sent", when, recipient, price=price))
        if roll > 0.95:
            statuses.append(status(wamid, "failed", when, recipient, errors=[131026]))
        else:
            statuses.append(status(wamid, "delivered", when, recipient, price=price))
            if kind == "regular":
                charged[market, category] += 1
            else:
                free += 1
    return statuses, charged, free


def _iso(ts: int) -> str:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def expected_statement(charged: Counter[tuple[str, str]]) -> tuple[int, Decimal, int]:
    total_minor, total_exact = 0, D(0)
    for (market, category), count in charged.items():
        rate = D(MARKETS[market][1 + CATEGORIES.index(category)])
        exact = rate * count
        total_exact += exact
        total_minor += int(exact.quantize(D("0.01"), rounding=ROUND_HALF_UP) * 100)
    return total_minor, total_exact, len(charged)


def test_a_month_of_100000_statuses_in_20_markets_matches_an_independent_recomputation(
    client: Any,
) -> None:
    # given a month of traffic in 20 markets
    wa = WhatsApp(client, now="2026-02-01T00:00:00+00:00")
    statuses, charged, free = traffic()
    assert len(statuses) == 100_000
    # when it arrives as 40 webhook batches of 2,500 statuses
    for start in range(0, len(statuses), BATCH):
        answer = wa.post(body("W1", "P1", statuses[start:start + BATCH]))
        assert answer.status_code == 200, answer.text
    # then the statement equals the recomputation, line by line and in total
    got = wa.statement("2026-02")
    total_minor, total_exact, line_count = expected_statement(charged)
    regular = [line for line in got["lines"] if line["pricing_type"] == "regular"]
    assert len(regular) == line_count
    for line in regular:
        rate = D(MARKETS[line["market"]][1 + CATEGORIES.index(line["category"])])
        assert D(line["unit_rate"]) == rate
        assert line["quantity"] == charged[line["market"], line["category"]]
    assert (got["total"], D(got["total_exact"])) == (total_minor, total_exact)
    assert got["total"] == sum(line["amount"] for line in got["lines"])
    assert got["free"] == {"free_customer_service": free}
    assert (got["unrated"], got["pending"]) == (0, 0)
