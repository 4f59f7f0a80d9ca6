"""The `ipoffice` command line (Typer).

Conventions outside scripts rely on: every command works against `$IPOFFICE_HOME`; every
command that prints results takes `--json` and then prints exactly one JSON object on
stdout (lists under `results`); exit 0 done, 1 done with rejected records, 2 nothing done.
Progress bars go to stderr so they never mix with JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ipoffice import config
from ipoffice.core import audit
from ipoffice.core.roles import SYSTEM, Actor, Role
from ipoffice.core.store import Store, open_store
from ipoffice.service.output import emit, err, fail, out  # noqa: F401 - desk CLIs use them through this module

app = typer.Typer(no_args_is_help=True, add_completion=False, help="ipoffice: run the work of an IP office.")
user_app = typer.Typer(no_args_is_help=True, help="API users and their roles.")
app.add_typer(user_app, name="user")


def _mount_desks() -> None:
    """Desk command groups live in their own modules; mounted here so `ipoffice --help` lists them."""
    from ipoffice.service.cli_accel import accel_app
    from ipoffice.service.cli_cases import case_app
    from ipoffice.service.cli_classify import classify_app
    from ipoffice.service.cli_deadlines import deadlines_app
    from ipoffice.service.cli_integrity import integrity_app
    from ipoffice.service.cli_search import index_app, prior_art_cmd, search_cmd
    from ipoffice.service.cli_trademarks import tm_app
    from ipoffice.service.cli_workflow import allocate_cmd, workflow_app

    app.add_typer(deadlines_app, name="deadlines", help="Time limits: what is due, and the deadline calculator.")
    app.add_typer(case_app, name="case", help="Cases: open, apply procedure events, sweep overdue limits.")
    app.add_typer(workflow_app, name="workflow")
    app.add_typer(tm_app, name="tm")
    app.add_typer(integrity_app, name="integrity")
    app.add_typer(index_app, name="index", help="The full-text search index: build, update, check.")
    app.add_typer(classify_app, name="classify")
    app.add_typer(accel_app, name="accel")
    app.command("search", help="Search patents with the examiner query language.")(search_cmd)
    app.command("prior-art", help="Prior art for an application, with claim-element maps.")(prior_art_cmd)
    app.command("allocate", help="Assign new cases to examiners (field, language, skills, load; never a conflict).")(
        allocate_cmd
    )


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _store(create: bool = False) -> Store:
    home = config.data_home()
    if not create and config.database_url(home).startswith("sqlite") and not (home / config.DB_FILE).exists():
        raise typer.Exit(_missing_home())
    return open_store(home)


def _missing_home() -> int:
    err.print(f"[red]error:[/red] no data home at {config.data_home()}; run `ipoffice init` first")
    return 2


def _actor(role: str) -> Actor:
    try:
        return Actor(name=f"cli:{role}", role=Role(role))
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}") from None


@app.command()
def init(
    sample: Annotated[bool, typer.Option("--sample/--no-sample", help="Load the bundled sample records.")] = False,
    schemes: Annotated[bool, typer.Option("--schemes/--no-schemes", help="Load IPC, Nice and 类似群.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Create the data home ($IPOFFICE_HOME), bring the schema up to date, load the schemes."""
    store = open_store(config.data_home())
    result: dict[str, Any] = {"home": str(store.home), "database": store.dialect}
    if schemes:
        result["schemes"] = _load_schemes(store)
    if sample:
        from ipoffice.service.sample import load_sample

        rep = load_sample(store)
        result["sample"] = rep.to_dict() if rep else "already loaded"
    if as_json:
        emit(result)
    else:
        out.print(f"data home ready: {store.home} ({store.dialect})")
        if "schemes" in result:
            out.print("schemes: " + ", ".join(f"{k} {v}" for k, v in result["schemes"].items()))
        if sample:
            out.print(
                f"sample: {result['sample'] if isinstance(result['sample'], str) else result['sample']['loaded']}"
                " records"
            )


def _load_schemes(store: Store) -> dict[str, int]:
    try:
        from ipoffice.core.schemes import load_schemes
    except ImportError:  # schemes data not present in this build
        return {}
    with store.session() as s:
        counts = load_schemes(s)
        s.commit()
    return counts


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to import; the format is detected.")],
    batch_size: Annotated[int, typer.Option(help="Records per committed batch.")] = 500,
    suggest_ipc: Annotated[bool, typer.Option(help="Store suggested IPC on new filings (when a model exists).")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Import patent and trademark records; bad records are reported and skipped."""
    from ipoffice.ingest.runner import ImportReport, import_path

    store = _store(create=True)
    total = ImportReport()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("importing", total=None)

        def progress(file: str, n: int) -> None:
            bar.update(task, advance=n, description=Path(file).name)

        for path in paths:
            rep = import_path(store, path, progress=progress, batch_size=batch_size)
            for k in ("files", "loaded", "updated", "unchanged", "skipped", "rejected"):
                setattr(total, k, getattr(total, k) + getattr(rep, k))
            total.formats.update(rep.formats)
            total.skip_reasons.update(rep.skip_reasons)
            total.errors.extend(rep.errors)
            total.files_failed.extend(rep.files_failed)
            total.seconds += rep.seconds
    with store.session() as s:
        audit.record(
            s,
            SYSTEM,
            "records_import",
            "import",
            ",".join(map(str, paths))[:120],
            loaded=total.loaded,
            updated=total.updated,
            rejected=total.rejected,
        )
        s.commit()
    if suggest_ipc and (total.loaded or total.updated):
        from ipoffice.service.cli_classify import suggest_after_import

        suggest_after_import(store)
    code = total.exit_code()
    if as_json:
        emit(total.to_dict())
    else:
        out.print(
            f"{total.files} file(s): {total.loaded} loaded, {total.updated} updated, {total.unchanged} unchanged, "
            f"{total.skipped} skipped, {total.rejected} rejected in {total.seconds:.1f}s"
        )
        for reason, n in total.skip_reasons.items():
            out.print(f"  skipped {n}: {reason}")
        for e in total.files_failed:
            err.print(f"[red]file failed:[/red] {e}")
        for e in total.errors[:50]:
            err.print(f"[yellow]rejected:[/yellow] {e}")
        if len(total.errors) > 50:
            err.print(f"... and {len(total.errors) - 50} more (use --json for all)")
    raise typer.Exit(code)


@app.command()
def stats(
    role: Annotated[str, typer.Option(help="Count as this role sees it.")] = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Counts of what the store holds."""
    from ipoffice.core.queries import stats as stats_q
    from ipoffice.core.roles import check

    store = _store()
    actor = _actor(role)
    check("stats_show", actor)
    with store.session() as s:
        result = stats_q(s, actor)
    if as_json:
        emit(result)
        return
    table = Table(title=f"ipoffice store ({store.dialect})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("patents", "trademarks", "parties", "events"):
        table.add_row(key, str(result[key]))
    for group in ("patents_by_country", "patents_by_type", "trademarks_by_status", "scheme_entries"):
        for k, v in sorted(result[group].items()):
            table.add_row(f"  {group.split('_by_')[-1]}: {k}", str(v))
    out.print(table)


@app.command()
def show(
    number: Annotated[str, typer.Argument(help="Publication, application or trademark number.")],
    role: Annotated[str, typer.Option(help="Show as this role sees it.")] = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Show one record (patent document or trademark) by its number."""
    from ipoffice.core.queries import find_patents, find_trademarks, patent_detail, trademark_detail

    store = _store()
    actor = _actor(role)
    with store.session() as s:
        docs = [patent_detail(s, d) for d in find_patents(s, number, actor)]
        docs += [trademark_detail(s, tm) for tm in find_trademarks(s, number, actor)]
    if not docs:
        raise fail(f"no record with number {number!r} in {store.home}", as_json)
    if as_json:
        first = dict(docs[0])
        if len(docs) > 1:
            first["also"] = [{"record": d["record"], "number": d["number"], "kind": d.get("kind")} for d in docs[1:]]
        emit(first)
        return
    for d in docs:
        _print_record(d)


def _print_record(d: dict[str, Any]) -> None:
    if d["record"] == "patent":
        out.rule(f"{d['country']} {d['number']} {d.get('kind') or ''}  {d.get('title') or ''}")
        for k in (
            "doc_type",
            "stage",
            "application_number",
            "application_date",
            "publication_date",
            "grant_date",
            "legal_status",
        ):
            if d.get(k):
                out.print(f"[bold]{k}[/bold]: {d[k]}")
        cls = [c["symbol"] for c in d.get("classifications", []) if c["scheme"] in ("ipc", "cpc")]
        if cls:
            out.print(f"[bold]classification[/bold]: {', '.join(cls[:12])}")
        for p in d.get("parties", []):
            out.print(f"[bold]{p['role']}[/bold]: {p['name']}")
        for lang, text in d.get("abstracts", {}).items():
            out.print(f"[bold]abstract ({lang})[/bold]: {text[:800]}")
        claims = next(iter(d.get("claims", {}).values()), [])
        if claims:
            out.print(f"[bold]claims[/bold]: {len(claims)}; 1. {claims[0][:400]}")
        if d.get("citations"):
            out.print(f"[bold]citations[/bold]: {len(d['citations'])}")
    else:
        out.rule(f"trademark {d['country']} {d['number']}  {d.get('mark') or ''}")
        out.print(f"[bold]status[/bold]: {d.get('status')}  [bold]filed[/bold]: {d.get('filing_date')}")
        for g in d.get("goods", [])[:20]:
            out.print(f"  class {g['nice_class']} {g.get('group') or ''} {g.get('text') or ''}")
        for p in d.get("parties", []):
            out.print(f"[bold]{p['role']}[/bold]: {p['name']}")
    for e in d.get("events", []):
        out.print(f"  event {e['date'] or '-'} {e['type']}")


@app.command()
def formats(as_json: JsonOpt = False) -> None:
    """The input formats `ipoffice import` recognises."""
    from ipoffice.ingest.base import formats as fmts

    rows = [{"name": f.name, "description": f.description} for f in fmts()]
    if as_json:
        emit({"results": rows})
        return
    for r in rows:
        out.print(f"{r['name']:<32} {r['description']}")


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="JSONL file to write (ipoffice's own form).")],
    as_json: JsonOpt = False,
) -> None:
    """Write every record in ipoffice's JSONL form (re-importable with `ipoffice import`)."""
    from sqlalchemy import select

    from ipoffice.core import tables as t
    from ipoffice.core.model import PatentRecord, TrademarkRecord
    from ipoffice.ingest.ownjsonl import dump

    store = _store()
    n = 0
    with store.session() as s, open(path, "w", encoding="utf-8") as fh:
        for data in s.scalars(select(t.PatentDocument.data).execution_options(yield_per=1000)):
            fh.write(dump(PatentRecord(**data)) + "\n")
            n += 1
        for data in s.scalars(select(t.Trademark.data).execution_options(yield_per=1000)):
            fh.write(dump(TrademarkRecord(**data)) + "\n")
            n += 1
    if as_json:
        emit({"path": str(path), "records": n})
    else:
        out.print(f"{n} records written to {path}")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Who the user is (login or e-mail).")],
    role: Annotated[str, typer.Option(help="public, applicant, agent, examiner or administrator")] = "examiner",
    party: Annotated[int | None, typer.Option(help="Party id an applicant or agent acts for.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token for a user in a role (shown once; only its hash is kept)."""
    from ipoffice.core.roles import check
    from ipoffice.service.auth import create_token

    store = _store()
    check("user_create", SYSTEM)
    r = _actor(role).role
    with store.session() as s:
        token = create_token(s, name, r, party)
        audit.record(s, SYSTEM, "user_create", "user", name, role=str(r), party_id=party)
        s.commit()
    if as_json:
        emit({"user": name, "role": str(r), "token": token})
    else:
        out.print(f"token for {name} ({r}): {token}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    sample: Annotated[bool, typer.Option("--sample/--no-sample", help="Load the bundled sample first.")] = False,
) -> None:
    """Serve the portal and the API (one FastAPI app)."""
    import uvicorn

    from ipoffice.service.api import create_app

    store = open_store(config.data_home())
    if sample:
        from ipoffice.service.sample import load_sample

        with store.session() as s:
            from sqlalchemy import func, select

            from ipoffice.core import tables as t

            empty_schemes = not s.scalar(select(func.count(t.SchemeEntry.id)))
        if empty_schemes:
            _load_schemes(store)
        rep = load_sample(store)
        if rep:
            err.print(f"sample loaded: {rep.loaded} records")
    err.print(f"serving http://{host}:{port}/  (API docs at /docs, data home {store.home})")
    uvicorn.run(create_app(store), host=host, port=port, log_level="info")


_mount_desks()

if __name__ == "__main__":  # pragma: no cover
    app()
