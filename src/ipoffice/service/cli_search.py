"""`ipoffice index build|update|check` and `ipoffice search QUERY` (Typer; mounted by `service.cli`).

Same conventions as the rest of the CLI: `--json` prints exactly one JSON object on stdout (hits
under `results`), progress goes to stderr, exit 0 done, 1 done with problems (`check` found the
index and the store disagree), 2 nothing done (bad query, no data home, no index).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ipoffice import config
from ipoffice.core import audit
from ipoffice.core.roles import SYSTEM, Actor, PermissionDenied, Role, check
from ipoffice.core.store import Store, open_store
from ipoffice.search import permissions as _permissions  # noqa: F401 - registers search and index_* checks
from ipoffice.service.output import emit, fail

index_app = typer.Typer(no_args_is_help=True, help="The full-text search index ($IPOFFICE_HOME/index/).")

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


_emit = emit
_fail = fail


def _store(as_json: bool) -> Store:
    home = config.data_home()
    if config.database_url(home).startswith("sqlite") and not (home / config.DB_FILE).exists():
        raise _fail(f"no data home at {home}; run `ipoffice init` first", as_json)
    return open_store(home)


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("documents"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _audit(store: Store, action: str, ref: str, **details: Any) -> None:
    with store.session() as s:
        audit.record(s, SYSTEM, action, "index", ref[:120], **details)
        s.commit()


DenseOpt = Annotated[bool, typer.Option("--dense/--no-dense", help="Also build/update the dense (semantic) index.")]


def _dense_step(store: Store, build: bool, retrain: bool, as_json: bool) -> dict[str, Any] | None:
    """Build or update the dense index of prior-art search after the lexical one. A failure here is a
    warning, not an error: the full-text index is done and searches work without the dense part."""
    from ipoffice.search.dense import DenseIndexError, build_dense, ensure_dense_index

    with _progress("dense vectors") as bar:
        task = bar.add_task("dense", total=None)
        cb = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
        try:
            rep = build_dense(store, cb, retrain=retrain) if build else ensure_dense_index(store, cb)
        except (DenseIndexError, ValueError, MemoryError) as exc:
            err.print(f"[yellow]warning:[/yellow] dense index not built: {escape(str(exc))}", highlight=False)
            return {"error": str(exc)}
    if rep.note:
        err.print(f"[yellow]note:[/yellow] {escape(rep.note)}", highlight=False)
    if not as_json:
        what = f"trained ({rep.dims} dimensions, {rep.trained_docs} documents)" if rep.trained else "model kept"
        out.print(f"dense index: {rep.docs} documents in {rep.seconds:.1f}s; {what}")
    return rep.to_dict()


@index_app.command("build")
def index_build(
    as_json: JsonOpt = False,
    dense: DenseOpt = True,
    dense_retrain: Annotated[
        bool, typer.Option("--dense-retrain", help="Train the dense model afresh (else documents are folded in).")
    ] = False,
) -> None:
    """Index every patent document of the store afresh (the old index serves until the new one is ready)."""
    from ipoffice.search.index import SearchIndexError, build_index

    check("index_build", SYSTEM)
    store = _store(as_json)
    with _progress("indexing") as bar:
        task = bar.add_task("indexing", total=None)
        try:
            rep = build_index(store, lambda done, total: bar.update(task, completed=done, total=total))
        except SearchIndexError as exc:
            raise _fail(str(exc), as_json) from None
    _audit(store, "index_build", rep.path, docs=rep.docs, seconds=rep.seconds)
    if not as_json:
        out.print(
            f"indexed {rep.docs} documents in {rep.seconds:.1f}s ({rep.docs_per_second:.0f} docs/s); "
            f"user dictionary: {rep.userdict_words} words; index at {rep.path}"
        )
    dense_rep = _dense_step(store, True, dense_retrain, as_json) if dense else None
    if as_json:
        _emit({**rep.to_dict(), "dense": dense_rep})


@index_app.command("update")
def index_update(as_json: JsonOpt = False, dense: DenseOpt = True) -> None:
    """Index only what changed in the store since the last run (new, changed and deleted documents)."""
    from ipoffice.search.index import SearchIndexError, update_index

    check("index_update", SYSTEM)
    store = _store(as_json)
    with _progress("updating") as bar:
        task = bar.add_task("updating", total=None)
        try:
            rep = update_index(store, lambda done, total: bar.update(task, completed=done, total=total))
        except SearchIndexError as exc:
            raise _fail(str(exc), as_json) from None
    if rep.indexed or rep.deleted:
        _audit(store, "index_update", rep.path, added=rep.added, reindexed=rep.reindexed, deleted=rep.deleted)
    if not as_json:
        out.print(
            f"{rep.added} added, {rep.reindexed} re-indexed, {rep.deleted} deleted, {rep.unchanged} unchanged "
            f"in {rep.seconds:.1f}s; the index holds {rep.docs} documents"
        )
    dense_rep = _dense_step(store, False, False, as_json) if dense else None
    if as_json:
        _emit({**rep.to_dict(), "dense": dense_rep})


@index_app.command("check")
def index_check(
    sample: Annotated[int, typer.Option(help="Documents whose content hash is compared.")] = 200,
    as_json: JsonOpt = False,
) -> None:
    """Do the index and the store agree? (all ids, and the content hashes of a sample)"""
    from ipoffice.search.index import SearchIndexError, check_index

    check("index_check", SYSTEM)
    store = _store(as_json)
    try:
        rep = check_index(store, sample=max(0, sample))
    except SearchIndexError as exc:
        raise _fail(str(exc), as_json) from None
    code = 0 if rep.ok else 1
    if as_json:
        _emit(rep.to_dict())
        raise typer.Exit(code)
    status = "[green]ok[/green]" if rep.ok else "[red]disagree[/red]"
    out.print(
        f"{status}: store {rep.store_docs} documents, index {rep.index_docs}; missing from the index "
        f"{rep.missing}, no longer in the store {rep.extra}; {rep.hash_mismatches} of {rep.sampled} sampled "
        f"hashes differ; {rep.changed_since_watermark} changed since the last index run"
    )
    if rep.missing_numbers:
        out.print("missing: " + ", ".join(rep.missing_numbers), markup=False)
    if rep.mismatched_numbers:
        out.print("changed: " + ", ".join(rep.mismatched_numbers), markup=False)
    if rep.advice:
        out.print(rep.advice, markup=False)
    raise typer.Exit(code)


def search_cmd(
    query: Annotated[str, typer.Argument(help="Examiner query, e.g. 'ti:(battery W/3 electrode) AND pd>=2015'.")],
    top: Annotated[int, typer.Option(help="Number of hits (1-1000).")] = 10,
    offset: Annotated[int, typer.Option(help="Skip this many hits (paging).")] = 0,
    role: Annotated[str, typer.Option(help="Search as this role sees the documents.")] = "examiner",
    party: Annotated[int | None, typer.Option(help="Party id an applicant or agent acts for.")] = None,
    highlights: Annotated[bool, typer.Option("--highlights/--no-highlights", help="Show matching fragments.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Search the patent documents with the examiner query language (see `ipoffice.search.query`)."""
    from ipoffice.search.index import SearchIndexError
    from ipoffice.search.query import QueryError
    from ipoffice.search.searcher import PatentSearcher

    try:
        actor = Actor(name=f"cli:{role}", role=Role(role), party_id=party)
    except ValueError:
        raise _fail(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}", as_json) from None
    try:
        check("search", actor)
    except PermissionDenied as exc:
        raise _fail(str(exc), as_json) from None
    store = _store(as_json)
    try:
        res = PatentSearcher(store).search(query, actor, top=top, offset=offset, highlights=highlights)
    except SearchIndexError as exc:
        raise _fail(str(exc), as_json) from None
    except QueryError as exc:
        raise _fail(f"bad query: {exc.message}", as_json, position=exc.position, suggestions=exc.suggestions) from None
    for w in res.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)
    if as_json:
        _emit(res.to_dict())
        return
    _print_hits(res)


def _print_hits(res: Any) -> None:
    out.print(
        f"{res.total} document(s) for {res.parsed}  ({res.took_ms:.0f} ms, as {res.role})",
        markup=False,
        highlight=False,
    )
    if not res.hits:
        return
    table = Table(show_lines=False)
    for col, kw in (("#", {"justify": "right"}), ("number", {}), ("published", {}), ("score", {"justify": "right"})):
        table.add_column(col, **kw)
    table.add_column("title / where it matches", overflow="fold")
    for rank, h in enumerate(res.hits, res.offset + 1):
        cell = Text(h.title or "(no title)", style="bold")
        for hl in h.highlights:
            cell.append(f"\n{hl['field']}: ", style="dim")
            cell.append(_marked(hl["text"], hl["spans"]))
        table.add_row(str(rank), Text(_number(h)), h.publication_date or "-", f"{h.score:.2f}", cell)
    out.print(table)


def _number(h: Any) -> str:
    """``US 08087209 B2``; numbers printed with their country and kind (``WO2017139948A1``) as they are."""
    number = h.number
    head = "" if number.upper().startswith(h.country) else f"{h.country} "
    tail = f" {h.kind}" if h.kind and not number.upper().endswith(h.kind.upper()) else ""
    return f"{head}{number}{tail}"


def _marked(text: str, spans: list[list[int]]) -> Text:
    t = Text(text)
    for s, e in spans:
        t.stylize("bold yellow", s, e)
    return t


# --------------------------------------------------------------------------- prior art


def prior_art_cmd(
    number: Annotated[str | None, typer.Argument(help="The application's number (as stored).")] = None,
    text_file: Annotated[
        Path | None, typer.Option("--text-file", help="A text (claims, abstract, description) instead of a number.")
    ] = None,
    before: Annotated[
        str | None, typer.Option(help="Critical date YYYY-MM-DD (default: priority date, else filing date).")
    ] = None,
    top: Annotated[int, typer.Option(help="Number of documents (1-200).")] = 20,
    ipc: Annotated[str | None, typer.Option(help="The application's IPC, comma separated ('E04F 19/06').")] = None,
    parts: Annotated[str, typer.Option(help="Retrievers to fuse: any of lexical,dense,ipc.")] = "lexical,dense,ipc",
    claim_map: Annotated[bool, typer.Option("--claim-map/--no-claim-map", help="Map claim 1's features.")] = True,
    role: Annotated[str, typer.Option(help="Search as this role sees the documents.")] = "examiner",
    party: Annotated[int | None, typer.Option(help="Party id an applicant or agent acts for.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Prior art for an application: documents published before its critical date that disclose its
    features, each with a claim-element map (features of claim 1 x best passage) and an X/Y/A category."""
    import datetime as dt

    from ipoffice.search.priorart import PriorArtError, PriorArtQuery, prior_art

    try:
        actor = Actor(name=f"cli:{role}", role=Role(role), party_id=party)
    except ValueError:
        raise _fail(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}", as_json) from None
    try:
        check("prior_art", actor)
    except PermissionDenied as exc:
        raise _fail(str(exc), as_json) from None
    if (number is None) == (text_file is None):
        raise _fail("give an application NUMBER or --text-file FILE (one of them)", as_json)
    text = None
    if text_file is not None:
        try:
            text = text_file.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise _fail(f"cannot read --text-file {text_file}: {exc.strerror or exc}", as_json) from None
    day = None
    if before:
        try:
            day = dt.date.fromisoformat(before.strip())
        except ValueError:
            raise _fail(f"--before {before!r} is not a date (YYYY-MM-DD)", as_json) from None
    store = _store(as_json)
    q = PriorArtQuery(
        text=text,
        number=number,
        before=day,
        top=top,
        parts=tuple(p.strip() for p in parts.split(",") if p.strip()),
        claim_map=claim_map,
        ipc=[x for x in (ipc or "").replace(";", ",").split(",") if x.strip()] or None,
    )
    try:
        res = prior_art(store, q, actor)
    except PriorArtError as exc:
        raise _fail(str(exc), as_json) from None
    for w in res.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)
    if as_json:
        _emit(res.to_dict())
        return
    _print_prior_art(res)


def _print_prior_art(res: Any) -> None:
    q = res.query
    out.print(
        f"{len(res.hits)} document(s) published before {res.critical_date or '(no critical date)'}"
        f" ({q['critical_date_from']}); parts {', '.join(res.parts)}; {res.took_ms:.0f} ms",
        markup=False,
        highlight=False,
    )
    if res.features:
        out.print("features of claim 1:", markup=False)
        for f in res.features:
            out.print(f"  F{f['index'] + 1} ({f['kind']}): {f['text'][:110]}", markup=False, highlight=False)
    if not res.hits:
        return
    table = Table(show_lines=True)
    for col, kw in (("#", {"justify": "right"}), ("number", {}), ("published", {}), ("score", {"justify": "right"})):
        table.add_column(col, **kw)
    table.add_column("cat")
    table.add_column("title / features disclosed / best passage", overflow="fold")
    for rank, h in enumerate(res.hits, 1):
        cell = Text(h.title or "(no title)", style="bold")
        if h.claim_map:
            marks = " ".join(f"F{c['feature'] + 1}{'+' if c['disclosed'] else '-'}" for c in h.claim_map)
            cell.append(f"\n{marks}", style="dim")
        for p in h.passages[:1]:
            cell.append(f"\n{p['field']}: ", style="dim")
            cell.append(_marked(p["text"][:400], [s for s in p["spans"] if s[1] <= 400]))
        table.add_row(str(rank), h.number, h.date or "-", f"{h.score:.3f}", h.category or "", cell)
    out.print(table)
