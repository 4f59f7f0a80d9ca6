"""Permission checks of the search desk (CKAN style: one per action, same name)."""

from __future__ import annotations

from typing import Any

from ipoffice.core.roles import Actor, Role, permission


@permission("search")
def search(actor: Actor, _obj: Any) -> bool:
    """Anyone may search: hits and counts are filtered to what the actor may see (`role_filter`)."""
    return True


@permission("index_build")
def index_build(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


@permission("index_update")
def index_update(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


@permission("index_check")
def index_check(actor: Actor, _obj: Any) -> bool:
    return actor.is_office
