"""The audit trail: every change to a case or record is written here with who and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor


def record(session: Session, actor: Actor, action: str, entity: str, ref: str, **details: Any) -> t.AuditEntry:
    entry = t.AuditEntry(
        actor=actor.name, role=str(actor.role), action=action, entity=entity, entity_ref=ref, details=details
    )
    session.add(entry)
    return entry
