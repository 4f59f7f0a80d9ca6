"""Registry of signal functions: each computes one or more behaviours over the store and returns flags.

A signal is ``fn(ctx: ScanContext) -> Iterable[Flag]``, registered with ``@signal("name", kind=...)``;
the name is what the rules files list under a behaviour's ``signals``. Signals read the store through
`ctx.engine` (SQLAlchemy) or a DuckDB/Spark pass of their own; they look thresholds and the legal
basis up with `ctx.rules.in_force(code, filing_date)` so a filing is judged by the rules of its date,
and return nothing for filings no version of the behaviour covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ipoffice.integrity.flags import Flag
from ipoffice.integrity.rules import IntegrityRules


@dataclass
class ScanContext:
    engine: Engine
    rules: IntegrityRules
    home: Path | None = None  # data home (search index, models), when there is one
    since: dt.date | None = None  # only filings on/after this date are flagged (others still serve as evidence)
    kind: str | None = None  # patent | trademark | None for all
    engine_name: str = "duckdb"  # duckdb | spark | python: how corpus-wide passes run
    options: dict[str, Any] = field(default_factory=dict)

    def flag(
        self,
        code: str,
        number: str,
        filing_date: dt.date | None,
        score: float,
        evidence: dict[str, Any],
        signal: str = "",
    ) -> Flag | None:
        """A Flag under the version of `code` in force on `filing_date`, or None if none was in force."""
        b = self.rules.in_force(code, filing_date)
        if b is None:
            return None
        return Flag(
            number=number,
            kind=b.kind,
            behaviour=code,
            score=score,
            legal_basis=self.rules.cite(b),
            evidence=evidence,
            rule_version=b.version,
            filing_date=filing_date,
            signal=signal,
        )


SignalFn = Callable[[ScanContext], Iterable[Flag]]


@dataclass(frozen=True)
class SignalDef:
    name: str
    kind: str
    fn: SignalFn
    doc: str


REGISTRY: dict[str, SignalDef] = {}


def signal(name: str, kind: str) -> Callable[[SignalFn], SignalFn]:
    def deco(fn: SignalFn) -> SignalFn:
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"signal {name!r} registered twice")
        REGISTRY[name] = SignalDef(name, kind, fn, (fn.__doc__ or "").strip())
        return fn

    return deco
