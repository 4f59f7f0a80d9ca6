"""Portal page of the trademark watch: upload a gazette, name an owner, read the opposition windows.

`GET /trademarks/watch` shows the form; the form posts (multipart) to `/trademarks/watch/report`, since
`POST /trademarks/watch` is the JSON API. Logged-in applicants, agents and office staff only (`trademark_watch`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from ipoffice.core.roles import PermissionDenied, check
from ipoffice.service.api import ActorDep, action
from ipoffice.service.portal import page
from ipoffice.trademarks import watch as _watch  # noqa: F401 - registers trademark_watch

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 20 * 1024 * 1024


@router.get("/trademarks/watch", response_class=HTMLResponse)
@action("trademark_watch")
def tm_watch_form(request: Request, actor: ActorDep) -> HTMLResponse:
    """The watch form."""
    try:
        check("trademark_watch", actor)
    except PermissionDenied:
        return page(request, "login.html", actor, status=401, error="log in to run a trademark watch")
    return page(request, "tm_watch.html", actor, form={}, report=None, error=None)


@router.post("/trademarks/watch/report", response_class=HTMLResponse)
@action("trademark_watch")
def tm_watch_report(
    request: Request,
    actor: ActorDep,
    gazette: Annotated[UploadFile | None, File()] = None,
    owner: Annotated[str, Form()] = "",
    published: Annotated[str, Form()] = "",
    today: Annotated[str, Form()] = "",
    classes: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Run the watch on the uploaded gazette and show the report table, soonest deadline first."""
    from ipoffice.trademarks.search import SearchInputError, parse_classes
    from ipoffice.trademarks.watch import WatchInputError, read_gazette, watch

    try:
        check("trademark_watch", actor)
    except PermissionDenied:
        return page(request, "login.html", actor, status=401, error="log in to run a trademark watch")
    form = {"owner": owner, "published": published, "today": today, "classes": classes}
    report: dict[str, Any] | None = None
    try:
        if gazette is None or not gazette.filename:
            raise WatchInputError("choose a gazette file (CSV or JSONL)")
        data = gazette.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise WatchInputError(f"gazette file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
        try:
            pub = dt.date.fromisoformat(published) if published else None
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise WatchInputError(f"not a date (YYYY-MM-DD): {exc}") from None
        suffix = Path(gazette.filename).suffix.lower() if Path(gazette.filename).suffix else ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"gazette{suffix}"
            path.write_bytes(data)
            rows, errors = read_gazette(path, pub)
        errors = [e.model_copy(update={"path": gazette.filename}) for e in errors]
        if not rows:
            first = f"; first problem: {errors[0]}" if errors else ""
            raise WatchInputError(f"gazette {gazette.filename!r}: no usable row{first}")
        report = watch(
            request.app.state.store,
            actor,
            rows,
            owner=owner.strip() or None,
            classes=parse_classes(classes) or None,
            today=day,
            errors=errors,
        )
    except (WatchInputError, SearchInputError) as exc:
        return page(request, "tm_watch.html", actor, status=422, form=form, report=None, error=str(exc))
    return page(request, "tm_watch.html", actor, form=form, report=report, error=None)
