"""Case API: the examiner's worklist, a case with its timeline, and applying an event.

Visibility follows `workflow.permissions`: office staff see every case; an applicant or agent
sees only the cases of the party their token acts for; the public sees none (403, and never a
count). A case the caller may not see answers 404, as if it did not exist: case numbers of
unpublished applications are not public either.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ipoffice.core.roles import PermissionDenied, check
from ipoffice.service.api import ActorDep, SessionDep, action
from ipoffice.workflow import cases as engine

router = APIRouter(tags=["cases"])


class EventIn(BaseModel):
    event: str = Field(description="event of the case's procedure, e.g. office-action, grant-notice")
    date: dt.date = Field(description="date of the act (not in the future, not before the last event)")
    note: str | None = Field(default=None, description="free text kept with the event (and in its notice)")
    details: dict[str, Any] = Field(default_factory=dict, description="e.g. {'service': 'mail'}")
    expected_version: int | None = Field(
        default=None, description="the case's row_version as read; a stale one is refused (409)"
    )


@router.get("/api/cases")
@action("case_list")
def api_cases(
    session: SessionDep,
    actor: ActorDep,
    mine: Annotated[bool, Query(description="only cases assigned to me (examiner code = my user name)")] = False,
    state: str | None = None,
    right: str | None = None,
    open_only: Annotated[bool, Query(alias="open", description="only cases still in the office's work")] = True,
    due_within: Annotated[int | None, Query(ge=0, le=3650, description="with a time limit due within N days")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The worklist: my cases, or what is due; applicants and agents get only their own cases."""
    check("case_list", actor)
    return engine.worklist(
        session,
        actor,
        mine=mine,
        state=state,
        right=right,
        open_only=open_only,
        due_within=due_within,
        limit=limit,
        offset=offset,
    )


@router.get("/api/cases/{case_no}")
@action("case_show")
def api_case(case_no: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """One case with its timeline, time limits, proposed consequences and the events it allows next."""
    try:
        case = engine.get_case(session, case_no)
        check("case_show", actor, case)
    except (engine.CaseNotFound, PermissionDenied):
        raise HTTPException(404, f"no case {case_no!r}") from None
    return engine.timeline(session, case)


@router.post("/api/cases/{case_no}/events", status_code=201)
@action("case_event_apply")
def api_case_event(case_no: str, body: EventIn, session: SessionDep, actor: ActorDep) -> Any:
    """Apply an event (office staff). 409 with the reason and the allowed events when the
    procedure does not allow it, or when the case changed since `expected_version`."""
    try:
        case = engine.get_case(session, case_no)
    except engine.CaseNotFound:
        raise HTTPException(404, f"no case {case_no!r}") from None
    check("case_event_apply", actor, case)
    details = dict(body.details)
    if body.note:
        details["note"] = body.note
    try:
        ev = engine.apply_event(
            session, actor, case, body.event, body.date, details, expected_version=body.expected_version
        )
    except engine.IllegalTransition as exc:
        session.rollback()
        return JSONResponse(exc.to_dict(), status_code=409)
    except engine.StaleCase as exc:
        session.rollback()
        return JSONResponse({"error": str(exc), "case": case_no}, status_code=409)
    except engine.CaseError as exc:
        session.rollback()
        return JSONResponse({"error": str(exc), "case": case_no}, status_code=422)
    except PermissionDenied as exc:
        session.rollback()
        return JSONResponse({"error": str(exc), "case": case_no}, status_code=403)
    session.commit()
    return {
        "event": {
            "id": ev.id,
            "event": ev.event,
            "date": ev.date.isoformat(),
            "from_state": ev.from_state,
            "to_state": ev.to_state,
            "legal_basis": ev.legal_basis,
            "details": ev.details,
        },
        "case": engine.case_summary(case),
    }
