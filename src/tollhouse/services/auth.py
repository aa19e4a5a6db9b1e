"""API keys for the /v1/ API and the dashboard: operator keys, or keys scoped to one tenant."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from tollhouse.domain.errors import NotFound, Unauthorized
from tollhouse.services.runtime import Runtime

KEY_PREFIX = "thk_"


class InvalidApiKey(Unauthorized):
    code = "auth.invalid_key"

    def __init__(self) -> None:
        super().__init__(
            "the API key is missing, unknown or revoked; send `Authorization: Bearer "
            "<key>` with a key from `tollhouse keys create`"
        )


class ForbiddenTenant(Unauthorized):
    code = "auth.forbidden_tenant"

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            f"this key is scoped to another tenant and cannot act on {tenant_id!r}; "
            "use an operator key or that tenant's key"
        )


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    tenant_id: str | None  # None = operator

    @property
    def is_operator(self) -> bool:
        return self.tenant_id is None

    def require(self, tenant_id: str) -> None:
        if self.tenant_id is not None and self.tenant_id != tenant_id:
            raise ForbiddenTenant(tenant_id)

    def require_operator(self) -> None:
        if self.tenant_id is not None:
            raise ForbiddenTenant("operator actions")


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(runtime: Runtime, *, name: str, tenant_id: str | None = None) -> tuple[str, str]:
    """Returns (key id, the raw key); only the hash is stored."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = "key_" + secrets.token_hex(6)
    with runtime.uow() as uow:
        if tenant_id is not None and uow.tenants.get(tenant_id) is None:
            raise NotFound(
                f"tenant {tenant_id!r} does not exist; list tenants with `tollhouse tenants list`"
            )
        uow.api_keys.add(
            key_id=key_id,
            key_hash=hash_key(raw),
            name=name,
            tenant_id=tenant_id,
            at=runtime.system_clock.now(),
        )
        uow.commit()
    return key_id, raw


def authenticate(runtime: Runtime, raw: str | None) -> Principal:
    if not raw:
        raise InvalidApiKey
    admin_key = runtime.extras.get("admin_key")
    if admin_key and hmac.compare_digest(raw, admin_key):
        return Principal("admin", None)
    cache: dict[str, Principal] = runtime.extras.setdefault("key_cache", {})
    digest = hash_key(raw)
    if digest in cache:
        return cache[digest]
    with runtime.uow(readonly=True) as uow:
        row = uow.api_keys.by_hash(digest)
    if row is None:
        raise InvalidApiKey
    principal = Principal(row["id"], row["tenant_id"])
    cache[digest] = principal
    return principal


def revoke_key(runtime: Runtime, key_id: str) -> bool:
    with runtime.uow() as uow:
        done = bool(uow.api_keys.revoke(key_id, at=runtime.system_clock.now()))
        uow.commit()
    runtime.extras.get("key_cache", {}).clear()
    return done
