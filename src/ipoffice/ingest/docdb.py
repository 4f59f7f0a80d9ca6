"""EPO DOCDB exchange XML (`exch:exchange-document`, DTD 2.5.x) and EPO OPS biblio responses.

A DOCDB file holds many `exchange-document`s (with the `exch:` prefix, without it, or with
the prefix used but never declared, as in single-document extracts). They are streamed with
`iterparse_safe` and cleared as we go, so memory stays at one document whatever the size.
Namespaces are stripped from each document before its field map runs, so one map serves all
three spellings.

EPO OPS responses (`ops:world-patent-data`) carry the same `exchange-document` under the
default exchange namespace, with `document-id-type` instead of `data-format`; they get their
own field map. OPS responses without exchange documents (family lists, legal events, number
service, register, full text, search results) are reported as skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from ipoffice.core.model import Parsed, RecordError
from ipoffice.ingest.base import HEAD_BYTES, Format, open_binary, register
from ipoffice.ingest.epo import (
    alt,
    apply_map,
    block_text,
    classification,
    classifications,
    combine,
    declare_missing_prefixes,
    derived,
    doc_type_for_kind,
    fix_entities,
    guess_kind,
    lang_code,
    lang_texts,
    lenient_date,
    looks_like_xml,
    npl_text,
    skipped,
    stage_for_kind,
)
from ipoffice.ingest.fieldmap import FieldMap, X, clean, text_of
from ipoffice.ingest.xmlsafe import XMLSafetyError, check_no_entity_declarations, iterparse_safe

# ---------------------------------------------------------------------------------------------
# Streaming with the byte-level fixes DOCDB needs
# ---------------------------------------------------------------------------------------------


class _FixedStream:
    """A file object for iterparse that declares undeclared prefixes (`exch:`) on the root and
    turns DOCDB's ISO character entities (`&ccaron;`) into character references.

    The head is checked for entity declarations first (iterparse does not do it).
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._out = b""
        self._carry = b""
        self._started = False
        self._eof = False

    def _fill(self, want: int) -> None:
        if not self._started:
            self._started = True
            head = self._fh.read(HEAD_BYTES)
            if head.startswith(b"\xef\xbb\xbf"):
                head = head[3:]
            check_no_entity_declarations(head)
            self._push(declare_missing_prefixes(head))
        while len(self._out) < want and not self._eof:
            chunk = self._fh.read(max(want, 65536))
            if not chunk:
                self._eof = True
                self._out += fix_entities(self._carry)
                self._carry = b""
                break
            self._push(chunk)

    def _push(self, data: bytes) -> None:
        data = self._carry + data
        self._carry = b""
        amp = data.rfind(b"&")
        if amp != -1 and b";" not in data[amp:] and len(data) - amp < 40:
            data, self._carry = data[:amp], data[amp:]
        self._out += fix_entities(data)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            self._fill(1 << 62)
            out, self._out = self._out, b""
            return out
        self._fill(n)
        out, self._out = self._out[:n], self._out[n:]
        return out


def _strip_ns(el: etree._Element) -> None:
    for node in el.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = etree.QName(node).localname


# ---------------------------------------------------------------------------------------------
# Structured parts shared by the DOCDB and OPS maps
# ---------------------------------------------------------------------------------------------

_FORMAT_PREFERENCE = {"docdba": 0, "original": 1, "docdb": 2, "epodoc": 3}
_NAME_CC = re.compile(r"^(?P<name>.*?)[\s,]*\[(?P<cc>[A-Z]{2})\]\s*$")


def _party_list(node: etree._Element, group: str, tag: str, role: str) -> list[dict]:
    """One party per sequence number, from the best of the name formats given (docdba keeps
    the original spelling, docdb is the standardised, truncated one)."""
    best: dict[str, tuple[int, dict]] = {}
    countries: dict[str, str] = {}
    order: list[str] = []
    for el in node.iterfind(f"bibliographic-data/parties/{group}/{tag}"):
        seq = el.get("sequence") or str(len(order) + 1)
        raw = clean(text_of(el.find(f"{tag}-name/name")) or text_of(el.find(f"{tag}-name")))
        if not raw:
            continue
        name, cc = raw, None
        m = _NAME_CC.match(raw)
        if m:
            name, cc = m.group("name").strip(" ,"), m.group("cc")
        cc = text_of(el.find("residence/country")) or cc
        if cc:
            countries.setdefault(seq, cc)
        rank = _FORMAT_PREFERENCE.get(el.get("data-format") or "", 4)
        if seq not in best:
            order.append(seq)
        if seq not in best or rank < best[seq][0]:
            kind = "person" if role == "inventor" else guess_kind(name)
            best[seq] = (rank, {"name": name, "role": role, "kind": kind})
    out = []
    for i, seq in enumerate(order, 1):
        p = dict(best[seq][1])
        p["country"] = countries.get(seq)
        p["sequence"] = int(seq) if seq.isdigit() else i
        out.append(p)
    return out


def _parties(node: etree._Element) -> list[dict]:
    return _party_list(node, "applicants", "applicant", "applicant") + _party_list(
        node, "inventors", "inventor", "inventor"
    )


def _doc_id(parent: etree._Element | None) -> etree._Element | None:
    """The docdb-format `document-id` below a reference (DOCDB puts the format on the
    reference, OPS on the document-id)."""
    if parent is None:
        return None
    for did in parent.iterfind("document-id"):
        if did.get("document-id-type") in (None, "docdb"):
            return did
    return parent.find("document-id")


def _citations(node: etree._Element) -> list[dict]:
    out = []
    for cit in node.iterfind("bibliographic-data/references-cited/citation"):
        phase = cit.get("cited-phase")
        category = text_of(cit.find("category"))
        pat = cit.find("patcit")
        if pat is not None:
            did = _doc_id(pat)
            if did is not None and text_of(did.find("doc-number")):
                out.append(
                    {
                        "country": text_of(did.find("country")),
                        "number": text_of(did.find("doc-number")),
                        "kind": text_of(did.find("kind")),
                        "date": lenient_date(did.find("date")),
                        "phase": phase,
                        "category": category,
                    }
                )
                continue
        npl = cit.find("nplcit")
        if npl is not None:
            t = text_of(npl.find("text")) or npl_text(npl)
            if t:
                out.append({"text": t, "phase": phase, "category": category})
    return out


def _priorities(node: etree._Element) -> list[dict]:
    """Priority claims: the docdb-format one per sequence (country, number, date)."""
    by_seq: dict[str, dict] = {}
    for pc in node.iterfind("bibliographic-data/priority-claims/priority-claim"):
        seq = pc.get("sequence") or str(len(by_seq) + 1)
        fmt = pc.get("data-format")
        for did in pc.iterfind("document-id"):
            dfmt = did.get("document-id-type") or fmt or "docdb"
            entry = by_seq.setdefault(seq, {})
            if dfmt == "docdb" or not entry:
                entry.update(
                    {
                        k: v
                        for k, v in {
                            "country": text_of(did.find("country")),
                            "number": text_of(did.find("doc-number")),
                            "date": lenient_date(did.find("date")),
                        }.items()
                        if v is not None
                    }
                )
            elif "date" not in entry and lenient_date(did.find("date")):
                entry["date"] = lenient_date(did.find("date"))
    out = [p for p in by_seq.values() if p.get("number")]
    for p in out:
        # epodoc numbers start with the country: WO2013US64552, US201261713164P
        if not p.get("country") and re.match(r"^[A-Z]{2}\d", p["number"]):
            p["country"] = p["number"][:2]
    return out


_CPC_SCHEMES = {"CPC": "cpc", "CPCI": "cpc", "CPCNO": "cpc", "FI": "fi", "FT": "fterm", "FTERM": "fterm"}


def _patent_classifications(node: etree._Element) -> list[dict]:
    """`patent-classification` (CPC, FI, F-term): a symbol text (DOCDB) or parts (OPS)."""
    out = []
    for pc in node.iterfind("bibliographic-data/patent-classifications/patent-classification"):
        scheme_el = pc.find("classification-scheme")
        raw_scheme = (scheme_el.get("scheme") if scheme_el is not None else "") or ""
        scheme = _CPC_SCHEMES.get(raw_scheme.upper(), "cpc" if raw_scheme.upper().startswith("CPC") else "other")
        symbol = text_of(pc.find("classification-symbol"))
        if not symbol and pc.find("main-group") is not None:
            parts = [text_of(pc.find(t)) or "" for t in ("section", "class", "subclass", "main-group", "subgroup")]
            symbol = f"{parts[0]}{parts[1]}{parts[2]} {parts[3]}/{parts[4]}"
        main = text_of(pc.find("symbol-position")) == "F"
        c = classification(symbol, scheme=scheme, main=main)
        if c:
            version = text_of(scheme_el.find("date")) if scheme_el is not None else None
            if version and re.fullmatch(r"\d{8}", version):
                c["version"] = f"{version[:4]}.{version[4:6]}"
            out.append(c)
    return out


def _ipc_legacy(node: etree._Element) -> list[dict]:
    """Pre-2006 `classification-ipc`: main and further symbols with the edition in front."""
    out = []
    for ipc in node.iterfind("bibliographic-data/classification-ipc"):
        edition = text_of(ipc.find("edition"))
        for el in ipc:
            if el.tag in ("main-classification", "further-classification"):
                c = classification(text_of(el), main=el.tag == "main-classification")
                if c:
                    c["version"] = c["version"] or edition
                    out.append(c)
    return out


def _stage(node: etree._Element) -> str:
    """DOCDB says how a document was made public: printed with grant -> grant, the
    `*-without-grant` kinds -> application; otherwise the kind code decides."""
    avail = node.find("bibliographic-data/dates-of-public-availability")
    if avail is not None:
        tags = {el.tag for el in avail}
        if "printed-with-grant" in tags:
            return "grant"
        if any(t.endswith("without-grant") for t in tags):
            return "application"
    return stage_for_kind(node.get("kind") or text_of(_pub_kind(node)))


def _pub_kind(node: etree._Element) -> Any:
    return alt(
        "bibliographic-data/publication-reference[@data-format='docdb']/document-id/kind",
        "bibliographic-data/publication-reference/document-id[@document-id-type='docdb']/kind",
    )(node)


def _default_lang(node: etree._Element) -> str | None:
    return lang_code(
        text_of(node.find("bibliographic-data/language-of-publication"))
        or text_of(node.find("bibliographic-data/language-of-filing"))
    )


_KIND = alt("@kind", "bibliographic-data/publication-reference[@data-format='docdb']/document-id/kind")

_COMMON: dict[str, Any] = {
    "number": alt(
        "@doc-number", "bibliographic-data/publication-reference[@data-format='docdb']/document-id/doc-number"
    ),
    "country": alt("@country", "bibliographic-data/publication-reference[@data-format='docdb']/document-id/country"),
    "kind": _KIND,
    "stage": _stage,
    "doc_type": derived(_KIND, doc_type_for_kind),
    "family_id": X("@family-id"),
    "grant_date": X(
        "bibliographic-data/dates-of-public-availability/printed-with-grant/document-id/date", conv=lenient_date
    ),
    "language": alt(
        "bibliographic-data/language-of-publication", "bibliographic-data/language-of-filing", conv=lang_code
    ),
    "titles": lang_texts("bibliographic-data/invention-title", default_lang=_default_lang),
    "abstracts": lang_texts("abstract", conv=block_text, default_lang=_default_lang),
    "classifications": combine(
        _ipc_legacy,
        classifications("bibliographic-data/classifications-ipcr/classification-ipcr/text", first_is_main=True),
        _patent_classifications,
    ),
    "parties": _parties,
    "priorities": _priorities,
    "citations": _citations,
}

DOCDB_MAP = FieldMap(
    name="epo-docdb-exchange-v2.5",
    fields={
        **_COMMON,
        "publication_date": alt(
            "@date-publ",
            "bibliographic-data/publication-reference[@data-format='docdb']/document-id/date",
            conv=lenient_date,
        ),
        "application_number": alt(
            "bibliographic-data/application-reference[@data-format='docdb']/document-id/doc-number",
            "bibliographic-data/application-reference[@data-format='original']/document-id/doc-number",
        ),
        "application_date": alt(
            "bibliographic-data/application-reference[@data-format='docdb']/document-id/date", conv=lenient_date
        ),
    },
)

OPS_MAP = FieldMap(
    name="epo-ops-exchange-v3.2",
    fields={
        **_COMMON,
        "publication_date": alt(
            "@date-publ",
            "bibliographic-data/publication-reference/document-id[@document-id-type='docdb']/date",
            "bibliographic-data/publication-reference/document-id/date",
            conv=lenient_date,
        ),
        "application_number": alt(
            "bibliographic-data/application-reference/document-id[@document-id-type='docdb']/doc-number",
            "bibliographic-data/application-reference/document-id[@document-id-type='original']/doc-number",
        ),
        "application_date": alt(
            "bibliographic-data/application-reference/document-id[@document-id-type='docdb']/date",
            "bibliographic-data/application-reference/document-id/date",
            conv=lenient_date,
        ),
    },
)


def map_for(el: etree._Element) -> FieldMap:
    return OPS_MAP if el.get("system") == "ops.epo.org" else DOCDB_MAP


def parse_docdb(path: Path) -> Iterator[Parsed]:
    index = -1
    try:
        with open_binary(path) as fh:
            stream = _FixedStream(fh)
            for _event, el in iterparse_safe(stream, tag="{*}exchange-document"):
                index += 1
                try:
                    _strip_ns(el)
                    rec: Parsed = apply_map(map_for(el), el, path, index)
                except Exception as exc:  # noqa: BLE001 - one bad record must never stop the file
                    rec = RecordError(path=str(path), record=f"#{index + 1}", message=f"{type(exc).__name__}: {exc}")
                yield rec
                el.clear()
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
    except XMLSafetyError as exc:
        yield RecordError(path=str(path), record=f"#{index + 2}", message=str(exc))
        return
    except etree.XMLSyntaxError as exc:
        yield RecordError(path=str(path), record=f"#{index + 2}", message=f"malformed XML: {exc}")
        return
    except OSError as exc:
        yield RecordError(path=str(path), record=f"#{index + 2}", message=f"cannot read file: {exc}")
        return
    if index < 0:
        what = "EPO OPS response" if b"world-patent-data" in _head(path) else "DOCDB file"
        yield skipped(path, 0, f"{what} without exchange documents (family, legal, register, number or full text)")


def _head(path: Path) -> bytes:
    try:
        with open_binary(path) as fh:
            return fh.read(4096)
    except OSError:
        return b""


def _sniff(head: bytes, path: Path) -> bool:
    if not looks_like_xml(head):
        return False
    if b"exchange-document" in head:
        return True
    # Other OPS responses: claimed so that they are reported as skipped, not as unknown files.
    return b"world-patent-data" in head and b"ops.epo.org" in head


FORMAT = register(
    Format(
        name="epo-docdb",
        sniff=_sniff,
        parse=parse_docdb,
        priority=40,
        description="EPO DOCDB exchange-document XML (streamed) and EPO OPS biblio responses",
    )
)
