"""Trademark conflict search over the API: `GET /trademarks/search` (the same JSON as the CLI)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ipoffice.core.roles import check
from ipoffice.service.api import ActorDep, SessionDep, action
from ipoffice.trademarks import search as _search  # noqa: F401 - registers trademark_search

router = APIRouter(tags=["trademarks"])


@router.get("/trademarks/search")
@action("trademark_search")
def api_tm_search(
    session: SessionDep,
    actor: ActorDep,
    mark: Annotated[str, Query(description="The mark applied for")],
    classes: Annotated[str | None, Query(description="Nice classes, e.g. 9,42")] = None,
    groups: Annotated[str | None, Query(description="类似群 codes, e.g. 0901,4220")] = None,
    goods: Annotated[list[str] | None, Query(description="goods/services text")] = None,
    before: dt.date | None = None,
    top: Annotated[int, Query(ge=1, le=1000)] = 20,
    dead: bool = False,
) -> Any:
    """Earlier marks that could block this one, ranked, each with the guideline rules it meets."""
    from ipoffice.trademarks.search import ConflictQuery, SearchInputError, conflict_search, parse_classes, split_list

    check("trademark_search", actor)
    try:
        q = ConflictQuery(
            mark=mark,
            classes=parse_classes(classes),
            groups=set(split_list(groups)),
            goods=goods or [],
            before=before,
            top=top,
            include_dead=dead,
        )
        return conflict_search(session, actor, q)
    except SearchInputError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
