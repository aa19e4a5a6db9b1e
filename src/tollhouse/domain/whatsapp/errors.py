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


# ---- errors of the services and the /v1/whatsapp API (§8) ------------------------------------

from tollhouse.domain.errors import Conflict, NotFound, Unauthorized  # noqa: E402


class BadSignature(Unauthorized):
    code = "whatsapp.webhook.bad_signature"

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"webhook refused: {problem}; Meta signs each body with the app secret in "
            "X-Hub-Signature-256 (sha256=<hex>): check the app secret configured with "
            "POST /v1/whatsapp/apps"
        )


class BillingAccountExists(Conflict):
    code = "whatsapp.billing_account.exists"

    def __init__(self, account: str) -> None:
        super().__init__(f"billing account {account!r} already exists; PATCH it instead")


class WabaExists(Conflict):
    code = "whatsapp.waba.exists"

    def __init__(self, waba_id: str) -> None:
        super().__init__(f"WABA {waba_id!r} is already registered; PATCH it instead")


class AppExists(Conflict):
    code = "whatsapp.app.exists"

    def __init__(self, app_id: str) -> None:
        super().__init__(f"app {app_id!r} is already configured; PUT /v1/whatsapp/apps/{app_id}")


class InvalidTimeZone(InvalidRequest):
    code = "whatsapp.time_zone.invalid"

    def __init__(self, zone: str) -> None:
        super().__init__(
            f"time zone {zone!r} is not an IANA name; use a name such as 'America/Sao_Paulo'"
        )


class UnknownBillingAccount(NotFound):
    code = "whatsapp.billing_account.unknown"

    def __init__(self, account: str) -> None:
        super().__init__(
            f"billing account {account!r} does not exist; create it with "
            "POST /v1/whatsapp/billing-accounts"
        )


class UnknownWaba(NotFound):
    code = "whatsapp.waba.unknown"

    def __init__(self, waba_id: str) -> None:
        super().__init__(
            f"WABA {waba_id!r} is not registered; register it with POST /v1/whatsapp/wabas "
            "before sending its webhooks"
        )


class UnknownApp(NotFound):
    code = "whatsapp.app.unknown"

    def __init__(self, app_id: str) -> None:
        super().__init__(f"app {app_id!r} is not configured; add it with POST /v1/whatsapp/apps")


class UnknownBudget(NotFound):
    code = "whatsapp.budget.unknown"

    def __init__(self, budget_id: str) -> None:
        super().__init__(
            f"budget {budget_id!r} does not exist; list budgets with GET /v1/whatsapp/budgets"
        )


class CurrencyRequired(Refused):
    code = "whatsapp.statement.currency_required"

    def __init__(self, month: str, currencies: list[str]) -> None:
        super().__init__(
            f"the statements of {month} exist in {', '.join(currencies)} (D-26); "
            "choose one with ?currency=",
            details={"currencies": currencies},
        )


class MonthIsFinal(Refused):
    code = "whatsapp.statement.final"

    def __init__(self, month: str) -> None:
        super().__init__(
            f"the statement of {month} is final and never changes (R-ST-3); "
            "make the change effective from an open month"
        )


class InvalidAnalyticsQuery(InvalidRequest):
    code = "whatsapp.analytics.invalid_query"

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(
            f"analytics parameter {parameter!r}: {problem}; write it as Meta does, for example "
            "fields=pricing_analytics.start(1748761200).end(1749687703).granularity(DAILY)",
            details={"parameter": parameter},
        )


class InvalidImportRecord(InvalidRequest):
    code = "whatsapp.import.invalid"

    def __init__(self, problem: str) -> None:
        super().__init__(f"import record is invalid: {problem}")
