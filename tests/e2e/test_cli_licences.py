"""The `tollhouse` CLI for providers, corps, members, price lists, quotes and orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tollhouse.cli import context
from tollhouse.cli.main import app

runner = CliRunner()


@pytest.fixture
def cli(runtime: Any) -> Iterator[Any]:
    context.set_runtime(runtime)

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args))

    yield invoke
    context.set_runtime(None)


def test_a_provider_corp_and_members_from_csv_then_a_quote(cli: Any, tmp_path: Path,
                                                          runtime: Any) -> None:
    created = cli("providers", "create", "wwcli", "--secret", "s3", "--admin", "admin1")
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["tenant"] == "wecom:wwcli"
    assert cli("corps", "create", "wwcli", "wwcorp").exit_code == 0
    csv_file = tmp_path / "members.csv"
    csv_file.write_text("userid,name,in_service,visible\n"
                        + "".join(f"u{i},User {i},1,1\n" for i in range(250)), encoding="utf-8")
    imported = cli("members", "import", "wwcli", "wwcorp", str(csv_file), "--batch", "100")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {"rows": 250, "created": 250}
    with runtime.uow() as uow:
        assert uow.licences.member_count("wwcli", "wwcorp") == 250
    quote = cli("licences", "quote", "wwcli", "wwcorp", "--basic", "8", "--months", "12",
                "--json")
    assert quote.exit_code == 0, quote.output
    assert json.loads(quote.stdout)["price"] == 3_700  # 5 × 500 + 3 × 400


def test_reseller_profile_from_json_and_custom_quote(cli: Any, tmp_path: Path) -> None:
    cli("providers", "create", "wwcli", "--secret", "s3", "--admin", "admin1")
    cli("corps", "create", "wwcli", "wwcorp")
    profile = tmp_path / "list.json"
    profile.write_text(json.dumps({"tiers": {"basic": [
        {"from": 1, "to": 10, "unit_price": 1000},
        {"from": 11, "to": None, "unit_price": "custom"}]}}), encoding="utf-8")
    assert cli("licences", "profile-set", "wwcli", "small", str(profile)).exit_code == 0
    priced = cli("licences", "quote", "wwcli", "wwcorp", "--basic", "10", "--profile", "small")
    assert "price: 10000 fen" in priced.stdout
    custom = cli("licences", "quote", "wwcli", "wwcorp", "--basic", "11", "--profile", "small")
    assert "custom quote required" in custom.stdout


def test_refusals_exit_1_with_the_error_code(cli: Any) -> None:
    cli("providers", "create", "wwcli", "--secret", "s3")
    again = cli("providers", "create", "wwcli", "--secret", "s3")
    assert again.exit_code == 1
    assert "error[wecom.provider.exists]" in again.stderr
    bad = cli("licences", "quote", "wwcli", "nocorp", "--basic", "1")
    assert bad.exit_code == 1
    assert "wecom.licences.40013" in bad.stderr


def test_keys_create_prints_a_working_key(cli: Any, runtime: Any) -> None:
    created = cli("keys", "create", "--name", "ops")
    assert created.exit_code == 0, created.output
    raw = json.loads(created.stdout)["key"]
    from tollhouse.services.auth import authenticate  # noqa: PLC0415

    assert authenticate(runtime, raw).is_operator
    listed = json.loads(cli("keys", "list").stdout)
    assert listed[0]["name"] == "ops"
    assert "key" not in listed[0]


def test_clock_advance_runs_due_work(cli: Any, runtime: Any) -> None:
    from tests.factories import a_provider  # noqa: PLC0415
    from tollhouse.domain.licences import Duration  # noqa: PLC0415
    from tollhouse.services import licence_orders as orders  # noqa: PLC0415

    a_provider(runtime)
    orders.create_new_order(runtime, "wwprov", orders.NewOrder("wwcorpA", "admin1", 1, 0,
                                                               Duration(1)))
    moved = cli("clock", "advance", "wecom:wwprov", "--days", "8")
    assert moved.exit_code == 0, moved.output
    assert "licences.order_expired" in [r["kind"] for r in json.loads(moved.stdout)["ran"]]
    listed = cli("licences", "orders", "wwprov")
    assert "wwcorpA" in listed.stdout
