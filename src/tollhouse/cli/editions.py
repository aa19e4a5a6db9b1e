"""CLI commands of the editions capability."""

from __future__ import annotations

import typer

app = typer.Typer(help="editions commands.", no_args_is_help=True)
