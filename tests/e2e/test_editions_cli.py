"""`tollhouse editions import` and `price-table` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.e2e.editions_support import SPEC_STRATEGY
from tollhouse.cli import context
from tollhouse.cli.main import app
from tollhouse.services import editions as svc

TOML = """
trial_days = 30

[extra_trial]
enabled = true
days = 7

[[editions]]
edition_id = "tier-y"
edition_name = "Tiered"
basic = true
cycle = "year"
rule = { type = "tiered", tiers = [
  { from = 1, to = 50, fixed_price_fen = 600000 },
  { from = 51, to = 200, unit_price_fen = 10000 },
  { from = 201, unit_price_fen = 8000 },
] }
"""


def test_import_a_toml_strategy_and_print_its_price_table(runtime: Any, tmp_path: Path) -> None:
    svc.create_vendor(runtime, "wwvendor")
    svc.add_suite(runtime, "wwvendor", "suite1", "s")
    svc.create_app(runtime, "wwvendor", suite_id="suite1", corpid="wwcorpA")
    path = tmp_path / "strategy.toml"
    path.write_text(TOML, encoding="utf-8")
    context.set_runtime(runtime)
    try:
        result = CliRunner().invoke(app, ["editions", "import", "suite1.wwcorpA", str(path),
                                          "--headcounts", "35,120,201", "--cycles", "2"])
    finally:
        context.set_runtime(None)
    assert result.exit_code == 0, result.output
    assert "¥12,000.00" in result.output  # X4: 120 people
    assert "¥16,080.00" in result.output  # X4: 201 people
    assert svc.get_strategy(runtime, "suite1.wwcorpA")["version"] == 1


def test_an_invalid_file_exits_1_with_every_problem(runtime: Any, tmp_path: Path) -> None:
    body = json.loads(json.dumps(SPEC_STRATEGY))
    body["editions"][5]["discount"]["rows"][0]["bonus_days"] = 128
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    result = CliRunner().invoke(app, ["editions", "price-table", str(path)])
    assert result.exit_code == 1
    assert "wecom.editions.bonus_above_cap" in result.output
    assert "editions[5].discount.rows[0]" in result.output


def test_price_table_of_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SPEC_STRATEGY), encoding="utf-8")
    result = CliRunner().invoke(app, ["editions", "price-table", str(path), "--edition",
                                      "std-y", "--headcounts", "4,37,500", "--cycles", "3"])
    assert result.exit_code == 0, result.output
    assert "¥7,363.00" in result.output  # X1
    assert "headcount_below_min" in result.output  # X8
