"""The classification API: ``GET /classify?number=&top=&level=`` and ``POST /classify`` with
``{"text": ..., "top": 5, "level": "both"}`` (also under ``/api/classify``); the same JSON as
``ipoffice classify --json``. Mounted by the app: ``app.include_router(router)``.

A number the caller may not see (an unpublished application, for the public) is the same 404 as a
number that is not in the store, and neighbours the caller may not see are left out of the reasons.
Bad input is a 400 that says what is wrong; an unreadable model is a 503 that says how to train one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ipoffice.classify import permissions as _permissions  # noqa: F401 - registers the classify checks
from ipoffice.core.roles import check
from ipoffice.service.api import ActorDep, action

router = APIRouter(tags=["classification"])


class ClassifyRequest(BaseModel):
    text: str = Field(
        description="Text to classify (claims, abstract, description); longer than 20,000 characters is trimmed"
    )
    top: int = Field(default=5, description="Suggestions per level (1-50)")
    level: str = Field(default="both", description="subclass, main_group or both")


def _run(request: Request, fn: Any, *args: Any, **kw: Any) -> Any:
    from ipoffice.classify.storage import ModelError
    from ipoffice.classify.suggest import ClassifyError, NotFound

    try:
        return fn(request.app.state.store, *args, **kw)
    except NotFound as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    except ClassifyError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except ModelError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    except ValueError as exc:  # nothing to train the first model on
        return JSONResponse({"error": f"cannot train a classification model: {exc}"}, status_code=503)


NumberParam = Annotated[str, Query(description="Publication or application number of a stored document")]
TopParam = Annotated[int, Query(description="Suggestions per level (1-50)")]
LevelParam = Annotated[str, Query(description="subclass, main_group or both")]


@router.get("/classify")
@action("classify")
def classify_get(
    request: Request, actor: ActorDep, number: NumberParam, top: TopParam = 5, level: LevelParam = "both"
) -> Any:
    """IPC suggestions for a stored document, with calibrated confidence and reasons."""
    from ipoffice.classify.suggest import classify_number

    check("classify", actor)
    return _run(request, classify_number, number, actor, top=top, level=level)


@router.post("/classify")
@action("classify")
def classify_post(request: Request, actor: ActorDep, body: ClassifyRequest) -> Any:
    """IPC suggestions for a text, with calibrated confidence and reasons."""
    from ipoffice.classify.suggest import classify_text

    check("classify", actor)
    return _run(request, classify_text, body.text, actor, top=body.top, level=body.level)


@router.get("/api/classify")
@action("classify")
def api_classify_get(
    request: Request, actor: ActorDep, number: NumberParam, top: TopParam = 5, level: LevelParam = "both"
) -> Any:
    """IPC suggestions for a stored document (same as GET /classify)."""
    from ipoffice.classify.suggest import classify_number

    check("classify", actor)
    return _run(request, classify_number, number, actor, top=top, level=level)


@router.post("/api/classify")
@action("classify")
def api_classify_post(request: Request, actor: ActorDep, body: ClassifyRequest) -> Any:
    """IPC suggestions for a text (same as POST /classify)."""
    from ipoffice.classify.suggest import classify_text

    check("classify", actor)
    return _run(request, classify_text, body.text, actor, top=body.top, level=body.level)
