"""`ipoffice tm ...`: the trademark examiner's commands (conflict search)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

tm_app = typer.Typer(no_args_is_help=True, help="Trademarks: conflict search for earlier similar marks.")


@tm_app.command("search")
def tm_search(
    mark: Annotated[str, typer.Argument(help="The mark applied for.")],
    goods: Annotated[list[str] | None, typer.Option("--goods", help="Goods/services text (repeatable).")] = None,
    classes: Annotated[list[str] | None, typer.Option("--classes", help="Nice classes, e.g. 9,42")] = None,
    groups: Annotated[list[str] | None, typer.Option("--groups", help="类似群 codes, e.g. 0901,4220")] = None,
    before: Annotated[str | None, typer.Option(help="Only marks filed before this date (YYYY-MM-DD).")] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="Number of hits.")] = 20,
    dead: Annotated[bool, typer.Option("--dead", help="Also list dead marks, apart.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Earlier identical or similar marks on identical or similar goods, each with the rules it meets."""
    from ipoffice.core.roles import SYSTEM
    from ipoffice.service.cli import _store, emit, fail, out
    from ipoffice.trademarks.search import ConflictQuery, SearchInputError, conflict_search, parse_classes, split_list

    try:
        cls = parse_classes(*(classes or []))
    except SearchInputError as exc:
        raise fail(str(exc), as_json) from None
    try:
        before_d = dt.date.fromisoformat(before) if before else None
    except ValueError:
        raise fail(f"--before {before!r} is not a date (YYYY-MM-DD)", as_json) from None
    q = ConflictQuery(
        mark=mark,
        classes=cls,
        groups=set(split_list(*(groups or []))),
        goods=list(goods or []),
        before=before_d,
        top=top,
        include_dead=dead,
    )
    store = _store()
    with store.session() as s:
        try:
            res = conflict_search(s, SYSTEM, q)
        except SearchInputError as exc:
            raise fail(str(exc), as_json) from None
    if as_json:
        emit(res)
        return
    for w in res["warnings"]:
        out.print(f"[yellow]warning:[/yellow] {w}")
    out.print(
        f"{len(res['results'])} earlier mark(s) that could conflict with {mark!r} "
        f"({res['considered']} on those goods considered)"
    )
    for h in res["results"]:
        out.print(
            f"[bold]{h['number']}[/bold] {h['mark']}  score {h['score']:.2f}  classes {h['classes']}  {h['status']}"
        )
        for r in h["reasons"]:
            out.print(f"    {r['code']}: {r['text']} ({r['evidence']})")
    for h in res.get("dead", []):
        out.print(f"[dim]dead: {h['number']} {h['mark']} {h['status']}[/dim]")
