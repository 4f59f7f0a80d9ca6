"""`ipoffice integrity ...`: scan for abnormal filings, explain a flag, the review queue, decisions, reports.

Flags are for the office only: every command checks the integrity permissions of the role it runs as
(`--role`, default administrator, as `stats` does); `review` acts as a named examiner (`--as`).
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from typing import Annotated, Any

import typer

integrity_app = typer.Typer(
    no_args_is_help=True,
    help="Integrity: abnormal patent applications and bad-faith trademark filings, with evidence.",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
RoleOpt = Annotated[str, typer.Option(help="Act as this role (examiner or administrator).")]


def _actor_checked(role: str, action: str, as_json: bool) -> Any:
    from ipoffice.core.roles import PermissionDenied, check
    from ipoffice.integrity import permissions as _p  # noqa: F401 - registers the checks
    from ipoffice.service.cli import _actor, fail

    actor = _actor(role)
    try:
        check(action, actor)
    except PermissionDenied as exc:
        raise fail(str(exc), as_json) from None
    return actor


def _date(value: str | None, option: str, as_json: bool) -> dt.date | None:
    from ipoffice.service.cli import fail

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not a date (YYYY-MM-DD)", as_json) from None


@integrity_app.command("scan")
def scan_cmd(
    kind: Annotated[str | None, typer.Option(help="patent or trademark (default: both).")] = None,
    since: Annotated[str | None, typer.Option(help="Only flag filings on or after this date (YYYY-MM-DD).")] = None,
    engine: Annotated[str, typer.Option(help="Corpus-wide passes on duckdb, spark or python.")] = "duckdb",
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Run every signal of the kind; store the flags that reach their thresholds (re-scans update them)."""
    from ipoffice.core import audit
    from ipoffice.integrity.rules import IntegrityRulesError
    from ipoffice.integrity.scan import ScanInputError, scan
    from ipoffice.service.cli import _store, emit, err, fail, out

    since_d = _date(since, "--since", as_json)
    actor = _actor_checked(role, "integrity_scan", as_json)
    store = _store()
    try:
        with err.status("scanning", spinner="dots") if err.is_terminal else nullcontext():
            res = scan(store, kind=kind, since=since_d, engine=engine)
    except (ScanInputError, IntegrityRulesError) as exc:
        raise fail(str(exc), as_json) from None
    with store.session() as s:
        audit.record(s, actor, "integrity_scan", "integrity_scan", str(res["scan_id"]), flags=res["counts"]["flags"])
        s.commit()
    if as_json:
        emit(res)
        return
    for w in res["warnings"]:
        err.print(f"[yellow]warning:[/yellow] {w}")
    c = res["counts"]
    out.print(f"scan {res['scan_id']}: {c['flags']} flag(s), {c['new']} new, {c['updated']} updated ({c['seconds']}s)")
    for f in res["results"]:
        out.print(f"[bold]{f['number']}[/bold] {f['behaviour']} {f['score']:.2f}  {f['legal_basis']}  [{f['signal']}]")


@integrity_app.command("explain")
def explain_cmd(
    number: Annotated[str, typer.Argument(help="The filing's number.")],
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Every flag on a filing: the rule in force on its date, the evidence, the review history."""
    from ipoffice.integrity.review import IntegrityInputError, explain
    from ipoffice.service.cli import _store, emit, fail, out

    actor = _actor_checked(role, "integrity_show", as_json)
    store = _store()
    with store.session() as s:
        try:
            res = explain(s, actor, number)
        except IntegrityInputError as exc:
            raise fail(str(exc), as_json) from None
    if as_json:
        emit(res)
        return
    if not res["results"]:
        out.print(f"{number}: no integrity flags")
    for f in res["results"]:
        r = f["rule"] or {}
        out.rule(f"flag {f['id']}: {number} {f['behaviour']} score {f['score']:.2f} ({f['status']})")
        out.print(f"[bold]rule[/bold]: {r.get('citation')} ({r.get('ref')}, version {r.get('version')})")
        out.print(f"  {r.get('title_zh')} / {r.get('title')}")
        out.print(f"  in force {r.get('effective_from')} .. {r.get('effective_to') or 'now'}; source {r.get('source')}")
        for d in f["documents"]:
            out.print(f"[bold]document[/bold] {d['number']}: {d.get('title') or d.get('mark') or ''}")
        ev = f["details"]
        for k, v in (ev.get("figures") or {}).items():
            out.print(f"  {k}: {v}")
        for p in (ev.get("passages") or [])[:5]:
            out.print(f"  [dim]source[/dim] {p['source'][:160]}\n  [dim]filing[/dim] {p['filing'][:160]}")
        for w in (ev.get("substituted_words") or [])[:10]:
            out.print(f"  substituted {w['from']!r} -> {w['to']!r} x{w['times']}")
        for c in (ev.get("trivial_dependent_claims") or [])[:10]:
            out.print(f"  claim {c['claim']} (on {c['depends_on']}) adds only {c['trivial']}: {c['adds'][:100]}")
        for k in ev.get("furthest_from_real") or []:
            st = ev["statistics"][k]
            out.print(f"  {k}: {st['value']} (real patents {st['real_mean']}, z {st['z']})")
        for g in ev.get("gaps") or []:
            out.print(f"  [yellow]gap[/yellow]: {g}")
        for rv in f["reviews"]:
            out.print(f"  review {rv['at']}: {rv['decision']} by {rv['actor']}: {rv['note']}")


@integrity_app.command("queue")
def queue_cmd(
    behaviour: Annotated[str | None, typer.Option(help="Only this behaviour code (e.g. P2).")] = None,
    status: Annotated[str, typer.Option(help="open, confirmed, dismissed or all.")] = "open",
    kind: Annotated[str | None, typer.Option(help="patent, trademark or agency.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=5000)] = 200,
    role: RoleOpt = "examiner",
    as_json: JsonOpt = False,
) -> None:
    """The review queue: flags, highest score first."""
    from ipoffice.integrity.review import IntegrityInputError, queue
    from ipoffice.service.cli import _store, emit, fail, out

    actor = _actor_checked(role, "integrity_list", as_json)
    store = _store()
    with store.session() as s:
        try:
            res = queue(
                s, actor, behaviour=behaviour, status=None if status == "all" else status, kind=kind, limit=limit
            )
        except IntegrityInputError as exc:
            raise fail(str(exc), as_json) from None
    if as_json:
        emit(res)
        return
    out.print(f"{res['total']} flag(s)")
    for f in res["results"]:
        out.print(
            f"#{f['id']} [bold]{f['number']}[/bold] {f['behaviour']} {f['score']:.2f} {f['status']}  {f['legal_basis']}"
        )


def _reviewer(name: str, as_json: bool) -> Any:
    """The named user as the store knows them: an API user's role, or an examiner of the examiners table."""
    from sqlalchemy import select

    from ipoffice.core import tables as t
    from ipoffice.core.roles import Actor, Role
    from ipoffice.service.cli import _store, fail

    store = _store()
    with store.session() as s:
        tok = s.scalar(select(t.ApiToken).where(t.ApiToken.actor == name).order_by(t.ApiToken.id.desc()).limit(1))
        if tok is not None:
            return Actor(name=name, role=Role(tok.role), party_id=tok.party_id)
        ex = s.scalar(select(t.Examiner).where(t.Examiner.code == name, t.Examiner.active.is_(True)))
        if ex is not None:
            return Actor(name=name, role=Role.EXAMINER)
    raise fail(f"unknown user {name!r}: add them with `ipoffice user add {name} --role examiner`", as_json)


@integrity_app.command("review")
def review_cmd(
    flag_id: Annotated[int, typer.Argument(help="The flag's id (see `integrity queue`).")],
    decision: Annotated[str, typer.Argument(help="confirm or dismiss")],
    note: Annotated[str, typer.Option("--note", help="Why (required).")] = "",
    as_user: Annotated[str, typer.Option("--as", help="The examiner deciding (a user of `ipoffice user add`).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """An examiner confirms or dismisses a flag, with a note (audited)."""
    from ipoffice.core.roles import PermissionDenied
    from ipoffice.integrity.review import IntegrityInputError, review
    from ipoffice.service.cli import _store, emit, fail, out

    if decision not in ("confirm", "dismiss"):
        raise fail(f"decision must be confirm or dismiss, got {decision!r}", as_json)
    if not note.strip():
        raise fail("--note is required: say why the flag is confirmed or dismissed", as_json)
    if not as_user:
        raise fail("--as USER is required: the examiner who decides", as_json)
    actor = _reviewer(as_user, as_json)
    store = _store()
    with store.session() as s:
        try:
            res = review(s, actor, flag_id, decision, note)
            s.commit()
        except (IntegrityInputError, PermissionDenied) as exc:
            s.rollback()
            raise fail(str(exc), as_json) from None
    if as_json:
        emit({"results": [res]})
        return
    out.print(f"flag {res['id']} ({res['number']} {res['behaviour']}): {res['status']}")


@integrity_app.command("report")
def report_cmd(
    by: Annotated[str, typer.Option(help="applicant, agency or region")] = "applicant",
    kind: Annotated[str, typer.Option(help="patent or trademark")] = "patent",
    min_filings: Annotated[int, typer.Option(min=1, help="Only parties with at least this many filings.")] = 1,
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Flags and confirmed flags per applicant, agency or region, beside the base rate."""
    from ipoffice.integrity.review import IntegrityInputError, report
    from ipoffice.service.cli import _store, emit, fail, out

    actor = _actor_checked(role, "integrity_report", as_json)
    if kind not in ("patent", "trademark"):
        raise fail(f"unknown kind {kind!r}; patent or trademark", as_json)
    store = _store()
    with store.session() as s:
        try:
            res = report(s, actor, by, kind=kind, min_filings=min_filings)
        except IntegrityInputError as exc:
            raise fail(str(exc), as_json) from None
    if as_json:
        emit(res)
        return
    out.print(f"{res['filings']} filings, {res['flagged_filings']} flagged (base rate {res['base_rate']:.2%})")
    for r in res["results"][:100]:
        out.print(
            f"{r[by]}: {r['filings']} filings, {r['flagged_filings']} flagged, {r['flags']} flags, "
            f"{r['confirmed']} confirmed, rate {r['rate']:.2%} ({r['ratio_to_base'] or '-'}x base)"
        )
