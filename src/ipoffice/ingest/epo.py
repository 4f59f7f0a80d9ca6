"""EPO publication-server XML (`ep-patent-document` v1.0-1.5.1) and the WIPO ST.36 examples.

The EPO publication server delivers one `ep-patent-document` per file: the bibliographic
"SDOBI" block (INID-style `B110`, `B540`, ... elements), then abstract, description, claims
in up to three languages (B documents), drawings, search-report images and the
`ep-reference-list` (patent literature cited in the description). The WIPO ST.36 example
instances use the same root, so they load here as well.

There is one declarative field map per DTD version, picked by the `dtd-version` attribute;
the versions differ little (old `B510` IPC in the early ones, CPC in `B520EP` from v1.5), so
the maps are built from one base table with small per-version changes.

This module also holds the small helpers that the other office parsers in this folder share
(`docdb`, `cnipa`, `jpo`, `wipo_st96`): IPC normalisation, tolerant date and text
conversion, party builders, the byte-level repairs for real-world markup slips, and the
document loop that turns every failure into a `RecordError` instead of an exception.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from ipoffice.core.model import Parsed, PatentRecord, RecordError
from ipoffice.ingest.base import Format, build, localname, open_binary, parse_xml_chunk, register
from ipoffice.ingest.fieldmap import FieldMap, X, clean, parse_date, text_of

# ---------------------------------------------------------------------------------------------
# Shared helpers (used by docdb, cnipa, jpo and wipo_st96 too)
# ---------------------------------------------------------------------------------------------

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_HAS_CJK = re.compile(rf"[{_CJK}]")


def cjk_join(text: str | None) -> str | None:
    """Drop the whitespace that line breaks leave between Chinese/Japanese characters."""
    if text is None:
        return None
    return _CJK_GAP.sub("", text) or None


def cjk_text(el: Any) -> str | None:
    return cjk_join(text_of(el))


def block_text(
    el: Any, names: Iterable[str] = ("p", "heading", "paragraphs", "para", "paragraph"), cjk: bool = False
) -> str | None:
    """Text of a block (abstract, description), one line per top-level paragraph element."""
    if el is None:
        return None
    if isinstance(el, str):
        return clean(el)
    wanted = {n.lower() for n in names}
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            if localname(child).lower() in wanted:
                t = text_of(child)
                if t:
                    parts.append(cjk_join(t) if cjk else t)
            else:
                walk(child)

    walk(el)
    if not parts:
        t = text_of(el)
        return cjk_join(t) if cjk else t
    return "\n".join(p for p in parts if p) or None


def date_conv(value: Any) -> Any:
    """Field converter: element or string -> date (ValueError on text that is not a date)."""
    return parse_date(text_of(value))


def lenient_date(value: Any) -> Any:
    """Like `date_conv`, but `2008-01` / `200801` / `2008` (month or year only) give the 1st."""
    v = text_of(value)
    if not v:
        return None
    m = re.fullmatch(r"(\d{4})(?:[-./]?(\d{2}))?", v)
    if m:
        return parse_date(f"{m.group(1)}{m.group(2) or '01'}01")
    try:
        return parse_date(v)
    except ValueError:
        return None


def lang_code(value: Any) -> str | None:
    """`ZH`/`CN` -> `zh`, `EN` -> `en`; `ja`, `de` ... unchanged."""
    v = text_of(value)
    if not v:
        return None
    v = v.lower().replace("_", "-")
    return {"cn": "zh", "chi": "zh", "zho": "zh", "jp": "ja", "jpn": "ja", "eng": "en", "ger": "de", "fre": "fr"}.get(
        v, v
    )


def nonzero(value: Any) -> str | None:
    """Text, but CNIPA's `0`/`00000000` placeholders count as absent."""
    v = text_of(value)
    if not v or set(v) <= {"0"}:
        return None
    return v


def alt(*paths: str, conv: Callable[[Any], Any] = text_of, namespaces: dict[str, str] | None = None) -> Callable:
    """A field that tries several XPaths in order and keeps the first non-empty value."""
    compiled = [etree.XPath(p, namespaces=namespaces or {}) for p in paths]

    def get(node: etree._Element) -> Any:
        for xp in compiled:
            found = xp(node)
            if not isinstance(found, list):
                found = [found]
            for f in found:
                v = conv(f)
                if v not in (None, "", [], {}):
                    return v
        return None

    return get


def combine(*getters: Callable[[etree._Element], list]) -> Callable[[etree._Element], list]:
    """A field made of several list-producing parts, concatenated and de-duplicated."""

    def get(node: etree._Element) -> list:
        out: list = []
        for g in getters:
            out.extend(g(node) or [])
        return dedupe(out)

    return get


def dedupe(items: Iterable[Any]) -> list:
    seen: set = set()
    out = []
    for it in items:
        key = repr(sorted(it.items())) if isinstance(it, dict) else repr(it)
        if key not in seen:
            seen.add(key)
            out.append(it)
    return out


def derived(field_getter: Callable[[etree._Element], Any], fn: Callable[[Any], Any]) -> Callable:
    """A field computed from another field's value (e.g. stage from kind)."""

    def get(node: etree._Element) -> Any:
        return fn(field_getter(node))

    return get


def lang_texts(
    path: str,
    conv: Callable[[Any], Any] = text_of,
    default_lang: Callable[[etree._Element], str | None] | str | None = None,
    lang_attr: str = "lang",
    namespaces: dict[str, str] | None = None,
) -> Callable[[etree._Element], dict[str, str]]:
    """`{lang: text}` from elements carrying a language attribute; the first per language wins."""
    xp = etree.XPath(path, namespaces=namespaces or {})

    def get(node: etree._Element) -> dict[str, str]:
        out: dict[str, str] = {}
        fallback = default_lang(node) if callable(default_lang) else default_lang
        for el in xp(node):
            lang = None
            if lang_attr:
                for key, val in el.attrib.items():
                    if etree.QName(key).localname == lang_attr:
                        lang = val
                        break
            lang = lang_code(lang) or fallback or "und"
            text = conv(el)
            if text and lang not in out:
                out[lang] = text
        return out

    return get


# --- classification symbols -------------------------------------------------------------------

_IPC = re.compile(
    r"^\s*(?:(?P<ed>\d{1,2})\s*(?=[A-HY]\s*\d\s*\d\s*[A-Z]))?"
    r"(?P<sec>[A-HY])\s*(?P<cls>\d\s*\d)\s*(?P<sub>[A-Z])\s*(?P<grp>\d{1,4})\s*/\s*(?P<sg>\d{1,6})"
)
_IPC_COMPACT = re.compile(r"^\s*(?P<sec>[A-HY])(?P<cls>\d{2})(?P<sub>[A-Z])(?P<grp>\d{4})(?P<sg>\d{2,6})\s*$")


def norm_ipc(text: str | None) -> str | None:
    """`B65D  51/18  20060101AFI..`, `7C 07C  29/44   A`, `G09G 3/3208 (2016.01)`,
    `H04N000140` -> `B65D 51/18`, `C07C 29/44`, `G09G 3/3208`, `H04N 1/40`."""
    parsed = _ipc_parts(text)
    if parsed is None:
        return clean(text)
    return parsed[0]


def _ipc_parts(text: str | None) -> tuple[str, str, str | None] | None:
    """(symbol, rest of the text, edition) or None when the text is not an IPC-like symbol."""
    if not text:
        return None
    m = _IPC.match(text)
    if m:
        sg = m.group("sg")
        cls = re.sub(r"\s", "", m.group("cls"))
        sym = f"{m.group('sec')}{cls}{m.group('sub')} {int(m.group('grp'))}/{sg}"
        return sym, text[m.end() :], m.group("ed")
    m = _IPC_COMPACT.match(text)
    if m:
        sg = m.group("sg").rstrip("0")
        sg = sg.ljust(2, "0")
        return f"{m.group('sec')}{m.group('cls')}{m.group('sub')} {int(m.group('grp'))}/{sg}", "", None
    return None


def classification(
    text: str | None, scheme: str = "ipc", main: bool | None = None, version: str | None = None
) -> dict | None:
    """A Classification dict from an office symbol text, or None for an empty one.

    The IPCR/CPC fixed-width tail (`20060101AFI20191003BHEP`) gives the version (2006.01) and
    the main flag (symbol position F); `(2006.01)` gives the version; a leading IPC edition
    digit (`7C 07C 29/44`) gives the edition.
    """
    t = clean(text)
    if not t or t.startswith("//"):
        return None
    parts = _ipc_parts(t)
    if parts is None:
        return {"scheme": scheme, "symbol": t, "main": bool(main), "version": version}
    sym, rest, edition = parts
    m = re.search(r"(\d{4})(\d{2})\d{2}(.)(.)", rest)
    if m:
        version = version or f"{m.group(1)}.{m.group(2)}"
        if main is None:
            main = m.group(4) == "F"
    else:
        m2 = re.search(r"\((\d{4}\.\d{2})\)", rest)
        if m2:
            version = version or m2.group(1)
    if edition and not version:
        version = edition
    return {"scheme": scheme, "symbol": sym, "main": bool(main), "version": version}


def classifications(
    path: str,
    scheme: str = "ipc",
    main: bool | None = None,
    namespaces: dict[str, str] | None = None,
    first_is_main: bool = False,
) -> Callable[[etree._Element], list[dict]]:
    """Classification dicts from symbol texts; `first_is_main`: when no symbol carries the
    main flag (position F), the first one listed is the main one."""
    xp = etree.XPath(path, namespaces=namespaces or {})

    def get(node: etree._Element) -> list[dict]:
        out = []
        for el in xp(node):
            c = classification(text_of(el), scheme=scheme, main=main)
            if c:
                out.append(c)
        if first_is_main and out and not any(c["main"] for c in out):
            out[0]["main"] = True
        return out

    return get


# --- parties -----------------------------------------------------------------------------------

_ORG_WORDS = re.compile(
    r"(\b(inc|incorporated|ltd|limited|llc|llp|lp|plc|gmbh|mbh|ag|kg|sa|s\.a|sas|sarl|srl|spa|s\.p\.a|bv|b\.v|nv|n\.v"
    r"|ab|oy|oyj|as|a/s|aps|kk|k\.k|co|corp|corporation|company|companies|cie|gesellschaft|aktiengesellschaft"
    r"|kabushiki|kaisha|university|universit[äaéy]\w*|universidad|institut\w*|foundation|stiftung|association|verein"
    r"|council|centre|center|hospital|laborator\w*|research|technolog\w*|industr\w*|group|holdings?|partners?"
    r"|partnerschaft|patent\w*|anw[äa]lt\w*|rechtsanw\w*|law|legal|ip|office|firm|bureau|cabinet|soci[ée]t[ée]"
    r"|establishment|enterprises?|trust|agency|ministry|department|government|systems?|solutions|pharma\w*"
    r"|electric\w*|electronics|chemical\w*|motors?|works|werk\w*|fabrik|bank|labs?)\b)"
    r"|&|公司|大学|學|学院|研究|医院|集团|株式会社|有限会社|合同会社|事务所|事務所|中心|厂|局|协会|協会|银行|机构|機構|法人|组织|委员会"
    r"|リミテッド|インコーポレ|コーポレーション|カンパニー|ゲゼルシャフト|エルエルシー|ゲーエムベーハー|ソシエテ|ユニバーシティ",
    re.IGNORECASE,
)


def guess_kind(name: str, default: str = "unknown") -> str:
    """person / organization from the shape of a name (office data rarely says)."""
    if _ORG_WORDS.search(name):
        return "organization"
    if _HAS_CJK.search(name):
        return "person" if len(re.sub(r"\s", "", name)) <= 4 else default
    if "," in name:
        return "person"
    return default


_AGENCY_CODE = re.compile(r"^(?P<name>.*?\S)\s+(?P<code>\d{5})$")


def split_agency_code(name: str) -> tuple[str, str | None]:
    """CNIPA prints the agency's 5-digit code after its name: `北京…公司 11204`."""
    m = _AGENCY_CODE.match(name)
    if m:
        return m.group("name"), m.group("code")
    return name, None


def parties(
    path: str,
    role: str,
    name: str | Callable[[etree._Element], str | None],
    kind: str | Callable[[str], str] | None = None,
    country: str | None = None,
    address: Iterable[str] | str | None = None,
    identifiers: dict[str, str] | None = None,
    role_by_kind: dict[str, str] | None = None,
    namespaces: dict[str, str] | None = None,
    agency_code: bool = False,
    unique: bool = False,
) -> Callable[[etree._Element], list[dict]]:
    """A declarative party list: where the party elements are and where their parts live.

    `name` is an XPath (relative to the party element) or a callable; `kind` a fixed kind or
    a function of the name; `role_by_kind` switches the role by kind (an agent that is an
    organization is the agency); `unique` keeps one party per name (CNIPA repeats the agency
    under every agent).
    """
    ns = namespaces or {}
    xp = etree.XPath(path, namespaces=ns)
    name_get = alt(name, namespaces=ns) if isinstance(name, str) else name
    country_get = alt(country, conv=nonzero, namespaces=ns) if country else None
    addr_paths = [address] if isinstance(address, str) else list(address or [])
    addr_xps = [etree.XPath(p, namespaces=ns) for p in addr_paths]
    ident_xps = {k: etree.XPath(p, namespaces=ns) for k, p in (identifiers or {}).items()}

    def get(node: etree._Element) -> list[dict]:
        out: list[dict] = []
        seen: set[str] = set()
        for el in xp(node):
            nm = name_get(el)
            if not nm or (unique and nm in seen):
                continue
            seen.add(nm)
            ids: dict[str, str] = {}
            if agency_code:
                nm, code = split_agency_code(nm)
                if code:
                    ids["agency_code"] = code
            for key, ixp in ident_xps.items():
                found = ixp(el)
                if isinstance(found, list):
                    found = found[0] if found else None
                v = nonzero(found)
                if v:
                    ids[key] = v
            k = kind(nm) if callable(kind) else (kind or guess_kind(nm))
            r = (role_by_kind or {}).get(k, role)
            addr_parts = []
            for axp in addr_xps:
                for a in axp(el):
                    t = nonzero(a)
                    if t:
                        addr_parts.append(t)
            seq_attr = el.get("sequence") or el.get(
                "{http://www.wipo.int/standards/XMLSchema/ST96/Common}sequenceNumber"
            )
            seq = int(seq_attr) if seq_attr and seq_attr.isdigit() else len(out) + 1
            out.append(
                {
                    "name": nm,
                    "role": r,
                    "kind": k,
                    "country": country_get(el) if country_get else None,
                    "address": ", ".join(dict.fromkeys(addr_parts)) or None,
                    "sequence": seq,
                    "identifiers": ids,
                }
            )
        return out

    return get


# --- kinds and stages --------------------------------------------------------------------------


def stage_for_kind(kind: str | None) -> str:
    """A* -> application; B*, C*, U, Y, S, E -> grant (EP, CN, JP, most offices)."""
    k = (kind or "").strip().upper()
    if not k:
        return "other"
    if k[0] in "AT" or k in ("W",):
        return "application"
    if k[0] in "BCUYSE":
        return "grant"
    return "other"


def doc_type_for_kind(kind: str | None) -> str:
    k = (kind or "").strip().upper()
    if k[:1] in ("U", "Y"):
        return "utility"
    if k[:1] == "S":
        return "design"
    return "invention"


# --- citations ---------------------------------------------------------------------------------

_PRINTED_CIT = re.compile(r"^\s*(?P<cc>[A-Z]{2})\s*-\s*(?P<kind>[A-Z]\d?)?\s*-\s*(?P<num>.+?)\s*$")


def npl_text(el: etree._Element) -> str | None:
    """Text of a structured non-patent citation without a `<text>` child: parts joined by commas."""
    return clean(", ".join(t.strip() for t in el.itertext() if t.strip()))


def printed_citation(text: str | None, phase: str | None = None, category: str | None = None) -> dict | None:
    """`US-A1- 2007 204 872` / `WO-A-03/008444` (EP front-page style) -> a Citation dict."""
    t = clean(text)
    if not t:
        return None
    m = _PRINTED_CIT.match(t)
    if not m:
        return {"text": t, "phase": phase, "category": category}
    num = re.sub(r"\s", "", m.group("num"))
    return {"country": m.group("cc"), "kind": m.group("kind"), "number": num, "phase": phase, "category": category}


# --- byte-level repairs ------------------------------------------------------------------------

_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_PREDEFINED = {b"amp", b"lt", b"gt", b"quot", b"apos"}


def _entity_sub(m: re.Match) -> bytes:
    name = m.group(1)
    if name in _PREDEFINED:
        return m.group(0)
    n = name.decode("ascii")
    for key in (n, n[0] + n[1:].lower(), n.lower()):
        ch = html.entities.html5.get(key + ";")
        if ch:
            return b"".join(b"&#%d;" % ord(c) for c in ch)
    return b"&amp;" + name + b";"


def fix_entities(data: bytes) -> bytes:
    """Turn the ISO/HTML character entities of office DTDs (`&ccaron;`, `&SACUTE;`, `&ndash;`)
    into character references: the DTDs that define them are never loaded. Unknown names are
    kept as literal text. Entity *declarations* are left alone (the safe parser rejects them)."""
    if b"&" not in data:
        return data
    return _ENTITY.sub(_entity_sub, data)


KNOWN_PREFIXES = {
    b"exch": b"http://www.epo.org/exchange",
    b"ops": b"http://ops.epo.org",
    b"jp": b"http://www.jpo.go.jp",
    b"base": b"http://www.sipo.gov.cn/XMLSchema/base",
    b"business": b"http://www.sipo.gov.cn/XMLSchema/business",
}
_FIRST_TAG = re.compile(rb"<(?![?!/])([A-Za-z_][\w.:-]*)")


def declare_missing_prefixes(data: bytes, head_size: int = 65536) -> bytes:
    """DOCDB extracts use `exch:` without declaring it; declare such prefixes on the root."""
    head = data[:head_size]
    used = set(re.findall(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]", head)) - {b"xml", b"xmlns"}
    missing = [p for p in sorted(used) if b"xmlns:" + p + b"=" not in head]
    if not missing:
        return data
    m = _FIRST_TAG.search(data)
    if m is None:
        return data
    decl = b"".join(b' xmlns:%s="%s"' % (p, KNOWN_PREFIXES.get(p, b"urn:undeclared:" + p)) for p in missing)
    return data[: m.end()] + decl + data[m.end() :]


_BARE_AMP = re.compile(rb"&(?!#\d+;|#x[0-9A-Fa-f]+;|[A-Za-z][\w.-]*;)")
_STRAY_LT = re.compile(rb"<(?=[A-Za-z][^<>]*<)")


def repair_markup(data: bytes) -> bytes:
    """Fix the slips found in real office files: a bare `&` (`UDAPI & ASOCIADOS`), a literal
    `<` in text (`<heading><First Embodiment</heading>`), undeclared prefixes. Used only after
    a strict parse failed; a truncated document stays broken."""
    data = declare_missing_prefixes(fix_entities(data))
    data = _BARE_AMP.sub(b"&amp;", data)
    return _STRAY_LT.sub(b"&lt;", data)


def parse_document(path: Path, index: int, chunk: bytes) -> etree._Element | RecordError:
    """Parse one document through the safe parser, retrying once with `repair_markup`."""
    data = fix_entities(chunk)
    res = parse_xml_chunk(path, index, data)
    if isinstance(res, RecordError) and res.message.startswith("malformed XML"):
        repaired = repair_markup(data)
        if repaired != data:
            again = parse_xml_chunk(path, index, repaired)
            if not isinstance(again, RecordError):
                return again
    return res


_XML_DECL = re.compile(rb"^\s*<\?xml\s")


def split_documents(path: Path) -> Iterator[tuple[int, bytes]]:
    """(index, bytes) per XML document of a file; one document for most office files.

    Like `base.split_concatenated`, but a new document starts only at an XML declaration
    (`<?xml version=...`), never at a `<?xml-stylesheet ...?>` processing instruction, which
    CNIPA files put on the line after the declaration.
    """
    index = 0
    buf: list[bytes] = []
    with open_binary(path) as fh:
        for line in fh:
            if line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if _XML_DECL.match(line) and any(b.strip() for b in buf):
                yield index, b"".join(buf)
                index += 1
                buf = []
            buf.append(line)
    if any(b.strip() for b in buf):
        yield index, b"".join(buf)


def iter_documents(path: Path) -> Iterator[tuple[int, etree._Element | RecordError]]:
    """(index, root or RecordError) for each XML document of a file."""
    try:
        for index, chunk in split_documents(path):
            yield index, parse_document(path, index, chunk)
    except OSError as exc:
        yield 0, RecordError(path=str(path), record="#1", message=f"cannot read file: {exc}")


def guarded(path: Path, index: int, fn: Callable[[], list[Parsed]]) -> list[Parsed]:
    """Run one document's extraction; an unexpected failure becomes that record's error."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - one bad record must never stop the file
        return [RecordError(path=str(path), record=f"#{index + 1}", message=f"{type(exc).__name__}: {exc}")]


def apply_map(fmap: FieldMap, node: etree._Element, path: Path, index: int, cls: type = PatentRecord) -> Parsed:
    values, problems = fmap.apply(node)
    values["source_format"] = fmap.name
    return build(cls, values, problems, path, index)


def looks_like_xml(head: bytes) -> bool:
    """Sniffers only claim markup: a README that mentions `<ep-patent-document>` is not one."""
    return head.lstrip()[:1] == b"<"


def skipped(path: Path, index: int, message: str) -> RecordError:
    return RecordError(path=str(path), record=f"#{index + 1}", message=message, skipped=True)


# ---------------------------------------------------------------------------------------------
# EPO ep-patent-document field maps
# ---------------------------------------------------------------------------------------------


def _ep_titles(root: etree._Element) -> dict[str, str]:
    """B540 holds B541 (language) / B542 (title) pairs in sequence."""
    out: dict[str, str] = {}
    lang = None
    for el in root.iterfind("SDOBI/B500/B540/*"):
        if el.tag == "B541":
            lang = lang_code(el)
        elif el.tag == "B542":
            t = text_of(el)
            key = lang or lang_code(root.get("lang")) or "und"
            if t and key not in out:
                out[key] = t
            lang = None
    return out


def _ep_claims(root: etree._Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for claims in root.iterfind("claims"):
        lang = lang_code(claims.get("lang")) or lang_code(root.get("lang")) or "und"
        texts = [t for t in (text_of(c) for c in claims.iterfind("claim")) if t]
        if texts and lang not in out:
            out[lang] = texts
    return out


def _ep_priorities(root: etree._Element) -> list[dict]:
    """B300 repeats B310 (number), B320 (date), B330 (country) per priority."""
    out: list[dict] = []
    for el in root.iterfind("SDOBI/B300/*"):
        if el.tag == "B310":
            out.append({"number": text_of(el)})
        elif out and el.tag == "B320":
            out[-1]["date"] = date_conv(el.find("date"))
        elif out and el.tag == "B330":
            out[-1]["country"] = text_of(el.find("ctry"))
    return out


def _ep_reference_list(root: etree._Element) -> list[dict]:
    """Patent and non-patent literature cited in the description (`ep-reference-list`)."""
    out: list[dict] = []
    for ref in root.iterfind("ep-reference-list"):
        for el in ref.iter("patcit", "nplcit"):
            if el.tag == "nplcit":
                t = text_of(el.find("text")) or npl_text(el)
                if t:
                    out.append({"text": t, "phase": "applicant", "category": "cited in description"})
                continue
            did = el.find("document-id")
            if did is not None:
                num = text_of(did.find("doc-number"))
                out.append(
                    {
                        "country": text_of(did.find("country")),
                        "number": num,
                        "kind": text_of(did.find("kind")),
                        "date": lenient_date(did.find("date")),
                        "phase": "applicant",
                        "category": "cited in description",
                    }
                )
            else:
                dnum = el.get("dnum") or ""
                m = re.match(r"^([A-Z]{2})(\d[\w/]*?)([A-Z]\d?)?$", dnum)
                if m:
                    out.append(
                        {
                            "country": m.group(1),
                            "number": m.group(2),
                            "kind": m.group(3),
                            "phase": "applicant",
                            "category": "cited in description",
                        }
                    )
                elif text_of(el):
                    out.append({"text": text_of(el), "phase": "applicant", "category": "cited in description"})
    return out


def _ep_search_citations(root: etree._Element) -> list[dict]:
    """B561 (patent documents) and B562 (non-patent literature) of the front page."""
    out: list[dict] = []
    for el in root.iterfind("SDOBI/B500/B560/*"):
        if el.tag == "B561":
            c = printed_citation(text_of(el.find("text")) or text_of(el), phase="search")
        elif el.tag == "B562":
            t = text_of(el.find("text")) or text_of(el)
            c = {"text": t, "phase": "search"} if t else None
        else:
            continue
        if c:
            out.append(c)
    return out


def _ep_agent_kind(name: str) -> str:
    """EPO prints representatives who are persons as `Surname, Given names`; the rest are firms."""
    kind = guess_kind(name, default="agency")
    if kind == "organization":
        return "agency"
    return kind


_EP_PARTIES = combine(
    parties(
        "SDOBI/B700/B710/B711",
        "applicant",
        name="snm",
        kind=lambda n: guess_kind(n, default="organization"),
        country="adr/ctry",
        address=("adr/str", "adr/city"),
        identifiers={"epo_iid": "iid"},
    ),
    # B731: proprietor of the granted patent (the applicant at grant).
    parties(
        "SDOBI/B700/B730/B731",
        "applicant",
        name="snm",
        kind=lambda n: guess_kind(n, default="organization"),
        country="adr/ctry",
        address=("adr/str", "adr/city"),
        identifiers={"epo_iid": "iid"},
    ),
    parties(
        "SDOBI/B700/B720/B721",
        "inventor",
        name="snm",
        kind="person",
        country="adr/ctry",
        address=("adr/str", "adr/city"),
    ),
    parties(
        "SDOBI/B700/B740/B741",
        "agent",
        name="snm",
        kind=_ep_agent_kind,
        role_by_kind={"agency": "agency"},
        country="adr/ctry",
        address=("adr/str", "adr/city"),
        identifiers={"epo_iid": "iid"},
    ),
)

_ep_kind = alt("SDOBI/B100/B130", "@kind")

_EP_BASE: dict[str, Any] = {
    "number": alt("SDOBI/B100/B110", "@doc-number"),
    "country": alt("SDOBI/B100/B190", "@country"),
    "kind": _ep_kind,
    "stage": derived(_ep_kind, stage_for_kind),
    "publication_date": alt("SDOBI/B100/B140/date", "@date-publ", conv=date_conv),
    "application_number": X("SDOBI/B200/B210"),
    "application_date": X("SDOBI/B200/B220/date", conv=date_conv),
    "grant_date": X("SDOBI/B400/B450/date", conv=date_conv),
    "language": alt("@lang", "SDOBI/@lang", "SDOBI/B200/B260", conv=lang_code),
    "titles": _ep_titles,
    "abstracts": lang_texts("abstract", conv=block_text, default_lang=lambda r: lang_code(r.get("lang"))),
    "descriptions": lang_texts("description", conv=block_text, default_lang=lambda r: lang_code(r.get("lang"))),
    "claims": _ep_claims,
    "parties": _EP_PARTIES,
    "priorities": _ep_priorities,
    "citations": combine(_ep_search_citations, _ep_reference_list),
}

# IPC as printed before the IPCR reform: B511 main, B512 further (edition digit in front).
_EP_IPC_LEGACY = classifications("SDOBI/B500/B510/B511", main=True)
_EP_IPC_LEGACY_FURTHER = classifications("SDOBI/B500/B510/B512", main=False)
_EP_IPCR = classifications("SDOBI/B500/B510EP/classification-ipcr/text", first_is_main=True)
_EP_CPC = classifications("SDOBI/B500/B520EP/classifications-cpc/classification-cpc/text", scheme="cpc")


def _ep_map(version: str, cpc: bool) -> FieldMap:
    # Republished old documents keep B510 in every version, so the legacy IPC stays in all maps.
    parts = [_EP_IPC_LEGACY, _EP_IPC_LEGACY_FURTHER, _EP_IPCR] + ([_EP_CPC] if cpc else [])
    return FieldMap(name=f"epo-ep-patent-document-v{version}", fields={**_EP_BASE, "classifications": combine(*parts)})


EP_MAPS: dict[str, FieldMap] = {
    "ep-patent-document-v1-0": _ep_map("1.0", cpc=False),
    "ep-patent-document-v1-01": _ep_map("1.01", cpc=False),
    "ep-patent-document-v1-1": _ep_map("1.1", cpc=False),
    "ep-patent-document-v1-2": _ep_map("1.2", cpc=False),
    "ep-patent-document-v1-3": _ep_map("1.3", cpc=False),
    "ep-patent-document-v1-4": _ep_map("1.4", cpc=False),
    "ep-patent-document-v1-5": _ep_map("1.5", cpc=True),
    "ep-patent-document-v1-5-1": _ep_map("1.5.1", cpc=True),
}
EP_LATEST = EP_MAPS["ep-patent-document-v1-5-1"]


def ep_map_for(root: etree._Element) -> FieldMap:
    """The map for the root's `dtd-version`; unknown (newer) versions use the latest map."""
    return EP_MAPS.get((root.get("dtd-version") or "").strip(), EP_LATEST)


def parse_ep(path: Path) -> Iterator[Parsed]:
    for index, root in iter_documents(path):
        if isinstance(root, RecordError):
            yield root
            continue
        if localname(root) != "ep-patent-document":
            yield skipped(path, index, f"not an ep-patent-document (root <{localname(root)}>)")
            continue
        yield from guarded(path, index, lambda r=root, i=index: [apply_map(ep_map_for(r), r, path, i)])


def parse_ep_toc(path: Path) -> Iterator[Parsed]:
    """The `toc.xml` of an EPO publication package lists files; it is not a patent document."""
    for index, root in iter_documents(path):
        if isinstance(root, RecordError):
            yield root
            continue
        yield skipped(path, index, "EPO publication package table of contents (toc.xml), not a patent document")


FORMAT = register(
    Format(
        name="epo-ep-patent-document",
        sniff=lambda head, path: looks_like_xml(head) and b"<ep-patent-document" in head,
        parse=parse_ep,
        priority=40,
        description="EPO publication server ep-patent-document v1.0-1.5.1 (and WIPO ST.36 examples)",
    )
)

TOC_FORMAT = register(
    Format(
        name="epo-publication-toc",
        sniff=lambda head, path: looks_like_xml(head) and b"<Application-body" in head and b"<ExtRef" in head,
        parse=parse_ep_toc,
        priority=40,
        description="EPO/WIPO ST.36 publication package toc.xml (reported as skipped)",
    )
)
