"""Roles and permissions, CKAN style: every action has a same-named permission check.

`check("patent_show", actor, doc)` raises `PermissionDenied` unless the actor may do it.
A test enforces that every API route and CLI command that reads or changes records names
an action registered here. The rule that matters most: the public never sees an unpublished
application, not even as a count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ipoffice.core import tables as t


class Role(StrEnum):
    PUBLIC = "public"
    APPLICANT = "applicant"
    AGENT = "agent"
    EXAMINER = "examiner"
    ADMINISTRATOR = "administrator"


OFFICE_ROLES = {Role.EXAMINER, Role.ADMINISTRATOR}


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role
    party_id: int | None = None

    @property
    def is_office(self) -> bool:
        return self.role in OFFICE_ROLES


PUBLIC = Actor("anonymous", Role.PUBLIC)
SYSTEM = Actor("system", Role.ADMINISTRATOR)


class PermissionDenied(Exception):
    def __init__(self, action: str, actor: Actor) -> None:
        super().__init__(f"{actor.name} ({actor.role}) may not {action.replace('_', ' ')}")
        self.action = action


PERMISSIONS: dict[str, Callable[[Actor, Any], bool]] = {}


def permission(name: str) -> Callable[[Callable[[Actor, Any], bool]], Callable[[Actor, Any], bool]]:
    def deco(fn: Callable[[Actor, Any], bool]) -> Callable[[Actor, Any], bool]:
        PERMISSIONS[name] = fn
        return fn

    return deco


def check(action: str, actor: Actor, obj: Any = None) -> None:
    fn = PERMISSIONS.get(action)
    if fn is None:
        raise KeyError(f"no permission check registered for action {action!r}")
    if not fn(actor, obj):
        raise PermissionDenied(action, actor)


def allowed(action: str, actor: Actor, obj: Any = None) -> bool:
    try:
        check(action, actor, obj)
    except PermissionDenied:
        return False
    return True


def today() -> dt.date:
    return dt.date.today()


def is_published(doc: t.PatentDocument) -> bool:
    """Published: so marked by its source, or a publication date on or before today."""
    if doc.published_flag is not None:
        return doc.published_flag
    return doc.publication_date is not None and doc.publication_date <= today()


def _own(actor: Actor, doc: t.PatentDocument) -> bool:
    return actor.party_id is not None and any(link.party_id == actor.party_id for link in doc.party_links)


@permission("patent_show")
def patent_show(actor: Actor, doc: t.PatentDocument | None) -> bool:
    if doc is None or actor.is_office or is_published(doc):
        return True
    return actor.role in (Role.APPLICANT, Role.AGENT) and _own(actor, doc)


@permission("patent_list")
def patent_list(actor: Actor, _obj: Any) -> bool:
    return True  # rows are filtered by `patent_visibility`


@permission("trademark_show")
def trademark_show(actor: Actor, tm: t.Trademark | None) -> bool:
    return True  # trademark registers are public from filing in China (CNIPA publishes applications)


@permission("trademark_list")
def trademark_list(actor: Actor, _obj: Any) -> bool:
    return True


@permission("party_show")
def party_show(actor: Actor, _obj: Any) -> bool:
    return True


@permission("stats_show")
def stats_show(actor: Actor, _obj: Any) -> bool:
    return True  # counts are filtered by `patent_visibility`


@permission("records_import")
def records_import(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


@permission("audit_list")
def audit_list(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


@permission("user_create")
def user_create(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


def patent_visibility(actor: Actor) -> ColumnElement[bool] | None:
    """SQL filter for the documents an actor may see in lists and counts (None: all)."""
    if actor.is_office:
        return None
    published = or_(
        t.PatentDocument.published_flag.is_(True),
        and_(
            t.PatentDocument.published_flag.is_(None),
            t.PatentDocument.publication_date.is_not(None),
            t.PatentDocument.publication_date <= today(),
        ),
    )
    if actor.role in (Role.APPLICANT, Role.AGENT) and actor.party_id is not None:
        own = exists(
            select(t.PatentParty.id).where(
                t.PatentParty.document_id == t.PatentDocument.id, t.PatentParty.party_id == actor.party_id
            )
        )
        return or_(published, own)
    return published


@permission("portal_login")
def portal_login(actor: Actor, _obj: Any) -> bool:
    return True  # anyone may present a token; the token decides who they are
