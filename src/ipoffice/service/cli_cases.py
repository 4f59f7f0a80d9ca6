"""`ipoffice case ...`: open cases, apply events, sweep overdue time limits, fast tracks.

Same conventions as `service/cli.py`: `--json` prints exactly one JSON object on stdout (lists
under `results`); exit 0 done, 2 nothing done (an illegal event, a bad date, an unknown case:
the message names the case and the rule). Commands act as `--role` (default administrator);
`--party` gives an applicant's or agent's party id, `--user` the name recorded in the audit.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

case_app = typer.Typer(no_args_is_help=True, help="Cases: open, move through the procedure, time limits, fast tracks.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
RoleOpt = Annotated[str, typer.Option(help="Act as this role.")]
UserOpt = Annotated[str | None, typer.Option(help="Who acts (recorded in the audit); default cli:<role>.")]
PartyOpt = Annotated[int | None, typer.Option(help="Party id an applicant or agent acts for.")]


def _cli():  # noqa: ANN202 - the CLI module, imported late (it mounts this app)
    from ipoffice.service import cli

    return cli


def _date(value: str | None, what: str, as_json: bool) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _cli().fail(f"{what}: {value!r} is not a date (YYYY-MM-DD)", as_json) from None


def _who(role: str, user: str | None, party: int | None):  # noqa: ANN202
    from ipoffice.core.roles import Actor

    base = _cli()._actor(role)
    return Actor(name=user or base.name, role=base.role, party_id=party)


def _errors():  # noqa: ANN202
    from ipoffice.core.roles import PermissionDenied
    from ipoffice.workflow.cases import CaseError
    from ipoffice.workflow.procedures import NoProcedure

    return (CaseError, PermissionDenied, NoProcedure)


@case_app.command("open")
def open_cmd(
    document: Annotated[str | None, typer.Option(help="Patent document number (publication or application).")] = None,
    trademark: Annotated[str | None, typer.Option(help="Trademark number.")] = None,
    right: Annotated[str | None, typer.Option(help="invention, utility, design or trademark.")] = None,
    filing_date: Annotated[str | None, typer.Option(help="Filing date of a new application (YYYY-MM-DD).")] = None,
    title: Annotated[str | None, typer.Option(help="Title (new application).")] = None,
    case_no: Annotated[
        str | None, typer.Option(help="Case number; default: the application number or a new one.")
    ] = None,
    priority_date: Annotated[str | None, typer.Option(help="Earliest priority date (new application).")] = None,
    track: Annotated[str, typer.Option(help="Examination track.")] = "normal",
    role: RoleOpt = "administrator",
    user: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a case for an imported document or trademark, or for a new application."""
    from ipoffice.core.queries import find_patents, find_trademarks
    from ipoffice.core.roles import SYSTEM
    from ipoffice.workflow import cases as engine

    cli = _cli()
    if sum(x is not None for x in (document, trademark)) > 1:
        raise cli.fail("give --document or --trademark, not both", as_json)
    if trademark and right not in (None, "trademark"):
        raise cli.fail(f"--trademark opens a trademark case, not {right}", as_json)
    actor = _who(role, user, None)
    store = cli._store()
    with store.session() as s:
        try:
            if document:
                docs = find_patents(s, document, SYSTEM)
                if not docs:
                    raise cli.fail(f"no patent document {document!r} in {store.home}", as_json)
                case = engine.open_case_for_document(s, actor, docs[0], track=track)
            elif trademark:
                tms = find_trademarks(s, trademark, SYSTEM)
                if not tms:
                    raise cli.fail(f"no trademark {trademark!r} in {store.home}", as_json)
                case = engine.open_case_for_trademark(s, actor, tms[0], track=track)
            else:
                fd = _date(filing_date, "--filing-date", as_json)
                if not right or fd is None:
                    raise cli.fail("give --document, --trademark, or --right with --filing-date", as_json)
                case = engine.open_case(
                    s,
                    actor,
                    right,
                    fd,
                    title=title,
                    priority_date=_date(priority_date, "--priority-date", as_json),
                    track=track,
                    case_no=case_no,
                )
        except _errors() as exc:
            s.rollback()
            raise cli.fail(str(exc), as_json) from None
        s.commit()
        result = engine.timeline(s, case)
    if as_json:
        cli.emit(result)
    else:
        _print_case(result)


@case_app.command("event")
def event_cmd(
    case_no: Annotated[str, typer.Argument(help="Case number.")],
    event: Annotated[str, typer.Argument(help="Event of the case's procedure (see `case show`).")],
    date: Annotated[str, typer.Option(help="Date of the act (YYYY-MM-DD).")],
    note: Annotated[str | None, typer.Option(help="Free text kept with the event and its notice.")] = None,
    detail: Annotated[list[str] | None, typer.Option(help="key=value kept with the event (e.g. service=mail).")] = None,
    expect_version: Annotated[int | None, typer.Option(help="Refuse if the case's row_version moved on.")] = None,
    role: RoleOpt = "administrator",
    user: UserOpt = None,
    party: PartyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply one event; refused (exit 2) with the reason and the allowed events if the procedure does not allow it."""
    from ipoffice.workflow import cases as engine

    cli = _cli()
    day = _date(date, "--date", as_json)
    assert day is not None
    details: dict[str, Any] = {}
    for item in detail or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise cli.fail(f"--detail {item!r}: expected key=value", as_json)
        details[key] = value
    if note:
        details["note"] = note
    actor = _who(role, user, party)
    store = cli._store()
    with store.session() as s:
        try:
            case = engine.get_case(s, case_no)
            ev = engine.apply_event(s, actor, case, event, day, details, expected_version=expect_version)
        except engine.IllegalTransition as exc:
            s.rollback()
            if as_json:
                cli.emit(exc.to_dict())
            cli.err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        except _errors() as exc:
            s.rollback()
            raise cli.fail(str(exc), as_json) from None
        s.commit()
        result = {
            "case": engine.case_summary(case),
            "event": {
                "id": ev.id,
                "event": ev.event,
                "date": ev.date.isoformat(),
                "from_state": ev.from_state,
                "to_state": ev.to_state,
                "legal_basis": ev.legal_basis,
                "details": ev.details,
            },
            "deadlines": [
                engine.deadline_dict(d, dt.date.today())
                for d in engine.case_deadlines(s, case)
                if d.id in (ev.details or {}).get("deadlines_started", [])
            ],
        }
    if as_json:
        cli.emit(result)
        return
    cli.out.print(
        f"{case_no}: {ev.event} on {ev.date}: {ev.from_state} → {ev.to_state}  [dim]{ev.legal_basis or ''}[/dim]"
    )
    for d in result["deadlines"]:
        cli.out.print(f"  time limit {d['kind']} until {d['deadline']} ({d['legal_basis']})")
    notice = (ev.details or {}).get("notice")
    if notice:
        cli.out.print(notice["text"])


@case_app.command("show")
def show_cmd(
    case_no: Annotated[str, typer.Argument(help="Case number.")],
    role: RoleOpt = "administrator",
    user: UserOpt = None,
    party: PartyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A case with its timeline, time limits, proposed consequences and the events it allows next."""
    from ipoffice.core.roles import check
    from ipoffice.workflow import cases as engine

    cli = _cli()
    actor = _who(role, user, party)
    store = cli._store()
    with store.session() as s:
        try:
            case = engine.get_case(s, case_no)
            check("case_show", actor, case)
        except _errors() as exc:
            raise cli.fail(str(exc) if isinstance(exc, engine.CaseError) else f"no case {case_no!r}", as_json) from None
        result = engine.timeline(s, case)
    if as_json:
        cli.emit(result)
    else:
        _print_case(result)


def _print_case(c: dict[str, Any]) -> None:
    from rich.table import Table

    cli = _cli()
    cli.out.rule(f"{c['case_no']}  {c.get('title') or ''}")
    cli.out.print(
        f"[bold]{c['right']}[/bold] ({c['procedure']}/{c['procedure_version']}), state [bold]{c['state']}[/bold] "
        f"{c['state_label']}, track {c['track']}, filed {c['filing_date']}"
        + (f", outcome {c['outcome']}" if c.get("outcome") else "")
    )
    events = Table(title="events")
    for col in ("date", "event", "from → to", "legal basis"):
        events.add_column(col)
    for e in c["events"]:
        events.add_row(e["date"], e["event"], f"{e['from_state'] or ''} → {e['to_state']}", e["legal_basis"] or "")
    cli.out.print(events)
    if c["deadlines"]:
        dls = Table(title="time limits")
        for col in ("kind", "deadline", "status", "party", "legal basis"):
            dls.add_column(col)
        for d in c["deadlines"]:
            dls.add_row(d["kind"], d["extended_to"] or d["deadline"], d["status"], d["party"], d["legal_basis"])
        cli.out.print(dls)
    for pa in c["proposed_actions"]:
        cli.out.print(f"proposed #{pa['id']} {pa['action']} ({pa['status']}): {pa['reason']}")
    nxt = [f"{n['event']}{' (blocked)' if n['blocked_by'] else ''}" for n in c["next_events"]]
    cli.out.print("next: " + (", ".join(nxt) or "none (final state)"))


@case_app.command("sweep")
def sweep_cmd(
    today: Annotated[str | None, typer.Option(help="Sweep as of this date (default today).")] = None,
    role: RoleOpt = "administrator",
    user: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose the consequences of running time limits past due (staff confirm them with `case confirm`)."""
    from ipoffice.workflow import cases as engine

    cli = _cli()
    day = _date(today, "--today", as_json)
    actor = _who(role, user, None)
    store = cli._store()
    with store.session() as s:
        try:
            rep = engine.sweep_overdue(s, day, actor=actor)
        except _errors() as exc:
            s.rollback()
            raise cli.fail(str(exc), as_json) from None
        s.commit()
    result = rep.to_dict()
    if as_json:
        cli.emit(result)
        return
    cli.out.print(f"{len(rep.proposed)} consequence(s) proposed as of {rep.today}")
    for p in rep.proposed:
        cli.out.print(f"  #{p['proposed_action_id']} {p['case']}: {p['action']} ({p['kind']} due {p['deadline']})")
    for p in rep.skipped:
        cli.out.print(f"  [yellow]skipped[/yellow] {p['case']}: {p['kind']} due {p['deadline']}: {p['reason']}")
    for p in rep.office_overdue:
        cli.out.print(f"  [yellow]office overdue[/yellow] {p['case']}: {p['kind']} due {p['deadline']}")


@case_app.command("actions")
def actions_cmd(
    status: Annotated[str, typer.Option(help="proposed, confirmed, rejected or all.")] = "proposed",
    as_json: JsonOpt = False,
) -> None:
    """Proposed consequences waiting for staff (or decided ones)."""
    from sqlalchemy import select

    from ipoffice.core import tables as t
    from ipoffice.core.roles import SYSTEM, check

    cli = _cli()
    check("case_action_decide", SYSTEM)
    store = cli._store()
    with store.session() as s:
        q = select(t.ProposedAction, t.Case.case_no).join(t.Case, t.Case.id == t.ProposedAction.case_id)
        if status != "all":
            q = q.where(t.ProposedAction.status == status)
        rows = [
            {
                "id": pa.id,
                "case": case_no,
                "action": pa.action,
                "status": pa.status,
                "reason": pa.reason,
                "legal_basis": pa.legal_basis,
                "decided_by": pa.decided_by,
            }
            for pa, case_no in s.execute(q.order_by(t.ProposedAction.id))
        ]
    if as_json:
        cli.emit({"results": rows})
        return
    for r in rows:
        cli.out.print(f"#{r['id']} {r['case']} {r['action']} [{r['status']}] {r['reason']} ({r['legal_basis']})")


@case_app.command("confirm")
def confirm_cmd(
    action_id: Annotated[int, typer.Argument(help="Proposed action id (from `case sweep` / `case actions`).")],
    date: Annotated[str | None, typer.Option(help="Date of the act (default today).")] = None,
    role: RoleOpt = "administrator",
    user: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm a proposed consequence: its event is applied to the case."""
    from ipoffice.core import tables as t
    from ipoffice.workflow import cases as engine

    cli = _cli()
    day = _date(date, "--date", as_json)
    actor = _who(role, user, None)
    store = cli._store()
    with store.session() as s:
        try:
            ev = engine.confirm_action(s, actor, action_id, date=day)
        except _errors() as exc:
            s.rollback()
            raise cli.fail(f"proposed action {action_id}: {exc}", as_json) from None
        s.commit()
        pa = s.get(t.ProposedAction, action_id)
        case = s.get(t.Case, pa.case_id) if pa else None
        result = {
            "proposed_action": action_id,
            "status": "confirmed",
            "case": engine.case_summary(case) if case else None,
            "event": {"id": ev.id, "event": ev.event, "to_state": ev.to_state} if ev else None,
        }
    if as_json:
        cli.emit(result)
    else:
        cli.out.print(
            f"#{action_id} confirmed"
            + (f": {result['case']['case_no']} is now {result['case']['state']}" if case else "")
        )


@case_app.command("reject")
def reject_cmd(
    action_id: Annotated[int, typer.Argument(help="Proposed action id.")],
    reason: Annotated[str, typer.Option(help="Why the consequence does not follow.")] = "",
    extend_to: Annotated[str | None, typer.Option(help="The time limit runs on to this date (extension).")] = None,
    role: RoleOpt = "administrator",
    user: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject a proposed consequence (the time limit stops, or runs on to --extend-to)."""
    from ipoffice.workflow import cases as engine

    cli = _cli()
    until = _date(extend_to, "--extend-to", as_json)
    actor = _who(role, user, None)
    store = cli._store()
    with store.session() as s:
        try:
            pa = engine.reject_action(s, actor, action_id, reason, extend_to=until)
        except _errors() as exc:
            s.rollback()
            raise cli.fail(f"proposed action {action_id}: {exc}", as_json) from None
        s.commit()
        result = {"proposed_action": pa.id, "status": pa.status, "extended_to": until.isoformat() if until else None}
    if as_json:
        cli.emit(result)
    else:
        cli.out.print(f"#{action_id} rejected" + (f"; time limit extended to {until}" if until else ""))


@case_app.command("tracks")
def tracks_cmd(
    case_no: Annotated[str, typer.Argument(help="Case number.")],
    declare: Annotated[
        list[str] | None, typer.Option(help="A declared fact (e.g. implementation, major-project).")
    ] = None,
    assign: Annotated[str | None, typer.Option(help="Put the case on this track.")] = None,
    force: Annotated[bool, typer.Option(help="Assign even if it does not qualify (administrator).")] = False,
    date: Annotated[str | None, typer.Option(help="Date of the assignment (default today).")] = None,
    role: RoleOpt = "administrator",
    user: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Which fast tracks the case qualifies for and why (not); `--assign` puts it on one."""
    from ipoffice.core.roles import check
    from ipoffice.workflow import cases as engine
    from ipoffice.workflow import tracks

    cli = _cli()
    actor = _who(role, user, None)
    day = _date(date, "--date", as_json)
    store = cli._store()
    with store.session() as s:
        try:
            case = engine.get_case(s, case_no)
            check("case_track_show", actor, case)
            result: dict[str, Any] = {
                "case": case.case_no,
                "track": case.track,
                "results": [a.to_dict() for a in tracks.assess(case, declare or [], session=s)],
            }
            if assign:
                ev = tracks.assign_track(s, actor, case, assign, date=day, declarations=declare or [], force=force)
                s.commit()
                result["assigned"] = {"track": assign, "event_id": ev.id, "reasons": ev.details.get("reasons", [])}
                result["track"] = case.track
        except _errors() as exc:
            s.rollback()
            raise cli.fail(str(exc), as_json) from None
    if as_json:
        cli.emit(result)
        return
    cli.out.print(f"{case_no}: track {result['track']}")
    for a in result["results"]:
        mark = "[green]eligible[/green]" if a["eligible"] else "[red]not eligible[/red]"
        cli.out.print(f"  {a['track']} ({a['label']}): {mark}")
        for r in a["reasons"]:
            cli.out.print(f"    + {r}")
        for m in a["missing"]:
            cli.out.print(f"    - {m}")


@case_app.command("track-report")
def track_report_cmd(
    right: Annotated[str | None, typer.Option(help="Only this right.")] = None,
    today: Annotated[str | None, typer.Option(help="Report as of this date.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Per track: cases, and how many met each target time (first action, closure)."""
    from ipoffice.core.roles import SYSTEM, check
    from ipoffice.workflow.tracks import track_report

    cli = _cli()
    check("case_track_report", SYSTEM)
    day = _date(today, "--today", as_json)
    store = cli._store()
    with store.session() as s:
        result = track_report(s, day, right=right)
    if as_json:
        cli.emit(result)
        return
    for row in result["results"]:
        cli.out.print(f"{row['track']} / {row['right']}: {row['cases']} case(s), {row['open']} open")
        for tg in row["targets"]:
            share = "-" if tg["share_on_target"] is None else f"{tg['share_on_target']:.0%}"
            cli.out.print(
                f"  {tg['metric']} within {tg['target']} from {tg['from']}: "
                f"{tg['on_target']}/{tg['measured']} on target ({share}), "
                f"{tg['pending']} pending ({tg['pending_late']} late)"
            )


@case_app.command("procedure")
def procedure_cmd(
    right: Annotated[str, typer.Argument(help="invention, utility, design or trademark.")],
    date: Annotated[str | None, typer.Option(help="Filing date whose version to show (default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The procedure version in force for a right on a filing date: states, events, legal basis."""
    from ipoffice.workflow.procedures import NoProcedure, procedure_for

    cli = _cli()
    day = _date(date, "--date", as_json) or dt.date.today()
    try:
        version = procedure_for(right, day)
    except NoProcedure as exc:
        raise cli.fail(str(exc), as_json) from None
    result = version.describe()
    if as_json:
        cli.emit(result)
        return
    cli.out.rule(f"{version.key}: {version.title} ({version.effective_from} .. {version.effective_to or ''})")
    for tr in version.transitions:
        cli.out.print(f"{tr.event:<34} {','.join(tr.from_) or '(open)'} → {tr.to}  [dim]{tr.basis_text}[/dim]")
