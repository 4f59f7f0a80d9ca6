"""WIPO ST.96 (V6.0) XML: PatentPublication and DesignApplication -> PatentRecord,
TrademarkApplication -> TrademarkRecord. GIApplication (geographical indications) and other
ST.96 roots are reported as skipped.

ST.96 spreads element names over several namespaces (`pat:`, `com:`, `dgn:`, `tmk:`) with
no rule a map could follow, so element namespaces are dropped after the safe parse and the
maps use plain paths (`BibliographicData/PatentPublicationIdentification/PublicationNumber`).
Attributes keep theirs (`com:languageCode`). A DesignApplication or TrademarkApplication
with several designs/marks in its bag gives one record per design/mark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from ipoffice.core.model import Parsed, RecordError, TrademarkRecord
from ipoffice.ingest.base import Format, localname, register
from ipoffice.ingest.epo import (
    alt,
    apply_map,
    block_text,
    classification,
    combine,
    guarded,
    guess_kind,
    iter_documents,
    lang_code,
    lang_texts,
    lenient_date,
    looks_like_xml,
    skipped,
)
from ipoffice.ingest.fieldmap import FieldMap, clean, text_of


def _attr(el: etree._Element, name: str) -> str | None:
    """An attribute by local name (ST.96 puts most attributes in the Common namespace)."""
    for key, val in el.attrib.items():
        if etree.QName(key).localname == name:
            return val
    return None


def _strip_element_ns(root: etree._Element) -> None:
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = etree.QName(node).localname


# ---------------------------------------------------------------------------------------------
# Parties
# ---------------------------------------------------------------------------------------------


def _name_and_kind(el: etree._Element) -> tuple[str | None, str]:
    """Name of a party element (`Contact/Name`, `PublicationContact/Name` or `Name`)."""
    name = el.find("Contact/Name")
    if name is None:
        name = el.find("PublicationContact/Name")
    if name is None:
        name = el.find("Name")
    if name is None:
        return None, "unknown"
    structured = name.find("PersonName/PersonStructuredName")
    if structured is not None:
        parts = [text_of(structured.find(t)) for t in ("FirstName", "MiddleName", "LastName", "NameSuffix")]
        full = clean(" ".join(p for p in parts if p))
        return full, "person"
    full = text_of(name.find("PersonName/PersonFullName"))
    if full:
        return full, "person"
    org = text_of(name.find("OrganizationName/OrganizationStandardName")) or text_of(name.find("OrganizationName"))
    if org:
        return org, "organization"
    entity = text_of(name.find("EntityName"))
    if entity:
        return entity, guess_kind(entity)
    return text_of(name), "unknown"


def _parties(path: str, role: str, agent: bool = False) -> Callable[[etree._Element], list[dict]]:
    """Parties at `path` (one per name: USPTO repeats the owner per stage); for
    representatives (`agent=True`) a firm is the agency."""
    xp = etree.XPath(path)

    def get(node: etree._Element) -> list[dict]:
        out: list[dict] = []
        seen: set[str] = set()
        for el in xp(node):
            name, kind = _name_and_kind(el)
            if not name or name in seen:
                continue
            seen.add(name)
            r = role
            if agent:
                if kind == "person":
                    r = "agent"
                else:
                    r, kind = "agency", "agency"
            country = text_of(el.find("Contact/PostalAddressBag/PostalAddress/PostalStructuredAddress/CountryCode"))
            country = country or text_of(el.find("IncorporationCountryCode")) or text_of(el.find("NationalityCode"))
            seq = _attr(el, "sequenceNumber")
            out.append(
                {
                    "name": name,
                    "role": r,
                    "kind": kind,
                    "country": country,
                    "sequence": int(seq) if seq and seq.isdigit() else len(out) + 1,
                }
            )
        return out

    return get


# ---------------------------------------------------------------------------------------------
# PatentPublication
# ---------------------------------------------------------------------------------------------

_BIB = "BibliographicData"
_PPI = f"{_BIB}/PatentPublicationIdentification"
_APP = f"{_BIB}/ApplicationIdentification"
_SUBJECT = {"utility": "invention", "design": "design", "plant": "plant", "reissue": "reissue"}


def _parts_symbol(el: etree._Element, section: str = "Section") -> str | None:
    parts = [text_of(el.find(t)) or "" for t in (section, "Class", "Subclass", "MainGroup", "Subgroup")]
    if not parts[0] or not parts[3]:
        return None
    return f"{parts[0]}{parts[1]}{parts[2]} {parts[3]}/{parts[4] or '00'}"


def _version(el: etree._Element) -> str | None:
    d = text_of(el.find("ClassificationVersionDate"))
    return d[:7].replace("-", ".") if d and re.match(r"\d{4}-\d{2}", d) else None


def _pat_classifications(root: etree._Element) -> list[dict]:
    out = []
    for el in root.iterfind(f"{_BIB}/PatentClassificationBag/IPCRClassificationBag/IPCRClassification"):
        c = classification(_parts_symbol(el), main=text_of(el.find("SymbolPositionCode")) == "F")
        if c:
            c["version"] = _version(el)
            out.append(c)
    for bag, main in (("MainCPC", True), ("FurtherCPC", False)):
        for el in root.iterfind(f"{_BIB}/PatentClassificationBag/CPCClassificationBag/{bag}//CPCClassification"):
            c = classification(_parts_symbol(el, "CPCSection"), scheme="cpc", main=main)
            if c:
                c["version"] = _version(el)
                out.append(c)
    for nc in root.iterfind(f"{_BIB}/PatentClassificationBag/NationalClassification"):
        for tag, main in (("MainNationalClassification", True), ("FurtherNationalClassification", False)):
            for el in nc.iterfind(tag):
                cls_, sub = text_of(el.find("NationalClass")), text_of(el.find("NationalSubclass"))
                if cls_:
                    scheme = "uspc" if text_of(nc.find("IPOfficeCode")) == "US" else "other"
                    out.append({"scheme": scheme, "symbol": f"{cls_}/{sub}" if sub else cls_, "main": main})
    return out


def _pat_citations(root: etree._Element) -> list[dict]:
    out = []
    for rc in root.iterfind(f"{_BIB}/ReferenceCitationBag/ReferenceCitation"):
        phase = (_attr(rc, "citingPartyCategory") or "").lower() or None
        for pc in rc.iterfind("PatentCitation/CitedPatentDocumentIdentification"):
            num = text_of(pc.find("DocumentNumber"))
            if num:
                out.append(
                    {
                        "country": text_of(pc.find("IPOfficeCode")),
                        "number": num,
                        "kind": text_of(pc.find("PatentDocumentKindCode")),
                        "date": lenient_date(pc.find("PatentDocumentDate")),
                        "phase": phase,
                    }
                )
        for npl in rc.iterfind("NPLCitation"):
            t = text_of(npl.find("NPLCitationText")) or text_of(npl)
            if t:
                out.append({"text": t, "phase": phase})
    return out


def _pat_claims(root: etree._Element) -> dict[str, list[str]]:
    texts = []
    for claim in root.iterfind("Claims/Claim"):
        t = clean(" ".join(text_of(ct) or "" for ct in claim.iterfind("ClaimText")))
        if t:
            texts.append(t)
    return {_doc_lang(root) or "en": texts} if texts else {}


def _doc_lang(root: etree._Element) -> str | None:
    return lang_code(_attr(root, "languageCode"))


def _priorities(path: str, date_tag: str, country_tag: str = "IPOfficeCode") -> Callable:
    xp = etree.XPath(path)

    def get(node: etree._Element) -> list[dict]:
        out = []
        for pc in xp(node):
            num = text_of(pc.find("ApplicationNumber/ApplicationNumberText"))
            if num:
                out.append(
                    {
                        "country": text_of(pc.find(country_tag)),
                        "number": num,
                        "date": lenient_date(pc.find(date_tag)),
                    }
                )
        return out

    return get


def _pat_stage(root: etree._Element) -> str:
    kind = (text_of(root.find(f"{_PPI}/PatentDocumentKindCode")) or "").upper()
    if kind[:1] in ("B", "C", "E", "P", "S"):
        return "grant"
    if kind[:1] == "A":
        return "application"
    return "other"


def _pat_grant_date(root: etree._Element) -> Any:
    return lenient_date(root.find(f"{_PPI}/PublicationDate")) if _pat_stage(root) == "grant" else None


PATENT_MAP = FieldMap(
    name="wipo-st96-patent-publication-v6.0",
    fields={
        "number": alt(f"{_PPI}/PublicationNumber"),
        "country": alt(f"{_PPI}/IPOfficeCode", "IPOfficeCode"),
        "kind": alt(f"{_PPI}/PatentDocumentKindCode"),
        "stage": _pat_stage,
        "doc_type": lambda r: _SUBJECT.get(
            (text_of(r.find(f"{_APP}/InventionSubjectMatterCategory")) or "utility").lower(), "other"
        ),
        "publication_date": alt(f"{_PPI}/PublicationDate", conv=lenient_date),
        "grant_date": _pat_grant_date,
        "application_number": alt(f"{_APP}/ApplicationNumber/ApplicationNumberText"),
        "application_date": alt(f"{_APP}/FilingDate", conv=lenient_date),
        "language": _doc_lang,
        "titles": lang_texts(
            f"{_BIB}/InventionTitleBag/InventionTitle", lang_attr="languageCode", default_lang=_doc_lang
        ),
        "abstracts": lang_texts("Abstract", conv=block_text, lang_attr="languageCode", default_lang=_doc_lang),
        "descriptions": lang_texts("Description", conv=block_text, lang_attr="languageCode", default_lang=_doc_lang),
        "claims": _pat_claims,
        "classifications": _pat_classifications,
        "parties": combine(
            _parties(f"{_BIB}/PartyBag/ApplicantBag/Applicant", "applicant"),
            _parties(f"{_BIB}/PartyBag/InventorBag/Inventor", "inventor"),
            _parties(f"{_BIB}/PartyBag/AssigneeBag/Assignee", "assignee"),
            _parties(f"{_BIB}/PartyBag/RegisteredPractitionerBag/RegisteredPractitioner", "agent", agent=True),
            _parties(f"{_BIB}/PartyBag/ExaminerBag/*", "examiner"),
        ),
        "priorities": _priorities(f"{_BIB}/PriorityClaimBag/PriorityClaim", "FilingDate"),
        "citations": _pat_citations,
    },
)

# ---------------------------------------------------------------------------------------------
# DesignApplication (applied to each Design of the DesignBag)
# ---------------------------------------------------------------------------------------------


_design_lang = alt("/DesignApplication/DesignApplicationLanguageCode", conv=lang_code)


def _design_stage(design: etree._Element) -> str:
    status = (text_of(design.find("DesignCurrentStatusCategory")) or "").lower()
    if design.find("RegistrationNumber") is not None or status in ("registered", "granted"):
        return "grant"
    return "application"


def _design_claims(design: etree._Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for el in design.iterfind("DesignClaim/DesignClaimTextBag/DesignClaimText"):
        t = text_of(el)
        if t:
            out.setdefault(lang_code(_attr(el, "languageCode")) or "en", []).append(t)
    return out


def _design_description(design: etree._Element) -> dict[str, str]:
    texts = [t for t in (text_of(el) for el in design.iterfind("DesignDescriptionText")) if t]
    lang = _design_lang(design) or "en"
    return {lang: "\n".join(texts)} if texts else {}


def _locarno(design: etree._Element) -> list[dict]:
    out = []
    for bag in design.iterfind("DesignClassificationBag/LocarnoClassificationBag"):
        edition = text_of(bag.find("LocarnoClassificationEdition"))
        for el in bag.iterfind("LocarnoClassificationText"):
            t = text_of(el)
            if t:
                out.append({"scheme": "locarno", "symbol": t, "main": not out, "version": edition})
    return out


def _design_citations(design: etree._Element) -> list[dict]:
    out = []
    for pc in design.iterfind("PatentIdentificationBag/CitedPatentDocumentIdentification"):
        num = text_of(pc.find("DocumentNumber"))
        if num:
            out.append(
                {
                    "country": text_of(pc.find("IPOfficeCode")),
                    "number": num,
                    "kind": text_of(pc.find("PatentDocumentKindCode")),
                    "date": lenient_date(pc.find("PatentDocumentDate")),
                }
            )
    return out


DESIGN_MAP = FieldMap(
    name="wipo-st96-design-application-v6.0",
    fields={
        "number": alt("PublicationBag/Publication/PublicationIdentifier", "DesignIdentifier", "RegistrationNumber"),
        "country": alt(
            "/DesignApplication/RegistrationOfficeCode", "/DesignApplication/ApplicationNumber/IPOfficeCode"
        ),
        "kind": lambda d: "S" if text_of(d.find("PublicationKindDescription")) == "Design" else None,
        "doc_type": lambda d: "design",
        "stage": _design_stage,
        "publication_date": alt("PublicationBag/Publication/PublicationDate", conv=lenient_date),
        "grant_date": alt("RegistrationDate", conv=lenient_date),
        "application_number": alt("/DesignApplication/ApplicationNumber/ApplicationNumberText"),
        "application_date": alt("/DesignApplication/ApplicationDate", "FilingDate", conv=lenient_date),
        "language": _design_lang,
        "titles": lang_texts("DesignTitleText", lang_attr="languageCode", default_lang=_design_lang),
        "descriptions": _design_description,
        "claims": _design_claims,
        "classifications": _locarno,
        "parties": combine(
            _parties("ApplicantBag/Applicant", "applicant"),
            _parties("DesignerBag/Designer", "inventor"),
            _parties("RepresentativeBag/Representative", "agent", agent=True),
        ),
        "priorities": _priorities("PriorityBag/Priority", "PriorityApplicationFilingDate", "PriorityCountryCode"),
        "citations": _design_citations,
    },
)

# ---------------------------------------------------------------------------------------------
# TrademarkApplication (applied to each Trademark of the TrademarkBag)
# ---------------------------------------------------------------------------------------------

_STATUS_WORDS = (
    ("regist", "registered"),
    ("refus", "refused"),
    ("oppos", "opposed"),
    ("invalid", "invalidated"),
    ("cancel", "cancelled"),
    ("expir", "expired"),
    ("withdraw", "withdrawn"),
    ("abandon", "withdrawn"),
    ("publish", "preliminarily-approved"),
    ("pending", "pending"),
    ("filed", "pending"),
    ("examin", "pending"),
)


def _tm_status(tm: etree._Element) -> str:
    code = (text_of(tm.find("MarkCurrentStatusCode")) or text_of(tm.find("MarkCurrentStatusCategory")) or "").lower()
    for word, status in _STATUS_WORDS:
        if word in code:
            return status
    return "unknown"


_FEATURES = (
    ("word", "word"),
    ("figur", "figurative"),
    ("combin", "combined"),
    ("three", "3d"),
    ("3", "3d"),
    ("sound", "sound"),
    ("colou", "colour"),
)


def _tm_type(tm: etree._Element) -> str | None:
    feature = (text_of(tm.find("MarkFeatureCategory")) or "").lower()
    for key, val in _FEATURES:
        if feature and key in feature:
            return val
    rep = tm.find("MarkRepresentation/MarkReproduction")
    if rep is None:
        return None
    has_word = rep.find("WordMarkSpecification") is not None
    has_image = rep.find("MarkImageBag") is not None
    if has_word and has_image:
        return "combined"
    if has_word:
        return "word"
    if has_image:
        return "figurative"
    return None


def _tm_goods(tm: etree._Element) -> list[dict]:
    out = []
    for gs in tm.iterfind("GoodsServicesBag/GoodsServices"):
        for cd in gs.iterfind("ClassDescriptionBag/ClassDescription"):
            num = text_of(cd.find("ClassNumber"))
            if not num or not num.isdigit() or not 1 <= int(num) <= 45:
                continue
            texts = [t for t in (text_of(el) for el in cd.iterfind("GoodsServicesDescriptionText")) if t]
            out.append({"nice_class": int(num), "text": "; ".join(texts) or None})
        if not out:
            for cls in gs.iterfind("GoodsServicesClassificationBag/GoodsServicesClassification"):
                num = text_of(cls.find("ClassNumber"))
                kind = (text_of(cls.find("ClassificationKindCode")) or "").lower()
                if num and num.isdigit() and 1 <= int(num) <= 45 and kind in ("nice", "primary", ""):
                    out.append({"nice_class": int(num)})
    return out


TRADEMARK_MAP = FieldMap(
    name="wipo-st96-trademark-application-v6.0",
    fields={
        "number": alt("ApplicationNumber/ApplicationNumberText", "RegistrationNumber"),
        "country": alt("RegistrationOfficeCode", "ApplicationNumber/IPOfficeCode"),
        "mark": alt(
            "MarkRepresentation/MarkReproduction/WordMarkSpecification/MarkVerbalElementText",
            "MarkRepresentation/MarkReproduction/WordMarkSpecification/MarkSignificantVerbalElementText",
        ),
        "mark_type": _tm_type,
        "image_ref": alt("MarkRepresentation/MarkReproduction/MarkImageBag/MarkImage/FileName"),
        "goods": _tm_goods,
        "parties": combine(
            _parties("ApplicantBag/Applicant", "applicant"),
            _parties("RepresentativeBag/Representative", "representative"),
            _parties("NationalCorrespondent", "representative"),
        ),
        "filing_date": alt("ApplicationDate", conv=lenient_date),
        "priority_date": alt("PriorityBag/Priority/PriorityDate", conv=lenient_date),
        "publication_date": alt("PublicationBag/Publication/PublicationDate", conv=lenient_date),
        "registration_date": alt("RegistrationDate", conv=lenient_date),
        "expiry_date": alt("ExpiryDate", conv=lenient_date),
        "status": _tm_status,
    },
)


def _records(root: etree._Element, path: Path, index: int) -> list[Parsed]:
    _strip_element_ns(root)
    name = localname(root)
    if name == "PatentPublication":
        return [apply_map(PATENT_MAP, root, path, index)]
    if name == "DesignApplication":
        designs = root.findall("DesignBag/Design")
        if not designs:
            return [skipped(path, index, "ST.96 DesignApplication without designs")]
        return [apply_map(DESIGN_MAP, d, path, index) for d in designs]
    if name == "TrademarkApplication":
        marks = root.findall("TrademarkBag/Trademark")
        if not marks:
            return [skipped(path, index, "ST.96 TrademarkApplication without trademarks")]
        return [apply_map(TRADEMARK_MAP, t, path, index, cls=TrademarkRecord) for t in marks]
    if name == "GIApplication":
        return [skipped(path, index, "ST.96 GIApplication (geographical indication): not a patent or trademark")]
    return [skipped(path, index, f"ST.96 document <{name}> is not loaded")]


def parse_st96(path: Path) -> Iterator[Parsed]:
    for index, root in iter_documents(path):
        if isinstance(root, RecordError):
            yield root
            continue
        yield from guarded(path, index, lambda r=root, i=index: _records(r, path, i))


FORMAT = register(
    Format(
        name="wipo-st96",
        sniff=lambda head, path: looks_like_xml(head) and b"wipo.int/standards/XMLSchema/ST96" in head,
        parse=parse_st96,
        priority=40,
        description="WIPO ST.96 V6.0 PatentPublication, DesignApplication, TrademarkApplication",
    )
)
