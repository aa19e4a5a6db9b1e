"""The `tollhouse wechat` commands: accounts, CSV import with tags, follower states, website
sends, quotas and the "who can still receive" preview."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tollhouse.cli import context
from tollhouse.cli.main import app
from tollhouse.services import massend as svc
from tollhouse.services.runtime import Runtime

runner = CliRunner()


@pytest.fixture
def cli(sqlite_runtime: Runtime) -> Iterator[Runtime]:
    context.set_runtime(sqlite_runtime)
    yield sqlite_runtime
    context.set_runtime(None)


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_account_import_states_web_send_and_reach(cli: Runtime, tmp_path: Path) -> None:
    created = json.loads(run("wechat", "accounts", "create", "--type", "service",
                             "--appid", "wx00000000000c1100", "--now",
                             "2026-09-10T10:00:00+08:00"))
    appid = created["appid"]
    rows = ["openid,wxname,receive_off,tags"]
    rows += [f"{svc.generated_openid(appid, i)},{'alice' if i == 0 else ''},"
             f"{'yes' if i == 1 else ''},{'vip;news' if i < 3 else 'news'}" for i in range(2500)]
    csv_file = tmp_path / "followers.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    assert json.loads(run("wechat", "followers", "import", appid, str(csv_file)))[
        "created"] == 2500
    with cli.uow(readonly=True) as uow:
        vip = uow.massend.tag_by_name(appid, "vip")["tag_id"]
        assert uow.massend.count_current(appid, vip) == 3
    first, second, third = (svc.generated_openid(appid, i) for i in range(3))
    run("wechat", "followers", "set", appid, third, "--unsubscribed")
    sent = json.loads(run("wechat", "web-send", appid, "--text", "Hello", "--tag", str(vip)))
    assert sent["status"] == "SEND_SUCCESS"
    reach = json.loads(run("wechat", "reach", appid, "--tag", str(vip), "--json"))
    assert reach["total"] == 2  # the unsubscribed follower left the tag's audience
    assert reach["filtered"] == {"former_follower": 0, "receive_off": 1, "at_cap": 0}
    assert json.loads(run("wechat", "followers", "quota", appid, first))["received"] == 1
    quota = json.loads(run("wechat", "accounts", "quota", appid))
    assert quota["history"]["month"]["used"] == 1
    table = run("wechat", "reach", appid)
    assert "2499" in table  # everyone still subscribed is targeted


def test_cli_refusal_exits_1_with_the_code(cli: Runtime) -> None:
    svc.create_account(cli, svc.NewAccount(appid="wx00000000000c1101",
                                           now=datetime(2026, 9, 1, tzinfo=UTC)))
    result = runner.invoke(app, ["wechat", "followers", "set", "wx00000000000c1101", "oNobody",
                                 "--receive-off"])
    assert result.exit_code == 1
    assert "wechat.follower.unknown" in result.stderr
