"""Trademark watch over the API: `POST /trademarks/watch` (the same report as `ipoffice tm watch --json`).

The body carries the gazette rows (the contract keys plus `publication_date`) and either an owner name (their
marks in the register), a list of watched marks, or neither (the whole register). Rows that fail validation are
reported in `errors` by row and field while the rest are compared; nothing usable is a 422 naming the problem.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ipoffice.core.roles import check
from ipoffice.service.api import ActorDep, action
from ipoffice.trademarks import watch as _watch  # noqa: F401 - registers trademark_watch

router = APIRouter(tags=["trademarks"])


class WatchRequest(BaseModel):
    gazette: list[Any] = Field(description="gazette rows: number, mark, nice_classes, groups, goods, applicant, "
                               "filing_date, status, publication_date")  # fmt: skip
    owner: str | None = Field(None, description="watch this owner's marks in the register")
    marks: list[Any] | None = Field(None, description="watched marks (contract keys); neither: the whole register")
    classes: list[int] | None = Field(None, description="only these Nice classes")
    published: dt.date | None = Field(None, description="publication date for rows that give none")
    today: dt.date | None = Field(None, description="count days left as of this date")
    engine: str = Field("auto", pattern="^(auto|duckdb|spark|online)$")
    top: int = Field(20, ge=1, le=1000)


@router.post("/trademarks/watch")
@action("trademark_watch")
def api_tm_watch(request: Request, actor: ActorDep, body: WatchRequest) -> Any:
    """Gazette marks the watched (earlier) marks could oppose, each with its reasons and opposition window."""
    from ipoffice.trademarks.watch import WatchInputError, gazette_from_rows, rows_from_json, watch

    check("trademark_watch", actor)
    if body.owner and body.marks is not None:
        return JSONResponse({"error": "give owner or marks, not both (neither: the whole register)"}, 422)
    rows, errors = gazette_from_rows(body.gazette, body.published)
    watched = None
    if body.marks is not None:
        watched, mark_errors = rows_from_json(body.marks, None, "marks")
        errors += mark_errors
        if not watched:
            return JSONResponse({"error": "marks: no usable mark", "errors": [str(e) for e in errors]}, 422)
    if not rows:
        return JSONResponse({"error": "gazette: no usable row", "errors": [str(e) for e in errors]}, 422)
    try:
        return watch(
            request.app.state.store,
            actor,
            rows,
            watched=watched,
            owner=body.owner,
            classes=set(body.classes or []) or None,
            today=body.today,
            engine=body.engine,
            top=body.top,
            errors=errors,
        )
    except WatchInputError as exc:
        return JSONResponse({"error": str(exc)}, 422)
