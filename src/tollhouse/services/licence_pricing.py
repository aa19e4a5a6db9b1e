"""Pricing configuration of a provider (spec §3) and the quote use cases."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP
from functools import lru_cache
from typing import Any

from tollhouse.domain.licences import (
    SAMPLE_PROFILES,
    AccountType,
    Duration,
    OffsetOperator,
    OrderStatus,
    OrderType,
    PlatformPricing,
    PriceLine,
    PricingRules,
    PurchaseKind,
    ResellerQuote,
    coterm_duration,
    order_price,
    profile_from_config,
    renewal_days,
    reseller_quote,
    validate_counts,
    validate_new_order_duration,
    validate_renewal_months,
    violation,
)
from tollhouse.domain.tiers import table_from_rows, table_to_rows
from tollhouse.services.clocks import tenant_now
from tollhouse.services.licence_setup import require_corp, require_provider, tenant_id_of
from tollhouse.services.runtime import Runtime, UnitOfWork

DEFAULTS: dict[str, Any] = {
    "platform": {
        "tiers": {
            "basic": table_to_rows(PlatformPricing.default().basic),
            "interop": table_to_rows(PlatformPricing.default().interop),
        }
    },
    "offset_operator": "ge",
    "proration_denominator_days": 372,
    "rounding": ROUND_HALF_UP,
    "unpaid_order_ttl_days": 7,
    "block_on_unpaid": True,
    "block_on_refund": True,
    "require_app_order": False,
}


def effective_settings(provider: Mapping[str, Any]) -> dict[str, Any]:
    return {**DEFAULTS, **(provider.get("settings") or {})}


@lru_cache(maxsize=256)
def _pricing_from_json(raw: str) -> PlatformPricing:
    settings = json.loads(raw)
    tiers = settings["platform"]["tiers"]
    return PlatformPricing(
        table_from_rows(tiers["basic"]),
        table_from_rows(tiers["interop"]),
        PricingRules(int(settings["proration_denominator_days"]), str(settings["rounding"])),
        OffsetOperator(settings["offset_operator"]),
    )


def platform_pricing(provider: Mapping[str, Any]) -> PlatformPricing:
    """The provider's platform pricing; built once per distinct configuration."""
    return _pricing_from_json(json.dumps(effective_settings(provider), sort_keys=True))


def validate_settings(settings: Mapping[str, Any]) -> None:
    """Refuse a configuration that would not load (L69, L72, L74)."""
    merged = {**DEFAULTS, **settings}
    try:
        _pricing_from_json(json.dumps(merged, sort_keys=True))
    except (KeyError, ValueError, TypeError) as exc:
        raise violation(40058, f"pricing settings do not load: {exc}", rule="L69") from exc


def offsets_for(
    uow: UnitOfWork,
    pricing: PlatformPricing,
    provider: str,
    corpid: str,
    counts: Mapping[AccountType, int],
    *,
    at: datetime,
    duration_days: int,
) -> dict[AccountType, int]:
    """L77: per type, valid codes bound in the corp that cover the purchased duration."""
    threshold = at + timedelta(days=duration_days)
    inclusive = pricing.offset_operator == OffsetOperator.GE
    wanted = [int(t) for t, n in counts.items() if n > 0]
    found = uow.licences.count_codes_at_least_by_type(
        provider, corpid, wanted, threshold=threshold, inclusive=inclusive
    )
    return {AccountType(t): n for t, n in found.items()}


def line_json(line: PriceLine) -> dict[str, Any]:
    return {
        "type": int(line.type),
        "count": line.count,
        "duration_days": line.duration_days,
        "offset": line.offset,
        "tiers": [
            {
                "from": p.first,
                "to": p.last,
                "count": p.count,
                "unit_price": None if p.unit_price is None else _int_or_str(p.unit_price),
            }
            for p in line.tiers
        ],
        "amount": line.amount,
    }


def _int_or_str(value: Any) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value)


@dataclass(frozen=True, slots=True)
class Quote:
    lines: list[PriceLine]
    price: int
    at: datetime


def quote_new(
    runtime: Runtime,
    provider: str,
    corpid: str,
    counts: Mapping[AccountType, int],
    duration: Duration,
    *,
    at: datetime | None = None,
) -> Quote:
    """Platform price of a new purchase, without side effects (§4.5)."""
    with runtime.uow(readonly=True) as uow:
        provider_row = require_provider(uow, provider)
        corp = require_corp(uow, provider, corpid)
        when = at or tenant_now(runtime, uow, tenant_id_of(provider))
        validate_counts(
            counts.get(AccountType.BASIC, 0),
            counts.get(AccountType.INTEROP, 0),
            test_corp=corp["is_test"],
        )
        validate_new_order_duration(duration, test_corp=corp["is_test"])
        pricing = platform_pricing(provider_row)
        offsets = offsets_for(
            uow, pricing, provider, corpid, counts, at=when, duration_days=duration.total_days
        )
        lines = pricing.new_order_lines(counts, offsets=offsets, duration_days=duration.total_days)
        return Quote(lines, order_price(lines, test_corp=corp["is_test"]), when)


def quote_renewal(
    runtime: Runtime,
    provider: str,
    corpid: str,
    accounts: Sequence[tuple[str, AccountType]],
    *,
    months: int | None,
    new_expire_time: datetime | None,
    at: datetime | None = None,
) -> Quote:
    with runtime.uow(readonly=True) as uow:
        provider_row = require_provider(uow, provider)
        corp = require_corp(uow, provider, corpid)
        when = at or tenant_now(runtime, uow, tenant_id_of(provider))
        pricing = platform_pricing(provider_row)
        if months is not None:
            validate_renewal_months(months, test_corp=corp["is_test"])
            counts: dict[AccountType, int] = {}
            for _, type_ in accounts:
                counts[type_] = counts.get(type_, 0) + 1
            lines = pricing.renewal_lines(counts, months=months)
        else:
            if new_expire_time is None:
                raise violation(701904, "give months or new_expire_time", rule="L22")
            days_by_type = renewal_days_by_type(
                uow, provider, corpid, accounts, target=new_expire_time, at=when
            )
            lines = pricing.renewal_lines_by_days(days_by_type)
        return Quote(lines, order_price(lines, test_corp=corp["is_test"]), when)


def renewal_days_by_type(
    uow: UnitOfWork,
    provider: str,
    corpid: str,
    accounts: Sequence[tuple[str, AccountType]],
    *,
    target: datetime,
    at: datetime,
) -> dict[AccountType, list[int]]:
    result: dict[AccountType, list[int]] = {}
    for userid, type_ in accounts:
        code = uow.licences.member_code(provider, corpid, userid, int(type_))
        expire = code["expire_time"] if code and code["expire_time"] else at
        result.setdefault(type_, []).append(renewal_days(expire_time=expire, target=target, at=at))
    return result


def load_profile(uow: UnitOfWork, provider: str, name: str) -> Any:
    config = uow.licences.profile(provider, name)
    if config is None:
        config = SAMPLE_PROFILES.get(name)
    if config is None:
        raise violation(
            701933,
            f"reseller profile {name!r} does not exist; create it with "
            "`tollhouse licences profile set` or PUT /v1/wecom/licences/profiles",
            rule="§3.3",
            kind="not_found",
        )
    return profile_from_config(name, config)


def quote_reseller(
    runtime: Runtime,
    provider: str,
    corpid: str,
    profile_name: str,
    counts: Mapping[AccountType, int],
    *,
    kind: PurchaseKind | None,
    duration: Duration | None,
    coterm: bool = False,
    at: datetime | None = None,
) -> ResellerQuote:
    """The provider's own price for its customer (L80–L84)."""
    with runtime.uow(readonly=True) as uow:
        require_provider(uow, provider)
        require_corp(uow, provider, corpid)
        when = at or tenant_now(runtime, uow, tenant_id_of(provider))
        profile = load_profile(uow, provider, profile_name)
        if kind is None:
            bought = uow.licences.has_paid_order(provider, corpid, kinds=(OrderType.BUY,))
            kind = PurchaseKind.ADDITIONAL if bought else PurchaseKind.FIRST
        if coterm:
            if kind != PurchaseKind.ADDITIONAL:
                raise violation(
                    40058, f"coterm applies to additional purchases only, not {kind}", rule="L83"
                )
            duration = _coterm(uow, provider, corpid, counts, profile.allow_days, at=when)
        if duration is None:
            raise violation(
                40063, "account_duration is required unless coterm is true", rule="§4.5"
            )
        pricing = platform_pricing(require_provider(uow, provider))
        offsets = offsets_for(
            uow, pricing, provider, corpid, counts, at=when, duration_days=duration.total_days
        )
        return reseller_quote(
            profile, counts, kind=kind, duration=duration, platform_offsets=offsets
        )


def _coterm(
    uow: UnitOfWork,
    provider: str,
    corpid: str,
    counts: Mapping[AccountType, int],
    allow_days: bool,
    *,
    at: datetime,
) -> Duration:
    remaining: float | None = None
    for type_, n in counts.items():
        if n <= 0:
            continue
        expiries = uow.licences.valid_expiries(provider, corpid, int(type_), at=at)
        if expiries:
            seconds = (max(expiries) - at).total_seconds()
            remaining = seconds if remaining is None else max(remaining, seconds)
    return coterm_duration(remaining, allow_days=allow_days)


BLOCKING = (OrderStatus.AWAITING_PAYMENT, OrderStatus.REFUND_REQUESTED)
