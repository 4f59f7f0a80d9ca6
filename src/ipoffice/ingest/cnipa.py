"""CNIPA patent XML: the older ST.36-based `<cn-patent-document>` and the current
`business:PatentDocumentAndRelated` (xsdVersion V2.x, sipo.gov.cn namespaces).

One document per file. Quirks handled: a UTF-8 BOM, a stylesheet PI from the CNIPA viewer,
single-line files with `standalone="yes"` and no encoding declaration, and a DOCTYPE
pointing at a DTD that is not shipped (`ipphdb-entities.dtd`, with an empty internal
subset); DTDs are never loaded and the character entities they would define are resolved
by name.

Number semantics: `number` is the publication number exactly as the `doc-number` element
prints it (`104223352`); country `CN`, kind `A`/`B`/`C`/`U`/`Y`/`S`. Kind A is an
invention application publication (stage "application"); B/C (invention grant), U/Y
(utility model) and S (design) are grants. 代理机构 (the agency) becomes a party with
role "agency" (its 5-digit CNIPA code goes to `identifiers["agency_code"]`), each 代理人
a party with role "agent".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from ipoffice.core.model import Parsed, RecordError
from ipoffice.ingest.base import Format, localname, register
from ipoffice.ingest.epo import (
    alt,
    apply_map,
    block_text,
    cjk_text,
    classifications,
    combine,
    date_conv,
    guarded,
    guess_kind,
    iter_documents,
    lang_code,
    looks_like_xml,
    parties,
    skipped,
    stage_for_kind,
)
from ipoffice.ingest.fieldmap import FieldMap, X, text_of

# ---------------------------------------------------------------------------------------------
# Shared rules
# ---------------------------------------------------------------------------------------------

_TYPE_BY_APPL = {"发明专利": "invention", "发明": "invention", "实用新型": "utility", "外观设计": "design"}


def _doc_type(kind: str | None, appl_type: str | None, app_number: str | None) -> str:
    """Utility model / design / invention from the kind code, the application type text, or
    the type digit of the application number (5th digit of 2003+ numbers: 1/8 invention,
    2/9 utility model, 3 design)."""
    k = (kind or "").upper()[:1]
    if k in ("U", "Y"):
        return "utility"
    if k == "S":
        return "design"
    if appl_type in _TYPE_BY_APPL:
        return _TYPE_BY_APPL[appl_type]
    digits = re.sub(r"\D", "", app_number or "")
    if len(digits) in (12, 13) and k not in ("A", "B", "C"):
        return {"2": "utility", "9": "utility", "3": "design"}.get(digits[4], "invention")
    return "invention"


def _grant_date(kind: str | None, pub_date: Any) -> Any:
    return pub_date if stage_for_kind(kind) == "grant" else None


def _applicant_kind(name: str) -> str:
    return guess_kind(name)


# ---------------------------------------------------------------------------------------------
# Old format: <cn-patent-document>
# ---------------------------------------------------------------------------------------------

_OLD_PUB = "cn-bibliographic-data/cn-publication-reference/document-id"
_OLD_APP = "cn-bibliographic-data/application-reference"
_old_kind_get = alt(f"{_OLD_PUB}/kind")
_old_pub_date = alt(f"{_OLD_PUB}/date", conv=date_conv)


def _old_doc_type(root: etree._Element) -> str:
    app = root.find(_OLD_APP)
    return _doc_type(
        _old_kind_get(root),
        app.get("appl-type") if app is not None else None,
        text_of(root.find(f"{_OLD_APP}/document-id/doc-number")),
    )


def _old_claims(root: etree._Element) -> dict[str, list[str]]:
    texts = [t for t in (cjk_text(c) for c in root.iterfind("application-body/claims/claim")) if t]
    return {"zh": texts} if texts else {}


def _old_priorities(root: etree._Element) -> list[dict]:
    out = []
    for pc in root.iterfind("cn-bibliographic-data/priority-claims/priority-claim"):
        num = text_of(pc.find("doc-number"))
        if num:
            out.append({"country": text_of(pc.find("country")), "number": num, "date": date_conv(pc.find("date"))})
    return out


def _zh(getter):
    def get(root: etree._Element) -> dict[str, Any]:
        v = getter(root)
        return {"zh": v} if v else {}

    return get


OLD_MAP = FieldMap(
    name="cnipa-cn-patent-document",
    fields={
        "number": X(f"{_OLD_PUB}/doc-number"),
        "country": alt(f"{_OLD_PUB}/country", "@country"),
        "kind": _old_kind_get,
        "stage": lambda r: stage_for_kind(_old_kind_get(r)),
        "doc_type": _old_doc_type,
        "publication_date": _old_pub_date,
        "grant_date": lambda r: _grant_date(_old_kind_get(r), _old_pub_date(r)),
        "application_number": X(f"{_OLD_APP}/document-id/doc-number"),
        "application_date": X(f"{_OLD_APP}/document-id/date", conv=date_conv),
        "language": lambda r: lang_code(r.get("lang")) or "zh",
        "titles": _zh(alt("cn-bibliographic-data/invention-title", conv=cjk_text)),
        "abstracts": _zh(alt("cn-bibliographic-data/abstract", conv=lambda e: block_text(e, cjk=True))),
        "descriptions": _zh(alt("application-body/description", conv=lambda e: block_text(e, cjk=True))),
        "claims": _old_claims,
        "classifications": classifications(
            "cn-bibliographic-data/classifications-ipcr/classification-ipcr/text", first_is_main=True
        ),
        "parties": combine(
            parties(
                "cn-bibliographic-data/cn-parties/cn-applicants/cn-applicant",
                "applicant",
                name="addressbook/name|name",
                kind=_applicant_kind,
                country="addressbook/address/country",
                address="addressbook/address/text",
            ),
            parties(
                "cn-bibliographic-data/cn-parties/cn-inventors/cn-inventor", "inventor", name="name", kind="person"
            ),
            parties(
                "cn-bibliographic-data/cn-parties/cn-agents/cn-agent/cn-agency",
                "agency",
                name="name",
                kind="agency",
                agency_code=True,
                unique=True,
            ),
            parties("cn-bibliographic-data/cn-parties/cn-agents/cn-agent", "agent", name="name", kind="person"),
        ),
        "priorities": _old_priorities,
    },
)

# ---------------------------------------------------------------------------------------------
# New format: business:PatentDocumentAndRelated (V2.2.1)
# ---------------------------------------------------------------------------------------------

NS = {"base": "http://www.sipo.gov.cn/XMLSchema/base", "business": "http://www.sipo.gov.cn/XMLSchema/business"}
_BIB = "business:BibliographicData"
_PUB = f"{_BIB}/business:PublicationReference"
_APP = f"{_BIB}/business:ApplicationReference"

_new_kind = alt(
    f"{_PUB}[@dataFormat='original']/base:DocumentID/base:Kind",
    f"{_PUB}/base:DocumentID/base:Kind",
    "@kind",
    namespaces=NS,
)
_new_pub_date = alt(
    f"{_PUB}[@dataFormat='original']/base:DocumentID/base:Date",
    f"{_PUB}/base:DocumentID/base:Date",
    "@datePublication",
    conv=date_conv,
    namespaces=NS,
)
_new_app_number = alt(
    f"{_APP}[@dataFormat='original']/base:DocumentID/base:DocNumber",
    f"{_APP}/base:DocumentID/base:DocNumber",
    namespaces=NS,
)


def _new_claims(root: etree._Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for claims in root.iterfind("business:Claims", NS):
        lang = lang_code(claims.get("lang")) or "zh"
        texts = [t for t in (cjk_text(c) for c in claims.iterfind("business:Claim", NS)) if t]
        if texts and lang not in out:
            out[lang] = texts
    return out


def _new_priorities(root: etree._Element) -> list[dict]:
    out = []
    prios = root.findall(
        f"{_BIB}/business:PriorityDetails/business:Priority[@dataFormat='original']", NS
    ) or root.findall(f"{_BIB}/business:PriorityDetails/business:Priority", NS)
    for pr in prios:
        num = text_of(pr.find("base:DocNumber", NS))
        if num:
            out.append(
                {
                    "country": text_of(pr.find("base:WIPOST3Code", NS)),
                    "number": num,
                    "date": date_conv(pr.find("base:Date", NS)),
                }
            )
    return out


def _new_lang_texts(path: str, conv) -> Any:
    xp = etree.XPath(path, namespaces=NS)

    def get(root: etree._Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for el in xp(root):
            lang = lang_code(el.get("lang")) or lang_code(root.get("lang")) or "zh"
            t = conv(el)
            if t and lang not in out:
                out[lang] = t
        return out

    return get


_PARA = ("paragraphs", "p", "heading")

NEW_MAP = FieldMap(
    name="cnipa-business-patent-document-v2.2",
    namespaces=NS,
    fields={
        "number": alt(
            f"{_PUB}[@dataFormat='original']/base:DocumentID/base:DocNumber",
            f"{_PUB}/base:DocumentID/base:DocNumber",
            "@docNumber",
            namespaces=NS,
        ),
        "country": alt(f"{_PUB}/base:DocumentID/base:WIPOST3Code", "@country", namespaces=NS),
        "kind": _new_kind,
        "stage": lambda r: stage_for_kind(_new_kind(r)),
        "doc_type": lambda r: _doc_type(_new_kind(r), None, _new_app_number(r)),
        "publication_date": _new_pub_date,
        "grant_date": lambda r: _grant_date(_new_kind(r), _new_pub_date(r)),
        "application_number": _new_app_number,
        "application_date": alt(
            f"{_APP}[@dataFormat='original']/base:DocumentID/base:Date",
            f"{_APP}/base:DocumentID/base:Date",
            conv=date_conv,
            namespaces=NS,
        ),
        "language": lambda r: lang_code(r.get("lang")) or "zh",
        "titles": _new_lang_texts(f"{_BIB}/business:InventionTitle", cjk_text),
        "abstracts": _new_lang_texts("business:Abstract", lambda e: block_text(e, names=_PARA, cjk=True)),
        "descriptions": _new_lang_texts("business:Description", lambda e: block_text(e, names=_PARA, cjk=True)),
        "claims": _new_claims,
        "classifications": classifications(
            f"{_BIB}/business:ClassificationIPCRDetails/business:ClassificationIPCR/base:Text",
            namespaces=NS,
            first_is_main=True,
        ),
        "parties": combine(
            parties(
                f"{_BIB}/business:Parties/business:ApplicantDetails/business:Applicant",
                "applicant",
                name="base:AddressBook/base:Name|base:AddressBook/base:OrganizationName",
                kind=_applicant_kind,
                country="base:AddressBook/base:Address/base:WIPOST3Code",
                address="base:AddressBook/base:Address/base:Text",
                namespaces=NS,
            ),
            parties(
                f"{_BIB}/business:Parties/business:InventorDetails/business:Inventor",
                "inventor",
                name="base:AddressBook/base:Name",
                kind="person",
                country="base:AddressBook/base:Address/base:WIPOST3Code",
                namespaces=NS,
            ),
            parties(
                f"{_BIB}/business:Parties/business:AgentDetails/business:Agent/business:Agency",
                "agency",
                name="base:AddressBook/base:OrganizationName|base:AddressBook/base:Name",
                kind="agency",
                agency_code=True,
                unique=True,
                namespaces=NS,
            ),
            parties(
                f"{_BIB}/business:Parties/business:AgentDetails/business:Agent",
                "agent",
                name="base:AddressBook/base:Name",
                kind="person",
                namespaces=NS,
            ),
        ),
        "priorities": _new_priorities,
    },
)

NEW_MAPS = {"V2.2.1": NEW_MAP}


def map_for(root: etree._Element) -> FieldMap | None:
    name = localname(root)
    if name == "cn-patent-document":
        return OLD_MAP
    if name == "PatentDocumentAndRelated":
        # Later V2.x schemas keep these paths; fall back on the V2.2.1 map.
        return NEW_MAPS.get(root.get("xsdVersion") or "", NEW_MAP)
    return None


def parse_cnipa(path: Path) -> Iterator[Parsed]:
    for index, root in iter_documents(path):
        if isinstance(root, RecordError):
            yield root
            continue
        fmap = map_for(root)
        if fmap is None:
            yield skipped(path, index, f"not a CNIPA patent document (root <{localname(root)}>)")
            continue
        yield from guarded(path, index, lambda r=root, m=fmap, i=index: [apply_map(m, r, path, i)])


def _sniff(head: bytes, path: Path) -> bool:
    if not looks_like_xml(head):
        return False
    return b"<cn-patent-document" in head or (b"PatentDocumentAndRelated" in head and b"sipo.gov.cn" in head)


FORMAT = register(
    Format(
        name="cnipa-patent-xml",
        sniff=_sniff,
        parse=parse_cnipa,
        priority=40,
        description="CNIPA patent XML: <cn-patent-document> and business:PatentDocumentAndRelated V2.2.1",
    )
)
