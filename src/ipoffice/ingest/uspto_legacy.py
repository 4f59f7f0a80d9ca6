"""Pre-2005 USPTO XML: pap v1.5/v1.6 application publications and ST.32 v2.5 `PATDOC` grants.

- `patent-application-publication` (pap-v15-2001-01-31.dtd, pap-v16-2002-01-01.dtd): pre-grant
  publications 2001-2004. No country element (always US), no citations.
- `PATDOC` (ST32-US-Grant-025xml.dtd, "Red Book" XML 2002-2004): WIPO ST.32 numbered tags
  (B110 number, B130 kind, B140 date, B511 IPC, B521 US class, B721 inventors ...). Old documents
  use undeclared ISO entities (`&ldquo;`, `&agr;`); the shared parser turns them into characters.

Same design as `uspto`: one declarative map per version, plugged into the same streaming parser.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ipoffice.core.model import Citation, Classification, PartyRef, Priority
from ipoffice.ingest.base import Format, register
from ipoffice.ingest.fieldmap import FieldMap, X, parse_date, text_of
from ipoffice.ingest.uspto import (
    LANG,
    ROOTS,
    Const,
    DocType,
    Each,
    citation_phase,
    classifications,
    country_code,
    date_of,
    dtd_version,
    en_claims,
    en_paragraphs,
    en_text,
    lenient_date,
    normalize_ipc,
    parse_file,
    parties,
    person_name,
    pick_version,
    raw_text,
    sub_text,
)

# --------------------------------------------------------------------------------------------
# pap v1.x (patent-application-publication)
# --------------------------------------------------------------------------------------------


def pap_ipc(el: etree._Element) -> list[Classification]:
    """`classification-ipc`: primary/ipc (main), secondary/ipc, edition."""
    edition = sub_text(el, "classification-ipc-edition")
    out = []
    for block, main in (("classification-ipc-primary", True), ("classification-ipc-secondary", False)):
        for ipc in el.iterfind(f"{block}/ipc"):
            symbol = normalize_ipc(raw_text(ipc))
            if symbol:
                out.append(Classification(scheme="ipc", symbol=symbol, main=main, version=edition))
    return out


def pap_uspc(el: etree._Element) -> list[Classification]:
    """`classification-us`: primary/uspc (main), secondary/uspc; symbol `class/subclass` as printed."""
    out = []
    for block, main in (("classification-us-primary", True), ("classification-us-secondary", False)):
        for uspc in el.iterfind(f"{block}/uspc"):
            symbol = "/".join(p for p in (sub_text(uspc, "class"), sub_text(uspc, "subclass")) if p)
            if symbol:
                out.append(Classification(scheme="uspc", symbol=symbol, main=main))
    return out


def _pap_address(el: etree._Element) -> tuple[str | None, str | None]:
    """(country, "city, state") from residence-us / residence-non-us / address."""
    for where in ("residence/residence-us", "residence/residence-non-us", "address"):
        block = el.find(where)
        if block is not None:
            country = country_code(sub_text(block, "country-code") or sub_text(block, "country/country-code"))
            address = ", ".join(p for p in (sub_text(block, "city"), sub_text(block, "state")) if p) or None
            return country, address
    return None, None


def _pap_name(el: etree._Element) -> tuple[str | None, bool]:
    """(name, is_organization)."""
    org = sub_text(el, "organization-name") or sub_text(el, "name/organization-name")
    if org:
        return org, True
    name = el.find("name")
    if name is None:
        return None, False
    return (
        person_name(
            sub_text(name, "given-name"),
            sub_text(name, "middle-name"),
            sub_text(name, "family-name"),
            sub_text(name, "name-suffix"),
        ),
        False,
    )


def pap_inventor(el: etree._Element) -> list[PartyRef]:
    """An inventor; one who is also the applicant (`authority-applicant` INV) is listed as both."""
    name, is_org = _pap_name(el)
    if not name:
        return []
    country, address = _pap_address(el)
    p = PartyRef(
        name=name,
        role="inventor",
        kind="organization" if is_org else "person",
        country=country,
        address=address,
    )
    out = [p]
    if (sub_text(el, "authority-applicant") or "").upper() == "INV":
        out.append(p.model_copy(update={"role": "applicant"}))
    return out


def pap_assignee(el: etree._Element) -> PartyRef | None:
    name, is_org = _pap_name(el)
    if not name:
        return None
    country, address = _pap_address(el)
    return PartyRef(
        name=name, role="assignee", kind="organization" if is_org else "person", country=country, address=address
    )


def pap_priority(el: etree._Element) -> Priority | None:
    number = sub_text(el, "priority-application-number/doc-number")
    date = parse_date(sub_text(el, "filing-date"))
    if not (number or date):
        return None
    return Priority(country=sub_text(el, "country-code"), number=number, date=date)


P = "subdoc-bibliographic-information"


def _pap_fields() -> dict[str, Any]:
    return {
        "number": X(f"{P}/document-id/doc-number"),
        "country": Const("US"),
        "kind": X(f"{P}/document-id/kind-code"),
        "doc_type": DocType(None, f"{P}/document-id/kind-code"),
        "stage": Const("application"),
        "application_number": X(f"{P}/domestic-filing-data/application-number/doc-number"),
        "application_date": X(f"{P}/domestic-filing-data/filing-date", conv=date_of),
        "publication_date": X(f"{P}/document-id/document-date", conv=date_of),
        "language": Const(LANG),
        "titles": X(f"{P}/technical-information/title-of-invention", conv=en_text),
        "abstracts": X("subdoc-abstract", conv=en_paragraphs),
        "descriptions": X("subdoc-description", conv=en_paragraphs),
        "claims": X("subdoc-claims", conv=en_claims("claim")),
        "classifications": classifications(
            Each(f"{P}/technical-information/classification-ipc", pap_ipc),
            Each(f"{P}/technical-information/classification-us", pap_uspc),
        ),
        "parties": parties(
            Each(f"{P}/inventors/first-named-inventor | {P}/inventors/inventor", pap_inventor),
            Each(f"{P}/assignee", pap_assignee),
        ),
        "priorities": Each(f"{P}/foreign-priority-data", pap_priority),
    }


PAP_MAPS: dict[tuple[int, int], FieldMap] = {
    (1, 5): FieldMap(name="uspto-pap-v1.5", fields=_pap_fields()),
    (1, 6): FieldMap(name="uspto-pap-v1.6", fields=_pap_fields()),
}

# --------------------------------------------------------------------------------------------
# ST.32 v2.5 PATDOC grants
# --------------------------------------------------------------------------------------------


def patdoc_class_main(el: etree._Element) -> Classification | None:
    """B511: the main IPC; design patents carry their Locarno class here (e.g. `1402`)."""
    raw = raw_text(el)
    if not raw:
        return None
    edition = sub_text(el.getparent(), "B516")
    if re.fullmatch(r"\d{3,4}", raw):
        return Classification(scheme="locarno", symbol=raw, main=True, version=edition)
    return Classification(scheme="ipc", symbol=normalize_ipc(raw) or raw, main=True, version=edition)


def patdoc_class_further(el: etree._Element) -> Classification | None:
    symbol = normalize_ipc(raw_text(el))
    if not symbol:
        return None
    return Classification(scheme="ipc", symbol=symbol, main=False, version=sub_text(el.getparent(), "B516"))


def patdoc_uspc(main: bool):
    def make(el: etree._Element) -> Classification | None:
        symbol = text_of(el)
        return Classification(scheme="uspc", symbol=symbol, main=main) if symbol else None

    return make


def _patdoc_party(el: etree._Element, role: str, org_role: str | None = None, org_kind: str = "organization"):
    nam = el.find(".//NAM")
    if nam is None:
        return None
    org = sub_text(nam, "ONM")
    name = org or person_name(sub_text(nam, "FNM"), sub_text(nam, "SNM"))
    if not name:
        return None
    adr = el.find(".//ADR")
    state = sub_text(adr, "STATE")
    country = country_code(sub_text(adr, "CTRY")) or ("US" if state else None)
    address = ", ".join(p for p in (sub_text(adr, "CITY"), state) if p) or None
    return PartyRef(
        name=name,
        role=(org_role or role) if org else role,  # type: ignore[arg-type]
        kind=org_kind if org else "person",  # type: ignore[arg-type]
        country=country,
        address=address,
    )


def patdoc_inventor(el: etree._Element) -> PartyRef | None:
    return _patdoc_party(el, "inventor")


def patdoc_assignee(el: etree._Element) -> PartyRef | None:
    return _patdoc_party(el, "assignee")


def patdoc_agent(el: etree._Element) -> PartyRef | None:
    return _patdoc_party(el, "agent", org_role="agency", org_kind="agency")


def patdoc_examiner(el: etree._Element) -> PartyRef | None:
    return _patdoc_party(el, "examiner")


def patdoc_priority(el: etree._Element) -> Priority | None:
    number = sub_text(el, "B310/DNUM") or sub_text(el, "B310")
    date = parse_date(sub_text(el, "B320/DATE") or sub_text(el, "B320"))
    if not (number or date):
        return None
    return Priority(country=sub_text(el, "B330/CTRY") or sub_text(el, "B330"), number=number, date=date)


def patdoc_citation(el: etree._Element) -> Citation | None:
    """B561 (patent: PCIT/DOC) or B562 (non-patent: NCIT), cited by examiner or other."""
    if el.find("CITED-BY-EXAMINER") is not None:
        category = "cited by examiner"
    elif el.find("CITED-BY-OTHER") is not None:
        category = "cited by other"
    else:
        category = None
    doc = el.find("PCIT/DOC")
    if doc is not None:
        return Citation(
            country=sub_text(doc, "CTRY") or "US",
            number=sub_text(doc, "DNUM"),
            kind=sub_text(doc, "KIND"),
            date=lenient_date(sub_text(doc, "DATE")),
            category=category,
            phase=citation_phase(category),
        )
    text = sub_text(el, "NCIT")
    if text:
        return Citation(text=text, category=category, phase=citation_phase(category))
    return None


_PATDOC_BLOCKS = etree.XPath(".//PTEXT[not(ancestor::PTEXT)] | .//H")


def patdoc_paragraphs(el: Any) -> dict[str, str] | None:
    """SDOAB / SDODE: each paragraph (PARA/PTEXT) and heading (H) on its own line."""
    parts = [t for t in (text_of(b) for b in _PATDOC_BLOCKS(el)) if t]
    text = "\n".join(parts) if parts else text_of(el)
    return {LANG: text} if text else None


def patdoc_claim_text(el: etree._Element) -> str | None:
    """A claim (CLM): each PARA / CLMSTEP text block on its own line."""
    parts = [t for t in (text_of(p) for p in el.iter("PTEXT")) if t]
    return "\n".join(parts) if parts else text_of(el)


B = "SDOBI"

PATDOC_MAPS: dict[tuple[int, int], FieldMap] = {
    (2, 5): FieldMap(
        name="uspto-grant-v2.5",
        fields={
            "number": X(f"{B}/B100/B110/DNUM"),
            "country": X(f"{B}/B100/B190"),
            "kind": X(f"{B}/B100/B130"),
            "doc_type": DocType(None, f"{B}/B100/B130"),
            "stage": Const("grant"),
            "application_number": X(f"{B}/B200/B210/DNUM"),
            "application_date": X(f"{B}/B200/B220/DATE", conv=date_of),
            "publication_date": X(f"{B}/B100/B140/DATE", conv=date_of),
            "grant_date": X(f"{B}/B100/B140/DATE", conv=date_of),
            "language": Const(LANG),
            "titles": X(f"{B}/B500/B540", conv=en_text),
            "abstracts": X("SDOAB", conv=patdoc_paragraphs),
            "descriptions": X("SDODE", conv=patdoc_paragraphs),
            "claims": X("SDOCL", conv=en_claims("CLM", patdoc_claim_text)),
            "classifications": classifications(
                Each(f"{B}/B500/B510/B511", patdoc_class_main),
                Each(f"{B}/B500/B510/B512", patdoc_class_further),
                Each(f"{B}/B500/B520/B521", patdoc_uspc(main=True)),
                Each(f"{B}/B500/B520/B522", patdoc_uspc(main=False)),
            ),
            "parties": parties(
                Each(f"{B}/B700/B720/B721", patdoc_inventor),
                Each(f"{B}/B700/B730/B731", patdoc_assignee),
                Each(f"{B}/B700/B740/B741", patdoc_agent),
                Each(f"{B}/B700/B745/B746 | {B}/B700/B745/B747", patdoc_examiner),
            ),
            "priorities": Each(f"{B}/B300", patdoc_priority),
            "citations": Each(f"{B}/B500/B560/B561 | {B}/B500/B560/B562", patdoc_citation),
        },
    ),
}

ROOTS["patent-application-publication"] = lambda root: pick_version(PAP_MAPS, dtd_version(root), default=(1, 5))
ROOTS["PATDOC"] = lambda root: pick_version(PATDOC_MAPS, dtd_version(root, attr="DTD"))


def sniff_pap(head: bytes, path) -> bool:
    return b"<patent-application-publication" in head or b"pap-v1" in head


def sniff_patdoc(head: bytes, path) -> bool:
    return b"<PATDOC" in head or b"ST32-US-Grant" in head


PAP_FORMAT = register(
    Format(
        name="uspto-pap-xml",
        sniff=sniff_pap,
        parse=parse_file,
        priority=30,
        description="USPTO pre-grant publication XML, patent-application-publication pap v1.5/v1.6 (2001-2004)",
    )
)
PATDOC_FORMAT = register(
    Format(
        name="uspto-grant-patdoc-xml",
        sniff=sniff_patdoc,
        parse=parse_file,
        priority=30,
        description="USPTO grant XML ST.32 v2.5 PATDOC (Red Book 2002-2004)",
    )
)
