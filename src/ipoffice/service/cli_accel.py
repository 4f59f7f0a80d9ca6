"""`ipoffice accel build|status|clean`: the compiled copies of hot modules (``ipoffice.accel``).

`make install` runs `build`; it needs Cython and a C compiler, and without them everything runs as Python with the
same results. Exit codes as elsewhere: 0 done, 1 some module did not compile (reported; it runs as Python),
2 nothing done (no Cython).
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

import typer
from rich.console import Console

from ipoffice import accel
from ipoffice.service.output import emit, fail

accel_app = typer.Typer(no_args_is_help=True, help="Compiled copies of the hot trademark modules (Cython).")
out = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _show(rows: list[dict], as_json: bool, **extra: object) -> None:
    if as_json:
        emit({"dir": str(accel.accel_dir()), "pure": accel.pure(), **extra, "results": rows})
        return
    for r in rows:
        state = "compiled" if r.get("built") else "python"
        note = f"  {r['error']}" if r.get("error") else ""
        out.print(f"{r['module']:<34} {state}{note}", highlight=False)


@accel_app.command("build")
def build_cmd(
    force: Annotated[bool, typer.Option("--force", help="Compile again even where a build matches.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compile the modules whose source changed since their last build (about a minute for all, on 2 cores)."""
    try:
        with out.status("compiling (Cython, then the C compiler)", spinner="dots") if not as_json else nullcontext():
            rows = accel.build(force=force)
    except ImportError as exc:
        raise fail(
            f"cannot compile: {exc} (install Cython: pip install -e '.[accel]'); running as Python", as_json
        ) from None
    _show(rows, as_json)
    if any(r["error"] for r in rows):
        raise typer.Exit(1)


@accel_app.command("status")
def status_cmd(as_json: JsonOpt = False) -> None:
    """Which modules have a compiled copy that matches their source now."""
    _show(accel.status(), as_json)


@accel_app.command("clean")
def clean_cmd(as_json: JsonOpt = False) -> None:
    """Remove every compiled copy (everything then runs as Python)."""
    n = accel.clean()
    if as_json:
        emit({"dir": str(accel.accel_dir()), "removed": n, "results": []})
    else:
        out.print(f"removed {n} compiled module folder(s) from {accel.accel_dir()}")
