"""What every command prints: one JSON object on stdout with `--json`, errors on stderr.

Shared by the main CLI and the desk CLIs (deadlines, search, workflow, trademarks) so that the
conventions scripts rely on live in one place.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True)


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def fail(message: str, as_json: bool, code: int = 2, **extra: Any) -> typer.Exit:
    """Report an error (as `{"error": ...}` too with --json) and return the Exit to raise."""
    if as_json:
        emit({"error": message, **extra})
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(code)
