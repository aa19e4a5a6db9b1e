"""CLI commands of the wechat capability."""

from __future__ import annotations

import typer

app = typer.Typer(help="wechat commands.", no_args_is_help=True)
