"""The search API: ``GET /search?q=&top=`` (also ``/api/search``), the same JSON as
``ipoffice search --json``. Mounted by the app: ``app.include_router(router)``.

Results are filtered by the caller's role inside the index query: the public never sees an
unpublished application, not even in ``total``. A malformed query is a 400 whose body says what is
wrong and at which position; a missing index is a 503 that says how to build it.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ipoffice.core.roles import check
from ipoffice.search import permissions as _permissions  # noqa: F401 - registers the search check
from ipoffice.service.api import ActorDep, action

router = APIRouter(tags=["search"])

_lock = threading.Lock()


def _searcher(request: Request) -> Any:
    """The app's searcher, reopened when the index was rebuilt or updated since it was opened."""
    from ipoffice.search.index import STATE_FILE, index_path
    from ipoffice.search.searcher import PatentSearcher

    store = request.app.state.store
    state_file = index_path(store.home) / STATE_FILE
    try:
        st = state_file.stat()
        stamp: tuple[int, int] | None = (st.st_ino, st.st_mtime_ns)
    except OSError:
        stamp = None
    with _lock:
        cached = getattr(request.app.state, "patent_searcher", None)
        if cached is None or cached[1] != stamp:
            cached = (PatentSearcher(store), stamp)
            request.app.state.patent_searcher = cached
        return cached[0]


def _run(request: Request, actor: Any, q: str, top: int, offset: int, highlights: bool) -> Any:
    from ipoffice.search.index import SearchIndexError
    from ipoffice.search.query import QueryError

    try:
        searcher = _searcher(request)
        return searcher.search(q, actor, top=top, offset=offset, highlights=highlights).to_dict()
    except QueryError as exc:
        return JSONResponse({**exc.to_dict(), "error": f"bad query: {exc.message}"}, status_code=400)
    except SearchIndexError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)


QueryParam = Annotated[str, Query(description="Examiner query, e.g. `ti:(battery W/3 electrode) AND pd>=2015`")]
TopParam = Annotated[int, Query(ge=1, le=1000, description="Number of hits")]
OffsetParam = Annotated[int, Query(ge=0, le=100_000, description="Hits to skip (paging)")]


@router.get("/search")
@action("search")
def search(
    request: Request,
    actor: ActorDep,
    q: QueryParam,
    top: TopParam = 10,
    offset: OffsetParam = 0,
    highlights: bool = True,
) -> Any:
    """Full-text search of the patent documents with the examiner query language."""
    check("search", actor)
    return _run(request, actor, q, top, offset, highlights)


@router.get("/api/search")
@action("search")
def api_search(
    request: Request,
    actor: ActorDep,
    q: QueryParam,
    top: TopParam = 10,
    offset: OffsetParam = 0,
    highlights: bool = True,
) -> Any:
    """Full-text search of the patent documents with the examiner query language (same as /search)."""
    check("search", actor)
    return _run(request, actor, q, top, offset, highlights)
