"""`tollhouse editions`: import a pricing strategy from JSON or TOML and print price tables."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tollhouse.cli.context import emit_json, err, handled, out, runtime
from tollhouse.domain.editions import parse_strategy
from tollhouse.services import editions as svc

app = typer.Typer(
    help="Paid app editions: pricing strategies and price tables.", no_args_is_help=True
)


def fen(value: int) -> str:
    yuan, cents = divmod(value, 100)
    return f"¥{yuan:,}.{cents:02d}"


def read_strategy(path: Path) -> Any:
    """A strategy body from a .json or .toml file (TOML: `[[editions]]` tables, `to = -1`
    or an omitted `to` for an open last tier)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        body = tomllib.loads(text)
        for edition in body.get("editions", []):
            for tier in edition.get("rule", {}).get("tiers", []):
                if tier.get("to", -1) == -1:
                    tier["to"] = None
        return body
    return json.loads(text)


def print_tables(body: Any, headcounts: list[int], cycles: int, *, edition: str | None) -> None:
    strategy = parse_strategy(body)
    for item in strategy.editions:
        if edition and item.edition_id != edition:
            continue
        rows = svc.price_table(
            strategy, item.edition_id, headcounts=headcounts, cycles=list(range(1, cycles + 1))
        )
        table = Table(
            "people",
            *[f"{n} × {item.cycle.value}" for n in range(1, cycles + 1)],
            title=f"{item.edition_name} ({item.edition_id})",
        )
        for count, row in zip(headcounts, rows, strict=True):
            table.add_row(str(count), *[fen(c) if isinstance(c, int) else c for c in row])
        out.print(table)


def _counts(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip()]


@app.command("import")
@handled
def import_strategy(
    app_id: str = typer.Argument(..., help="The app (suite.corpid) whose strategy this is."),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .json or .toml file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and print; save nothing."),
    headcounts: str = typer.Option("1,5,10,50,100,200,500", help="Rows of the price table."),
    cycles: int = typer.Option(3, min=1, max=12, help="Columns: 1..N cycles."),
    as_json: bool = typer.Option(False, "--json", help="Print the saved strategy as JSON."),
) -> None:
    """Validate and save a strategy as the app's next version, then print its price table.

    Example: tollhouse editions import suite1.wwcorpA strategy.toml --dry-run
    """
    body = read_strategy(path)
    parse_strategy(body)
    if dry_run:
        err.print("valid; nothing saved (--dry-run)")
        print_tables(body, _counts(headcounts), cycles, edition=None)
        return
    saved = svc.put_strategy(runtime(), app_id, body)
    if as_json:
        emit_json(saved)
        return
    err.print(f"saved version {saved['version']} of {app_id}")
    print_tables(body, _counts(headcounts), cycles, edition=None)


@app.command("price-table")
@handled
def price_table(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .json or .toml file."),
    edition: str = typer.Option(None, help="Only this edition_id."),
    headcounts: str = typer.Option("1,5,10,50,100,200,500", help="Rows of the table."),
    cycles: int = typer.Option(3, min=1, max=12, help="Columns: 1..N cycles."),
) -> None:
    """Print head-count × duration prices of a strategy file (nothing is saved).

    Example: tollhouse editions price-table strategy.json --edition std-y --cycles 5
    """
    print_tables(read_strategy(path), _counts(headcounts), cycles, edition=edition)
