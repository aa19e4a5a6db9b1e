"""WeCom tenants: providers, admins, tokens, customer corps, members, installs and links.

These are the sandbox control actions of spec §4.5 and the CLI's set-up commands.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tollhouse.adapters.db.repositories.foundation import TenantRow
from tollhouse.domain.errors import Conflict
from tollhouse.domain.licences import violation
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork

TOKEN_LIFETIME = timedelta(seconds=7200)  # L67


def tenant_id_of(provider_corpid: str) -> str:
    return f"wecom:{provider_corpid}"


class ProviderExists(Conflict):
    code = "wecom.provider.exists"

    def __init__(self, corpid: str) -> None:
        super().__init__(f"provider {corpid!r} already exists; update it instead")


@dataclass(frozen=True, slots=True)
class NewProvider:
    corpid: str
    provider_secret: str
    name: str = ""
    sandbox: bool = True
    clock_now: datetime | None = None
    admins: Sequence[str] = ()
    callback_url: str | None = None
    callback_token: str | None = None
    encoding_aes_key: str | None = None
    balance_fen: int | None = None
    settings: dict[str, Any] | None = None


def create_provider(runtime: Runtime, cmd: NewProvider) -> str:
    with runtime.uow() as uow:
        if uow.licences.provider(cmd.corpid) is not None:
            raise ProviderExists(cmd.corpid)
        at = runtime.system_clock.now()
        tenant = tenant_id_of(cmd.corpid)
        uow.tenants.add(
            TenantRow(
                tenant,
                "wecom_provider",
                cmd.name or cmd.corpid,
                cmd.sandbox,
                cmd.clock_now if cmd.sandbox else None,
                has_activity=False,
                created_at=at,
            )
        )
        uow.licences.add_provider(
            corpid=cmd.corpid,
            tenant_id=tenant,
            name=cmd.name,
            provider_secret=cmd.provider_secret,
            callback_url=cmd.callback_url,
            callback_token=cmd.callback_token,
            encoding_aes_key=cmd.encoding_aes_key,
            balance_fen=cmd.balance_fen,
            single_payment_limit_fen=None,
            settings=cmd.settings or {},
            created_at=at,
        )
        for admin in cmd.admins:
            uow.licences.set_admin(cmd.corpid, admin, can_purchase=True)
        uow.commit()
    _plan_reminders(runtime, cmd.corpid)
    return tenant


def _plan_reminders(runtime: Runtime, provider: str) -> None:
    """Start the provider's daily run (reminders, status 4) as soon as it exists."""
    from tollhouse.services.licence_codes import ensure_schedules  # noqa: PLC0415 - cycle

    ensure_schedules(runtime, provider)


def update_provider(runtime: Runtime, corpid: str, **values: Any) -> dict[str, Any]:
    with runtime.uow() as uow:
        provider = require_provider(uow, corpid)
        admins = values.pop("admins", None)
        allowed = {
            "name",
            "provider_secret",
            "callback_url",
            "callback_token",
            "encoding_aes_key",
            "balance_fen",
            "single_payment_limit_fen",
            "settings",
        }
        changes = {k: v for k, v in values.items() if k in allowed and v is not None}
        if "settings" in changes:
            changes["settings"] = {**provider["settings"], **changes["settings"]}
        if changes:
            uow.licences.update_provider(corpid, **changes)
        for admin in admins or ():
            uow.licences.set_admin(
                corpid, admin["userid"], can_purchase=bool(admin.get("can_purchase", True))
            )
        uow.commit()
        return require_provider(uow, corpid)


def require_provider(uow: UnitOfWork, corpid: str) -> dict[str, Any]:
    provider: dict[str, Any] | None = uow.licences.provider(corpid)
    if provider is None:
        raise violation(40013, f"corpid {corpid!r} is not a known provider", kind="not_found")
    return provider


def require_corp(uow: UnitOfWork, provider: str, corpid: str) -> dict[str, Any]:
    corp: dict[str, Any] | None = uow.licences.corp(provider, corpid)
    if corp is None:
        raise violation(
            40013,
            f"corpid {corpid!r} is not a customer corp of provider {provider!r}",
            kind="not_found",
        )
    return corp


# --- provider tokens (L67) ----------------------------------------------------------------------


def get_provider_token(runtime: Runtime, corpid: str, secret: str) -> tuple[str, int]:
    """Credentials follow the real clock (a test clock never expires a token)."""
    with runtime.uow() as uow:
        provider = uow.licences.provider(corpid)
        if provider is None:
            raise violation(
                40013, f"corpid {corpid!r} is not a known provider", kind="unauthorized"
            )
        if not secrets.compare_digest(provider["provider_secret"], secret):
            raise violation(
                40001,
                "provider_secret is wrong for corpid "
                f"{corpid!r}; copy it from the provider's settings",
                kind="unauthorized",
            )
        at = runtime.system_clock.now()
        live = uow.licences.live_token(corpid, at=at)
        if live is not None:
            return live["token"], int((live["expires_at"] - at).total_seconds())
        token = secrets.token_urlsafe(48)
        uow.licences.add_token(
            token=token, provider=corpid, issued_at=at, expires_at=at + TOKEN_LIFETIME
        )
        uow.commit()
        return token, int(TOKEN_LIFETIME.total_seconds())


def provider_for_token(runtime: Runtime, token: str | None) -> str:
    if not token:
        raise violation(
            41001,
            "provider_access_token is missing; get one from /cgi-bin/service/get_provider_token",
            kind="unauthorized",
        )
    cache: dict[str, tuple[str, datetime]] = runtime.extras.setdefault("token_cache", {})
    now = runtime.system_clock.now()
    hit = cache.get(token)
    if hit is None:
        with runtime.uow(readonly=True) as uow:
            row = uow.licences.token(token)
        if row is None:
            raise violation(
                40014,
                "provider_access_token is not valid; get a new one from "
                "/cgi-bin/service/get_provider_token",
                kind="unauthorized",
            )
        hit = (row["provider_corpid"], row["expires_at"])
        cache[token] = hit
    if now >= hit[1]:
        raise violation(
            42001,
            "provider_access_token expired; get a new one from /cgi-bin/service/get_provider_token",
            kind="unauthorized",
        )
    return hit[0]


# --- corps, members, installs, links -------------------------------------------------------------


def save_corp(
    runtime: Runtime,
    provider: str,
    corpid: str,
    *,
    name: str = "",
    is_test: bool | None = None,
    members: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    with runtime.uow() as uow:
        require_provider(uow, provider)
        at = tenant_now(runtime, uow, tenant_id_of(provider))
        corp = uow.licences.corp(provider, corpid)
        if corp is None:
            uow.licences.add_corp(
                provider_corpid=provider,
                corpid=corpid,
                name=name or corpid,
                is_test=bool(is_test),
                auto_active_status=0,
                created_at=at,
            )
        else:
            changes = {
                k: v for k, v in (("name", name or None), ("is_test", is_test)) if v is not None
            }
            if changes:
                uow.licences.update_corp(provider, corpid, **changes)
        uow.licences.upsert_members(provider, corpid, list(members))
        uow.commit()
        return require_corp(uow, provider, corpid)


def import_members(
    runtime: Runtime, provider: str, corpid: str, rows: Sequence[dict[str, Any]]
) -> int:
    """Insert or update members in one transaction; returns how many were new."""
    with runtime.uow() as uow:
        require_corp(uow, provider, corpid)
        created = uow.licences.upsert_members(provider, corpid, list(rows))
        uow.commit()
        return int(created)


def install_app(
    runtime: Runtime,
    provider: str,
    corpid: str,
    suite_id: str,
    *,
    at: datetime | None = None,
    license_status: int | None = None,
    license_check_time: datetime | None = None,
    has_trial: bool | None = None,
    uninstall: bool = False,
) -> dict[str, Any]:
    """Install (or reinstall, or uninstall) an app; the first install time is kept (L57)."""
    with runtime.uow() as uow:
        corp = require_corp(uow, provider, corpid)
        when = at or tenant_now(runtime, uow, tenant_id_of(provider))
        existing = uow.licences.install(provider, corpid, suite_id)
        values: dict[str, Any] = {
            "provider_corpid": provider,
            "corpid": corpid,
            "suite_id": suite_id,
            "installed": not uninstall,
            "first_install_time": existing["first_install_time"] if existing else when,
        }
        if license_status is not None:
            values["license_status"] = license_status
        if license_check_time is not None:
            values["license_check_time"] = license_check_time
        if has_trial is not None:
            values["has_trial"] = has_trial
        elif existing is None:
            values["has_trial"] = not corp["is_test"]
        uow.licences.save_install(**values)
        uow.commit()
        row = dict(uow.licences.install(provider, corpid, suite_id))
    _plan_reminders(runtime, provider)
    return row


def link_corps(
    runtime: Runtime,
    provider: str,
    up: str,
    down: str,
    *,
    link_type: int = 0,
    app_shared: bool = True,
    headcount: int = 0,
) -> None:
    with runtime.uow() as uow:
        require_corp(uow, provider, up)
        require_corp(uow, provider, down)
        uow.licences.save_link(
            provider_corpid=provider,
            up_corpid=up,
            down_corpid=down,
            link_type=link_type,
            app_shared=app_shared,
            headcount=headcount,
        )
        uow.commit()


def set_balance(
    runtime: Runtime,
    provider: str,
    *,
    balance_fen: int | None = None,
    top_up_fen: int | None = None,
) -> int | None:
    with runtime.uow() as uow:
        current = require_provider(uow, provider)["balance_fen"]
        if balance_fen is not None:
            uow.licences.update_provider(provider, balance_fen=balance_fen)
        if top_up_fen is not None:
            if current is None and balance_fen is None:
                uow.licences.update_provider(provider, balance_fen=0)
            uow.licences.adjust_balance(provider, top_up_fen)
        uow.commit()
        result: int | None = require_provider(uow, provider)["balance_fen"]
        return result


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
