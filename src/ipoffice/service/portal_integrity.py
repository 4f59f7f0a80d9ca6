"""Portal pages of the integrity desk: the review queue with filters, a flag with its evidence and the
confirm/dismiss form, and the reports. Office only: anyone else gets a 404 page that says nothing of flags.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ipoffice.core.roles import PermissionDenied, allowed, check
from ipoffice.integrity import permissions as _permissions  # noqa: F401 - registers the integrity checks
from ipoffice.service.api import ActorDep, SessionDep, action
from ipoffice.service.portal import page

router = APIRouter(include_in_schema=False)
NOT_HERE = "no such page"  # the same answer for a missing page and a forbidden one: flags are never hinted at


def _not_here(request: Request, actor: Any) -> HTMLResponse:
    return page(request, "message.html", actor, status=404, message=NOT_HERE)


@router.get("/integrity", response_class=HTMLResponse)
@action("integrity_list")
def integrity_queue_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    behaviour: str = "",
    status: str = "open",
    kind: str = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> HTMLResponse:
    """The review queue, highest score first, filtered by behaviour, status and kind."""
    from ipoffice.integrity.review import STATUSES, IntegrityInputError, queue
    from ipoffice.integrity.rules import default_rules

    try:
        check("integrity_list", actor)
    except PermissionDenied:
        return _not_here(request, actor)
    error = None
    try:
        res = queue(session, actor, behaviour or None, status or None, kind or None, limit=limit)
    except IntegrityInputError as exc:
        res, error = {"total": 0, "results": []}, str(exc)
    return page(
        request,
        "integrity_queue.html",
        actor,
        status=422 if error else 200,
        q=res,
        error=error,
        codes=default_rules().codes(),
        statuses=STATUSES,
        filters={"behaviour": behaviour, "status": status, "kind": kind},
    )


@router.get("/integrity/flag/{flag_id}", response_class=HTMLResponse)
@action("integrity_show")
def integrity_flag_page(request: Request, flag_id: int, session: SessionDep, actor: ActorDep) -> HTMLResponse:
    """One flag: the rule in force on the filing date, the evidence, the review history, the decision form."""
    try:
        check("integrity_show", actor)
    except PermissionDenied:
        return _not_here(request, actor)
    return _flag_page(request, flag_id, session, actor)


def _flag_page(request: Request, flag_id: int, session: Any, actor: Any, status: int = 200, **extra: Any) -> Any:
    import json

    from ipoffice.core import tables as t
    from ipoffice.integrity.review import explain

    try:
        check("integrity_show", actor)
    except PermissionDenied:
        return _not_here(request, actor)
    row = session.get(t.IntegrityFlag, flag_id)
    if row is None:
        return _not_here(request, actor)
    ex = explain(session, actor, row.number)
    f = next(x for x in ex["results"] if x["id"] == flag_id)
    return page(
        request,
        "integrity_flag.html",
        actor,
        status=status,
        f=f,
        filing=ex["filing"],
        others=[x for x in ex["results"] if x["id"] != flag_id],
        evidence_json=json.dumps(f["details"], ensure_ascii=False, indent=1, default=str),
        can_review=allowed("integrity_review", actor),
        **extra,
    )


@router.post("/integrity/flag/{flag_id}/review", response_class=HTMLResponse)
@action("integrity_review")
def integrity_review_form(
    request: Request,
    flag_id: int,
    session: SessionDep,
    actor: ActorDep,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Any:
    """An examiner's decision from the flag page (audited); a missing note is refused with the page again."""
    from ipoffice.integrity.review import IntegrityInputError, review

    if not allowed("integrity_show", actor):
        return _not_here(request, actor)
    try:
        check("integrity_review", actor)
        review(session, actor, flag_id, decision, note)
        session.commit()
    except (IntegrityInputError, PermissionDenied) as exc:
        session.rollback()
        if "no integrity flag" in str(exc):
            return _not_here(request, actor)
        return _flag_page(request, flag_id, session, actor, status=422, error=str(exc), note=note)
    return RedirectResponse(f"/integrity/flag/{flag_id}", status_code=303)


@router.get("/integrity/report", response_class=HTMLResponse)
@action("integrity_report")
def integrity_report_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    by: str = "applicant",
    kind: str = "patent",
    min_filings: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """Flags per applicant, agency or region beside the base rate (for the credit-supervision desk)."""
    from ipoffice.integrity.review import REPORT_BY, IntegrityInputError, report

    try:
        check("integrity_report", actor)
    except PermissionDenied:
        return _not_here(request, actor)
    error = None
    try:
        rep = report(session, actor, by, kind=kind, min_filings=min_filings)
    except IntegrityInputError as exc:
        rep, error = None, str(exc)
    return page(
        request,
        "integrity_report.html",
        actor,
        status=422 if error else 200,
        rep=rep,
        error=error,
        groupings=REPORT_BY,
        form={"by": by, "kind": kind, "min_filings": min_filings},
    )
