"""CLI commands of the whatsapp capability."""

from __future__ import annotations

import typer

app = typer.Typer(help="whatsapp commands.", no_args_is_help=True)
