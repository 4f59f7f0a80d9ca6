"""CKAN's rule: every action has a same-named permission check, and a test enforces it."""

from __future__ import annotations

import inspect

from ipoffice.core.roles import PERMISSIONS
from ipoffice.service.api import create_app


def test_every_route_names_a_registered_action(store):
    app = create_app(store)
    unchecked = []
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        path = getattr(route, "path", "")
        if endpoint is None or path.startswith(("/openapi", "/docs", "/redoc")):
            continue
        name = getattr(endpoint, "__ipoffice_action__", None)
        if name is None or name not in PERMISSIONS:
            unchecked.append((path, name))
            continue
        assert f'check("{name}"' in inspect.getsource(endpoint), f"{path} does not call check({name!r})"
    assert not unchecked, f"routes without a registered permission: {unchecked}"
