"""WhatsApp errors, under the shared tree of ``tollhouse.domain.errors``.

InvalidRequest
├── InvalidRateCard      whatsapp.rate_card.invalid   (details.line)
├── InvalidMarketTable   whatsapp.markets.invalid     (details.line)
├── InvalidWebhook       whatsapp.webhook.invalid
└── InvalidFeePlan       whatsapp.fee_plan.invalid
Refused
└── StatementCurrencyMixed  whatsapp.statement.currency_mixed
"""

from __future__ import annotations

from tollhouse.domain.errors import InvalidRequest, Refused


class InvalidRateCard(InvalidRequest):
    code = "whatsapp.rate_card.invalid"

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(
            f"rate card line {line}: {problem}; fix that line and import the card again",
            details={"line": line},
        )
        self.line = line


class InvalidMarketTable(InvalidRequest):
    code = "whatsapp.markets.invalid"

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(
            f"market table line {line}: {problem}; fix that line and import the table again",
            details={"line": line},
        )
        self.line = line


class InvalidWebhook(InvalidRequest):
    code = "whatsapp.webhook.invalid"

    def __init__(self, problem: str) -> None:
        super().__init__(f"webhook payload is not usable: {problem}")


class InvalidFeePlan(InvalidRequest):
    code = "whatsapp.fee_plan.invalid"

    def __init__(self, problem: str) -> None:
        super().__init__(f"fee plan is invalid: {problem}; correct the plan and submit it again")


class StatementCurrencyMixed(Refused):
    code = "whatsapp.statement.currency_mixed"

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(
            f"a statement has one currency (D-26): it is {expected}, an item is in {found}; "
            "put the item on the statement of its own currency"
        )
