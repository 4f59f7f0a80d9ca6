"""The one shape every integrity signal returns, and scan/explain/review print."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Flag:
    """One suspected behaviour on one filing.

    `number` is the record number as stored (`patent_documents.number` / `trademarks.number`);
    `behaviour` the stable code of the rules file (e.g. ``P1``); `score` in [0, 1], higher is
    more suspicious, compared against the behaviour's threshold; `legal_basis` the citation of the
    rule version in force on the filing date (e.g. ``CNIPA Order No. 77 (2023), Art. 3(1)``);
    `evidence` JSON-able and specific: the other documents, the figures, the matched passages.
    """

    number: str
    kind: str  # patent | trademark | agency
    behaviour: str
    score: float
    legal_basis: str
    evidence: dict[str, Any] = field(default_factory=dict)
    rule_version: str = ""
    filing_date: dt.date | None = None
    signal: str = ""  # the signal function that raised it

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["score"] = round(float(self.score), 4)
        d["filing_date"] = self.filing_date.isoformat() if self.filing_date else None
        return d
