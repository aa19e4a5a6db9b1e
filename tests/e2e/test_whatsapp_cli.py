"""`tollhouse whatsapp …` through Typer's CliRunner: historical imports with a progress bar,
rate-card imports and statement exports."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tollhouse.cli import context
from tollhouse.cli.main import app
from tollhouse.services import whatsapp as setup
from tollhouse.services.runtime import Runtime

COLUMNS = ["waba_id", "phone_number_id", "wamid", "status", "timestamp", "recipient_id",
           "pricing_model", "pricing_type", "category", "conversation_id", "error_code"]


@pytest.fixture
def cli(sqlite_runtime: Runtime) -> Iterator[CliRunner]:
    setup.create_account(sqlite_runtime, setup.NewAccount("acme", "Acme", "UTC", ["USD"], True,
                                                          None))
    setup.create_waba(sqlite_runtime, {"waba_id": "W1", "billing_account": "acme",
                                       "currency": "USD", "time_zone": "UTC",
                                       "phone_numbers": [{"phone_number_id": "P1"}]})
    context.set_runtime(sqlite_runtime)
    yield CliRunner()
    context.set_runtime(None)


def test_historical_csv_import_rates_at_the_statuses_own_time(cli: CliRunner,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "statuses.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for index in range(300):
            for kind in ("sent", "delivered"):
                writer.writerow(["W1", "P1", f"wamid.{index}", kind, 1770714000 + index,
                                 "5511912345678", "PMP", "regular", "marketing", "", ""])
        writer.writerow(["W1", "P1", "bad", "exploded", "x", "", "", "", "", "", ""])
    result = cli.invoke(app, ["whatsapp", "import-statuses", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"charges": 300' in result.stdout
    again = cli.invoke(app, ["whatsapp", "import-statuses", str(path), "--json"])
    assert '"charges": 0' in again.stdout
    out = tmp_path / "acme.pdf"
    pdf = cli.invoke(app, ["whatsapp", "statement", "acme", "2026-02", "--format", "pdf",
                           "--out", str(out)])
    assert pdf.exit_code == 0, pdf.output
    assert out.read_bytes().startswith(b"%PDF-1.4")
    as_csv = cli.invoke(app, ["whatsapp", "statement", "acme", "2026-02", "--format", "csv"])
    assert "meta,Brazil,marketing,regular,,300,0.0625,18.7500,1875," in as_csv.stdout


def test_rate_card_import_reports_the_bad_line_with_exit_code_1(cli: CliRunner,
                                                               tmp_path: Path) -> None:
    card = tmp_path / "card.csv"
    card.write_text("effective_from,currency,market,category,rate,tier_from,tier_to\n"
                    "2026-05-01,USD,Indonesa,marketing,0.0411,,\n")
    result = cli.invoke(app, ["whatsapp", "ratecards-import", str(card)])
    assert result.exit_code == 1
    assert "whatsapp.rate_card.invalid" in result.output
    card.write_text("effective_from,currency,market,category,rate,tier_from,tier_to\n"
                    "2026-05-01,USD,Indonesia,marketing,0.0411,,\n")
    ok = cli.invoke(app, ["whatsapp", "ratecards-import", str(card)])
    assert ok.exit_code == 0
    assert "imported: version" in ok.output
