"""Readable builders for the spec's common set-ups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tollhouse.services import licence_setup as setup
from tollhouse.services.runtime import Runtime

# 2024-05-06 10:00:00 Asia/Shanghai, the "now" of the licence spec's worked examples
SPEC_NOW = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def a_provider(runtime: Runtime, corpid: str = "wwprov", *, now: datetime = SPEC_NOW,
               **extra: Any) -> str:
    """Provider with admin `admin1`, corp `wwcorpA` (app installed long ago, members u1…u9),
    and test corp `wwtest`, on a sandbox clock at `now`."""
    setup.create_provider(runtime, setup.NewProvider(
        corpid=corpid, provider_secret=f"{corpid}-secret", name=f"{corpid} Ltd", sandbox=True,
        clock_now=now, admins=["admin1"], callback_url="https://isv.example/wecom/callback",
        callback_token="tok", encoding_aes_key=AES_KEY, balance_fen=extra.pop("balance_fen", None),
        settings=extra.pop("settings", None)))
    members = [{"userid": f"u{i}", "name": f"User {i}"} for i in range(1, 10)]
    for corp, is_test in (("wwcorpA", False), ("wwtest", True)):
        a_corp(runtime, corpid, corp, is_test=is_test, members=members)
    return corpid


def a_corp(runtime: Runtime, provider: str, corpid: str, *, is_test: bool = False,
           members: list[dict[str, Any]] | None = None,
           installed_at: datetime = datetime(2023, 1, 1, tzinfo=UTC)) -> None:
    setup.save_corp(runtime, provider, corpid, name=corpid, is_test=is_test,
                    members=members or [])
    setup.install_app(runtime, provider, corpid, "suite1", at=installed_at)


def token_for(client: Any, corpid: str = "wwprov") -> str:
    answer = client.post("/cgi-bin/service/get_provider_token",
                         json={"corpid": corpid, "provider_secret": f"{corpid}-secret"}).json()
    assert answer["errcode"] == 0, answer
    return str(answer["provider_access_token"])
