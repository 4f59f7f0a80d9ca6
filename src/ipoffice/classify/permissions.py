"""Permission checks of the classification desk (CKAN style: one per action, same name)."""

from __future__ import annotations

from typing import Any

from ipoffice.core.roles import Actor, Role, permission


@permission("classify")
def classify(actor: Actor, _obj: Any) -> bool:
    """Anyone may ask for IPC suggestions: a stored document is found only when the actor may see it,
    and neighbours the actor may not see are left out of the reasons."""
    return True


@permission("classify_train")
def classify_train(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


@permission("classify_suggest")
def classify_suggest(actor: Actor, _obj: Any) -> bool:
    """Store suggested IPC on new filings (intake): an office task."""
    return actor.is_office
