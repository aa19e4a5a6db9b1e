"""WhatsApp set-up use cases: apps (webhook secrets), billing accounts (tenants), WABAs and
their business phone numbers; plus the capability's wiring (``install``) and demo data.

Ingestion and rating live in ``whatsapp_ingest``; statements, fee plans, budgets, alerts and
wallets in ``whatsapp_billing``; analytics in ``whatsapp_analytics``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tollhouse.adapters.db.repositories.foundation import TenantRow
from tollhouse.domain.whatsapp.errors import (
    AppExists,
    BillingAccountExists,
    InvalidTimeZone,
    UnknownApp,
    UnknownBillingAccount,
    UnknownWaba,
    WabaExists,
)
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork

TENANT_KIND = "whatsapp_billing_account"


def tenant_of(account: str) -> str:
    return f"whatsapp:{account}"


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimeZone(name) from exc


# ---- apps ------------------------------------------------------------------------------------


def add_app(runtime: Runtime, *, app_id: str, app_secret: str, verify_token: str) -> dict[str, Any]:
    with runtime.uow() as uow:
        if uow.whatsapp.app(app_id) is not None:
            raise AppExists(app_id)
        uow.whatsapp.add_app(
            {
                "app_id": app_id,
                "app_secret": app_secret,
                "verify_token": verify_token,
                "created_at": runtime.system_clock.now(),
            }
        )
        uow.commit()
    runtime.extras.pop("whatsapp_apps", None)
    return app_json(app_id)


def replace_app(
    runtime: Runtime, app_id: str, *, app_secret: str | None, verify_token: str | None
) -> dict[str, Any]:
    values = {
        k: v
        for k, v in (("app_secret", app_secret), ("verify_token", verify_token))
        if v is not None
    }
    with runtime.uow() as uow:
        if uow.whatsapp.app(app_id) is None:
            raise UnknownApp(app_id)
        if values:
            uow.whatsapp.update_app(app_id, values)
        uow.commit()
    runtime.extras.pop("whatsapp_apps", None)
    return app_json(app_id)


def app_json(app_id: str) -> dict[str, Any]:
    return {"app_id": app_id, "app_secret_set": True, "verify_token_set": True}


def app_secrets(runtime: Runtime, *, reload: bool = False) -> list[tuple[str, bytes, str]]:
    """(app id, secret, verify token) of every configured app, cached per process."""
    cached: list[tuple[str, bytes, str]] | None = runtime.extras.get("whatsapp_apps")
    if cached is None or reload:
        with runtime.uow(readonly=True) as uow:
            cached = [
                (a["app_id"], a["app_secret"].encode(), a["verify_token"])
                for a in uow.whatsapp.apps()
            ]
        runtime.extras["whatsapp_apps"] = cached
    return cached


# ---- billing accounts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewAccount:
    id: str
    name: str = ""
    time_zone: str | None = None
    currencies: list[str] = field(default_factory=lambda: ["USD"])
    sandbox: bool = False
    clock_now: datetime | None = None


def create_account(runtime: Runtime, cmd: NewAccount) -> dict[str, Any]:
    if cmd.time_zone is not None:
        zone_of(cmd.time_zone)
    with runtime.uow() as uow:
        if uow.whatsapp.account(cmd.id) is not None:
            raise BillingAccountExists(cmd.id)
        at = runtime.system_clock.now()
        tenant = tenant_of(cmd.id)
        if uow.tenants.get(tenant) is None:
            uow.tenants.add(
                TenantRow(
                    tenant,
                    TENANT_KIND,
                    cmd.name or cmd.id,
                    cmd.sandbox,
                    cmd.clock_now if cmd.sandbox else None,
                    has_activity=False,
                    created_at=at,
                )
            )
        uow.whatsapp.add_account(
            {
                "id": cmd.id,
                "tenant_id": tenant,
                "name": cmd.name,
                "time_zone": cmd.time_zone,
                "currencies": cmd.currencies,
                "created_at": at,
            }
        )
        uow.commit()
        return account_json(runtime, uow, cmd.id)


def require_account(uow: UnitOfWork, account: str) -> dict[str, Any]:
    found = uow.whatsapp.account(account)
    if found is None:
        raise UnknownBillingAccount(account)
    return found  # type: ignore[no-any-return]


def account_zone(uow: UnitOfWork, account: dict[str, Any]) -> ZoneInfo:
    """R-ST-1: the account's zone, default that of its first WABA, else UTC."""
    if account["time_zone"]:
        return ZoneInfo(account["time_zone"])
    wabas = uow.whatsapp.wabas(account=account["id"])
    first = min(wabas, key=lambda row: row["created_at"], default=None)
    return ZoneInfo(first["time_zone"]) if first else ZoneInfo("UTC")


def account_json(runtime: Runtime, uow: UnitOfWork, account_id: str) -> dict[str, Any]:
    account = require_account(uow, account_id)
    tenant = uow.tenants.get(account["tenant_id"])
    return {
        "id": account["id"],
        "name": account["name"],
        "time_zone": account_zone(uow, account).key,
        "currencies": account["currencies"],
        "sandbox": bool(tenant and tenant.sandbox),
        "now": tenant_now(runtime, uow, account["tenant_id"]).isoformat(),
        "wabas": [row["waba_id"] for row in uow.whatsapp.wabas(account=account_id)],
    }


def update_account(runtime: Runtime, account_id: str, values: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in values.items() if k in ("name", "time_zone") and v is not None}
    if "time_zone" in changes:
        zone_of(changes["time_zone"])
    with runtime.uow() as uow:
        require_account(uow, account_id)
        if changes:
            uow.whatsapp.update_account(account_id, changes)
        uow.commit()
        return account_json(runtime, uow, account_id)


# ---- WABAs and numbers ----------------------------------------------------------------------


def create_waba(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    zone_of(body.get("time_zone") or "UTC")
    with runtime.uow() as uow:
        account = require_account(uow, body["billing_account"])
        if uow.whatsapp.waba(body["waba_id"]) is not None:
            raise WabaExists(body["waba_id"])
        if body.get("app_id") and uow.whatsapp.app(body["app_id"]) is None:
            raise UnknownApp(body["app_id"])
        at = runtime.system_clock.now()
        uow.whatsapp.add_waba(
            {
                "waba_id": body["waba_id"],
                "billing_account": account["id"],
                "app_id": body.get("app_id"),
                "portfolio_id": body.get("business_portfolio_id") or "",
                "currency": body.get("currency") or "USD",
                "time_zone": body.get("time_zone") or "UTC",
                "primary_location": body.get("primary_business_location"),
                "auth_intl": body.get("auth_international_rate_eligibility") or {},
                "created_at": at,
            }
        )
        for number in body.get("phone_numbers") or ():
            _add_number(uow, body["waba_id"], account["id"], number, at)
        uow.commit()
        runtime.extras.pop("whatsapp_wabas", None)
        return waba_json(uow, body["waba_id"])


def _add_number(
    uow: UnitOfWork, waba_id: str, account: str, number: dict[str, Any], at: datetime
) -> None:
    onboarded = number.get("onboarded_at") or at
    if isinstance(onboarded, str):
        onboarded = datetime.fromisoformat(onboarded)
    uow.whatsapp.add_number(
        {
            "phone_number_id": str(number["phone_number_id"]),
            "waba_id": waba_id,
            "billing_account": account,
            "display_phone_number": str(number.get("display_phone_number") or ""),
            "plan": number.get("plan") or "regular",
            "onboarded_at": onboarded.astimezone(UTC),
            "removed_at": None,
        }
    )


def require_waba(uow: UnitOfWork, waba_id: str) -> dict[str, Any]:
    found = uow.whatsapp.waba(waba_id)
    if found is None:
        raise UnknownWaba(waba_id)
    return found  # type: ignore[no-any-return]


def waba_json(uow: UnitOfWork, waba_id: str) -> dict[str, Any]:
    waba = require_waba(uow, waba_id)
    return {
        "waba_id": waba["waba_id"],
        "billing_account": waba["billing_account"],
        "app_id": waba["app_id"],
        "business_portfolio_id": waba["portfolio_id"],
        "currency": waba["currency"],
        "time_zone": waba["time_zone"],
        "primary_business_location": waba["primary_location"],
        "auth_international_rate_eligibility": waba["auth_intl"],
        "phone_numbers": [_number_json(n) for n in uow.whatsapp.numbers(waba_id=waba_id)],
    }


def _number_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "phone_number_id": row["phone_number_id"],
        "display_phone_number": row["display_phone_number"],
        "plan": row["plan"],
        "onboarded_at": row["onboarded_at"].isoformat(),
        "removed_at": row["removed_at"].isoformat() if row["removed_at"] else None,
    }


def update_waba(runtime: Runtime, waba_id: str, values: dict[str, Any]) -> dict[str, Any]:
    names = {
        "time_zone": "time_zone",
        "primary_business_location": "primary_location",
        "auth_international_rate_eligibility": "auth_intl",
        "business_portfolio_id": "portfolio_id",
    }
    changes = {names[k]: v for k, v in values.items() if k in names and v is not None}
    if "time_zone" in changes:
        zone_of(changes["time_zone"])
    with runtime.uow() as uow:
        require_waba(uow, waba_id)
        if changes:
            uow.whatsapp.update_waba(waba_id, changes)
        uow.commit()
        runtime.extras.pop("whatsapp_wabas", None)
        return waba_json(uow, waba_id)


def add_number(runtime: Runtime, waba_id: str, number: dict[str, Any]) -> dict[str, Any]:
    with runtime.uow() as uow:
        waba = require_waba(uow, waba_id)
        _add_number(uow, waba_id, waba["billing_account"], number, runtime.system_clock.now())
        uow.commit()
        return waba_json(uow, waba_id)


def remove_number(
    runtime: Runtime, waba_id: str, phone_number_id: str, at: datetime | None
) -> dict[str, Any]:
    with runtime.uow() as uow:
        waba = require_waba(uow, waba_id)
        when = at or tenant_now(runtime, uow, tenant_of(waba["billing_account"]))
        uow.whatsapp.update_number(phone_number_id, {"removed_at": when.astimezone(UTC)})
        uow.commit()
        return waba_json(uow, waba_id)


# ---- wiring ----------------------------------------------------------------------------------


def install(runtime: Runtime) -> None:
    """Register this capability's due-task handlers and delivery signers."""
    from tollhouse.services import whatsapp_billing  # noqa: PLC0415

    whatsapp_billing.install(runtime)
    pages: list[dict[str, str]] = runtime.extras.setdefault("dashboard_pages", [])
    if not any(p.get("href") == "/dashboard/whatsapp" for p in pages):
        pages.append({"href": "/dashboard/whatsapp", "label": "WhatsApp usage"})


def demo_data(runtime: Runtime) -> dict[str, object]:
    """Create this capability's demo tenants (idempotent); returns what to print."""
    from tollhouse.services import whatsapp_demo  # noqa: PLC0415

    return whatsapp_demo.create(runtime)
