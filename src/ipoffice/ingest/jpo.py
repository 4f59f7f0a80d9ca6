"""JPO gazette XML (`<jp-official-gazette>`, dtd-version 1.0): published applications.

One document per file, often without an XML declaration. `kind-of-jp` is the JPO kind
(`A` 公開特許公報, `T` 公表特許公報 for PCT national phase, `B` 特許公報 ...); it is stored as
the kind. Classifications: IPC (`classification-ipc`), FI (`classification-national`,
scheme "fi", e.g. `H01L 21/78 M`) and F-terms (`jp:f-term`, scheme "fterm"). Only the claims
as published are loaded, not the amended claims of `jp:written-amendment-group`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from ipoffice.core.model import Parsed, RecordError
from ipoffice.ingest.base import Format, localname, register
from ipoffice.ingest.epo import (
    alt,
    apply_map,
    block_text,
    cjk_text,
    classification,
    classifications,
    combine,
    date_conv,
    derived,
    guarded,
    iter_documents,
    lang_code,
    looks_like_xml,
    parties,
    skipped,
)
from ipoffice.ingest.fieldmap import FieldMap, X, clean, text_of

NS = {"jp": "http://www.jpo.go.jp"}
_BIB = "bibliographic-data"
_PUB = f"{_BIB}/publication-reference/document-id"
_APP = f"{_BIB}/application-reference/document-id"


def _stage(kind: str | None) -> str:
    k = (kind or "").upper()[:1]
    if k in ("A", "T", "S"):  # 公開, 公表, 再公表
        return "application"
    if k in ("B", "C", "U", "Y"):  # 特許公報, 登録実用新案公報
        return "grant"
    return "other"


def _doc_type(kind: str | None) -> str:
    return "utility" if (kind or "").upper()[:1] in ("U", "Y") else "invention"


_FI = re.compile(r"^\s*(?P<ipc>[A-H]\d{2}[A-Z]\s*\d{1,4}\s*/\s*\d{1,6})\s*(?P<rest>.*)$")


def _fi(text: str | None, main: bool) -> dict | None:
    """FI symbol: an IPC subgroup, then optional subdivision and file-discrimination symbol
    (`H01L21/78 M`, `B01D53/14 311`) -> `H01L 21/78 M`."""
    t = clean(text)
    if not t:
        return None
    m = _FI.match(t)
    if not m:
        return {"scheme": "fi", "symbol": t, "main": main}
    base = classification(m.group("ipc"), scheme="fi", main=main)
    if base is None:
        return None
    rest = clean(m.group("rest"))
    base["symbol"] = f"{base['symbol']} {rest}" if rest else base["symbol"]
    base["version"] = None
    return base


def _fi_list(root: etree._Element) -> list[dict]:
    out = []
    for el in root.iterfind(f"{_BIB}/classification-national"):
        for child in el:
            if child.tag in ("main-clsf", "further-clsf"):
                c = _fi(text_of(child), main=child.tag == "main-clsf")
                if c:
                    out.append(c)
    return out


def _fterms(root: etree._Element) -> list[dict]:
    return [
        {"scheme": "fterm", "symbol": t}
        for t in (text_of(el) for el in root.iterfind(f"{_BIB}/jp:f-term-info/jp:f-term", NS))
        if t
    ]


def _claims(root: etree._Element) -> dict[str, list[str]]:
    texts = [t for t in (cjk_text(c) for c in root.iterfind("claims/claim")) if t]
    return {lang_code(root.get("lang")) or "ja": texts} if texts else {}


def _priorities(root: etree._Element) -> list[dict]:
    out = []
    for pc in root.iterfind(f"{_BIB}/priority-claims/priority-claim"):
        num = text_of(pc.find("doc-number"))
        if num:
            out.append({"country": text_of(pc.find("country")), "number": num, "date": date_conv(pc.find("date"))})
    return out


def _ja(getter):
    def get(root: etree._Element):
        v = getter(root)
        return {lang_code(root.get("lang")) or "ja": v} if v else {}

    return get


_kind = alt("@kind-of-jp", "@kind-of-st16")
_AA = f"{_BIB}/parties/jp:applicants-agents-article/jp:applicants-agents"

GAZETTE_MAP = FieldMap(
    name="jpo-official-gazette-v1.0",
    namespaces=NS,
    fields={
        "number": X(f"{_PUB}/doc-number"),
        "country": alt(f"{_PUB}/country", "@country"),
        "kind": _kind,
        "stage": derived(_kind, _stage),
        "doc_type": derived(_kind, _doc_type),
        "publication_date": X(f"{_PUB}/date", conv=date_conv),
        "application_number": X(f"{_APP}/doc-number"),
        "application_date": X(f"{_APP}/date", conv=date_conv),
        "language": lambda r: lang_code(r.get("lang")) or "ja",
        "titles": _ja(alt(f"{_BIB}/invention-title", conv=cjk_text)),
        "abstracts": _ja(alt("abstract", conv=lambda e: block_text(e, cjk=True))),
        "descriptions": _ja(alt("description", conv=lambda e: block_text(e, cjk=True))),
        "claims": _claims,
        "classifications": combine(
            classifications(f"{_BIB}/classification-ipc/main-clsf", main=True),
            classifications(f"{_BIB}/classification-ipc/further-clsf", main=False),
            _fi_list,
            _fterms,
        ),
        "parties": combine(
            parties(
                f"{_AA}/applicant",
                "applicant",
                name="addressbook/name",
                address="addressbook/address/text",
                country="addressbook/address/country",
                identifiers={"jpo_id": "addressbook/registered-number"},
                namespaces=NS,
            ),
            parties(
                f"{_BIB}/parties/inventors/inventor",
                "inventor",
                name="addressbook/name",
                kind="person",
                address="addressbook/address/text",
                namespaces=NS,
            ),
            # 代理人: patent attorneys (弁理士), persons with a JPO registration number.
            parties(
                f"{_AA}/agent",
                "agent",
                name="addressbook/name",
                kind=lambda n: "agency" if re.search(r"法人|事務所|特許業務", n) else "person",
                role_by_kind={"agency": "agency"},
                identifiers={"jpo_id": "addressbook/registered-number"},
                namespaces=NS,
            ),
        ),
        "priorities": _priorities,
    },
)

MAPS = {"1.0": GAZETTE_MAP}


def parse_jpo(path: Path) -> Iterator[Parsed]:
    for index, root in iter_documents(path):
        if isinstance(root, RecordError):
            yield root
            continue
        if localname(root) != "jp-official-gazette":
            yield skipped(path, index, f"not a JPO gazette document (root <{localname(root)}>)")
            continue
        fmap = MAPS.get(root.get("dtd-version") or "", GAZETTE_MAP)
        yield from guarded(path, index, lambda r=root, m=fmap, i=index: [apply_map(m, r, path, i)])


FORMAT = register(
    Format(
        name="jpo-gazette-xml",
        sniff=lambda head, path: looks_like_xml(head) and b"<jp-official-gazette" in head,
        parse=parse_jpo,
        priority=40,
        description="JPO patent gazette XML (jp-official-gazette, dtd-version 1.0)",
    )
)
