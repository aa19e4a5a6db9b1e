"""CLI commands of the licence_codes capability."""

from __future__ import annotations

import typer

app = typer.Typer(help="licence_codes commands.", no_args_is_help=True)
