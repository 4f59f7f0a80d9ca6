"""`ipoffice tm ...`: the trademark examiner's commands (conflict search)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
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


@tm_app.command("watch")
def tm_watch(
    gazette: Annotated[str, typer.Option("--gazette", help="Gazette CSV/JSONL: contract columns + publication_date.")],
    marks: Annotated[str | None, typer.Option("--marks", help="Watched marks file (contract CSV/JSONL).")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Watch this owner's marks in the register.")] = None,
    classes: Annotated[list[str] | None, typer.Option("--classes", help="Only these Nice classes, e.g. 9,42")] = None,
    published: Annotated[str | None, typer.Option(help="Publication date of the whole gazette (YYYY-MM-DD).")] = None,
    today: Annotated[str | None, typer.Option(help="Count days left as of this date (default: today).")] = None,
    engine: Annotated[str, typer.Option(help="Whole-register mode: auto, duckdb, spark or online.")] = "auto",
    top: Annotated[int, typer.Option(min=1, max=1000, help="Whole-register mode: hits per gazette mark.")] = 20,
    out_path: Annotated[str | None, typer.Option("--out", help="Write the report: .md or .html, and .json.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Newly published marks an earlier mark could oppose, with the opposition window (Art. 33) per conflict."""
    from pathlib import Path

    from rich.progress import Progress

    from ipoffice.core.roles import SYSTEM
    from ipoffice.service.cli import _store, emit, fail, out
    from ipoffice.trademarks.search import SearchInputError, parse_classes
    from ipoffice.trademarks.watch import WatchInputError, read_gazette, read_marks, watch, write_report

    if marks and owner:
        raise fail("give --marks or --owner, not both (neither: the whole register)", as_json)
    if engine not in ("auto", "duckdb", "spark", "online"):
        raise fail(f"--engine {engine!r}: one of auto, duckdb, spark, online", as_json)
    dates: dict[str, dt.date | None] = {}
    for name, value in (("--published", published), ("--today", today)):
        try:
            dates[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise fail(f"{name} {value!r} is not a date (YYYY-MM-DD)", as_json) from None
    try:
        cls = parse_classes(*(classes or []))
        rows, errors = read_gazette(Path(gazette), dates["--published"])
        watched = None
        if marks:
            watched, mark_errors = read_marks(Path(marks))
            errors += mark_errors
            if not watched:
                raise WatchInputError(f"marks file {marks!r}: no usable mark ({len(mark_errors)} rows rejected)")
    except (SearchInputError, WatchInputError) as exc:
        raise fail(str(exc), as_json) from None
    if not rows:
        msg = f"gazette {gazette!r}: no usable row"
        raise fail(msg + (f"; first problem: {errors[0]}" if errors else ""), as_json, errors=[str(e) for e in errors])
    store = _store()
    with Progress(transient=True, disable=as_json) as bar:
        task = bar.add_task("comparing the gazette", total=len(rows))
        try:
            report = watch(
                store,
                SYSTEM,
                rows,
                watched=watched,
                owner=owner,
                classes=cls or None,
                today=dates["--today"],
                engine=engine,
                top=top,
                errors=errors,
                progress=lambda n, total: bar.update(task, completed=n, total=total),
            )
        except WatchInputError as exc:
            raise fail(str(exc), as_json) from None
    if out_path:
        report["written"] = [str(p) for p in write_report(report, Path(out_path))]
    code = 1 if errors else 0
    if as_json:
        emit(report)
        raise typer.Exit(code)
    s = report["summary"]
    for w in report["warnings"]:
        out.print(f"[yellow]warning:[/yellow] {w}")
    out.print(
        f"{s['conflicts']} conflict(s) for {s['watched_with_conflicts']} watched mark(s) in {s['gazette_marks']} "
        f"gazette mark(s); {s['open_windows']} with the opposition window open ({report['engine']})"
    )
    for e in report["results"]:
        if not e["conflicts"]:
            continue
        w = e["watched"]
        out.print(f"[bold]{w['number']} {w['mark']}[/bold] ({w['status']}) next deadline {e['next_deadline']}")
        for c in e["conflicts"]:
            o = c["opposition"]
            codes = ", ".join(r["code"] for r in c["reasons"])
            out.print(
                f"    {c['number']} {c['mark']}  published {o['opens']}  oppose by {o['deadline']} "
                f"({o['days_left']} days, {o['state']})  {codes}",
                highlight=False,
            )
    for e in report["errors"]:
        out.print(f"[red]rejected:[/red] {e['path']}, record {e['record']}, field {e['field'] or '-'}: {e['message']}")
    for p in report.get("written", []):
        out.print(f"wrote {p}")
    raise typer.Exit(code)


# --- key index and batch (trademarks.index, trademarks.batch) ------------------------------------------------

index_app = typer.Typer(no_args_is_help=True, help="The key index the conflict search uses at scale.")
tm_app.add_typer(index_app, name="index")


def _index_command(action: str, as_json: bool) -> None:
    import time

    from ipoffice.service.cli import _store, emit, out
    from ipoffice.trademarks import index as tmi

    store = _store()
    t0 = time.perf_counter()
    with store.session() as s:
        meta = tmi.build(s) if action == "build" else tmi.update(s)
    meta = dict(meta)
    meta.setdefault("action", "built")
    meta["bytes"] = tmi.index_bytes(tmi.default_dir())
    meta["seconds"] = round(time.perf_counter() - t0, 2)
    row = {k: meta.get(k) for k in ("action", "marks", "postings", "bytes", "seconds", "changed")}
    row["segments"] = len(meta.get("segments", []))
    row["path"] = str(tmi.default_dir())
    if as_json:
        emit({"results": [row]})
        return
    out.print(
        f"trademark index {row['action']}: {row['marks']} marks, {row['postings']} postings, "
        f"{row['segments']} segment(s), {row['bytes'] / 2**20:.1f} MiB in {row['seconds']}s ({row['path']})"
    )


@index_app.command("build")
def tm_index_build(as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Build the key index of the whole register (replaces the old one)."""
    _index_command("build", as_json)


@index_app.command("update")
def tm_index_update(as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Index the marks imported or changed since the last build or update (searches also do it lazily)."""
    _index_command("update", as_json)


@tm_app.command("batch")
def tm_batch(
    gazette: Annotated[Path, typer.Option("--gazette", help="CSV or JSONL of gazette marks (contract columns).")],
    engine: Annotated[str, typer.Option(help="duckdb (one machine) or spark (local mode here).")] = "duckdb",
    top: Annotated[int, typer.Option(min=1, max=1000, help="Hits per gazette mark.")] = 20,
    dead: Annotated[bool, typer.Option("--dead", help="Also list dead marks, apart.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Every gazette mark against the register (earlier marks on its goods), as a DuckDB or Spark job."""
    from ipoffice.service.cli import _store, emit, fail, out
    from ipoffice.trademarks.batch import ENGINES, GazetteError, run_gazette

    if engine not in ENGINES:
        raise fail(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}", as_json)
    try:
        res = run_gazette(_store(), gazette, engine, top=top, include_dead=dead)
    except GazetteError as exc:
        raise fail(str(exc), as_json) from None
    bad = [r for r in res if r.get("error")]
    if as_json:
        emit({"gazette": str(gazette), "engine": engine, "rejected": len(bad), "results": res})
    else:
        for r in res:
            if r.get("error"):
                out.print(f"[red]rejected:[/red] {r['error']}")
                continue
            out.print(f"[bold]{r['number']}[/bold] {r['mark']}: {len(r['results'])} earlier mark(s)")
            for h in r["results"]:
                codes = ", ".join(x["code"] for x in h["reasons"])
                out.print(f"    {h['number']} {h['mark']}  {h['score']:.2f}  {h['status']}  ({codes})")
    if bad and len(bad) == len(res):
        raise typer.Exit(2)
    if bad:
        raise typer.Exit(1)
