"""`ipoffice classify (NUMBER | --text-file F | --text T)`, `ipoffice classify train`, `ipoffice classify suggest`.

One command group does both: a subcommand name (``train``, ``suggest``) runs that subcommand; any
other word after ``classify`` is a document number to classify; no word at all classifies
``--text-file``/``--text``. (A Click group would otherwise read the number as an unknown
subcommand; `_ClassifyGroup` resolves it.)

Conventions as in the rest of the CLI: ``--json`` prints one JSON object whose ``results`` is the
ranked list; notes and progress go to stderr; exit 0 done, 2 nothing done (bad input, no model and
nothing to train it on, a number not in the store).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from ipoffice import config
from ipoffice.classify import permissions as _permissions  # noqa: F401 - registers the classify checks
from ipoffice.core import audit
from ipoffice.core.roles import SYSTEM, Actor, PermissionDenied, Role, check
from ipoffice.core.store import Store, open_store
from ipoffice.service.output import emit, fail

out = Console()
err = Console(stderr=True)

_NUMBER_COMMAND = "number"


class _ClassifyGroup(TyperGroup):
    """A group whose unknown "subcommand" is a document number (classified by the hidden ``number``)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if name in self.commands and name != _NUMBER_COMMAND:
            return super().resolve_command(ctx, args)
        return name, self.commands[_NUMBER_COMMAND], args[1:]


classify_app = typer.Typer(
    cls=_ClassifyGroup,
    invoke_without_command=True,
    no_args_is_help=False,
    help="IPC classification: suggest subclasses and main groups for a document or a text; train the model.",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
TopOpt = Annotated[int, typer.Option(help="Suggestions per level (1-50).")]
LevelOpt = Annotated[str, typer.Option(help="subclass, main_group or both.")]
RoleOpt = Annotated[str, typer.Option(help="Classify as this role (a document must be visible to it).")]


def _store(as_json: bool) -> Store:
    home = config.data_home()
    if config.database_url(home).startswith("sqlite") and not (home / config.DB_FILE).exists():
        raise fail(f"no data home at {home}; run `ipoffice init` first", as_json)
    return open_store(home)


def _actor(role: str, as_json: bool) -> Actor:
    try:
        actor = Actor(name=f"cli:{role}", role=Role(role))
    except ValueError:
        raise fail(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}", as_json) from None
    try:
        check("classify", actor)
    except PermissionDenied as exc:
        raise fail(str(exc), as_json) from None
    return actor


def _note(msg: str) -> None:
    err.print(f"[yellow]note:[/yellow] {escape(msg)}", highlight=False)


def _read_text(path: Path, as_json: bool) -> str:
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read --text-file {path}: {exc.strerror or exc}", as_json) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"--text-file {path} is not UTF-8 text (byte {exc.start})", as_json) from None


def _classify(
    number: str | None, text: str | None, top: int, level: str, role: str, as_json: bool, source: str
) -> None:
    from ipoffice.classify.storage import ModelError
    from ipoffice.classify.suggest import ClassifyError, classify_number, classify_text

    actor = _actor(role, as_json)
    store = _store(as_json)
    try:
        if number is not None:
            res = classify_number(store, number, actor, top=top, level=level, notify=_note)
        else:
            res = classify_text(store, text or "", actor, top=top, level=level, notify=_note)
    except ClassifyError as exc:
        raise fail(f"{source}: {exc}" if source and number is None else str(exc), as_json) from None
    except ModelError as exc:
        raise fail(str(exc), as_json) from None
    except ValueError as exc:  # nothing to train the first model on
        raise fail(f"cannot train a classification model: {exc}", as_json) from None
    for w in res.get("warnings", []):
        err.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False)
    if as_json:
        emit(res)
        return
    _print(res)


def _print(res: dict[str, Any]) -> None:
    head = f"document {res['number']}: " if res.get("number") else ""
    out.print(f"{head}IPC suggestions (model {res['model']})", markup=False, highlight=False)
    table = Table()
    for col in ("#", "symbol", "confidence", "title", "decisive terms", "nearest classified documents"):
        table.add_column(col, overflow="fold")
    for r in res["results"]:
        title = r["title"].get("zh") or r["title"].get("en") or ""
        nbrs = ", ".join(f"{n['number']} ({'; '.join(n['ipc'][:2])})" for n in r["reasons"]["neighbours"])
        terms = ", ".join(x["term"] for x in r["reasons"]["terms"][:6])
        table.add_row(str(r["rank"]), r["symbol"], f"{r['confidence']:.3f}", title[:60], terms, nbrs)
    out.print(table)


@classify_app.callback()
def classify_main(
    ctx: typer.Context,
    text_file: Annotated[
        Path | None, typer.Option("--text-file", help="Classify this UTF-8 text file (- = stdin).")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="Classify this text.")] = None,
    top: TopOpt = 5,
    level: LevelOpt = "both",
    role: RoleOpt = "examiner",
    as_json: JsonOpt = False,
) -> None:
    """Suggest IPC subclasses and main groups with calibrated confidence and reasons.

    ipoffice classify NUMBER | --text-file F | --text T  [--top 5] [--level both] [--json]
    """
    ctx.obj = {"top": top, "level": level, "role": role, "json": as_json}
    if ctx.invoked_subcommand is not None:
        if text_file is not None or text is not None:
            raise fail("give either a document NUMBER or --text-file/--text, not both", as_json)
        return
    if text_file is None and text is None:
        raise fail("nothing to classify: give a document NUMBER, --text-file FILE or --text TEXT", as_json)
    if text_file is not None and text is not None:
        raise fail("give --text-file or --text, not both", as_json)
    body = _read_text(text_file, as_json) if text_file is not None else (text or "")
    _classify(None, body, top, level, role, as_json, f"--text-file {text_file}" if text_file else "--text")


@classify_app.command(_NUMBER_COMMAND, hidden=True)
def classify_number_cmd(
    ctx: typer.Context,
    top: Annotated[int | None, typer.Option(help="Suggestions per level (1-50).")] = None,
    level: Annotated[str | None, typer.Option(help="subclass, main_group or both.")] = None,
    role: Annotated[str | None, typer.Option(help="Classify as this role.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Classify a stored document by its number."""
    parent = ctx.obj or {}
    _classify(
        ctx.info_name,
        None,
        top if top is not None else parent.get("top", 5),
        level or parent.get("level", "both"),
        role or parent.get("role", "examiner"),
        as_json or bool(parent.get("json")),
        "",
    )


@classify_app.command("train")
def classify_train(
    from_paths: Annotated[
        list[Path] | None, typer.Option("--from", help="Also learn from the records in these files/folders.")
    ] = None,
    scheme: Annotated[bool, typer.Option("--scheme/--no-scheme", help="Learn from the IPC scheme titles.")] = True,
    documents: Annotated[
        bool, typer.Option("--documents/--no-documents", help="Learn from the store's office-classified documents.")
    ] = True,
    seed: Annotated[int, typer.Option(help="Random seed (held-out split, SGD).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Train a new model version ($IPOFFICE_HOME/models/classify/<version>/) and make it current."""
    from ipoffice.classify.train import train

    check("classify_train", SYSTEM)
    store = _store(as_json)
    for p in from_paths or []:
        if not p.exists():
            raise fail(f"--from {p}: no such file or folder", as_json)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(what: str, n: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=None)
            bar.update(tasks[what], advance=n)

        try:
            rep = train(store, from_paths or [], scheme=scheme, documents=documents, seed=seed, progress=progress)
        except ValueError as exc:
            raise fail(f"nothing to train on: {exc}", as_json) from None
    with store.session() as s:
        audit.record(s, SYSTEM, "classify_train", "model", rep.version, counts=rep.counts, seconds=rep.seconds)
        s.commit()
    for e in rep.errors[:20]:
        err.print(f"[yellow]skipped:[/yellow] {escape(e)}", highlight=False)
    if as_json:
        emit(rep.to_dict())
        return
    cal = rep.metrics.get("calibration", {})
    out.print(
        f"model {rep.version} trained in {rep.seconds:.1f}s from {rep.counts}; {rep.classes['subclasses']} subclasses, "
        f"{rep.classes['main_groups']} main groups; held-out: {cal}",
        markup=False,
        highlight=False,
    )


@classify_app.command("suggest")
def classify_suggest(
    numbers: Annotated[list[str] | None, typer.Argument(help="Documents (default: all without any IPC).")] = None,
    top: Annotated[int, typer.Option(min=1, max=10, help="Main groups stored per document.")] = 3,
    min_confidence: Annotated[float, typer.Option(min=0.0, max=1.0, help="Least confidence stored.")] = 0.05,
    as_json: JsonOpt = False,
) -> None:
    """Store suggested IPC (source 'suggested') on documents without office IPC; office classes are never touched."""
    from ipoffice.classify.intake import suggest_for, suggest_pending
    from ipoffice.classify.storage import ModelError

    check("classify_suggest", SYSTEM)
    store = _store(as_json)
    try:
        if numbers:
            rep = suggest_for(store, numbers, top=top, min_confidence=min_confidence)
        else:
            rep = suggest_pending(store, top=top, min_confidence=min_confidence)
    except ModelError as exc:
        raise fail(str(exc), as_json) from None
    code = 2 if numbers and len(rep.not_found) == len(numbers) else 0
    if as_json:
        emit(rep.to_dict())
        raise typer.Exit(code)
    out.print(
        f"suggested IPC stored for {rep.suggested} document(s); {rep.office_classified} already office-classified "
        f"(untouched), {rep.no_text} without text",
        markup=False,
    )
    for n in rep.not_found:
        err.print(f"[red]not found:[/red] {escape(n)}", highlight=False)
    raise typer.Exit(code)


def suggest_after_import(store: Store) -> None:
    """The import command's hook: suggestions for the new filings without office IPC, when a model exists."""
    from ipoffice.classify.intake import suggest_pending
    from ipoffice.classify.storage import ModelError, current_version

    if current_version(store.home) is None:
        return
    try:
        rep = suggest_pending(store)
    except ModelError as exc:
        err.print(f"[yellow]no IPC suggestions:[/yellow] {escape(str(exc))}", highlight=False)
        return
    if rep.suggested:
        err.print(f"suggested IPC stored for {rep.suggested} new document(s) without office IPC", highlight=False)
