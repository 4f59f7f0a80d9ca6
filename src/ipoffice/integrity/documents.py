"""Patent filings as the per-document signals read them: dates, parties, text, and what is missing.

One light dict per stored document (`FilingDoc`), read once per scan and shared by the signals through
`ScanContext.options` so each signal does not re-read the store. Gaps (no applicant, no date, no text) are
listed in `gaps` so that flags name them instead of passing them silently.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ipoffice.core import tables as t
from ipoffice.integrity.signals import ScanContext

APPLICANT_ROLES = ("applicant", "assignee", "owner")
CLAIM_LANG_ORDER = ("zh", "en", "de", "fr", "ja")


@dataclass
class FilingDoc:
    id: int
    number: str
    country: str
    filing_date: dt.date | None  # application date, else the publication date (named in gaps)
    publication_date: dt.date | None
    family_id: str | None
    title: str
    applicants: list[str]  # normalized names
    applicant_names: list[str]
    language: str
    abstract: str
    claims: list[str]
    description: str
    gaps: list[str] = field(default_factory=list)
    inventors: list[str] = field(default_factory=list)  # normalized names: a shared inventor means a shared origin

    def text(self, limit_words: int = 4000) -> str:
        """Abstract, claims and the start of the description: what copying and generation show in."""
        parts = [self.abstract, "\n".join(self.claims), self.description]
        out = "\n".join(p for p in parts if p)
        if self.language == "zh":
            return out[: limit_words * 2]
        words = out.split()
        return " ".join(words[:limit_words]) if len(words) > limit_words else out


def _pick(d: dict[str, Any], lang: str | None) -> tuple[str, Any]:
    if not d:
        return "", None
    if lang and lang in d:
        return lang, d[lang]
    for k in CLAIM_LANG_ORDER:
        if k in d:
            return k, d[k]
    k = next(iter(d))
    return k, d[k]


_SPACE = re.compile(r"\s+")


def _norm(name: str) -> str:
    return _SPACE.sub(" ", re.sub(r"[^\w]+", " ", name.lower())).strip()


def to_filing(row: t.PatentDocument) -> FilingDoc:
    return build_filing(
        row.data or {},
        id=row.id,
        number=row.number,
        country=row.country,
        language=row.language,
        application_date=row.application_date,
        publication_date=row.publication_date,
        family_id=row.family_id,
        title=row.title or "",
    )


def build_filing(
    data: dict[str, Any],
    *,
    id: int,  # noqa: A002 - the FilingDoc field
    number: str,
    country: str,
    language: str | None,
    application_date: dt.date | None,
    publication_date: dt.date | None,
    family_id: Any,
    title: str,
) -> FilingDoc:
    """A FilingDoc from a record's texts and parties plus its columns; what is missing is named in ``gaps``
    (a filing is scanned on what it has). One builder for the store path and the engines' extract."""
    lang = language
    clang, claims = _pick(data.get("claims") or {}, lang)
    alang, abstract = _pick(data.get("abstracts") or {}, lang or clang)
    dlang, desc = _pick(data.get("descriptions") or {}, lang or clang)
    language = lang or clang or alang or dlang or "en"
    parties = data.get("parties") or []
    applicants = [p["name"] for p in parties if p.get("role") in APPLICANT_ROLES and p.get("name")]
    inventors = sorted({_norm(p["name"]) for p in parties if p.get("role") == "inventor" and p.get("name")})
    gaps = []
    filing = application_date
    if filing is None:
        filing = publication_date
        gaps.append("no application date: judged by the publication date" if filing else "no filing date")
    if not applicants:
        gaps.append("no applicant named")
    if not claims:
        gaps.append("no claims text")
    if not desc:
        gaps.append("no description text")
    if not abstract:
        gaps.append("no abstract")
    return FilingDoc(
        id=id,
        number=number,
        country=country,
        filing_date=filing,
        publication_date=publication_date,
        family_id=family_id,
        title=title,
        applicants=sorted({_norm(a) for a in applicants}),
        applicant_names=applicants,
        language="zh" if language.startswith("zh") else language,
        abstract=abstract or "",
        claims=[c for c in (claims or []) if c and c.strip()],
        description=desc or "",
        gaps=gaps,
        inventors=inventors,
    )


def parse_date(v: Any) -> dt.date | None:
    """A date from a record field (date, ISO text, datetime text); None when absent or unreadable."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def filings(ctx: ScanContext) -> list[FilingDoc]:
    """Every patent document of the store (read once per scan; cached in ctx.options)."""
    cached = ctx.options.get("_filings")
    if cached is not None:
        return cached
    out: list[FilingDoc] = []
    with ctx.engine.connect() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as s:
            for row in s.scalars(select(t.PatentDocument).execution_options(yield_per=500)):
                out.append(to_filing(row))
    ctx.options["_filings"] = out
    return out


def in_scope(ctx: ScanContext, doc: FilingDoc) -> bool:
    """Whether this scan flags the document (--since); every document still serves as evidence."""
    return ctx.since is None or doc.filing_date is None or doc.filing_date >= ctx.since


def doc_ref(doc: FilingDoc, role: str) -> dict[str, Any]:
    """How evidence names a document."""
    return {
        "number": doc.number,
        "role": role,
        "title": doc.title,
        "filing_date": doc.filing_date.isoformat() if doc.filing_date else None,
        "publication_date": doc.publication_date.isoformat() if doc.publication_date else None,
        "applicants": doc.applicant_names,
    }
