"""The office's data model at the edges: what parsers produce and the API returns.

Pydantic models validate every record before it reaches the store, so a bad record is
rejected with the field that is wrong instead of corrupting a table. Storage lives in
`core.tables`; these models are deliberately independent of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ipoffice.core.ipc import normalize_ipc

DocType = Literal["invention", "utility", "design", "plant", "reissue", "other"]
Stage = Literal["application", "grant", "other"]
PartyRole = Literal["applicant", "inventor", "assignee", "agent", "agency", "examiner", "owner", "representative"]
PartyKind = Literal["person", "organization", "agency", "unknown"]
Scheme = Literal["ipc", "cpc", "uspc", "locarno", "fi", "fterm", "nice", "other"]
ClassSource = Literal["office", "suggested"]

TRADEMARK_STATUSES = (
    "pending",
    "preliminarily-approved",
    "registered",
    "refused",
    "opposed",
    "invalidated",
    "cancelled",
    "expired",
    "withdrawn",
    "unknown",
)
TrademarkStatus = Literal[
    "pending",
    "preliminarily-approved",
    "registered",
    "refused",
    "opposed",
    "invalidated",
    "cancelled",
    "expired",
    "withdrawn",
    "unknown",
]


class _Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartyRef(_Edge):
    """A party as named on one document; the store resolves it to one normalized party."""

    name: str = Field(min_length=1)
    role: PartyRole
    kind: PartyKind = "unknown"
    country: str | None = None
    address: str | None = None
    sequence: int | None = None
    identifiers: dict[str, str] = Field(default_factory=dict)


class Classification(_Edge):
    scheme: Scheme
    symbol: str = Field(min_length=1)
    main: bool = False
    source: ClassSource = "office"
    version: str | None = None

    @model_validator(mode="after")
    def _canonical_ipc(self) -> Classification:
        """IPC and CPC symbols in one written form (`G06F 17/30`), whatever the source printed,
        so that searches and statistics by class see one symbol. Unparseable ones stay as printed."""
        if self.scheme in ("ipc", "cpc"):
            try:
                if self.scheme == "cpc" and self.symbol[:1] in "Yy":  # CPC's section Y, same syntax as IPC
                    self.symbol = "Y" + normalize_ipc("A" + self.symbol[1:])[1:]
                else:
                    self.symbol = normalize_ipc(self.symbol)
            except ValueError:
                pass
        return self


class Priority(_Edge):
    country: str | None = None
    number: str | None = None
    date: dt.date | None = None


class Citation(_Edge):
    country: str | None = None
    number: str | None = None
    kind: str | None = None
    date: dt.date | None = None
    category: str | None = None  # e.g. "cited by examiner", "X", "Y", "A"
    phase: str | None = None  # e.g. examiner, applicant, search, ISR
    text: str | None = None  # non-patent literature


class PatentRecord(_Edge):
    """One published patent document (application publication or grant)."""

    number: str = Field(min_length=1, description="publication number as printed in the source")
    country: str = Field(min_length=2, max_length=4)
    kind: str | None = None
    doc_type: DocType = "invention"
    stage: Stage = "other"
    number_is_synthetic: bool = False
    application_number: str | None = None
    application_date: dt.date | None = None
    publication_date: dt.date | None = None
    grant_date: dt.date | None = None
    published: bool | None = Field(
        default=None,
        description="True: a published document even if its date is unknown (e.g. a crawled publication); "
        "False: not published; None: published when publication_date is on or before today",
    )
    language: str | None = None
    family_id: str | None = None
    legal_status: str | None = None
    titles: dict[str, str] = Field(default_factory=dict)
    abstracts: dict[str, str] = Field(default_factory=dict)
    claims: dict[str, list[str]] = Field(default_factory=dict)
    descriptions: dict[str, str] = Field(default_factory=dict)
    classifications: list[Classification] = Field(default_factory=list)
    parties: list[PartyRef] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    source_format: str = "unknown"

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @property
    def key(self) -> str:
        """Identity of a document across imports: country, number and kind."""
        return f"{self.country}|{self.number}|{self.kind or ''}"


class GoodsItem(_Edge):
    nice_class: int = Field(ge=1, le=45)
    group: str | None = None  # 类似群 code, e.g. "0901"
    text: str | None = None


class TrademarkRecord(_Edge):
    number: str = Field(min_length=1)
    country: str = "CN"
    mark: str | None = None
    mark_type: str | None = None  # word, figurative, combined, 3d, sound, colour
    image_ref: str | None = None
    goods: list[GoodsItem] = Field(default_factory=list)
    parties: list[PartyRef] = Field(default_factory=list)
    filing_date: dt.date | None = None
    priority_date: dt.date | None = None
    publication_date: dt.date | None = None
    registration_date: dt.date | None = None
    expiry_date: dt.date | None = None
    status: TrademarkStatus = "unknown"
    source_format: str = "unknown"

    @property
    def key(self) -> str:
        return f"{self.country}|{self.number}"


class RecordError(_Edge):
    """A record that could not be loaded: where it is and what is wrong with it."""

    path: str
    record: str  # index ("#12") and/or number of the record in the file
    field: str | None = None
    message: str
    skipped: bool = False  # True: not an error, just not a record we load (e.g. a sequence listing)

    def __str__(self) -> str:
        where = f"{self.path}, record {self.record}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


Parsed = PatentRecord | TrademarkRecord | RecordError
