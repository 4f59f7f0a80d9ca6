"""Patent text collections that are not office formats (see shared/data/patents/SOURCES.md, corpus/).

Formats (source_format):

* ``gp-crawl-abstracts``: the Google Patents crawl ``abstracts_by_ipc_group_and_year.tar.gz``
  (``Abstract/Class<group>/Date<y1>-<y2>.txt``, lines ``id-<publication number>    abstract-<text>``).
  One record per publication, the abstract keyed by its detected language and the IPC main group the
  crawl searched as a main IPC classification. A publication found under several groups is one record
  with every group (the first in archive order is the main one). The archive is read twice (first to
  gather each number's groups, then to yield), holding only numbers and group names in memory. If
  ``derived_citation_pairs_both_abstracts.tsv`` lies beside the archive, its citing->cited pairs are
  added as citations of the citing publication. The file has no dates.
* ``gp-crawl-records``: the crawl's ``res_part_*.tar.gz``, one text file per publication with title,
  abstract, backward citations (``*`` = cited by examiner; "Family To Family" ones marked), CPC
  (leaves of ``classfication_items``), application events (filing, publication, grant dates;
  applicant, assignees; priorities), legal status.
* ``patentsview-abstracts``: PatentsView query results as JSONL (``patent_number``, ``patent_date``,
  ``patent_title``, ``patent_abstract``): US grants.
* ``kppatent-zh``: KPPatent-ZH instruction items; ``input`` holds ``标题：``/``摘要：``/``权利声明：``.
  The items carry no number field, so each gets ``KPZH-<file stem>-<line:06d>`` with
  ``number_is_synthetic``; but the claims of the test file were cut from the PDFs with their page
  headers (``CN113914863A说明书1/4页``), and where such a header names the publication (667 of 696)
  that number is used instead, the headers are removed and the description fragment is cut off.
  The gold keyphrases (``output``) are annotations, not patent text, and are not loaded.
* ``patentbench-specs``: US application specifications (title, abstract, description, claims) with
  an application number only: numbered ``APPL-<application number>`` (synthetic).
* ``uspto-peds``: PEDS prosecution rows. A row with a patent number is the granted patent (title,
  application number and date, examiner, status as legal status); a row without one holds no
  publication and is skipped (``RecordError(skipped=True)``).
* ``cpc-multilabel-csv``: CSV ``publication_number,text,labels,n_labels`` (CN, Chinese title and
  abstract, CPC subgroup labels; BOM; quoted newlines; blank trailing rows).

Publication numbers are kept as printed (``CN109386840A``); country and kind are split from them and
give doc_type and stage. A record error inside an archive names ``<archive>::<member>`` and the line
(abstracts) or the member's ordinal (records); in JSONL and CSV files, the line.
"""

from __future__ import annotations

import csv
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ipoffice.core.model import Citation, Classification, Parsed, PartyRef, PatentRecord, Priority, RecordError
from ipoffice.ingest.base import Format, build, register
from ipoffice.ingest.fieldmap import clean, parse_date
from ipoffice.ingest.tm_tabular import (
    READ_ERRORS,
    first_line,
    iter_csv_rows,
    iter_json_lines,
    json_keys_present,
    party_kind,
    read_error,
)

# --- language and publication numbers -----------------------------------------------------------

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[a-zà-ÿ]+")
_STOPWORDS = {
    "en": {"the", "of", "and", "a", "an", "to", "is", "in", "for", "which", "with", "by", "are", "on", "that"},
    "de": {
        "der",
        "die",
        "das",
        "und",
        "ein",
        "eine",
        "einer",
        "mit",
        "zur",
        "zum",
        "von",
        "des",
        "ist",
        "wird",
        "dem",
        "den",
        "für",
        "im",
        "einem",
        "eines",
        "betrifft",
        "erfindung",
    },
    "fr": {
        "le",
        "la",
        "les",
        "des",
        "un",
        "une",
        "et",
        "du",
        "pour",
        "est",
        "dans",
        "au",
        "aux",
        "sur",
        "par",
        "comprenant",
        "invention",
    },
    "pt": {"um", "uma", "do", "da", "dos", "das", "refere", "invenção", "compreende", "não", "são", "em"},
    "es": {"el", "los", "las", "del", "y", "una", "por", "para", "con", "que", "invención", "comprende"},
}


_STOP_INDEX: dict[str, list[str]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        _STOP_INDEX.setdefault(_w, []).append(_lang)


def detect_language(text: str) -> str:
    """ISO 639-1 code of a patent text by script, and for Latin script by common words."""
    sample = text[:600]
    hangul = len(_HANGUL.findall(sample))
    kana = len(_KANA.findall(sample))
    han = len(_HAN.findall(sample))
    if hangul and hangul >= han * 0.2:
        return "ko"
    if kana >= 3 or (kana and kana >= han * 0.05):
        return "ja"
    latin = len(_LATIN.findall(sample))
    if han and han * 2 >= latin:
        return "zh"
    cyr = len(_CYRILLIC.findall(sample))
    if cyr and cyr >= latin:
        return "ru"
    scores = dict.fromkeys(_STOPWORDS, 0)
    for w in _WORD.findall(sample.lower()):
        for lang in _STOP_INDEX.get(w, ()):
            scores[lang] += 1
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > scores["en"] else "en"


_PUBNO = re.compile(r"^([A-Z]{2})([A-Z0-9./-]*?\d)([A-Z]\d?)?$")


def split_number(printed: str) -> tuple[str | None, str | None]:
    """(country, kind) of a publication number as printed by Google Patents, e.g. CN109386840A."""
    m = _PUBNO.match(printed.replace(" ", ""))
    if not m:
        return None, None
    return m.group(1), m.group(3)


_UTILITY_APPLICATION = {"KR"}


def doc_type_stage(country: str | None, kind: str | None) -> tuple[str, str]:
    """(doc_type, stage) from the kind code, by the offices' kind-code conventions."""
    if not kind:
        return "invention", "other"
    k0 = kind[0]
    if country == "US":
        if kind == "A" or kind.startswith("B"):
            return "invention", "grant"  # "A" is a pre-2001 US grant
        if kind in ("A1", "A2", "A9"):
            return "invention", "application"
        if k0 == "E":
            return "reissue", "grant"
        if k0 == "S":
            return "design", "grant"
        if kind in ("P2", "P3"):
            return "plant", "grant"
        if kind in ("P1", "P4", "P9"):
            return "plant", "application"
        return "other", "other"
    if k0 == "A":
        return "invention", "application"
    if k0 in "BC":
        return "invention", "grant"
    if k0 == "U":
        return "utility", "application" if country in _UTILITY_APPLICATION else "grant"
    if k0 == "Y":
        return "utility", "grant"
    if k0 == "S":
        return "design", "grant"
    return "other", "other"


def _base_values(printed: str, source_format: str) -> dict[str, Any]:
    country, kind = split_number(printed)
    doc_type, stage = doc_type_stage(country, kind)
    return {
        "number": printed,
        "country": country,
        "kind": kind,
        "doc_type": doc_type,
        "stage": stage,
        "published": True,  # a publication number from a published collection, even where its date is unknown
        "source_format": source_format,
    }


def _citation(printed: str, **kw: Any) -> Citation:
    country, kind = split_number(printed)
    return Citation(country=country, number=printed, kind=kind, **kw)


def _safe_date(value: str | None) -> Any:
    try:
        return parse_date(value)
    except ValueError:
        return None


def _member_path(path: Path, member: str) -> Path:
    return Path(f"{path}::{member}")


def _iter_tar_members(path: Path, suffix: str = ".txt") -> Iterator[tuple[str, bytes] | RecordError]:
    """(name, content) of each regular member ending in `suffix`, streaming (one member in memory);
    a damaged archive ends with a RecordError naming the member where reading stopped."""
    count = 0
    try:
        with open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as tf:
            for member in tf:
                if not member.isfile() or not member.name.endswith(suffix):
                    continue
                fh = tf.extractfile(member)
                data = fh.read() if fh is not None else b""
                count += 1
                yield member.name, data
    except READ_ERRORS as exc:
        yield read_error(path, count + 1, exc, what="archive member")


# --- Google Patents crawl: abstracts by IPC group -----------------------------------------------

_ABSTRACT_LINE = re.compile(r"^id-(\S+)\s+abstract-(.*)$", re.S)
_GROUP_DIR = re.compile(r"Class([A-H]\d{2}[A-Z])(\d+)-(\d+)")
GP_ABSTRACTS = "gp-crawl-abstracts"
CITATION_PAIRS = "derived_citation_pairs_both_abstracts.tsv"


def _group_of(member: str) -> str | None:
    m = _GROUP_DIR.search(member)
    return f"{m.group(1)}{m.group(2)}/{m.group(3)}" if m else None


def _abstract_lines(path: Path) -> Iterator[tuple[int, str, int, str] | RecordError]:
    """(member index, member name, line number, text line) of every .txt member."""
    for index, item in enumerate(_iter_tar_members(path)):
        if isinstance(item, RecordError):
            yield item
            return
        name, data = item
        for lineno, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
            yield index, name, lineno, line.rstrip("\r")


def _load_citation_pairs(path: Path) -> dict[str, list[Citation]]:
    pairs_file = path.parent / CITATION_PAIRS
    out: dict[str, list[Citation]] = {}
    if not pairs_file.is_file():
        return out
    seen: set[tuple[str, str]] = set()
    with open(pairs_file, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            citing, cited = clean(row.get("citing")), clean(row.get("cited"))
            if not citing or not cited or (citing, cited) in seen:
                continue
            seen.add((citing, cited))
            out.setdefault(citing, []).append(
                _citation(
                    cited,
                    category="cited by examiner" if row.get("examiner_star") == "Y" else None,
                    phase="family-to-family" if row.get("citation_type") == "family_to_family" else None,
                )
            )
    return out


def parse_gp_abstracts(path: Path) -> Iterator[Parsed]:
    # Pass 1: each publication's groups, and which occurrence to load (the first with text).
    groups: dict[str, list[str]] = {}
    chosen: dict[str, tuple[int, int, bool]] = {}
    for item in _abstract_lines(path):
        if isinstance(item, RecordError):
            break  # reported by pass 2
        index, name, lineno, line = item
        m = _ABSTRACT_LINE.match(line)
        if not m:
            continue
        number, text = m.group(1), m.group(2).strip()
        group = _group_of(name)
        gl = groups.setdefault(number, [])
        if group and group not in gl:
            gl.append(group)
        prev = chosen.get(number)
        if prev is None or (text and not prev[2]):
            chosen[number] = (index, lineno, bool(text))

    citations = _load_citation_pairs(path)
    last_name, mpath = "", path
    for item in _abstract_lines(path):
        if isinstance(item, RecordError):
            yield item
            return
        index, name, lineno, line = item
        if not line.strip():
            continue
        if name != last_name:
            last_name, mpath = name, _member_path(path, name)
        m = _ABSTRACT_LINE.match(line)
        if not m:
            yield RecordError(path=str(mpath), record=f"#{lineno}", message="not an 'id-…    abstract-…' line")
            continue
        number, text = m.group(1), clean(m.group(2))
        if chosen.get(number, (None, None))[:2] != (index, lineno):
            continue  # the same publication under another group: loaded once, with all groups
        values = _base_values(number, GP_ABSTRACTS)
        if text:
            lang = detect_language(text)
            values["abstracts"] = {lang: text}
            values["language"] = lang
        values["classifications"] = [
            Classification(scheme="ipc", symbol=g, main=(i == 0)) for i, g in enumerate(groups.get(number, []))
        ]
        values["citations"] = citations.get(number, [])
        problems = [] if values["country"] else [("number", f"not a publication number: {number!r}")]
        yield build(PatentRecord, values, problems, mpath, lineno - 1)


def _sniff_gp_abstracts(head: bytes, path: Path) -> bool:
    return b"MainDatas/Abstract/" in head[:512] and head[257:262] == b"ustar"


# --- Google Patents crawl: per-publication records ------------------------------------------------

GP_RECORDS = "gp-crawl-records"
_SECTION = re.compile(r"^[A-Za-z_]+$")
_EVENT = re.compile(r"^(\d{4}-\d{2}-\d{2}),(.*)$")
_PRIORITY_EVENT = re.compile(r"^Priority (?:to|claimed from) ([A-Z]{2})\s*(\S+)")


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    cur: list[str] | None = None
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line and not line[0].isspace():
            if _SECTION.match(line):
                cur = out.setdefault(line, [])
            continue  # a bare count line under a section
        if cur is not None and line.strip():
            cur.append(line.strip())
    return out


def _cpc_leaves(items: list[str]) -> list[str]:
    """Leaves of the CPC paths ('C', 'C,2,2', …, 'C,2,2,B,7,/,0,0,3'): each chain starts again at a
    section letter, and its last symbol is the classification."""
    symbols = ["".join(i.split(",")) for i in items]
    leaves: list[str] = []
    for i, s in enumerate(symbols):
        nxt = symbols[i + 1] if i + 1 < len(symbols) else None
        if "/" in s and (nxt is None or len(nxt) == 1) and s not in leaves:
            leaves.append(s)
    return leaves


def _record_from_sections(secs: dict[str, list[str]], mpath: Path, index: int) -> Parsed:
    ids = secs.get("ID") or []
    number = ids[0] if ids else None
    if not number:
        return RecordError(path=str(mpath), record=f"#{index + 1}", field="number", message="no ID section")
    values = _base_values(number, GP_RECORDS)
    problems: list[tuple[str, str]] = [] if values["country"] else [("number", f"not a publication number: {number!r}")]

    title = clean(" ".join(secs.get("title", [])))
    abstract = clean(" ".join(secs.get("abstract", [])))
    if title:
        values["titles"] = {detect_language(title): title}
    if abstract:
        lang = detect_language(abstract)
        values["abstracts"] = {lang: abstract}
        values["language"] = lang

    citations: list[Citation] = []
    family = False
    for row in secs.get("citation_infor", []):
        if row.startswith("Publication number,"):
            continue
        if row.startswith("Family To Family Citations"):
            family = True
            continue
        parts = row.split(",", 3)
        cited = parts[0].strip()
        star = cited.endswith("*")
        cited = cited.rstrip("* ").strip()
        if not cited:
            continue
        citations.append(
            _citation(
                cited,
                date=_safe_date(parts[2]) if len(parts) > 2 else None,
                category="cited by examiner" if star else None,
                phase="family-to-family" if family else None,
            )
        )
    values["citations"] = citations

    values["classifications"] = [
        Classification(scheme="cpc", symbol=s) for s in _cpc_leaves(secs.get("classfication_items", []))
    ]

    parties: list[PartyRef] = []
    priorities: list[Priority] = []
    grant_date = None
    for row in secs.get("application_events", []):
        if row.startswith("Status,"):
            values["legal_status"] = clean(row.split(",", 1)[1])
            continue
        m = _EVENT.match(row)
        if not m:
            continue
        date, what = _safe_date(m.group(1)), m.group(2).strip()
        if what.startswith("Application filed by "):
            values.setdefault("application_date", date)
            name = clean(what[len("Application filed by ") :])
            if name:
                parties.append(PartyRef(name=name, role="applicant", kind=party_kind(name)))  # type: ignore[arg-type]
        elif what.startswith("Assigned to "):
            name = clean(what[len("Assigned to ") :])
            if name and not any(p.name == name and p.role == "assignee" for p in parties):
                parties.append(PartyRef(name=name, role="assignee", kind=party_kind(name)))  # type: ignore[arg-type]
        elif what == f"Publication of {number}":
            values["publication_date"] = date
        elif what == "Application granted":
            grant_date = date
        elif pm := _PRIORITY_EVENT.match(what):
            pnum = pm.group(1) + pm.group(2)
            if not any(p.number == pnum for p in priorities):
                priorities.append(Priority(country=pm.group(1), number=pnum, date=date))
    if values["stage"] == "grant":
        values["grant_date"] = grant_date or values.get("publication_date")
    values["parties"] = parties
    values["priorities"] = priorities
    return build(PatentRecord, values, problems, mpath, index)


def parse_gp_records(path: Path) -> Iterator[Parsed]:
    for index, item in enumerate(_iter_tar_members(path)):
        if isinstance(item, RecordError):
            yield item
            return
        name, data = item
        yield _record_from_sections(_sections(data.decode("utf-8", "replace")), _member_path(path, name), index)


def _sniff_gp_records(head: bytes, path: Path) -> bool:
    return head[:9] == b"res_part/" and head[257:262] == b"ustar"


# --- PatentsView abstracts (JSONL) -----------------------------------------------------------------

PATENTSVIEW = "patentsview-abstracts"
_US_SERIES = (("RE", "reissue"), ("PP", "plant"), ("D", "design"), ("H", "other"), ("T", "other"))


def _unquote(text: str | None) -> str | None:
    """Undo CSV-export quoting left in the text: '"a ""b"" c"' -> 'a "b" c'."""
    t = clean(text)
    if not t:
        return t
    quoted = len(t) > 1 and t.startswith('"') and t.endswith('"')
    if quoted or '""' in t:
        t = t.replace('""', '"')
        if len(t) > 1 and t.startswith('"') and t.endswith('"'):
            t = t[1:-1]
        t = clean(t)
    return t


def parse_patentsview(path: Path) -> Iterator[Parsed]:
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, RecordError):
            yield obj
            continue
        number = clean(str(obj.get("patent_number") or ""))
        doc_type = "invention"
        for prefix, dt_ in _US_SERIES:
            if number and number.upper().startswith(prefix):
                doc_type = dt_
                break
        values: dict[str, Any] = {
            "number": number,
            "country": "US",
            "doc_type": doc_type,
            "stage": "grant",
            "language": "en",
            "source_format": PATENTSVIEW,
        }
        problems: list[tuple[str, str]] = []
        try:
            values["grant_date"] = values["publication_date"] = parse_date(obj.get("patent_date"))
        except ValueError as exc:
            problems.append(("grant_date", str(exc)))
        title, abstract = _unquote(obj.get("patent_title")), _unquote(obj.get("patent_abstract"))
        if title:
            values["titles"] = {"en": title}
        if abstract:
            values["abstracts"] = {"en": abstract}
        yield build(PatentRecord, values, problems, path, lineno - 1)


def _sniff_patentsview(head: bytes, path: Path) -> bool:
    return json_keys_present(first_line(head), "patent_number", "patent_abstract")


# --- KPPatent-ZH (JSONL, no numbers) ---------------------------------------------------------------

KPPATENT = "kppatent-zh"
_KP_FIELD = re.compile(r"^(标题|摘要|权利声明|权利要求)[：:]\s*")
_CLAIM_START = re.compile(r"^\d+\s*[.．、]")


def _file_stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def split_claims(lines: list[str]) -> list[str]:
    claims: list[str] = []
    for line in lines:
        t = clean(line)
        if not t:
            continue
        if _CLAIM_START.match(t) or not claims:
            claims.append(t)
        else:
            claims[-1] += " " + t
    return claims


_KP_CLAIMS_HEADER = re.compile(r"(CN\d{6,}[A-Z]\d?)\s*权利要求书\s*\d+\s*/\s*\d+\s*页")
_KP_DESCRIPTION_HEADER = re.compile(r"(CN\d{6,}[A-Z]\d?)\s*说明书\s*\d+\s*/\s*\d+\s*页")


def parse_kppatent(path: Path) -> Iterator[Parsed]:
    """KPPatent-ZH items. The claims of the test file were extracted from the PDFs and keep the page
    headers (``CN113914863A权利要求书2/2页``) and the start of the description
    (``CN113914863A说明书1/4页…``): where such a header names the publication, that number is used
    (not synthetic), the headers are removed and the description fragment is cut off."""
    stem = _file_stem(path)
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, RecordError):
            yield obj
            continue
        text = str(obj.get("input") or "")
        m = _KP_DESCRIPTION_HEADER.search(text) or _KP_CLAIMS_HEADER.search(text)
        printed = m.group(1) if m else None
        fields: dict[str, list[str]] = {}
        cur: list[str] | None = None
        for line in text.split("\n"):
            fm = _KP_FIELD.match(line)
            if fm:
                cur = fields.setdefault("权利声明" if fm.group(1) == "权利要求" else fm.group(1), [])
                line = line[fm.end() :]
            if cur is not None:
                cur.append(line)
        for key, lines in fields.items():
            joined = "\n".join(lines)
            if key == "权利声明" and (cut := _KP_DESCRIPTION_HEADER.search(joined)):
                joined = joined[: cut.start()]
            joined = _KP_DESCRIPTION_HEADER.sub("", _KP_CLAIMS_HEADER.sub("", joined))
            fields[key] = joined.split("\n")
        if printed:
            values = _base_values(printed, KPPATENT)
        else:
            values = {
                "number": f"KPZH-{stem}-{lineno:06d}",
                "number_is_synthetic": True,
                "country": "CN",
                "published": True,  # texts of published Chinese patents, only their number is lost
                "source_format": KPPATENT,
            }
        values["language"] = "zh"
        title = clean(" ".join(fields.get("标题", [])))
        abstract = clean("".join(fields.get("摘要", [])))
        claims = split_claims(fields.get("权利声明", []))
        problems: list[tuple[str, str]] = []
        if title:
            values["titles"] = {"zh": title}
        if abstract:
            values["abstracts"] = {"zh": abstract}
        if claims:
            values["claims"] = {"zh": claims}
        if not (title or abstract or claims):
            problems.append(("input", "no 标题/摘要/权利声明 text"))
        yield build(PatentRecord, values, problems, path, lineno - 1)


def _sniff_kppatent(head: bytes, path: Path) -> bool:
    line = first_line(head)
    return json_keys_present(line, "instruction", "input", "output") and "摘要".encode() in line


# --- patentbench (PyPI): specifications and PEDS rows ---------------------------------------------

PB_SPECS = "patentbench-specs"
PEDS = "uspto-peds"
_PREAMBLE = re.compile(r"^(what is claimed is|we claim|i claim|claims?)\s*:?\s*", re.I)
_EN_CLAIM_START = re.compile(r"^\d+\s*(?:-\s*\d+\s*)?\.\s")


def join_claims(items: list[str]) -> list[str]:
    """Claims from a list whose entries are claims or fragments of the claim before them."""
    claims: list[str] = []
    for raw in items:
        t = clean(raw)
        if not t:
            continue
        t = _PREAMBLE.sub("", t) if not claims else t
        if _EN_CLAIM_START.match(t) or not claims:
            claims.append(t)
        else:
            claims[-1] += " " + t
    return claims


def parse_pb_specs(path: Path) -> Iterator[Parsed]:
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, RecordError):
            yield obj
            continue
        appno = clean(str(obj.get("application_number") or ""))
        values: dict[str, Any] = {
            "number": f"APPL-{appno}" if appno else None,
            "number_is_synthetic": True,
            "country": "US",
            "stage": "application",
            "application_number": appno,
            "language": "en",
            "source_format": PB_SPECS,
        }
        problems: list[tuple[str, str]] = [] if appno else [("application_number", "required field is missing")]
        if t := clean(obj.get("title")):
            values["titles"] = {"en": t}
        if a := clean(obj.get("abstract")):
            values["abstracts"] = {"en": a}
        paras = [p for p in (clean(x) for x in obj.get("description_paragraphs") or [] if isinstance(x, str)) if p]
        if paras:
            values["descriptions"] = {"en": "\n".join(paras)}
        claims = join_claims([c for c in obj.get("claims") or [] if isinstance(c, str)])
        if claims:
            values["claims"] = {"en": claims}
        yield build(PatentRecord, values, problems, path, lineno - 1)


def _sniff_pb_specs(head: bytes, path: Path) -> bool:
    return json_keys_present(first_line(head), "application_number", "description_paragraphs")


def parse_peds(path: Path) -> Iterator[Parsed]:
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, RecordError):
            yield obj
            continue
        appno = clean(str(obj.get("application_number") or ""))
        patno = clean(str(obj.get("patent_number") or ""))
        if not patno:
            yield RecordError(
                path=str(path),
                record=f"#{lineno} ({appno})" if appno else f"#{lineno}",
                message="PEDS row without a patent number: prosecution metadata of an application, no publication",
                skipped=True,
            )
            continue
        app_type = (clean(obj.get("app_type")) or "").upper()
        values: dict[str, Any] = {
            "number": patno,
            "country": "US",
            "doc_type": {"REISSUE": "reissue", "DESIGN": "design", "PLANT": "plant"}.get(app_type, "invention"),
            "stage": "grant",
            "application_number": appno,
            "legal_status": clean(obj.get("status")),
            "language": "en",
            "source_format": PEDS,
        }
        problems: list[tuple[str, str]] = []
        try:
            values["application_date"] = parse_date(obj.get("filing_date"))
        except ValueError as exc:
            problems.append(("application_date", str(exc)))
        if t := clean(obj.get("patent_title")):
            values["titles"] = {"en": t}
        if ex := clean(obj.get("examiner_name")):
            values["parties"] = [PartyRef(name=ex, role="examiner", kind="person", country="US")]
        yield build(PatentRecord, values, problems, path, lineno - 1)


def _sniff_peds(head: bytes, path: Path) -> bool:
    return json_keys_present(first_line(head), "application_number", "prosecution_events")


# --- CN CPC multilabel CSV -------------------------------------------------------------------------

CPC_CSV = "cpc-multilabel-csv"
_CPC_TEXT = re.compile(r"^Title:\s*(.*?)\s*(?:\nKeywords:.*?)?\s*\nAbstract:\s*(.*)$", re.S)


def parse_cpc_csv(path: Path) -> Iterator[Parsed]:
    header: list[str] | None = None
    for item in iter_csv_rows(path):
        if isinstance(item, RecordError):
            yield item
            return
        line, row = item
        if header is None:
            header = [h.strip().lstrip("\ufeff") for h in row]
            continue
        if not any(c.strip() for c in row):
            continue  # the files end with rows of empty cells
        rec = dict(zip(header, row, strict=False))
        number = clean(rec.get("publication_number"))
        problems: list[tuple[str, str]] = []
        values = _base_values(number or "", CPC_CSV)
        values["number"] = number
        values["language"] = "zh"
        text = (rec.get("text") or "").strip()
        title = abstract = None
        if m := _CPC_TEXT.match(text):
            title, abstract = clean(m.group(1)), clean(m.group(2))
        elif "[SEP]" in text:
            parts = [p.strip() for p in text.split("[SEP]")]
            title, abstract = clean(parts[0]), clean(parts[-1]) if len(parts) > 1 else None
        else:
            abstract = clean(text)
        if title:
            values["titles"] = {detect_language(title): title}
        if abstract:
            values["abstracts"] = {detect_language(abstract): abstract}
        try:
            labels = json.loads(rec.get("labels") or "[]")
            if not isinstance(labels, list):
                raise ValueError("labels is not a JSON list")
            values["classifications"] = [
                Classification(scheme="cpc", symbol=str(s).strip()) for s in labels if str(s).strip()
            ]
        except ValueError as exc:
            problems.append(("classifications", f"labels: {exc}"))
        if number and not values["country"]:
            problems.append(("number", f"not a publication number: {number!r}"))
        yield build(PatentRecord, values, problems, path, line - 1)


def _sniff_cpc_csv(head: bytes, path: Path) -> bool:
    return head.lstrip().startswith(b"publication_number,text,labels")


# ---------------------------------------------------------------------------------------------------

for _fmt in (
    Format(
        name=GP_ABSTRACTS,
        sniff=_sniff_gp_abstracts,
        parse=parse_gp_abstracts,
        priority=80,
        description="Google Patents crawl: abstracts by IPC group",
    ),
    Format(
        name=GP_RECORDS,
        sniff=_sniff_gp_records,
        parse=parse_gp_records,
        priority=80,
        description="Google Patents crawl: per-publication records",
    ),
    Format(
        name=PATENTSVIEW,
        sniff=_sniff_patentsview,
        parse=parse_patentsview,
        priority=80,
        description="PatentsView abstracts (JSONL)",
    ),
    Format(
        name=KPPATENT,
        sniff=_sniff_kppatent,
        parse=parse_kppatent,
        priority=80,
        description="KPPatent-ZH Chinese patent texts (JSONL)",
    ),
    Format(
        name=PB_SPECS,
        sniff=_sniff_pb_specs,
        parse=parse_pb_specs,
        priority=80,
        description="patentbench US specifications (JSONL)",
    ),
    Format(
        name=PEDS, sniff=_sniff_peds, parse=parse_peds, priority=80, description="USPTO PEDS prosecution rows (JSONL)"
    ),
    Format(name=CPC_CSV, sniff=_sniff_cpc_csv, parse=parse_cpc_csv, priority=80, description="CN CPC multilabel CSV"),
):
    register(_fmt)
