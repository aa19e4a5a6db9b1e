"""`tollhouse whatsapp …`: historical status imports, rate-card imports, statement exports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from tollhouse.cli.context import emit_json, handled, out, progress, runtime
from tollhouse.services import whatsapp_billing as billing
from tollhouse.services import whatsapp_imports as imports
from tollhouse.services import whatsapp_pdf

app = typer.Typer(help="WhatsApp usage: imports, rate cards, statements.", no_args_is_help=True)


@app.command("import-statuses")
@handled
def import_statuses(
    path: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="CSV (waba_id,phone_number_id,wamid,status,timestamp,…) "
        "or JSON lines of historical statuses.",
    ),
    fmt: str = typer.Option("", "--format", help="csv or jsonl (default: from the suffix)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import historical statuses, rated at their own timestamps (R-IN-2).

    Example: tollhouse whatsapp import-statuses statuses-2026-02.csv
    """
    kind = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    rows = list(imports.status_records(path.read_text("utf-8"), fmt=kind))
    with progress(len(rows), f"importing {path.name}") as advance:
        summary = imports.import_statuses(runtime(), rows, on_progress=advance)
    if as_json:
        emit_json(summary)
        return
    out.print(
        f"{summary['statuses']} statuses, {summary['stored']} new, "
        f"{summary['duplicates']} duplicates, {summary['charges']} charges "
        f"({summary['unrated']} unrated), {len(summary['rejected'])} rejected rows"
    )


@app.command("import-records")
@handled
def import_records(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="NDJSON §4.10 records."),
) -> None:
    """Import §4.10 records (webhooks, tokens, numbers, templates, add-ons, top-ups).

    Example: tollhouse whatsapp import-records records.ndjson
    """
    lines = path.read_text("utf-8").splitlines()
    with progress(len(lines), f"importing {path.name}") as advance:
        summary = imports.import_lines(runtime(), lines, on_progress=advance)
    emit_json(summary)


@app.command("ratecards-import")
@handled
def ratecards_import(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A §4.8 card CSV."),
    markets: bool = typer.Option(False, "--markets", help="The file is a §4.9 market table."),
) -> None:
    """Validate and import a rate card (versioned, immutable; R-RC-5).

    Example: tollhouse whatsapp ratecards-import usd-pmp-2026-07-01.csv
    """
    info, created = billing.import_card(
        runtime(), path.read_text("utf-8-sig"), kind="markets" if markets else "rates"
    )
    out.print(
        f"{'imported' if created else 'already imported'}: version {info['version']}, "
        f"{info['rows']} rows, effective {', '.join(info['effective_from'])}"
    )


@app.command("statement")
@handled
def statement(
    account: str = typer.Argument(..., help="Billing account id."),
    month: str = typer.Argument(..., help="YYYY-MM"),
    currency: str = typer.Option(None, "--currency", help="Needed with two currencies (D-26)."),
    fmt: str = typer.Option("json", "--format", help="json, csv or pdf."),
    output: Path | None = typer.Option(None, "--out", help="Write to this file (pdf needs it)."),
) -> None:
    """Export a monthly statement.

    Example: tollhouse whatsapp statement acme 2026-02 --format pdf --out acme-2026-02.pdf
    """
    body = billing.get_statement(runtime(), account, month, currency)
    if fmt == "pdf":
        data = whatsapp_pdf.statement_pdf(body)
    elif fmt == "csv":
        data = billing.statement_csv(body).encode()
    else:
        data = (json.dumps(body, indent=2) + "\n").encode()
    if output is not None:
        output.write_bytes(data)
        out.print(
            f"wrote {output} ({len(data)} bytes), total {body['total']} "
            f"{body['currency']} minor units"
        )
    elif fmt == "pdf":
        raise typer.BadParameter("a PDF needs --out FILE", param_hint="--out")
    else:
        sys.stdout.write(data.decode())
