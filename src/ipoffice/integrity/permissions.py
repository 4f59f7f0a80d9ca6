"""Permission checks of the integrity desk (one per action, same name).

Flags are suspicions about named applicants, agencies and filings: only the office sees them. The public,
applicants and agents get nothing, not even a count. Only an examiner decides a flag (confirm or dismiss).
"""

from __future__ import annotations

from typing import Any

from ipoffice.core.roles import Actor, Role, permission


@permission("integrity_scan")
def integrity_scan(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("integrity_list")
def integrity_list(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("integrity_show")
def integrity_show(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("integrity_review")
def integrity_review(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.EXAMINER


@permission("integrity_report")
def integrity_report(actor: Actor, _obj: Any) -> bool:
    return actor.is_office
