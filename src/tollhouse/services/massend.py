"""Use cases of the massend capability (wired by bootstrap)."""

from __future__ import annotations

from tollhouse.services.runtime import Runtime


def install(runtime: Runtime) -> None:
    """Register this capability's due-task handlers and delivery signers."""


def demo_data(runtime: Runtime) -> dict[str, object]:
    """Create this capability's demo tenants (idempotent); returns what to print."""
    return {}
