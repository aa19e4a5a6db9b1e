"""`scripts/serve` creates the demo tenants of every capability through the services; running it
again changes nothing and prints the same credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tollhouse.demo import ensure_demo
from tollhouse.services.auth import authenticate


def test_demo_tenants_are_created_once_and_the_key_works(
    sqlite_runtime: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOLLHOUSE_DATA_DIR", str(tmp_path))
    first = ensure_demo(sqlite_runtime)
    second = ensure_demo(sqlite_runtime)
    assert first["operator_key"] == second["operator_key"]
    assert authenticate(sqlite_runtime, first["operator_key"]).is_operator
    with sqlite_runtime.uow(readonly=True) as uow:
        kinds = {t.kind for t in uow.tenants.list()}
        assert len(uow.licences.corps(first["provider"])) == 3
    assert {"wecom_provider"} <= kinds
    assert len(kinds) >= 4  # WeCom, editions, WeChat and WhatsApp demo tenants
    assert second["whatsapp billing account"] == "demo"
