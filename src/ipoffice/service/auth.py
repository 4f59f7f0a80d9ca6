"""API credentials: tokens are random, stored only as SHA-256 hashes, and map to an actor."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.roles import PUBLIC, Actor, Role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, actor: str, role: Role, party_id: int | None = None) -> str:
    token = secrets.token_urlsafe(24)
    session.add(t.ApiToken(token_hash=_hash(token), actor=actor, role=str(role), party_id=party_id))
    return token


def actor_for_token(session: Session, token: str | None) -> Actor:
    if not token:
        return PUBLIC
    row = session.scalar(select(t.ApiToken).where(t.ApiToken.token_hash == _hash(token)))
    if row is None:
        return PUBLIC
    return Actor(name=row.actor, role=Role(row.role), party_id=row.party_id)
