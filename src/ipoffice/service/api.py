"""The API and portal: one FastAPI app (OpenAPI at /openapi.json, docs at /docs).

Every route names the action it performs and calls the same-named permission check
(`core.roles`); a test enforces the pairing. Callers authenticate with
`Authorization: Bearer <token>` (`ipoffice user add`); without a token they are the public,
who never see an unpublished application, not even in a count.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoffice import __version__, config
from ipoffice.core import tables as t
from ipoffice.core.queries import (
    find_patents,
    find_trademarks,
    patent_detail,
    patent_summary,
    stats,
    trademark_detail,
    trademark_summary,
)
from ipoffice.core.roles import Actor, PermissionDenied, check, patent_visibility
from ipoffice.core.store import Store, open_store
from ipoffice.service.auth import actor_for_token

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def action(name: str):  # noqa: ANN201
    def deco(fn):  # noqa: ANN001, ANN202
        fn.__ipoffice_action__ = name
        return fn

    return deco


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.store.session() as s:
        yield s


SessionDep = Annotated[Session, Depends(get_session)]


TOKEN_COOKIE = "ipoffice_token"


def get_actor(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    ipoffice_token: Annotated[str | None, Cookie()] = None,
) -> Actor:
    """The caller: a bearer token (API clients) or the portal's login cookie; else the public."""
    token = authorization.split(" ", 1)[1].strip() if authorization and " " in authorization else None
    return actor_for_token(session, token or ipoffice_token)


ActorDep = Annotated[Actor, Depends(get_actor)]


def create_app(store: Store | None = None) -> FastAPI:
    app = FastAPI(
        title="ipoffice",
        version=__version__,
        description="Patents, trademarks and parties of an IP office. Public read access; "
        "office roles with `Authorization: Bearer <token>`.",
    )
    app.state.store = store or open_store(config.data_home())

    @app.exception_handler(PermissionDenied)
    async def _denied(_request: Request, exc: PermissionDenied) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=403)

    @app.middleware("http")
    async def _timing(request: Request, call_next):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    @app.get("/api/stats", tags=["office"])
    @action("stats_show")
    def api_stats(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
        """Counts of records, as the caller's role may see them."""
        check("stats_show", actor)
        return stats(session, actor)

    @app.get("/api/patents", tags=["patents"])
    @action("patent_list")
    def api_patents(
        session: SessionDep,
        actor: ActorDep,
        country: str | None = None,
        doc_type: str | None = None,
        applicant: Annotated[int | None, Query(description="party id")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Patent documents, newest first, filtered to what the caller may see."""
        check("patent_list", actor)
        q = select(t.PatentDocument)
        vis = patent_visibility(actor)
        if vis is not None:
            q = q.where(vis)
        if country:
            q = q.where(t.PatentDocument.country == country.upper())
        if doc_type:
            q = q.where(t.PatentDocument.doc_type == doc_type)
        if applicant is not None:
            q = q.where(
                t.PatentDocument.id.in_(select(t.PatentParty.document_id).where(t.PatentParty.party_id == applicant))
            )
        total = session.scalar(select(func.count()).select_from(q.subquery()))
        rows = session.scalars(
            q.order_by(t.PatentDocument.publication_date.desc().nulls_last(), t.PatentDocument.id)
            .limit(limit)
            .offset(offset)
        )
        return {"total": total, "limit": limit, "offset": offset, "results": [patent_summary(d) for d in rows]}

    @app.get("/api/patents/{number}", tags=["patents"])
    @action("patent_show")
    def api_patent(number: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
        """One patent document by number (as printed or normalized: 08087209, US8087209B2)."""
        docs = find_patents(session, number, actor)
        if not docs:
            raise HTTPException(404, f"no patent document {number!r}")
        for d in docs:
            check("patent_show", actor, d)
        out = patent_detail(session, docs[0])
        out["also"] = [patent_summary(d) for d in docs[1:]]
        return out

    @app.get("/api/trademarks", tags=["trademarks"])
    @action("trademark_list")
    def api_trademarks(
        session: SessionDep,
        actor: ActorDep,
        status: str | None = None,
        nice_class: Annotated[int | None, Query(ge=1, le=45)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Trademarks in the register, filtered by status and Nice class."""
        check("trademark_list", actor)
        q = select(t.Trademark)
        if status:
            q = q.where(t.Trademark.status == status)
        if nice_class:
            q = q.where(
                t.Trademark.id.in_(
                    select(t.TrademarkGoods.trademark_id).where(t.TrademarkGoods.nice_class == nice_class)
                )
            )
        total = session.scalar(select(func.count()).select_from(q.subquery()))
        rows = session.scalars(q.order_by(t.Trademark.id).limit(limit).offset(offset))
        return {"total": total, "limit": limit, "offset": offset, "results": [trademark_summary(x) for x in rows]}

    @app.get("/api/trademarks/{number}", tags=["trademarks"])
    @action("trademark_show")
    def api_trademark(number: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
        """One trademark by its number."""
        tms = find_trademarks(session, number, actor)
        if not tms:
            raise HTTPException(404, f"no trademark {number!r}")
        check("trademark_show", actor, tms[0])
        return trademark_detail(session, tms[0])

    @app.get("/api/parties", tags=["parties"])
    @action("party_show")
    def api_parties(
        session: SessionDep,
        actor: ActorDep,
        name: Annotated[str | None, Query(description="name, matched after normalization")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Parties (applicants, inventors, agencies) by normalized name."""
        from ipoffice.core.names import normalize_name

        check("party_show", actor)
        q = select(t.Party)
        if name:
            q = q.where(t.Party.norm_name.like(f"%{normalize_name(name)}%"))
        rows = session.scalars(q.order_by(t.Party.id).limit(limit))
        return {"results": [_party(p) for p in rows]}

    @app.get("/api/parties/{party_id}", tags=["parties"])
    @action("party_show")
    def api_party(party_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
        """One party with the documents the caller may see."""
        check("party_show", actor)
        p = session.get(t.Party, party_id)
        if p is None:
            raise HTTPException(404, f"no party {party_id}")
        q = select(t.PatentDocument).where(
            t.PatentDocument.id.in_(select(t.PatentParty.document_id).where(t.PatentParty.party_id == party_id))
        )
        vis = patent_visibility(actor)
        if vis is not None:
            q = q.where(vis)
        docs = session.scalars(q.order_by(t.PatentDocument.id).limit(200))
        tms = session.scalars(
            select(t.Trademark)
            .where(
                t.Trademark.id.in_(select(t.TrademarkParty.trademark_id).where(t.TrademarkParty.party_id == party_id))
            )
            .limit(200)
        )
        aliases = session.scalars(
            select(t.PatentParty.name_as_printed).where(t.PatentParty.party_id == party_id).distinct().limit(50)
        )
        return {
            **_party(p),
            "names_as_printed": list(aliases),
            "patents": [patent_summary(d) for d in docs],
            "trademarks": [trademark_summary(x) for x in tms],
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    @action("stats_show")
    def portal_home(request: Request, session: SessionDep, actor: ActorDep) -> HTMLResponse:
        check("stats_show", actor)
        s = stats(session, actor)
        latest = session.scalars(
            (
                select(t.PatentDocument).where(patent_visibility(actor))
                if patent_visibility(actor) is not None
                else select(t.PatentDocument)
            )
            .order_by(t.PatentDocument.publication_date.desc().nulls_last())
            .limit(20)
        )
        return TEMPLATES.TemplateResponse(
            request,
            "home.html",
            {"stats": s, "latest": [patent_summary(d) for d in latest], "version": __version__, "actor": actor},
        )

    from ipoffice.service.api_cases import router as cases_router  # imports this module: keep it here

    app.include_router(cases_router)
    from ipoffice.service.api_search import router as search_router
    from ipoffice.service.api_workflow import router as workflow_router

    app.include_router(search_router)
    from ipoffice.service.api_search import prior_art_router
    from ipoffice.service.portal_search import router as search_portal_router

    app.include_router(prior_art_router)
    app.include_router(search_portal_router)
    from ipoffice.service.api_classify import router as classify_router

    app.include_router(classify_router)
    from ipoffice.service.api_trademarks import router as tm_router

    app.include_router(tm_router)
    from ipoffice.service.api_integrity import router as integrity_router
    from ipoffice.service.portal_integrity import router as integrity_portal_router

    app.include_router(integrity_router)
    app.include_router(integrity_portal_router)
    from ipoffice.service.api_tm_watch import router as tm_watch_router
    from ipoffice.service.portal_tm_watch import router as tm_watch_portal_router

    app.include_router(tm_watch_router)
    app.include_router(tm_watch_portal_router)
    from ipoffice.service.portal import router as portal_router

    app.include_router(workflow_router)

    app.include_router(portal_router)

    return app


def _party(p: t.Party) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "normalized": p.norm_name, "kind": p.kind, "country": p.country or None}
