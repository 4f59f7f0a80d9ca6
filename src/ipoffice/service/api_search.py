"""The search API: ``GET /search?q=&top=`` (also ``/api/search``), the same JSON as
``ipoffice search --json``; prior art: ``GET /prior-art?number=&before=&top=`` and ``POST /prior-art``
``{"text": ..., "before": ..., "top": ...}``, the same JSON as ``ipoffice prior-art --json``.
Mounted by the app: ``app.include_router(router)`` and ``app.include_router(prior_art_router)``.

`app_searcher` and `run_search` are what the portal's pages call too.

Results are filtered by the caller's role inside the index query: the public never sees an
unpublished application, not even in ``total``. A malformed query is a 400 whose body says what is
wrong and at which position; a missing index is a 503 that says how to build it.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ipoffice.core.roles import check
from ipoffice.search import permissions as _permissions  # noqa: F401 - registers the search check
from ipoffice.search import priorart as _priorart  # noqa: F401 - registers the prior_art check
from ipoffice.service.api import ActorDep, action

router = APIRouter(tags=["search"])
#: the prior-art routes (their own router: each router's routes name one action)
prior_art_router = APIRouter(tags=["prior art"])

_lock = threading.Lock()


def app_searcher(request: Request) -> Any:
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


def run_search(request: Request, actor: Any, q: str, top: int, offset: int, highlights: bool) -> Any:
    """The search result as a dict, or a JSONResponse: 400 for a bad query, 503 without an index."""
    from ipoffice.search.index import SearchIndexError
    from ipoffice.search.query import QueryError

    try:
        searcher = app_searcher(request)
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
    return run_search(request, actor, q, top, offset, highlights)


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
    return run_search(request, actor, q, top, offset, highlights)


# --------------------------------------------------------------------------- prior art


def run_prior_art(
    request: Request,
    actor: Any,
    *,
    number: str | None = None,
    text: str | None = None,
    before: str | None = None,
    top: int = 20,
    ipc: str | None = None,
    parts: str | None = None,
    claim_map: bool = True,
) -> Any:
    """The prior-art result as a dict, or a JSONResponse naming what is wrong: 400 bad input (a
    malformed or future date, empty text), 404 no such document the caller may see, 503 no index."""
    import datetime as dt

    from ipoffice.search.priorart import (
        PARTS,
        PriorArtError,
        PriorArtNotFound,
        PriorArtQuery,
        PriorArtUnavailable,
        prior_art,
    )

    day = None
    if before:
        try:
            day = dt.date.fromisoformat(before.strip())
        except ValueError:
            return JSONResponse({"error": f"before {before!r} is not a date (YYYY-MM-DD)"}, status_code=400)
    q = PriorArtQuery(
        text=text,
        number=number.strip() if number is not None else None,
        before=day,
        top=top,
        parts=tuple(p.strip() for p in (parts or ",".join(PARTS)).split(",") if p.strip()),
        claim_map=claim_map,
        ipc=[x for x in (ipc or "").replace(";", ",").split(",") if x.strip()] or None,
    )
    try:
        return prior_art(request.app.state.store, q, actor).to_dict()
    except PriorArtNotFound as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    except PriorArtUnavailable as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    except PriorArtError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


class PriorArtBody(BaseModel):
    """A free text (claims, abstract, description) or a stored application's number."""

    text: str | None = Field(None, description="Claims, abstract or description of the application")
    number: str | None = Field(None, description="A stored application's number (instead of text)")
    before: str | None = Field(None, description="Critical date YYYY-MM-DD (default: priority, else filing date)")
    top: int = Field(20, ge=1, le=200)
    ipc: str | None = Field(None, description="The application's IPC, comma separated")
    parts: str | None = Field(None, description="Retrievers to fuse: any of lexical,dense,ipc")
    claim_map: bool = True


@prior_art_router.get("/prior-art")
@prior_art_router.get("/api/prior-art")
@action("prior_art")
def prior_art_get(
    request: Request,
    actor: ActorDep,
    number: Annotated[str | None, Query(description="The application's number as stored")] = None,
    before: Annotated[str | None, Query(description="Critical date YYYY-MM-DD")] = None,
    top: Annotated[int, Query(ge=1, le=200)] = 20,
    ipc: str | None = None,
    parts: str | None = None,
    claim_map: bool = True,
) -> Any:
    """Prior art for a stored application: earlier documents with their claim-element maps. A browser
    (``Accept: text/html``) gets the portal's page instead."""
    from ipoffice.service.portal_search import prior_art_page, wants_html

    check("prior_art", actor)
    if wants_html(request):
        return prior_art_page(request, actor, number=number or "", before=before or "", top=top, ipc=ipc or "")
    if not number or not number.strip():
        return JSONResponse({"error": "give the application's number (?number=), or POST a text"}, status_code=400)
    return run_prior_art(
        request, actor, number=number, before=before, top=top, ipc=ipc, parts=parts, claim_map=claim_map
    )


@prior_art_router.post("/prior-art")
@prior_art_router.post("/api/prior-art")
@action("prior_art")
def prior_art_post(request: Request, actor: ActorDep, body: Annotated[PriorArtBody, Body()]) -> Any:
    """Prior art for a text (or a stored application's number)."""
    check("prior_art", actor)
    return run_prior_art(
        request,
        actor,
        number=body.number,
        text=body.text,
        before=body.before,
        top=body.top,
        ipc=body.ipc,
        parts=body.parts,
        claim_map=body.claim_map,
    )
