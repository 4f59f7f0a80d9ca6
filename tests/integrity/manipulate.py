"""Manipulated copies of real records: each injects one behaviour of Order 77 Art. 3 into a real filing.

Used by the integrity tests; the real records come from ../shared/data (USPTO weekly slice ipg120103, public
domain). Each function returns a new PatentRecord with a new number, so the original stays as it was.
"""

from __future__ import annotations

import datetime as dt
import random

from ipoffice.core.model import PartyRef, PatentRecord
from ipoffice.integrity import textstats

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"


def load_slice(shared_data) -> list[PatentRecord]:  # noqa: ANN001
    from ipoffice.ingest.base import detect
    from ipoffice.ingest.runner import parsed_items

    path = shared_data / SLICE
    return [r for r in parsed_items(detect(path), path, 1) if isinstance(r, PatentRecord)]


def redated(rec: PatentRecord, number: str, filed: dt.date, applicant: str | None = None) -> PatentRecord:
    """The same filing under a new number and date (and applicant, when given)."""
    parties = list(rec.parties)
    if applicant:
        parties = [
            PartyRef(name=applicant, role="applicant", kind="organization", country="CN", address="广东省深圳市")
        ]
    return rec.model_copy(
        update={
            "number": number,
            "kind": "A",
            "application_number": None,
            "application_date": filed,
            "publication_date": filed + dt.timedelta(days=200),
            "grant_date": None,
            "family_id": None,
            "priorities": [],  # a new filing: it claims no priority of the record it came from
            "parties": parties,
        },
        deep=True,
    )


SWAPS = {
    "rail": "strip",
    "floor": "ground",
    "covering": "cover",
    "profile": "section",
    "base": "bottom",
    "part": "portion",
    "edge": "border",
    "wall": "side",
}


def substituted(text: str, rng: random.Random) -> str:
    """Simple substitution: swap some words for synonyms (the copier's disguise)."""
    out = []
    for w in text.split(" "):
        key = w.lower().strip(",.;:")
        out.append(w.replace(key, SWAPS[key]) if key in SWAPS and rng.random() < 0.7 else w)
    return " ".join(out)


def copied(rec: PatentRecord, number: str, filed: dt.date) -> PatentRecord:
    """P2: an earlier grant's abstract, claims and description with words substituted, by another applicant."""
    rng = random.Random(1)
    new = redated(rec, number, filed, applicant="Copycat Trading Co")
    new.abstracts = {k: substituted(v, rng) for k, v in rec.abstracts.items()}
    new.claims = {k: [substituted(c, rng) for c in v] for k, v in rec.claims.items()}
    new.descriptions = {k: substituted(v, rng) for k, v in rec.descriptions.items()}
    return new


def generated(rec: PatentRecord, corpus: list[PatentRecord], number: str, filed: dt.date) -> PatentRecord:
    """P3: the description, abstract and claims replaced by Markov-chain text built from real filings."""
    rng = random.Random(2)
    sents = [s for r in corpus for s in textstats.sentences(next(iter(r.descriptions.values()), "")[:20000])]
    text = lambda n: ". ".join(" ".join(s) for s in textstats.markov_text(sents, n, rng)) + "."  # noqa: E731
    new = redated(rec, number, filed, applicant="Random Text Works")
    new.abstracts = {"en": text(120)}
    new.descriptions = {"en": text(3000)}
    new.claims = {"en": [f"{i}. {text(40)}" for i in range(1, 6)]}
    return new


def padded_claims(rec: PatentRecord, number: str, filed: dt.date) -> PatentRecord:
    """P4: the real claims plus a stack of dependent claims adding only a colour, a material or a number."""
    new = redated(rec, number, filed)
    claims = list(next(iter(rec.claims.values())))
    n = len(claims)
    subject = "The device"
    extra = []
    for i, limit in enumerate(
        [
            "the housing is red",
            "the housing is blue",
            "the housing is green",
            "the housing is made of steel",
            "the housing is made of aluminium",
            "the housing is made of plastic",
            "the length is 10 mm",
            "the length is 20 mm",
            "the length is 30 mm",
            "the cover is black",
            "the cover is white",
            "the cover is made of rubber",
        ]
    ):
        extra.append(f"{n + i + 1}. {subject} of claim 1, wherein {limit}.")
    new.claims = {"en": claims + extra}
    return new


_MODELS: dict[str, object] = {}


def small_model(shared_data):  # noqa: ANN001, ANN201
    """A small generated-text model trained on the slice, once per test session (the scan trains a bigger one)."""
    if "m" not in _MODELS:
        from ipoffice.integrity import patent_signals as ps

        texts = [ps._record_text(r.abstracts, r.claims, r.descriptions) for r in load_slice(shared_data)]
        _MODELS["m"] = textstats.train(texts, max_windows=300)
    return _MODELS["m"]
