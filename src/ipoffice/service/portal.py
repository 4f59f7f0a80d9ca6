"""The portal's pages beyond the home page: login, the deadline calculator, worklists and case pages.

Server-rendered (Jinja2) from the same FastAPI app as the API, one section per desk. Pages call
the same functions and permission checks as the API; the browser authenticates with the token
of `ipoffice user add`, kept in an HttpOnly cookie.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ipoffice.core.roles import PermissionDenied, check
from ipoffice.service.api import TEMPLATES, TOKEN_COOKIE, ActorDep, SessionDep, action
from ipoffice.service.auth import actor_for_token

router = APIRouter(include_in_schema=False)


def page(request: Request, name: str, actor: Any, status: int = 200, **ctx: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, {"actor": actor, **ctx}, status_code=status)


@router.get("/login", response_class=HTMLResponse)
@action("portal_login")
def login_form(request: Request, actor: ActorDep) -> HTMLResponse:
    check("portal_login", actor)
    return page(request, "login.html", actor)


@router.post("/login", response_class=HTMLResponse)
@action("portal_login")
def login(request: Request, session: SessionDep, actor: ActorDep, token: Annotated[str, Form()]) -> Any:
    check("portal_login", actor)
    who = actor_for_token(session, token.strip())
    if who.role == "public":
        return page(request, "login.html", actor, status=401, error="unknown token")
    resp = RedirectResponse("/cases", status_code=303)
    resp.set_cookie(TOKEN_COOKIE, token.strip(), httponly=True, samesite="strict")
    return resp


@router.get("/logout")
@action("portal_login")
def logout(actor: ActorDep) -> RedirectResponse:
    check("portal_login", actor)
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(TOKEN_COOKIE)
    return resp


@router.get("/deadlines", response_class=HTMLResponse)
@action("deadline_calc")
def deadlines_page(
    request: Request,
    actor: ActorDep,
    event: str | None = None,
    date: str | None = None,
    right: str = "invention",
    service: str = "electronic",
    priority_date: str | None = None,
) -> HTMLResponse:
    """The agents' deadline calculator: every time limit an event starts, with its legal basis."""
    from ipoffice.rules.schema import EVENTS, RIGHTS
    from ipoffice.workflow.deadlines import calc

    check("deadline_calc", actor)
    results, error = [], None
    if event and date:
        try:
            results = calc(
                event,
                dt.date.fromisoformat(date),
                right,
                service=service,
                priority_date=dt.date.fromisoformat(priority_date) if priority_date else None,
            )
        except ValueError as exc:
            error = str(exc)
    status = 422 if error else 200
    return page(
        request,
        "deadlines.html",
        actor,
        status=status,
        events=EVENTS,
        rights=RIGHTS,
        results=results,
        error=error,
        form={
            "event": event or "filing",
            "date": date or "",
            "right": right,
            "service": service,
            "priority_date": priority_date or "",
        },
    )


@router.get("/cases", response_class=HTMLResponse)
@action("case_list")
def cases_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    mine: bool = False,
    due_within: Annotated[int | None, Query(ge=0, le=3650)] = None,
    state: str | None = None,
    right: str | None = None,
    track: str | None = None,
) -> HTMLResponse:
    """An examiner's worklist (my cases, what is due), or an applicant's or agent's own cases."""
    from ipoffice.workflow.cases import worklist

    try:
        check("case_list", actor)
    except PermissionDenied:
        return page(request, "login.html", actor, status=401, error="log in to see cases")
    wl = worklist(session, actor, mine=mine, due_within=due_within, state=state, right=right, limit=200)
    if track:  # each fast track is its own queue
        wl["results"] = [c for c in wl["results"] if c["track"] == track]
        wl["total"] = len(wl["results"])
    return page(
        request,
        "cases.html",
        actor,
        wl=wl,
        today=dt.date.today(),
        filters={"mine": mine, "due_within": due_within, "state": state or "", "right": right or ""},
    )


@router.get("/cases/{case_no}", response_class=HTMLResponse)
@action("case_show")
def case_page(request: Request, case_no: str, session: SessionDep, actor: ActorDep) -> HTMLResponse:
    """The case page: its full timeline, notices, time limits, proposed consequences and next steps."""
    from ipoffice.workflow.cases import CaseNotFound, get_case, timeline

    try:
        case = get_case(session, case_no)
        check("case_show", actor, case)
    except (CaseNotFound, PermissionDenied):
        return page(request, "message.html", actor, status=404, message=f"no case {case_no} that you may see")
    return page(request, "case.html", actor, c=timeline(session, case), examiners=_examiners(session, actor))


@router.get("/supervisor", response_class=HTMLResponse)
@action("pendency_show")
def supervisor_page(request: Request, session: SessionDep, actor: ActorDep) -> HTMLResponse:
    """The supervisor's dashboard: workload, pendency (charts), fast tracks, quality, proposed actions."""
    from markupsafe import Markup
    from sqlalchemy import func, select

    from ipoffice.core import tables as t
    from ipoffice.workflow.cases import RUNNING
    from ipoffice.workflow.pendency import pendency, pendency_svg
    from ipoffice.workflow.quality import quality_figures
    from ipoffice.workflow.tracks import track_report

    try:
        check("pendency_show", actor)
    except PermissionDenied:
        return page(request, "login.html", actor, status=401, error="log in as a supervisor")
    by_state = session.execute(
        select(t.Case.right, t.Case.state, func.count())
        .where(t.Case.is_open.is_(True))
        .group_by(t.Case.right, t.Case.state)
        .order_by(t.Case.right, t.Case.state)
    ).all()
    unassigned = session.scalar(
        select(func.count()).select_from(t.Case).where(t.Case.is_open.is_(True), t.Case.examiner_id.is_(None))
    )
    overdue = session.scalar(
        select(func.count())
        .select_from(t.CaseDeadline)
        .where(t.CaseDeadline.status.in_(RUNNING), t.CaseDeadline.deadline < dt.date.today())
    )
    proposed = session.scalar(
        select(func.count()).select_from(t.ProposedAction).where(t.ProposedAction.status == "proposed")
    )
    fig_right = pendency(session, "right", actor=actor)
    fig_field = pendency(session, "section", actor=actor)
    return page(
        request,
        "supervisor.html",
        actor,
        by_state=by_state,
        unassigned=unassigned,
        overdue=overdue,
        proposed=proposed,
        pendency_right=fig_right,
        chart_right=Markup(pendency_svg(fig_right)),
        chart_field=Markup(pendency_svg(fig_field)),
        tracks=track_report(session),
        quality=quality_figures(session, "division", actor=actor),
    )


@router.post("/cases/{case_no}/events", response_class=HTMLResponse)
@action("case_event_apply")
def case_event_form(
    request: Request,
    case_no: str,
    session: SessionDep,
    actor: ActorDep,
    event: Annotated[str, Form()],
    date: Annotated[str, Form()],
    row_version: Annotated[int, Form()],
    note: Annotated[str, Form()] = "",
) -> Any:
    """An examiner applies the next step of the procedure from the case page (audited, one transaction)."""
    from ipoffice.workflow.cases import CaseError, CaseNotFound, apply_event, get_case, timeline

    try:
        case = get_case(session, case_no)
        check("case_event_apply", actor, case)
    except (CaseNotFound, PermissionDenied):
        return page(request, "message.html", actor, status=404, message=f"no case {case_no} that you may change")
    try:
        apply_event(
            session,
            actor,
            case,
            event,
            dt.date.fromisoformat(date),
            {"note": note} if note else None,
            expected_version=row_version,
        )
        session.commit()
    except (CaseError, PermissionDenied, ValueError) as exc:
        session.rollback()
        return page(
            request,
            "case.html",
            actor,
            status=409,
            c=timeline(session, get_case(session, case_no)),
            error=str(exc),
            examiners=_examiners(session, actor),
        )
    return RedirectResponse(f"/cases/{case_no}", status_code=303)


@router.post("/cases/{case_no}/reassign", response_class=HTMLResponse)
@action("case_reassign")
def case_reassign_form(
    request: Request,
    case_no: str,
    session: SessionDep,
    actor: ActorDep,
    examiner_code: Annotated[str, Form()],
    reason: Annotated[str, Form()],
) -> Any:
    """A supervisor's override of the allocation (refused with the reason on a conflict or a wrong field)."""
    from sqlalchemy import select

    from ipoffice.core import tables as t
    from ipoffice.workflow.allocation import AllocationRefused, override
    from ipoffice.workflow.cases import CaseNotFound, get_case, timeline

    try:
        case = get_case(session, case_no)
        check("case_reassign", actor, case)
    except (CaseNotFound, PermissionDenied):
        return page(request, "message.html", actor, status=404, message=f"no case {case_no} that you may reassign")
    examiner = session.scalar(select(t.Examiner).where(t.Examiner.code == examiner_code))
    try:
        if examiner is None:
            raise AllocationRefused(f"no examiner {examiner_code!r}")
        override(session, actor, case, examiner, reason)
    except (AllocationRefused, ValueError) as exc:
        session.rollback()
        return page(
            request,
            "case.html",
            actor,
            status=409,
            c=timeline(session, get_case(session, case_no)),
            error=str(exc),
            examiners=_examiners(session, actor),
        )
    return RedirectResponse(f"/cases/{case_no}", status_code=303)


def _examiners(session: Any, actor: Any) -> list[Any]:
    from sqlalchemy import select

    from ipoffice.core import tables as t

    if getattr(actor, "role", None) != "administrator":
        return []
    return list(session.scalars(select(t.Examiner).where(t.Examiner.active.is_(True)).order_by(t.Examiner.code)))


@router.get("/trademarks", response_class=HTMLResponse)
@action("trademark_search")
def trademark_search_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    mark: str = "",
    classes: str = "",
    groups: str = "",
    goods: str = "",
    before: str = "",
) -> HTMLResponse:
    """Trademark conflict search: earlier similar marks on similar goods, with the reasons per hit."""
    from ipoffice.trademarks.search import ConflictQuery, SearchInputError, conflict_search, parse_classes, split_list

    check("trademark_search", actor)
    result, error = None, None
    form = {"mark": mark, "classes": classes, "groups": groups, "goods": goods, "before": before}
    if mark:
        try:
            q = ConflictQuery(
                mark=mark,
                classes=parse_classes(classes),
                groups=set(split_list(groups)),
                goods=[g.strip() for g in goods.replace("；", ";").split(";") if g.strip()],
                before=dt.date.fromisoformat(before) if before else None,
                include_dead=True,
            )
            result = conflict_search(session, actor, q)
        except (SearchInputError, ValueError) as exc:
            error = str(exc)
    return page(request, "trademarks.html", actor, status=422 if error else 200, form=form, result=result, error=error)
