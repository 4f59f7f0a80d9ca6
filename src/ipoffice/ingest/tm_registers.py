"""Real trademark registers (see shared/data/trademarks/SOURCES.md).

Formats (source_format):

* ``dpma-export``: DPMAregister search export, ``;``-separated CSV with BOM, header
  ``Datenbestand;Aktenzeichen/Registernummer;Markendarstellung;Aktenzustand``. The register
  (Datenbestand) gives the country: DE, EM (EU trade marks, numbered as EUIPO does) and IR
  (international registrations, stored as WO since IR is Iran's code). No owners, classes or dates.
* ``euipo-tm2020``: TradeMarks2020 JSON object keyed by EUIPO number, ``{"Codes": [Vienna codes],
  "Date": filing date, "Text": verbal element}``; all are figurative marks: ``combined`` with a
  verbal element, ``figurative`` without. The model has no Vienna field, so the codes are kept as
  ``image_ref = "vienna:<code>,<code>…"`` (the images themselves are not in the data).
* ``kipris-sample``: KIPRIS JSON array. Nice classes (two digits) with the Korean similar-group
  codes (G####, S######) as goods-item groups when the mark has one class; with several classes the
  groups cannot be assigned (they carry no class) and are left out. Three-digit classes are the
  pre-1998 Korean classification, not Nice, and are left out.
* ``iponz-oppositions``: IPONZ opposed applications, JSONL (``binder``, ``applicant``,
  ``classifications``, ``trademark``). Status opposed; goods split into items per class. The
  opponent (``binder.redParty``) has no party role in the model and is not loaded.
* ``iponz-summaries``: IPONZ "Summary of Trade Mark Application" texts (pdftotext), JSONL
  ``{source_file, applicationNo, text}``: mark, type, filing and priority dates, goods by class,
  applicant, agent. These are the applications of the same opposition search, so status opposed.

Every register's status words are mapped to the model's statuses by an explicit table below; a
word not in the table is a RecordError on field ``status`` (so the table gets extended, not guessed).
JSON files that are one array or object are read item by item (`iter_json_container`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ipoffice.core.model import GoodsItem, Parsed, PartyRef, RecordError, TrademarkRecord
from ipoffice.ingest.base import Format, build, open_binary, register
from ipoffice.ingest.fieldmap import clean, parse_date
from ipoffice.ingest.tm_tabular import (
    READ_ERRORS,
    first_line,
    iter_csv_rows,
    iter_json_lines,
    json_keys_present,
    party_kind,
    read_error,
    split_goods_text,
)

# --- status tables ---------------------------------------------------------------------------------

DPMA_STATUS = {
    "": "unknown",
    "marke angemeldet": "pending",
    "anmeldung eingegangen": "pending",
    "anmeldung im prüfungsverfahren": "pending",
    "anmeldung veröffentlicht": "preliminarily-approved",
    "marke eingetragen": "registered",
    "marke eingetragen, widerspruchsfrist läuft": "registered",
    "marke eingetragen - löschung anhängig": "registered",
    "marke eingetragen, widerspruchsverfahren läuft": "opposed",
    "marke eingetragen, widerspruch eingelegt": "opposed",
    "widerspruch eingelegt": "opposed",
    "anmeldung zurückgewiesen": "refused",
    "marke nicht eingetragen": "refused",
    "schutz verweigert": "refused",
    "anmeldung zurückgenommen": "withdrawn",
    "verzicht auf eintragung": "cancelled",  # the owner surrendered the registration
    "marke gelöscht": "cancelled",
    "eintragung gelöscht": "cancelled",
    "eintragung abgelaufen": "expired",
    # DPMA destroys a file some years after the mark ended; the mark is not in force.
    "akte vernichtet": "expired",
}

KIPRIS_STATUS = {
    "출원": "pending",
    "공고": "preliminarily-approved",
    "출원공고": "preliminarily-approved",
    "등록": "registered",
    "이의신청": "opposed",
    "거절": "refused",
    "무효": "invalidated",
    "취소": "cancelled",
    "소멸": "expired",
    "실효": "expired",  # lapsed: no longer in force
    "포기": "withdrawn",
    "취하": "withdrawn",
}

DPMA_COUNTRY = {"DE": "DE", "EM": "EM", "IR": "WO"}
IPONZ_MARK_TYPE = {"word": "word", "combined": "combined", "image": "figurative", "figurative": "figurative"}


def _status(table: dict[str, str], word: Any, problems: list[tuple[str, str]]) -> str:
    w = (clean(str(word)) if word is not None else None) or ""
    status = table.get(w.lower())
    if status is None:
        problems.append(("status", f"unknown status {w!r}"))
        return "unknown"
    return status


def _date(values: dict[str, Any], field: str, raw: Any, problems: list[tuple[str, str]]) -> None:
    try:
        values[field] = parse_date(str(raw)) if raw not in (None, "") else None
    except ValueError as exc:
        problems.append((field, str(exc)))


# --- streaming a JSON array or object item by item ------------------------------------------------

_NON_WS = re.compile(r"\S")
_NUMBER_CHARS = frozenset("0123456789.eE+-")


class _JsonStream:
    """A text buffer over a binary stream, refilled in chunks, for decoding one value at a time."""

    def __init__(self, fh: BinaryIO, chunk: int = 1 << 16) -> None:
        self.read = getattr(fh, "read1", fh.read)
        self.chunk = chunk
        self.text = codecs.getincrementaldecoder("utf-8-sig")()
        self.json = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.dropped_lines = 0

    def more(self) -> bool:
        if self.eof:
            return False
        # read1: one read of the underlying stream, so the data before a truncated gzip's end
        # arrives before the EOFError (a buffered read(n) would drop it).
        data = self.read(self.chunk)
        self.dropped_lines += self.buf.count("\n", 0, self.pos)
        self.buf = self.buf[self.pos :]
        self.pos = 0
        if not data:
            self.eof = True
            self.buf += self.text.decode(b"", final=True)
            return False
        self.buf += self.text.decode(data)
        return True

    @property
    def line(self) -> int:
        return self.dropped_lines + self.buf.count("\n", 0, self.pos) + 1

    def peek(self) -> str | None:
        """The next non-blank character (not consumed), None at the end of the file."""
        while True:
            m = _NON_WS.search(self.buf, self.pos)
            if m:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self.more():
                return None

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                val, end = self.json.raw_decode(self.buf, self.pos)
                cut_number = (
                    isinstance(val, int | float)
                    and not isinstance(val, bool)
                    and (end == len(self.buf) or self.buf[end] in _NUMBER_CHARS)
                )
                if self.eof or (end < len(self.buf) and not cut_number):
                    self.pos = end
                    return val
            except json.JSONDecodeError:
                if self.eof:
                    raise
            self.more()


def iter_json_container(path: Path, chunk: int = 1 << 16) -> Iterator[tuple[int, str | None, Any] | RecordError]:
    """(line, key or None, value) for each member of the file's top-level JSON array or object.

    Memory holds one chunk and one member. A syntax error or a truncated file ends the stream with a
    RecordError naming the line (what came before is loaded)."""
    stream: _JsonStream | None = None
    count = 0
    try:
        with open_binary(path) as fh:
            stream = _JsonStream(fh, chunk)
            opener = stream.peek()
            if opener not in ("[", "{"):
                yield RecordError(path=str(path), record="#1", message="not a JSON array or object")
                return
            closer = "]" if opener == "[" else "}"
            stream.pos += 1
            if stream.peek() == closer:
                return
            while True:
                stream.peek()
                line = stream.line
                key = None
                if opener == "{":
                    key = stream.value()
                    if not isinstance(key, str):
                        raise ValueError("expected an object key")
                    if stream.peek() != ":":
                        raise ValueError("expected ':' after an object key")
                    stream.pos += 1
                val = stream.value()
                count += 1
                yield line, key, val
                nxt = stream.peek()
                if nxt == ",":
                    stream.pos += 1
                    continue
                if nxt == closer:
                    return
                raise ValueError("unexpected end of file" if nxt is None else f"expected ',' or {closer!r}")
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        line = stream.line if stream else 1
        yield RecordError(
            path=str(path),
            record=f"#{line}",
            message=f"malformed JSON at line {line} after {count} items: {exc}; the rest cannot be read",
        )
    except READ_ERRORS as exc:
        yield read_error(path, stream.line if stream else 1, exc)


# --- DPMAregister export --------------------------------------------------------------------------

DPMA = "dpma-export"
_DPMA_HEADER = "Datenbestand;Aktenzeichen/Registernummer;Markendarstellung;Aktenzustand"


def parse_dpma(path: Path) -> Iterator[Parsed]:
    header = True
    for item in iter_csv_rows(path, delimiter=";"):
        if isinstance(item, RecordError):
            yield item
            return
        line, row = item
        if header:
            header = False
            continue
        if not any(c.strip() for c in row):
            continue
        row = row + [""] * (4 - len(row))
        register_, number, mark, status = (c.strip() for c in row[:4])
        problems: list[tuple[str, str]] = []
        country = DPMA_COUNTRY.get(register_.upper())
        if country is None:
            problems.append(("country", f"unknown register {register_!r} (want DE, EM or IR)"))
        values: dict[str, Any] = {
            "number": clean(number.strip('"')),
            "country": country,
            "mark": clean(mark),
            "status": _status(DPMA_STATUS, status, problems),
            "source_format": DPMA,
        }
        yield build(TrademarkRecord, values, problems, path, line - 1)


def _sniff_dpma(head: bytes, path: Path) -> bool:
    return head.lstrip().startswith(_DPMA_HEADER.encode("utf-8"))


# --- EUIPO TradeMarks2020 --------------------------------------------------------------------------

EUIPO = "euipo-tm2020"


def _vienna_ref(codes: Any) -> str | None:
    if not isinstance(codes, list):
        return None
    cs = [str(c).strip() for c in codes if str(c).strip()]
    return "vienna:" + ",".join(cs) if cs else None


def parse_euipo(path: Path) -> Iterator[Parsed]:
    for item in iter_json_container(path):
        if isinstance(item, RecordError):
            yield item
            return
        line, number, obj = item
        problems: list[tuple[str, str]] = []
        if not isinstance(obj, dict):
            yield RecordError(path=str(path), record=f"#{line} ({number})", message="value is not a JSON object")
            continue
        text = clean(obj.get("Text")) if isinstance(obj.get("Text"), str) else None
        values: dict[str, Any] = {
            "number": clean(number),
            "country": "EM",
            "mark": text,
            "mark_type": "combined" if text else "figurative",
            "image_ref": _vienna_ref(obj.get("Codes")),
            "source_format": EUIPO,
        }
        _date(values, "filing_date", obj.get("Date"), problems)
        yield build(TrademarkRecord, values, problems, path, line - 1)


def _sniff_euipo(head: bytes, path: Path) -> bool:
    return re.match(rb'\s*\{\s*"[^"]+"\s*:\s*\{\s*"Codes"\s*:', head) is not None


# --- KIPRIS sample ---------------------------------------------------------------------------------

KIPRIS = "kipris-sample"


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return next((v for v in value if v not in (None, "")), None)
    return value


def parse_kipris(path: Path) -> Iterator[Parsed]:
    for item in iter_json_container(path):
        if isinstance(item, RecordError):
            yield item
            return
        line, _, obj = item
        if not isinstance(obj, dict):
            yield RecordError(path=str(path), record=f"#{line}", message="item is not a JSON object")
            continue
        problems: list[tuple[str, str]] = []
        ko, en = clean(obj.get("productName")), clean(obj.get("productNameEng"))
        mark = " ".join(dict.fromkeys(t for t in (ko, en) if t)) or None
        vienna = _vienna_ref(obj.get("viennaCodeList"))
        values: dict[str, Any] = {
            "number": clean(str(obj.get("applicationNumber") or "")),
            "country": "KR",
            "mark": mark,
            "mark_type": ("combined" if mark else "figurative") if vienna else "word" if mark else None,
            "image_ref": vienna,
            "status": _status(KIPRIS_STATUS, obj.get("registerStatus"), problems),
            "source_format": KIPRIS,
        }
        _date(values, "filing_date", obj.get("applicationDate"), problems)
        _date(values, "publication_date", obj.get("publicationDate"), problems)
        _date(values, "registration_date", _first(obj.get("registrationDate")), problems)
        _date(values, "priority_date", _first(obj.get("priorityClaimDateList")), problems)

        classes: list[int] = []
        for code in obj.get("asignProductMainCodeList") or []:
            c = str(code).strip()
            if re.fullmatch(r"\d{2}", c) and 1 <= int(c) <= 45:
                if int(c) not in classes:
                    classes.append(int(c))
            elif not re.fullmatch(r"\d{3}", c):  # three digits: old Korean classes, not Nice
                problems.append(("goods", f"{c!r} is not a Nice class"))
        groups = [str(g).strip() for g in obj.get("asignProductSubCodeList") or [] if str(g).strip()]
        if len(classes) == 1 and groups:
            values["goods"] = [GoodsItem(nice_class=classes[0], group=g) for g in dict.fromkeys(groups)]
        else:
            values["goods"] = [GoodsItem(nice_class=c) for c in classes]
        yield build(TrademarkRecord, values, problems, path, line - 1)


def _sniff_kipris(head: bytes, path: Path) -> bool:
    return (
        re.match(rb"\s*\[\s*\{", head) is not None
        and b'"applicationNumber"' in head
        and b'"asignProductMainCodeList"' in head
    )


# --- IPONZ opposed applications --------------------------------------------------------------------

IPONZ = "iponz-oppositions"


def _goods_by_class(pairs: list[tuple[Any, str | None]], problems: list[tuple[str, str]]) -> list[GoodsItem]:
    items: list[GoodsItem] = []
    for cls, text in pairs:
        try:
            c = int(str(cls).strip())
        except ValueError:
            c = 0
        if not 1 <= c <= 45:
            problems.append(("goods", f"{cls!r} is not a Nice class"))
            continue
        texts = split_goods_text(text or "")
        if texts:
            items.extend(GoodsItem(nice_class=c, text=t) for t in texts)
        else:
            items.append(GoodsItem(nice_class=c))
    return items


def parse_iponz(path: Path) -> Iterator[Parsed]:
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, RecordError):
            yield obj
            continue
        problems: list[tuple[str, str]] = []
        binder = obj.get("binder") or {}
        tm = obj.get("trademark") or {}
        applicant = obj.get("applicant") or {}
        mtype = clean(str(tm.get("type") or ""))
        values: dict[str, Any] = {
            "number": clean(str(binder.get("applicationNo") or "")),
            "country": "NZ",
            "mark": clean(tm.get("name")),
            "mark_type": IPONZ_MARK_TYPE.get(mtype.lower(), mtype.lower()) if mtype else None,
            "status": "opposed",
            "source_format": IPONZ,
        }
        parties = []
        if name := clean(applicant.get("name")):
            ids = {"iponz_client": str(applicant["id"])} if applicant.get("id") is not None else {}
            parties.append(
                PartyRef(
                    name=name,
                    role="applicant",
                    kind=party_kind(name),  # type: ignore[arg-type]
                    address=clean(applicant.get("address")),
                    identifiers=ids,
                )
            )
        values["parties"] = parties
        values["goods"] = _goods_by_class(
            [(c.get("classId"), c.get("description")) for c in obj.get("classifications") or [] if isinstance(c, dict)],
            problems,
        )
        yield build(TrademarkRecord, values, problems, path, lineno - 1)


def _sniff_iponz(head: bytes, path: Path) -> bool:
    return json_keys_present(first_line(head), "binder", "applicant", "classifications", "trademark")


# --- IPONZ application summaries (pdftotext) -------------------------------------------------------

IPONZ_SUMMARY = "iponz-summaries"
_PAGE_FURNITURE = re.compile(
    r"^\s*(https://www\.iponz\.govt\.nz|Freephone |International callers:|Case number:.*Page \d+ of \d+)"
)
_FIELD = re.compile(r"^([A-Z][A-Za-z /()-]*?):(?:\s+(.*))?$")
_GOODS_START = re.compile(r"^(\d{1,2}):\s*(.*)$")


def _summary_lines(text: str) -> list[str]:
    return [ln.rstrip() for ln in text.replace("\f", "\n").split("\n") if not _PAGE_FURNITURE.match(ln)]


def _long_date(value: str | None) -> dt.date | None:
    v = clean(value)
    if not v:
        return None
    for fmt in ("%d %B %Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {v!r}")


def summary_values(text: str, problems: list[tuple[str, str]]) -> dict[str, Any]:
    lines = _summary_lines(text)
    values: dict[str, Any] = {}
    joined = "\n".join(lines)
    if m := re.search(r"^Number:\s*(\S+)", joined, re.M):
        values["number"] = m.group(1)
    if m := re.search(r"Filing date:\s*(\d{1,2} [A-Za-z]+ \d{4})", joined):
        try:
            values["filing_date"] = _long_date(m.group(1))
        except ValueError as exc:
            problems.append(("filing_date", str(exc)))
    if m := re.search(r"^Mark type:\s*(\S+)", joined, re.M):
        values["mark_type"] = IPONZ_MARK_TYPE.get(m.group(1).lower(), m.group(1).lower())
    if m := re.search(r"^Word:[ \t]*(.*)\n((?:[ \t]{10,}\S.*\n)*)", joined, re.M):
        word = clean(m.group(1) + " " + m.group(2))
        values["mark"] = None if word in (None, "Representation Only") else word
    if m := re.search(r"^Convention Priority Details.*\n\s*(?:\n\s*)*(\d{1,2}/\d{1,2}/\d{4}),", joined, re.M):
        try:
            values["priority_date"] = _long_date(m.group(1))
        except ValueError as exc:
            problems.append(("priority_date", str(exc)))

    # Goods: from "Specification of goods and/or services:" to the next section heading.
    pairs: list[tuple[Any, str | None]] = []
    parties: list[PartyRef] = []
    section = None
    cur_role = None
    for ln in lines:
        stripped = ln.strip()
        if stripped.startswith("Specification of goods and/or services"):
            section = "goods"
            continue
        if stripped in ("Applicant details:", "Application details:") or stripped.startswith("*** END"):
            section = "parties" if stripped == "Applicant details:" else None
            continue
        if section == "goods":
            if gm := _GOODS_START.match(stripped):
                pairs.append((gm.group(1), gm.group(2)))
            elif stripped and pairs:
                pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {stripped}")
        elif section == "parties":
            fm = _FIELD.match(ln)
            if fm and not ln.startswith(" "):
                role = {"Applicant": "applicant", "Agent": "agent", "Owner": "owner"}.get(fm.group(1))
                cur_role = role
                if role and (name := clean(fm.group(2))):
                    kind = party_kind(name)
                    if role == "agent" and kind == "organization":
                        kind = "agency"
                    parties.append(PartyRef(name=name, role=role, kind=kind))  # type: ignore[arg-type]
                continue
            if cur_role and parties and stripped:
                p = parties[-1]
                p.address = f"{p.address}, {stripped}" if p.address else stripped
    values["goods"] = _goods_by_class(pairs, problems)
    values["parties"] = parties
    return values


def parse_iponz_summaries(path: Path) -> Iterator[Parsed]:
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, RecordError):
            yield obj
            continue
        problems: list[tuple[str, str]] = []
        values = summary_values(str(obj.get("text") or ""), problems)
        appno = clean(str(obj.get("applicationNo") or ""))
        if appno and values.get("number") and values["number"] != appno:
            problems.append(("number", f"the summary is of {values['number']}, the line names {appno}"))
        values["number"] = values.get("number") or appno
        values.update({"country": "NZ", "status": "opposed", "source_format": IPONZ_SUMMARY})
        yield build(TrademarkRecord, values, problems, path, lineno - 1)


def _sniff_iponz_summaries(head: bytes, path: Path) -> bool:
    line = first_line(head)
    return json_keys_present(line, "applicationNo", "text") and b"Summary of Trade Mark Application" in line


for _fmt in (
    Format(
        name=DPMA,
        sniff=_sniff_dpma,
        parse=parse_dpma,
        priority=80,
        description="DPMAregister trade mark search export (CSV)",
    ),
    Format(
        name=EUIPO,
        sniff=_sniff_euipo,
        parse=parse_euipo,
        priority=80,
        description="EUIPO TradeMarks2020 figurative marks (JSON)",
    ),
    Format(
        name=KIPRIS,
        sniff=_sniff_kipris,
        parse=parse_kipris,
        priority=80,
        description="KIPRIS trade mark records (JSON array)",
    ),
    Format(
        name=IPONZ,
        sniff=_sniff_iponz,
        parse=parse_iponz,
        priority=80,
        description="IPONZ opposed trade mark applications (JSONL)",
    ),
    Format(
        name=IPONZ_SUMMARY,
        sniff=_sniff_iponz_summaries,
        parse=parse_iponz_summaries,
        priority=80,
        description="IPONZ application summaries (JSONL)",
    ),
):
    register(_fmt)
