"""Demo tenants for `scripts/serve`, created through the services (never raw SQL).

Idempotent: run it any number of times. The operator key is created once and kept in
``<data dir>/demo-credentials.json`` (mode 600) so that it can be shown again.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tollhouse.domain.errors import TollhouseError
from tollhouse.services import editions, licence_codes, massend, whatsapp
from tollhouse.services import licence_setup as setup
from tollhouse.services.auth import authenticate, create_key
from tollhouse.services.runtime import Runtime

PROVIDER = "wwdemoprov"
SECRET = "demo-provider-secret"  # noqa: S105 - a printed demo credential, sandbox only
CORPS = (
    ("wwdemo-acme", "Acme Trading", False, 40),
    ("wwdemo-blue", "Blue Ocean Foods", False, 12),
    ("wwdemo-test", "Demo Test Corp", True, 5),
)
RESALE = {
    "tiers": {
        "basic": [
            {"from": 1, "to": 5, "unit_price": 900},
            {"from": 6, "to": 200, "unit_price": 700},
            {"from": 201, "to": 1000, "unit_price": 500},
            {"from": 1001, "to": None, "unit_price": "custom"},
        ],
        "interop": [
            {"from": 1, "to": 100, "unit_price": 8000},
            {"from": 101, "to": None, "unit_price": 6500},
        ],
    },
    "first_purchase_min_months": 12,
    "addon_tier_start": "first_tier",
}
DEMO_STEPS = (licence_codes.demo_data, editions.demo_data, massend.demo_data, whatsapp.demo_data)


def credentials_path() -> Path:
    return Path(os.environ.get("TOLLHOUSE_DATA_DIR", "var")) / "demo-credentials.json"


def ensure_demo(runtime: Runtime) -> dict[str, Any]:
    info = _wecom(runtime)
    info["operator_key"] = _operator_key(runtime)
    for step in DEMO_STEPS:
        info.update(step(runtime))
    return info


def _wecom(runtime: Runtime) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        exists = uow.licences.provider(PROVIDER) is not None
    if not exists:
        now = runtime.system_clock.now().replace(microsecond=0)
        setup.create_provider(
            runtime,
            setup.NewProvider(
                corpid=PROVIDER,
                provider_secret=SECRET,
                name="Demo ISV",
                sandbox=True,
                clock_now=now,
                admins=["admin1"],
                balance_fen=1_000_000,
            ),
        )
        for corpid, name, is_test, size in CORPS:
            members = [
                {"userid": f"user{i:03d}", "name": f"{name} member {i}"} for i in range(1, size + 1)
            ]
            setup.save_corp(runtime, PROVIDER, corpid, name=name, is_test=is_test, members=members)
            setup.install_app(
                runtime,
                PROVIDER,
                corpid,
                "demo-suite",
                at=now - timedelta(days=100 if not is_test else 1),
            )
        with runtime.uow() as uow:
            uow.licences.save_profile(PROVIDER, "demo-resale", RESALE, at=now)
            uow.commit()
    return {"provider": PROVIDER, "secret": SECRET, "tenant": setup.tenant_id_of(PROVIDER)}


def _operator_key(runtime: Runtime) -> str:
    path = credentials_path()
    if path.exists():
        stored = str(json.loads(path.read_text(encoding="utf-8"))["operator_key"])
        try:
            authenticate(runtime, stored)
        except TollhouseError:
            pass  # the store was reset since: make a new key
        else:
            return stored
    _, raw = create_key(runtime, name="demo operator")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"operator_key": raw, "created_at": datetime.now(tz=UTC).isoformat()}),
        encoding="utf-8",
    )
    path.chmod(0o600)
    return raw
