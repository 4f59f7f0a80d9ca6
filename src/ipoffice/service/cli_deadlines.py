"""`ipoffice deadlines`: the open deadlines of the store, and the deadline calculator.

    ipoffice deadlines [--due-within 30d] [--overdue] [--json]
    ipoffice deadlines calc --event refusal --date 2024-03-01 --right invention [--service mail] [--json]

Same conventions as the rest of the CLI: `--json` prints exactly one JSON object (lists under
`results`), exit 0 done, 2 nothing done (bad input, no data home); messages go to stderr.
The calculator needs no data home: it reads only the law (rules/data/time_limits.yaml).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ipoffice.service.output import emit, fail

deadlines_app = typer.Typer(
    add_completion=False,
    help="Time limits: open deadlines of the cases in the store, and the calculator (`calc`).",
)

_out = Console()
_err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
TodayOpt = Annotated[str | None, typer.Option("--today", help="Count as of this day, YYYY-MM-DD (default: today).")]


_emit = emit
_fail = fail


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"malformed {what} {value!r}: expected YYYY-MM-DD") from None


def _window(value: str) -> int:
    """'30d' -> 30, '2w' -> 14, '45' -> 45."""
    m = re.fullmatch(r"\s*(\d{1,4})\s*([dw]?)\s*", value.lower())
    if not m:
        raise ValueError(f"malformed window {value!r}: expected e.g. 30d or 2w")
    n = int(m.group(1))
    return n * 7 if m.group(2) == "w" else n


@deadlines_app.callback(invoke_without_command=True)
def deadlines_list(
    ctx: typer.Context,
    due_within: Annotated[str, typer.Option("--due-within", help="Window from today: 30d, 2w, 45.")] = "30d",
    overdue: Annotated[bool, typer.Option("--overdue", help="List only deadlines already past.")] = False,
    role: Annotated[str, typer.Option(help="List as this role sees it.")] = "administrator",
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open deadlines of the store's cases (status open or extended) due within the window, soonest first."""
    if ctx.invoked_subcommand is not None:
        return
    from ipoffice import config
    from ipoffice.core.roles import Actor, PermissionDenied, Role, check
    from ipoffice.core.store import open_store
    from ipoffice.workflow.deadlines import due_deadlines

    try:
        days = _window(due_within)
        as_of = _date(today, "date for --today") or dt.date.today()
    except ValueError as exc:
        raise _fail(str(exc), as_json) from None
    if role not in {r.value for r in Role}:
        raise _fail(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}", as_json)
    actor = Actor(name=f"cli:{role}", role=Role(role))
    try:
        check("deadline_list", actor)
    except PermissionDenied as exc:
        raise _fail(str(exc), as_json) from None
    home = config.data_home()
    if config.database_url(home).startswith("sqlite") and not (home / config.DB_FILE).exists():
        raise _fail(f"no data home at {home}; run `ipoffice init` first", as_json)
    store = open_store(home)
    with store.session() as s:
        rows = due_deadlines(s, actor, as_of, within_days=days, overdue=overdue)
    if as_json:
        _emit(
            {"as_of": as_of.isoformat(), "window_days": None if overdue else days, "overdue": overdue, "results": rows}
        )
        return
    title = f"overdue deadlines as of {as_of}" if overdue else f"deadlines due {as_of} .. {as_of + dt.timedelta(days)}"
    table = Table(title=f"{title} ({len(rows)})")
    for col in ("case", "kind", "due", "days", "examiner", "legal basis"):
        table.add_column(col, justify="right" if col == "days" else "left", no_wrap=col != "legal basis")
    for r in rows:
        table.add_row(
            r["case_no"],
            r["kind"],
            r["due"],
            str(r["days_left"]),
            r["examiner"] or "-",
            r["legal_basis"].split(" / ")[0],
        )
    _out.print(table)


@deadlines_app.command("calc")
def calc_cmd(
    event: Annotated[
        str | None, typer.Option("--event", help="filing, first-filing, refusal, office-action, ...")
    ] = None,
    date: Annotated[str | None, typer.Option("--date", help="The event's date (dispatch date for notices).")] = None,
    right: Annotated[str | None, typer.Option("--right", help="invention, utility, design or trademark.")] = None,
    service: Annotated[
        str, typer.Option("--service", help="How a notice was served: electronic or mail.")
    ] = "electronic",
    priority_date: Annotated[
        str | None, typer.Option("--priority-date", help="Earliest priority date claimed.")
    ] = None,
    expiry_date: Annotated[
        str | None, typer.Option("--expiry-date", help="End of the previous period (e.g. the missed time limit).")
    ] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every time limit an event starts, with deadlines after deemed receipt and the rest-day rule."""
    from ipoffice.rules.loader import RulesError
    from ipoffice.workflow.deadlines import calc

    missing = [name for name, v in (("--event", event), ("--date", date), ("--right", right)) if not v]
    if missing:
        raise _fail(f"missing {', '.join(missing)}", as_json)
    try:
        day = _date(date, "date")
        results = calc(
            str(event),
            day,  # type: ignore[arg-type]
            str(right),
            service=service,
            priority_date=_date(priority_date, "priority date"),
            expiry_date=_date(expiry_date, "expiry date"),
            today=_date(today, "date for --today"),
        )
    except RulesError as exc:
        raise _fail(str(exc), as_json) from None
    except ValueError as exc:
        raise _fail(str(exc), as_json) from None
    if as_json:
        _emit(
            {
                "event": event,
                "date": day.isoformat() if day else None,
                "right": right,
                "service": service,
                "priority_date": priority_date,
                "expiry_date": expiry_date,
                "results": [r.to_dict() for r in results],
            }
        )
        return
    table = Table(title=f"time limits started by {event} on {date} ({right}, {service} service)")
    for col in ("kind", "deadline", "raw", "party", "if missed", "legal basis"):
        table.add_column(col, no_wrap=col in ("kind", "deadline", "raw"))
    for r in results:
        table.add_row(
            r.kind + (f" ({r.variant})" if r.variant else ""),
            r.deadline.isoformat(),
            "" if r.raw_deadline == r.deadline else r.raw_deadline.isoformat(),
            r.party,
            r.consequence or "-",
            r.legal_basis.split(" / ")[0],
        )
    _out.print(table)
    for r in results:
        line = f"[bold]{r.kind}[/bold] ({r.legal_basis}): {r.note}"
        if r.window_opens:
            line += f" Window opens {r.window_opens}."
        if r.extension:
            line += f" Extendable {r.extension}."
        _out.print(line, highlight=False)
        if r.calendar_note:
            _out.print(f"  [yellow]calendar:[/yellow] {r.calendar_note}", highlight=False)
