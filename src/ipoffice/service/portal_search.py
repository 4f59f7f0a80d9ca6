"""The portal's search pages: full-text search (``/search-patents``) and prior art (``/prior-art``).

Server-rendered, working without JavaScript: the prior-art page takes a stored application's number
(GET) or pasted text (a form POST to ``/prior-art/search``) and shows the ranked documents, each with
its claim-element map as a table (feature x disclosed or not, with the passage and its matching words
marked). ``GET /prior-art`` is also the JSON API: a browser (``Accept: text/html``) gets this page.
Both pages call the same functions as the API (`api_search.run_search`, `api_search.run_prior_art`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from ipoffice.core.roles import check
from ipoffice.search import permissions as _permissions  # noqa: F401 - registers the search check
from ipoffice.search import priorart as _priorart  # noqa: F401 - registers the prior_art check
from ipoffice.service.api import TEMPLATES, ActorDep, action

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, actor: Any, status: int = 200, **ctx: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, {"actor": actor, **ctx}, status_code=status)


def marked(text: str, spans: list[list[int]]) -> Markup:
    """``text`` with the spans wrapped in <mark>, everything else escaped."""
    parts: list[Any] = []
    last = 0
    for s, e in sorted(spans):
        if s < last:
            continue
        parts += [escape(text[last:s]), Markup("<mark>"), escape(text[s:e]), Markup("</mark>")]
        last = e
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (its Accept header puts text/html first), not an API client."""
    return request.headers.get("accept", "").lstrip().startswith("text/html")


def _unwrap(out: Any) -> tuple[dict[str, Any] | None, str | None, int]:
    """(result, error, status) of what `run_search` / `run_prior_art` returned."""
    if hasattr(out, "status_code"):
        body = json.loads(out.body)
        return None, body.get("error"), out.status_code
    return out, None, 200


@router.get("/search-patents", response_class=HTMLResponse)
@action("search")
def search_page(request: Request, actor: ActorDep, q: str = "", top: Annotated[int, Query(ge=1, le=200)] = 20) -> Any:
    """The search page: examiner query language, ranked hits with highlighted passages (role-filtered)."""
    from ipoffice.service.api_search import run_search

    check("search", actor)
    result, error, status = None, None, 200
    if q.strip():
        result, error, status = _unwrap(run_search(request, actor, q, top, 0, True))
        for hit in (result or {}).get("results", []):
            for h in hit.get("highlights", []):
                h["html"] = marked(h["text"], h.get("spans", []))
    return _page(request, "search.html", actor, status=status, q=q, result=result, error=error)


def prior_art_page(
    request: Request,
    actor: Any,
    *,
    number: str = "",
    text: str = "",
    before: str = "",
    top: int = 20,
    ipc: str = "",
) -> HTMLResponse:
    """The prior-art page: the form, and the results when a number or a text was given."""
    from ipoffice.service.api_search import run_prior_art

    form = {"number": number, "text": text, "before": before, "top": top, "ipc": ipc}
    result, error, status = None, None, 200
    if number.strip() or text.strip():
        result, error, status = _unwrap(
            run_prior_art(
                request,
                actor,
                number=number.strip() or None,
                text=None if number.strip() else text,
                before=before.strip() or None,
                top=top,
                ipc=ipc.strip() or None,
            )
        )
        for hit in (result or {}).get("results", []):
            for p in hit.get("passages", []):
                p["html"] = marked(p["text"], p.get("spans", []))
            for c in hit.get("claim_map", []):
                if c.get("passage"):
                    c["passage"]["html"] = marked(c["passage"]["text"], c["passage"].get("spans", []))
    elif request.method == "POST":
        error, status = "give an application number or paste a text", 400
    return _page(request, "priorart.html", actor, status=status, form=form, result=result, error=error)


@router.post("/prior-art/search", response_class=HTMLResponse)
@action("prior_art")
def prior_art_form(
    request: Request,
    actor: ActorDep,
    number: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    before: Annotated[str, Form()] = "",
    top: Annotated[int, Form(ge=1, le=200)] = 20,
    ipc: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The prior-art form posted with pasted text (too long for a URL) or a number."""
    check("prior_art", actor)
    return prior_art_page(request, actor, number=number, text=text, before=before, top=top, ipc=ipc)
