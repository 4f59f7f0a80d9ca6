"""The integrity desk over the API (`/integrity/...`): scan, review queue, explanations, decisions, reports.

Office only: the public, applicants and agents get 403 on every route and never see a flag or a count.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ipoffice.core import audit
from ipoffice.core.roles import check
from ipoffice.integrity import permissions as _permissions  # noqa: F401 - registers the integrity checks
from ipoffice.service.api import ActorDep, SessionDep, action

router = APIRouter(tags=["integrity"])


def _bad(msg: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"error": msg}, status_code=status)


@router.get("/integrity/flags")
@action("integrity_list")
def api_integrity_flags(
    session: SessionDep,
    actor: ActorDep,
    behaviour: str | None = None,
    status: Annotated[str | None, Query(description="open, confirmed, dismissed; all when empty")] = "open",
    kind: str | None = None,
    number: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """The review queue: flags, highest score first (office only)."""
    from ipoffice.integrity.review import IntegrityInputError, queue

    check("integrity_list", actor)
    try:
        return queue(session, actor, behaviour, status or None, kind, number, limit, offset)
    except IntegrityInputError as exc:
        return _bad(str(exc))


@router.get("/integrity/explain/{number}")
@action("integrity_show")
def api_integrity_explain(number: str, session: SessionDep, actor: ActorDep) -> Any:
    """Every flag on a filing: the rule in force on its date, the evidence, the review history (office only)."""
    from ipoffice.integrity.review import IntegrityInputError, explain

    check("integrity_show", actor)
    try:
        return explain(session, actor, number)
    except IntegrityInputError as exc:
        return _bad(str(exc), 404)


class ReviewBody(BaseModel):
    decision: str
    note: str


@router.post("/integrity/flags/{flag_id}/review")
@action("integrity_review")
def api_integrity_review(flag_id: int, body: ReviewBody, session: SessionDep, actor: ActorDep) -> Any:
    """An examiner confirms or dismisses a flag with a note (audited)."""
    from ipoffice.integrity.review import IntegrityInputError, review

    check("integrity_review", actor)
    try:
        res = review(session, actor, flag_id, body.decision, body.note)
        session.commit()
    except IntegrityInputError as exc:
        session.rollback()
        return _bad(str(exc), 404 if "no integrity flag" in str(exc) else 422)
    return res


@router.get("/integrity/reports")
@action("integrity_report")
def api_integrity_report(
    session: SessionDep,
    actor: ActorDep,
    by: Annotated[str, Query(description="applicant, agency or region")] = "applicant",
    kind: str = "patent",
    min_filings: Annotated[int, Query(ge=1)] = 1,
) -> Any:
    """Flags and confirmed flags per applicant, agency or region beside the base rate (office only)."""
    from ipoffice.integrity.review import IntegrityInputError, report

    check("integrity_report", actor)
    try:
        return report(session, actor, by, kind=kind, min_filings=min_filings)
    except IntegrityInputError as exc:
        return _bad(str(exc))


@router.post("/integrity/scan")
@action("integrity_scan")
def api_integrity_scan(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    kind: str | None = None,
    since: dt.date | None = None,
    engine: str = "duckdb",
) -> Any:
    """Run a scan now and store its flags (office only; long on a large store: prefer the CLI)."""
    from ipoffice.integrity.scan import ScanInputError, scan

    check("integrity_scan", actor)
    try:
        res = scan(request.app.state.store, kind=kind, since=since, engine=engine)
    except ScanInputError as exc:
        return _bad(str(exc))
    audit.record(session, actor, "integrity_scan", "integrity_scan", str(res["scan_id"]), flags=res["counts"]["flags"])
    session.commit()
    return res
