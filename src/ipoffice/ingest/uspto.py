"""USPTO full-text XML: `us-patent-grant` and `us-patent-application`, DTD v4.0 to v4.7 (2005 on).

One declarative `FieldMap` per DTD version, picked from the root element and its `dtd-version`
attribute. The versions differ in a few places only (where the parties and citations live, which
classification schemes are carried), so each map is the shared part plus the parts of its version.
Structured parts (parties, citations, classifications, claims) are small callables shared between
maps. Pre-2005 formats (pap v1.x applications, ST.32 v2.5 `PATDOC` grants) are in `uspto_legacy`,
which plugs its maps into the same parser.

Weekly files concatenate many `<?xml ...?>` documents; each is parsed on its own, so memory stays at
one document. A broken document, or one that fails validation, becomes a `RecordError` naming the
file, the record and the field, and the rest of the file still loads. Non-patent roots in weekly
files (`sequence-cwu` sequence listings) are reported as skipped.
"""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ipoffice.core.model import Citation, Classification, Parsed, PartyRef, PatentRecord, Priority, RecordError
from ipoffice.ingest.base import Format, build, localname, parse_xml_chunk, register, split_concatenated
from ipoffice.ingest.fieldmap import FieldMap, X, clean, paragraphs_of, parse_date, text_of

LANG = "en"

# --------------------------------------------------------------------------------------------
# Small converters and building blocks shared by the maps (here and in uspto_legacy)
# --------------------------------------------------------------------------------------------


def sub_text(el: etree._Element | None, path: str) -> str | None:
    """Text of the first element at `path` below `el` (ElementPath), or None.

    Hot (tens of calls per citation): the leaf case is inlined rather than going through text_of.
    """
    if el is None:
        return None
    found = el.find(path)
    if found is None:
        return None
    t = found.text if len(found) == 0 else text_of(found)
    if not t:
        return None
    return " ".join(t.split()) or None


def date_of(el: Any) -> Any:
    """An element's text as a date; raises on text that is not a date (the field is named)."""
    return parse_date(text_of(el))


def lenient_date(value: str | None) -> Any:
    """A date where a bad value must not reject the record (dates of cited documents)."""
    try:
        return parse_date(value)
    except ValueError:
        return None


def country_code(value: str | None) -> str | None:
    """A two-letter country code, or None for `unknown`, `omitted`, `x` and the like."""
    v = clean(value)
    if v and re.fullmatch(r"[A-Za-z]{2}", v):
        return v.upper()
    return None


def seq_of(value: str | None) -> int | None:
    v = clean(value)
    return int(v) if v and v.isdigit() else None


def person_name(*parts: str | None) -> str | None:
    return clean(" ".join(p for p in parts if p)) or None


def en_text(el: Any) -> dict[str, str] | None:
    t = text_of(el)
    return {LANG: t} if t else None


def en_paragraphs(el: Any) -> dict[str, str] | None:
    t = paragraphs_of(el)
    return {LANG: t} if t else None


def en_claims(claim_tag: str, text: Callable[[Any], str | None] = paragraphs_of) -> Callable[[Any], Any]:
    """Claims block -> {"en": [one string per claim, in order]}."""

    def conv(el: Any) -> dict[str, list[str]] | None:
        claims = [t for t in (text(c) for c in el.iter(claim_tag)) if t]
        return {LANG: claims} if claims else None

    return conv


@dataclass(frozen=True)
class Const:
    """A field with a fixed value for the whole format (stage, language, country)."""

    value: Any

    def __call__(self, root: etree._Element) -> Any:
        return self.value


@dataclass(frozen=True)
class Each:
    """Apply `make` to every element at `path`; results (one item, a list, or None) are flattened."""

    path: str
    make: Callable[[etree._Element], Any]
    _xp: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_xp", etree.XPath(self.path))

    def __call__(self, root: etree._Element) -> list[Any]:
        out: list[Any] = []
        for el in self._xp(root):
            got = self.make(el)
            if got is None:
                continue
            if isinstance(got, list):
                out.extend(g for g in got if g is not None)
            else:
                out.append(got)
        return out


def _dedupe_classifications(items: list[Classification]) -> list[Classification]:
    seen: dict[tuple[str, str], int] = {}
    out: list[Classification] = []
    for c in items:
        key = (c.scheme, c.symbol)
        if key in seen:
            if c.main and not out[seen[key]].main:
                out[seen[key]] = out[seen[key]].model_copy(update={"main": True})
            continue
        seen[key] = len(out)
        out.append(c)
    return out


def _dedupe_parties(items: list[PartyRef]) -> list[PartyRef]:
    seen: set[tuple[Any, ...]] = set()
    out: list[PartyRef] = []
    for p in items:
        key = (p.role, p.name, p.country, p.address)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


@dataclass(frozen=True)
class Concat:
    """Several list parts of one field, in order, optionally de-duplicated."""

    parts: tuple[Callable[[etree._Element], list[Any]], ...]
    dedupe: Callable[[list[Any]], list[Any]] | None = None

    def __call__(self, root: etree._Element) -> list[Any]:
        out: list[Any] = []
        for part in self.parts:
            out.extend(part(root))
        return self.dedupe(out) if self.dedupe else out


def classifications(*parts: Callable[[etree._Element], list[Any]]) -> Concat:
    return Concat(parts, _dedupe_classifications)


def parties(*parts: Callable[[etree._Element], list[Any]]) -> Concat:
    return Concat(parts, _dedupe_parties)


# Document type ------------------------------------------------------------------------------

_APPL_TYPES = {"utility": "invention", "design": "design", "plant": "plant", "reissue": "reissue", "sir": "other"}
_KIND_LETTERS = {"S": "design", "P": "plant", "E": "reissue", "H": "other"}


def doc_type_of_kind(kind: str | None) -> str:
    """US kind codes: B/A utility, S design, P plant, E reissue, H statutory invention registration."""
    k = (clean(kind) or "").upper()
    return _KIND_LETTERS.get(k[:1], "invention")


@dataclass(frozen=True)
class DocType:
    """Document type from the application type attribute, falling back on the kind code."""

    appl_type: str | None
    kind: str

    def __call__(self, root: etree._Element) -> str:
        if self.appl_type:
            found = root.xpath(self.appl_type)
            if found:
                mapped = _APPL_TYPES.get(str(found[0]).strip().lower())
                if mapped:
                    return mapped
        found = root.xpath(self.kind)
        return doc_type_of_kind(text_of(found[0]) if found else None)


# Classifications ----------------------------------------------------------------------------

_IPC_SLASH = re.compile(r"([A-H]\d\d[A-Z])\s*0*(\d{1,4})\s*/\s*(\d{1,6})")
_IPC_FIXED = re.compile(r"([A-H]\d\d[A-Z])([ \d]{3})(\d{2,6})")
_IPC_SQUEEZED = re.compile(r"([A-H]\d\d[A-Z])\s*(\d{1,2})(\d{2})")  # fixed width with spaces lost


def raw_text(el: Any) -> str | None:
    """All text below an element with inner spacing kept (fixed-width IPC strings need it)."""
    if el is None:
        return None
    t = "".join(el.itertext()).strip()
    return t or None


def normalize_ipc(value: str | None) -> str | None:
    """IPC (edition 1-7) as printed in fixed-width or slashed form -> `A01B 1/00`.

    `A01B001/00`, `G06F  17/30`, `G06F 1516` (ST.32: 4-char subclass, 3-char right-justified main
    group, then the subgroup), `C07C24900` -> `A01B 1/00`, `G06F 17/30`, `G06F 15/16`, `C07C 249/00`.
    Where a copy lost the padding (`E03C 104`), up to 4 digits read as group + 2-digit subgroup.
    Anything else is returned cleaned, as printed.
    """
    raw = (value or "").strip().upper()
    if not raw:
        return None
    m = _IPC_SLASH.fullmatch(raw) or _IPC_FIXED.fullmatch(raw) or _IPC_SQUEEZED.fullmatch(raw)
    if m and m[2].strip():
        return f"{m[1]} {int(m[2])}/{m[3]}"
    return clean(value)


def _grouped_symbol(el: etree._Element) -> str | None:
    """IPCR / CPC parts -> `G06F 17/30`."""
    section = sub_text(el, "section") or ""
    cls = sub_text(el, "class") or ""
    subclass = sub_text(el, "subclass") or ""
    group = sub_text(el, "main-group") or ""
    subgroup = sub_text(el, "subgroup") or ""
    head = f"{section}{cls}{subclass}"
    if not head:
        return None
    if not group:
        return head
    return f"{head} {group}/{subgroup or '00'}"


@dataclass(frozen=True)
class Ipcr:
    """`classification-ipcr` elements: main where `symbol-position` is F, else the first one."""

    path: str
    scheme: str = "ipc"
    version_path: str = "ipc-version-indicator/date"
    _xp: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_xp", etree.XPath(self.path))

    def __call__(self, root: etree._Element) -> list[Classification]:
        els = self._xp(root)
        marked = any(sub_text(e, "symbol-position") == "F" for e in els)
        out: list[Classification] = []
        for i, el in enumerate(els):
            symbol = _grouped_symbol(el)
            if not symbol:
                continue
            main = sub_text(el, "symbol-position") == "F" if marked else i == 0
            out.append(
                Classification(scheme=self.scheme, symbol=symbol, main=main, version=sub_text(el, self.version_path))
            )
        return out


def cpc(main: bool) -> Callable[[etree._Element], Classification | None]:
    def make(el: etree._Element) -> Classification | None:
        symbol = _grouped_symbol(el)
        if not symbol:
            return None
        return Classification(
            scheme="cpc", symbol=symbol, main=main, version=sub_text(el, "cpc-version-indicator/date")
        )

    return make


def ipc_edition7(el: etree._Element) -> list[Classification]:
    """`classification-ipc`: edition, main-classification, further-classification*."""
    edition = sub_text(el, "edition")
    out = []
    for child in el:
        if not isinstance(child.tag, str) or child.tag not in ("main-classification", "further-classification"):
            continue
        symbol = normalize_ipc(raw_text(child))
        if symbol:
            out.append(
                Classification(scheme="ipc", symbol=symbol, main=child.tag == "main-classification", version=edition)
            )
    return out


def national(el: etree._Element) -> list[Classification]:
    """`classification-national` (US): main-classification, further-classification*."""
    out = []
    for child in el:
        if not isinstance(child.tag, str) or child.tag not in ("main-classification", "further-classification"):
            continue
        symbol = text_of(child)
        if symbol:
            out.append(Classification(scheme="uspc", symbol=symbol, main=child.tag == "main-classification"))
    return out


def locarno(el: etree._Element) -> Classification | None:
    symbol = sub_text(el, "main-classification")
    if not symbol:
        return None
    return Classification(scheme="locarno", symbol=symbol, main=True, version=sub_text(el, "edition"))


# Parties ------------------------------------------------------------------------------------


def _ice_party(
    el: etree._Element, role: str, org_role: str | None = None, org_kind: str = "organization"
) -> PartyRef | None:
    book = el.find("addressbook")
    if book is None:
        book = el
    org = sub_text(book, "orgname")
    person = person_name(sub_text(book, "first-name"), sub_text(book, "middle-name"), sub_text(book, "last-name"))
    name = org or person
    if not name:
        return None
    addr = book.find("address")
    country = country_code(sub_text(addr, "country")) or country_code(sub_text(el, "residence/country"))
    address = ", ".join(p for p in (sub_text(addr, "city"), sub_text(addr, "state")) if p) or None
    return PartyRef(
        name=name,
        role=(org_role or role) if org else role,  # type: ignore[arg-type]
        kind=org_kind if org else "person",  # type: ignore[arg-type]
        country=country,
        address=address,
        sequence=seq_of(el.get("sequence")),
    )


def ice_applicant(el: etree._Element) -> list[PartyRef]:
    """An applicant; an `applicant-inventor` is also listed as inventor."""
    p = _ice_party(el, "applicant")
    if p is None:
        return []
    out = [p]
    if "inventor" in (el.get("app-type") or ""):
        out.append(p.model_copy(update={"role": "inventor"}))
    return out


def ice_inventor(el: etree._Element) -> PartyRef | None:
    return _ice_party(el, "inventor")


def ice_assignee(el: etree._Element) -> PartyRef | None:
    return _ice_party(el, "assignee")


def ice_agent(el: etree._Element) -> PartyRef | None:
    """An agent: a firm (orgname) is an agency, a person an agent."""
    return _ice_party(el, "agent", org_role="agency", org_kind="agency")


def ice_examiner(el: etree._Element) -> PartyRef | None:
    return _ice_party(el, "examiner")


# Priorities and citations -------------------------------------------------------------------


def ice_priority(el: etree._Element) -> Priority | None:
    number = sub_text(el, "doc-number")
    country = sub_text(el, "country")
    date = parse_date(sub_text(el, "date"))
    if not (number or date):
        return None
    return Priority(country=country, number=number, date=date)


def citation_phase(category: str | None) -> str | None:
    c = (category or "").lower()
    for word in ("examiner", "applicant", "other"):
        if word in c:
            return word
    return None


def ice_citation(el: etree._Element) -> Citation | None:
    """`citation` / `us-citation`: patcit (document-id) or nplcit (othercit)."""
    category = sub_text(el, "category")
    phase = citation_phase(category)
    doc = el.find("patcit/document-id")
    if doc is not None:
        # findtext is C-level; citation fields are short leaf texts without inner whitespace.
        country, number, kind, date = (
            (doc.findtext(tag) or "").strip() or None for tag in ("country", "doc-number", "kind", "date")
        )
        return Citation(
            country=country,
            number=number,
            kind=kind,
            date=lenient_date(date),
            category=category,
            phase=phase,
        )
    npl = el.find("nplcit")
    if npl is not None:
        text = sub_text(npl, "othercit") or text_of(npl)
        if text:
            return Citation(text=text, category=category, phase=phase)
    return None


# --------------------------------------------------------------------------------------------
# The field maps: one per DTD version
# --------------------------------------------------------------------------------------------

G = "us-bibliographic-data-grant"
A = "us-bibliographic-data-application"


def _ice_common(b: str) -> dict[str, Any]:
    """Fields every us-patent-grant / us-patent-application version has in the same place."""
    pub = f"{b}/publication-reference/document-id"
    app = f"{b}/application-reference/document-id"
    return {
        "number": X(f"{pub}/doc-number"),
        "country": X(f"{pub}/country"),
        "kind": X(f"{pub}/kind"),
        "doc_type": DocType(f"{b}/application-reference/@appl-type", f"{pub}/kind"),
        "application_number": X(f"{app}/doc-number"),
        "application_date": X(f"{app}/date", conv=date_of),
        "publication_date": X(f"{pub}/date", conv=date_of),
        "language": Const(LANG),
        "titles": X(f"{b}/invention-title", conv=en_text),
        "abstracts": X("abstract", conv=en_paragraphs),
        "descriptions": X("description", conv=en_paragraphs),
        "claims": X("claims", conv=en_claims("claim")),
        "priorities": Each(f"{b}/priority-claims/priority-claim", ice_priority),
    }


def _grant_common() -> dict[str, Any]:
    return {
        **_ice_common(G),
        "stage": Const("grant"),
        "grant_date": X(f"{G}/publication-reference/document-id/date", conv=date_of),
    }


def _app_common() -> dict[str, Any]:
    return {**_ice_common(A), "stage": Const("application")}


def _parties_v40(b: str) -> Concat:
    """v4.0-v4.2: `parties/applicants` (inventors are `applicant-inventor`), `parties/agents`."""
    return parties(
        Each(f"{b}/parties/applicants/applicant", ice_applicant),
        Each(f"{b}/parties/inventors/inventor", ice_inventor),
        Each(f"{b}/assignees/assignee", ice_assignee),
        Each(f"{b}/parties/agents/agent", ice_agent),
        Each(f"{b}/examiners/*", ice_examiner),
    )


def _parties_v43(b: str) -> Concat:
    """v4.3 on: `us-parties/us-applicants`, `us-parties/inventors`, `us-parties/agents`."""
    return parties(
        Each(f"{b}/us-parties/us-applicants/us-applicant", ice_applicant),
        Each(f"{b}/us-parties/inventors/inventor", ice_inventor),
        Each(f"{b}/assignees/assignee", ice_assignee),
        Each(f"{b}/us-parties/agents/agent", ice_agent),
        Each(f"{b}/examiners/*", ice_examiner),
    )


def _classes(b: str, *, ipc7: bool = False, ipcr: bool = True, cpc_: bool = False) -> Concat:
    parts: list[Callable[[etree._Element], list[Any]]] = []
    if ipcr:
        parts.append(Ipcr(f"{b}/classifications-ipcr/classification-ipcr"))
    if ipc7:
        parts.append(Each(f"{b}/classification-ipc", ipc_edition7))
    if cpc_:
        parts.append(Each(f"{b}/classifications-cpc/main-cpc//classification-cpc", cpc(main=True)))
        parts.append(Each(f"{b}/classifications-cpc/further-cpc//classification-cpc", cpc(main=False)))
    parts.append(Each(f"{b}/classification-national", national))
    parts.append(Each(f"{b}/classification-locarno", locarno))
    return classifications(*parts)


_CITATIONS_V40 = Each(f"{G}/references-cited/citation", ice_citation)
_CITATIONS_V43 = Each(f"{G}/us-references-cited/us-citation", ice_citation)

GRANT_MAPS: dict[tuple[int, int], FieldMap] = {
    (4, 0): FieldMap(
        name="uspto-grant-v4.0",
        fields={
            **_grant_common(),
            "classifications": _classes(G, ipc7=True, ipcr=False),
            "parties": _parties_v40(G),
            "citations": _CITATIONS_V40,
        },
    ),
    (4, 1): FieldMap(
        name="uspto-grant-v4.1",
        fields={
            **_grant_common(),
            "classifications": _classes(G),
            "parties": _parties_v40(G),
            "citations": _CITATIONS_V40,
        },
    ),
    (4, 2): FieldMap(
        name="uspto-grant-v4.2",
        fields={
            **_grant_common(),
            "classifications": _classes(G),
            "parties": _parties_v40(G),
            "citations": _CITATIONS_V40,
        },
    ),
    (4, 3): FieldMap(
        name="uspto-grant-v4.3",
        fields={
            **_grant_common(),
            "classifications": _classes(G, cpc_=True),
            "parties": _parties_v43(G),
            "citations": _CITATIONS_V43,
        },
    ),
    (4, 4): FieldMap(
        name="uspto-grant-v4.4",
        fields={
            **_grant_common(),
            "classifications": _classes(G, cpc_=True),
            "parties": _parties_v43(G),
            "citations": _CITATIONS_V43,
        },
    ),
    (4, 5): FieldMap(
        name="uspto-grant-v4.5",
        fields={
            **_grant_common(),
            "classifications": _classes(G, cpc_=True),
            "parties": _parties_v43(G),
            "citations": _CITATIONS_V43,
        },
    ),
    (4, 6): FieldMap(
        name="uspto-grant-v4.6",
        fields={
            **_grant_common(),
            "classifications": _classes(G, cpc_=True),
            "parties": _parties_v43(G),
            "citations": _CITATIONS_V43,
        },
    ),
    (4, 7): FieldMap(
        name="uspto-grant-v4.7",
        fields={
            **_grant_common(),
            "classifications": _classes(G, cpc_=True),
            "parties": _parties_v43(G),
            "citations": _CITATIONS_V43,
        },
    ),
}

APPLICATION_MAPS: dict[tuple[int, int], FieldMap] = {
    (4, 0): FieldMap(
        name="uspto-application-v4.0",
        fields={**_app_common(), "classifications": _classes(A, ipc7=True, ipcr=False), "parties": _parties_v40(A)},
    ),
    (4, 1): FieldMap(
        name="uspto-application-v4.1",
        fields={**_app_common(), "classifications": _classes(A), "parties": _parties_v40(A)},
    ),
    (4, 2): FieldMap(
        name="uspto-application-v4.2",
        fields={**_app_common(), "classifications": _classes(A), "parties": _parties_v40(A)},
    ),
    (4, 3): FieldMap(
        name="uspto-application-v4.3",
        fields={**_app_common(), "classifications": _classes(A, cpc_=True), "parties": _parties_v43(A)},
    ),
    (4, 4): FieldMap(
        name="uspto-application-v4.4",
        fields={**_app_common(), "classifications": _classes(A, cpc_=True), "parties": _parties_v43(A)},
    ),
    (4, 5): FieldMap(
        name="uspto-application-v4.5",
        fields={**_app_common(), "classifications": _classes(A, cpc_=True), "parties": _parties_v43(A)},
    ),
    (4, 6): FieldMap(
        name="uspto-application-v4.6",
        fields={**_app_common(), "classifications": _classes(A, cpc_=True), "parties": _parties_v43(A)},
    ),
}

# --------------------------------------------------------------------------------------------
# Picking a map, and the streaming parser
# --------------------------------------------------------------------------------------------

_VERSION_ATTR = re.compile(r"(\d)\.?(\d+)")
_VERSION_DTD = re.compile(r"-v(\d)\.?(\d+)-")


def dtd_version(root: etree._Element, attr: str = "dtd-version") -> tuple[int, int] | None:
    """`v4.2 2006-08-23` / `v40 2004-12-02` -> (4, 2) / (4, 0); else from the DOCTYPE system id."""
    value = root.get(attr)
    m = _VERSION_ATTR.search(value) if value else None
    if m is None:
        m = _VERSION_DTD.search(root.getroottree().docinfo.system_url or "")
    return (int(m[1]), int(m[2])) if m else None


def pick_version(
    maps: dict[tuple[int, int], FieldMap],
    version: tuple[int, int] | None,
    default: tuple[int, int] | None = None,
) -> FieldMap:
    """The map of that version; an unknown version gets the nearest older one (or the oldest).

    Without a version (no attribute, no DOCTYPE) `default`, else the newest map, is used.
    """
    if version in maps:
        return maps[version]  # type: ignore[index]
    keys = sorted(maps)
    if version is None:
        return maps[default if default in maps else keys[-1]]
    older = [k for k in keys if k <= version]
    return maps[older[-1] if older else keys[0]]


ROOTS: dict[str, Callable[[etree._Element], FieldMap]] = {
    "us-patent-grant": lambda root: pick_version(GRANT_MAPS, dtd_version(root)),
    "us-patent-application": lambda root: pick_version(APPLICATION_MAPS, dtd_version(root)),
}
"""Root element -> map chooser. `uspto_legacy` adds `patent-application-publication` and `PATDOC`."""


def pick_map(root: etree._Element) -> FieldMap | None:
    if "PATDOC" not in ROOTS:  # the pre-2005 maps register themselves on import
        importlib.import_module("ipoffice.ingest.uspto_legacy")
    chooser = ROOTS.get(localname(root))
    return chooser(root) if chooser else None


# Undeclared entities of the old DTDs (ISO 8879 sets) stay entity references when the DTD is
# not loaded; they are turned into characters before the map is applied.
_GREEK_NAMES = (
    "a b g d e z ee th i k l m n x o p r s sf t u ph kh ps oh A B G D E Z EE TH I K L M N X O P R S T U PH KH PS OH"
)
_GREEK_CHARS = "αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
_ISO_ENTITIES = {
    **{f"{n}gr": c for n, c in zip(_GREEK_NAMES.split(), _GREEK_CHARS, strict=True)},  # ISOgrk1: &agr; -> α
    "Circlesolid": "●",  # USPTO extension
    "af": "",  # MathML function application / invisible times / separator: nothing to print
    "it": "",
    "ic": "",
}


def entity_text(name: str) -> str:
    if name in _ISO_ENTITIES:
        return _ISO_ENTITIES[name]
    return html.unescape(f"&{name};")  # unknown names stay as printed


def resolve_entity_refs(root: etree._Element) -> None:
    """Replace entity reference nodes (`&ldquo;`, `&agr;`) by their characters, in place."""
    for ent in list(root.iter(etree.Entity)):
        parent = ent.getparent()
        if parent is None:
            continue
        repl = entity_text(ent.name) + (ent.tail or "")
        prev = ent.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + repl
        else:
            parent.text = (parent.text or "") + repl
        parent.remove(ent)


_INDENTED_DECL = re.compile(rb"\n[ \t]+(?=<\?xml[ \t\r\n])")


def documents(path: Path) -> Iterator[tuple[int, bytes]]:
    """`split_concatenated`, also splitting where a declaration is indented (`   <?xml ...`)."""
    index = 0
    for _, chunk in split_concatenated(path):
        if chunk.find(b"<?xml", 1) == -1:
            parts = [chunk]
        else:
            cuts = [m.end() for m in _INDENTED_DECL.finditer(chunk)]
            parts = [chunk[a:b] for a, b in zip([0, *cuts], [*cuts, len(chunk)], strict=True)]
        for part in parts:
            if part.strip():
                yield index, part
                index += 1


def parse_document(
    path: Path, index: int, chunk: bytes, pick: Callable[[etree._Element], FieldMap | None] = pick_map
) -> Parsed:
    """One document of a (weekly) file -> a record, or a RecordError naming file, record, field."""
    root = parse_xml_chunk(path, index, chunk.lstrip())
    if isinstance(root, RecordError):
        return root
    fmap = pick(root)
    if fmap is None:
        return RecordError(
            path=str(path),
            record=f"#{index + 1}",
            message=f"skipped: root <{localname(root)}> is not a patent document",
            skipped=True,
        )
    resolve_entity_refs(root)
    values, problems = fmap.apply(root)
    values["source_format"] = fmap.name
    return build(PatentRecord, values, problems, path, index)


def parse_file(path: Path) -> Iterator[Parsed]:
    """Stream records from a USPTO XML file (single document or concatenated weekly file)."""
    path = Path(path)
    index = -1
    try:
        for index, chunk in documents(path):
            try:
                yield parse_document(path, index, chunk)
            except Exception as exc:  # noqa: BLE001 - a bad record never stops the file
                yield RecordError(path=str(path), record=f"#{index + 1}", message=f"cannot parse record: {exc!r}")
    except (OSError, EOFError) as exc:
        yield RecordError(path=str(path), record=f"#{index + 2}", message=f"cannot read file: {exc}")


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------

_OTHER_ROOTS = (b"<us-patent-application", b"<patent-application-publication", b"<PATDOC")


def sniff_grant(head: bytes, path: Path) -> bool:
    """Grant files; a file of sequence listings alone (`sequence-cwu`) is claimed too."""
    if b"<us-patent-grant" in head or b"us-patent-grant-v4" in head:
        return True
    return b"<sequence-cwu" in head and not any(r in head for r in _OTHER_ROOTS)


def sniff_application(head: bytes, path: Path) -> bool:
    return b"<us-patent-application" in head or b"us-patent-application-v4" in head


def _iter_names(maps: Iterable[FieldMap]) -> str:
    return ", ".join(m.name for m in maps)


GRANT_FORMAT = register(
    Format(
        name="uspto-grant-xml",
        sniff=sniff_grant,
        parse=parse_file,
        priority=20,
        split=documents,
        parse_chunk=parse_document,
        description=f"USPTO us-patent-grant XML (weekly ipg/ipgb files): {_iter_names(GRANT_MAPS.values())}",
    )
)
APPLICATION_FORMAT = register(
    Format(
        name="uspto-application-xml",
        sniff=sniff_application,
        parse=parse_file,
        priority=20,
        split=documents,
        parse_chunk=parse_document,
        description=f"USPTO us-patent-application XML (weekly ipa files): {_iter_names(APPLICATION_MAPS.values())}",
    )
)
