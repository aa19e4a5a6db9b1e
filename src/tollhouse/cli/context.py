"""What every CLI command shares: the runtime (built lazily), output helpers, exit codes.

Exit codes: 0 success; 1 refused by a rule (a TollhouseError, shown with its code); 2 usage
error (click's own); 3 environment problem (database unreachable, migrations failing).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from tollhouse.domain.errors import PlatformRuleViolation, TollhouseError
from tollhouse.services.runtime import Runtime

out = Console()
err = Console(stderr=True)
_state: dict[str, Any] = {"runtime": None, "debug": False}
P = ParamSpec("P")
R = TypeVar("R")


def runtime() -> Runtime:
    if _state["runtime"] is None:
        from tollhouse.bootstrap import build_runtime  # noqa: PLC0415

        try:
            _state["runtime"] = build_runtime()
        except OperationalError as exc:
            err.print(
                f"error[environment]: cannot open the database: {exc.orig}",
                markup=False,
                style="red",
            )
            raise typer.Exit(3) from exc
    rt: Runtime = _state["runtime"]
    return rt


def set_runtime(value: Runtime | None) -> None:
    """Tests hand the CLI a runtime built on their own engine and clock."""
    _state["runtime"] = value


def set_debug(value: bool) -> None:
    _state["debug"] = value


def code_of(error: TollhouseError) -> str:
    return error.dotted_code if isinstance(error, PlatformRuleViolation) else error.code


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Map TollhouseError to exit code 1 with `error[code]: message` on stderr."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TollhouseError as error:
            if _state["debug"]:
                raise
            err.print(
                f"error[{code_of(error)}]: {error.message}",
                markup=False,
                highlight=False,
                style="red",
            )
            raise typer.Exit(1) from error

    return wrapper


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def progress(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (stdout stays clean for --json)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn  # noqa: PLC0415

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
