"""The ports the services need, as Protocols. Adapters implement them; bootstrap picks one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC instant."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    ok: bool
    http_status: int | None
    response_body: str
    error: str | None
    duration_ms: int


class CallbackSender(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        """POST a callback body; never raises for network errors (they are in the result)."""
        ...
