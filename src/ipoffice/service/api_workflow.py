"""Workflow API: allocation, pendency, quality figures and fast-track reports (office roles only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

import ipoffice.workflow.allocation  # noqa: F401 - registers case_allocate
import ipoffice.workflow.pendency  # noqa: F401 - registers pendency_show
import ipoffice.workflow.quality  # noqa: F401 - registers quality_figures
from ipoffice.core.roles import check
from ipoffice.service.api import ActorDep, SessionDep, action

router = APIRouter(prefix="/api/workflow", tags=["workflow"])


@router.get("/pendency")
@action("pendency_show")
def api_pendency(
    session: SessionDep,
    actor: ActorDep,
    by: str = Query("right", pattern="^(right|field|section|track|division|year)$"),
    chart: bool = Query(False, description="an SVG chart instead of JSON"),
) -> Any:
    """Pendency to first action and final decision (months; median, mean, p90) and the backlog."""
    from ipoffice.workflow.pendency import pendency, pendency_svg

    check("pendency_show", actor)
    fig = pendency(session, by, actor=actor)
    if chart:
        return Response(pendency_svg(fig), media_type="image/svg+xml")
    return fig


@router.get("/quality")
@action("quality_figures")
def api_quality(
    session: SessionDep,
    actor: ActorDep,
    by: str = Query("examiner", pattern="^(examiner|division|field)$"),
) -> dict[str, Any]:
    """Quality-review error rates per checklist category, with Wilson intervals."""
    from ipoffice.workflow.quality import quality_figures

    check("quality_figures", actor)
    return quality_figures(session, by, actor=actor)


@router.get("/tracks")
@action("case_track_report")
def api_tracks(session: SessionDep, actor: ActorDep, right: str | None = None) -> dict[str, Any]:
    """Fast tracks: cases per track, share on target, late and waiting past target."""
    from ipoffice.workflow.tracks import track_report

    check("case_track_report", actor)
    return track_report(session, right=right)


@router.post("/allocate")
@action("case_allocate")
def api_allocate(
    session: SessionDep,
    actor: ActorDep,
    policy: str = "field-balanced",
    dry_run: bool = False,
    limit: int | None = Query(None, ge=1),
) -> dict[str, Any]:
    """Assign new cases to examiners (never one with a declared conflict); `dry_run` only proposes."""
    from ipoffice.workflow.allocation import allocate

    check("case_allocate", actor)
    try:
        return allocate(session, actor, policy, limit=limit, dry_run=dry_run).to_dict()
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
