"""The contract form for trademark registers: CSV (or JSONL with the same keys).

Columns (CSV header, or JSON keys), the first eight required in the header:

    number, mark, nice_classes, groups, goods, applicant, filing_date, status
    [agent, mark_type, priority_date, publication_date, registration_date, expiry_date, country]

In CSV, lists are separated by `;` (`3;9`, `0301;0901`, `soap;9:computer software`, `甲公司;乙公司`);
in JSONL a list may also be a JSON array. `country` defaults to CN.

Goods: an item written `9:computer software` names its class; an item without a class goes to the
record's only class. `groups` are 4-digit 类似群 codes whose first two digits are the class
(0901 -> class 9); a class with one group puts it on that class's goods items, otherwise each group
becomes a group-only item. A class with neither goods nor groups is a class-only item.

Checks (each a `RecordError` naming the field, the rest of the file still loads): number present;
mark non-empty unless mark_type is figurative; Nice classes 1-45; group codes 4 digits of a listed
(or, with no classes listed, any valid) class; goods classes likewise; dates; the status word, in
English (the model's statuses, `filed`, `published`) or Chinese (申请中, 初审公告, 已注册, 驳回, …).

`iter_json_lines` and `decode_text_stream` are shared by the other corpus and register parsers.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ipoffice.core.model import TRADEMARK_STATUSES, GoodsItem, Parsed, PartyRef, RecordError, TrademarkRecord
from ipoffice.ingest.base import Format, build, open_binary, read_head, register
from ipoffice.ingest.fieldmap import clean, parse_date

SOURCE_FORMAT = "tm-tabular"

REQUIRED = ("number", "mark", "nice_classes", "groups", "goods", "applicant", "filing_date", "status")
OPTIONAL = (
    "agent",
    "mark_type",
    "priority_date",
    "publication_date",
    "registration_date",
    "expiry_date",
    "country",
)
DATE_FIELDS = ("filing_date", "priority_date", "publication_date", "registration_date", "expiry_date")

# Errors a damaged file raises while it is read (a truncated gzip raises EOFError).
READ_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error, tarfile.TarError)

# Status words of the contract form, lower-cased; the model's own statuses are added below.
STATUS_WORDS: dict[str, str] = {
    "filed": "pending",
    "application": "pending",
    "published": "preliminarily-approved",
    "preliminarily approved": "preliminarily-approved",
    "preliminarily_approved": "preliminarily-approved",
    "申请中": "pending",
    "待审": "pending",
    "待审中": "pending",
    "初审公告": "preliminarily-approved",
    "初审": "preliminarily-approved",
    "已注册": "registered",
    "注册": "registered",
    "驳回": "refused",
    "已驳回": "refused",
    "异议中": "opposed",
    "异议": "opposed",
    "无效": "invalidated",
    "已无效": "invalidated",
    "撤销": "cancelled",
    "已撤销": "cancelled",
    "过期": "expired",
    "失效": "expired",
    "已失效": "expired",
    "撤回": "withdrawn",
    "已撤回": "withdrawn",
    "未知": "unknown",
}
for _s in TRADEMARK_STATUSES:
    STATUS_WORDS[_s] = _s
STATUS_WORDS["canceled"] = "cancelled"

MARK_TYPES = {
    "word": "word",
    "文字": "word",
    "figurative": "figurative",
    "image": "figurative",
    "device": "figurative",
    "logo": "figurative",
    "图形": "figurative",
    "combined": "combined",
    "组合": "combined",
    "3d": "3d",
    "三维": "3d",
    "立体": "3d",
    "sound": "sound",
    "声音": "sound",
    "colour": "colour",
    "color": "colour",
    "颜色": "colour",
}

_LIST_SPLIT = re.compile(r"[;；]")
_CLASS_SPLIT = re.compile(r"[;；,，、\s]+")
_GOODS_CLASS = re.compile(r"^\s*(?:第\s*)?(\d{1,2})\s*(?:类)?\s*[:：]\s*(.*)$", re.S)
_CN_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
_ORG = re.compile(
    r"(公司|集团|厂|研究院|研究所|大学|学院|事务所|中心|协会|商行|合作社|株式会社|"
    r"\b(?:ltd|limited|inc|corp|corporation|co|company|gmbh|ag|sa|srl|spa|bv|llc|plc|kg|oy|ab|pty)\b\.?)",
    re.I,
)


# --- helpers shared with corpus.py and tm_registers.py -----------------------------------------


def read_error(path: Path, where: int, exc: BaseException, what: str = "line") -> RecordError:
    """The error for a file that cannot be read past a point (truncated gzip or tar, bad bytes)."""
    return RecordError(
        path=str(path),
        record=f"#{where}",
        message=f"cannot read the file past {what} {where - 1}: truncated or corrupt ({exc.__class__.__name__}: {exc})",
    )


def iter_json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """(line number, object) for each non-empty line of a JSONL file (gzip or not), streaming.

    A line that is not a JSON object becomes a RecordError naming the line; a truncated or
    corrupt file ends with a RecordError naming the line where reading stopped.
    """
    lineno = 0
    try:
        with open_binary(path) as fh:
            for raw in fh:
                lineno += 1
                if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    yield lineno, RecordError(path=str(path), record=f"#{lineno}", message=f"not UTF-8: {exc}")
                    continue
                except json.JSONDecodeError as exc:
                    yield lineno, RecordError(path=str(path), record=f"#{lineno}", message=f"malformed JSON: {exc}")
                    continue
                if not isinstance(obj, dict):
                    yield lineno, RecordError(path=str(path), record=f"#{lineno}", message="line is not a JSON object")
                    continue
                yield lineno, obj
    except READ_ERRORS as exc:
        yield lineno + 1, read_error(path, lineno + 1, exc)


def text_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) unless the head is not UTF-8, then GB18030 (Chinese exports)."""
    head = read_head(path)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the 64 KB head is not a reason to give up on UTF-8.
        if exc.start < len(head) - 4:
            return "gb18030"
    return "utf-8-sig"


def iter_csv_rows(path: Path, delimiter: str = ",") -> Iterator[tuple[int, list[str]] | RecordError]:
    """(line where the row starts, cells) for each row, streaming; rows may span lines."""
    line = 0
    try:
        with open_binary(path) as raw:
            text = io.TextIOWrapper(raw, encoding=text_encoding(path), newline="", errors="replace")
            reader = csv.reader(text, delimiter=delimiter)
            for row in reader:
                start = line + 1
                line = reader.line_num
                yield start, row
    except csv.Error as exc:
        yield RecordError(path=str(path), record=f"#{line + 1}", message=f"malformed CSV: {exc}")
    except READ_ERRORS as exc:
        yield read_error(path, line + 1, exc)


def first_line(head: bytes) -> bytes:
    return head.lstrip().split(b"\n", 1)[0]


def json_keys_present(line: bytes, *keys: str) -> bool:
    """Whether a JSON object line (possibly cut) names all the keys and is not ipoffice's own form."""
    if not line.startswith(b"{") or re.search(rb'"record"\s*:', line):
        return False
    return all(re.search(rb'"' + re.escape(k.encode()) + rb'"\s*:', line) for k in keys)


def party_kind(name: str) -> str:
    return "organization" if _ORG.search(name) else "unknown"


def split_goods_text(text: str) -> list[str]:
    """Split a goods/services specification on `;` outside brackets, keeping each item's text."""
    items: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch in "([（【":
            depth += 1
        elif ch in ")]）】" and depth:
            depth -= 1
        if ch in ";；" and depth == 0:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur))
    out = []
    for it in items:
        c = clean(it)
        if c:
            out.append(c.rstrip(".。"))
    return [o for o in out if o]


# --- the contract form ---------------------------------------------------------------------------


def _as_list(value: Any, splitter: re.Pattern[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for v in value:
            if v is None:
                continue
            c = clean(str(v))
            if c:
                out.append(c)
        return out
    return [c for c in (clean(p) for p in splitter.split(str(value))) if c]


def _date(value: Any) -> Any:
    if value is None:
        return None
    v = clean(str(value))
    if v and (m := _CN_DATE.match(v)):
        v = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return parse_date(v)


def map_status(word: Any) -> str | None:
    """The model status for a contract status word; None when the word is not known."""
    w = clean(str(word)) if word is not None else None
    if not w:
        return "unknown"
    return STATUS_WORDS.get(w.lower()) or STATUS_WORDS.get(w.lower().replace("_", "-"))


def _goods(classes: list[int], groups: list[str], goods: list[str], problems: list[tuple[str, str]]) -> list[GoodsItem]:
    listed = set(classes)
    by_class_goods: dict[int, list[str]] = {}
    by_class_groups: dict[int, list[str]] = {}
    order: list[int] = list(dict.fromkeys(classes))

    for g in groups:
        if not re.fullmatch(r"\d{4}", g):
            problems.append(("groups", f"similar-group code {g!r} is not 4 digits"))
            continue
        c = int(g[:2])
        if not 1 <= c <= 45:
            problems.append(("groups", f"similar-group code {g!r} names class {c}, not a Nice class"))
            continue
        if listed and c not in listed:
            problems.append(
                ("groups", f"similar-group code {g!r} is of class {c}, which is not among {sorted(listed)}")
            )
            continue
        by_class_groups.setdefault(c, [])
        if g not in by_class_groups[c]:
            by_class_groups[c].append(g)
        if c not in order:
            order.append(c)

    unclassed: list[str] = []
    for item in goods:
        m = _GOODS_CLASS.match(item)
        if not m:
            unclassed.append(item)
            continue
        c = int(m.group(1))
        text = clean(m.group(2))
        if not 1 <= c <= 45:
            problems.append(("goods", f"goods item {item!r} names class {c}, not a Nice class"))
            continue
        if listed and c not in listed:
            problems.append(("goods", f"goods item {item!r} is of class {c}, which is not among {sorted(listed)}"))
            continue
        if text:
            by_class_goods.setdefault(c, []).append(text)
        if c not in order:
            order.append(c)
    if unclassed:
        if len(order) == 1:
            by_class_goods.setdefault(order[0], []).extend(unclassed)
        elif not order:
            problems.append(("goods", f"goods item {unclassed[0]!r} has no class and the record lists none"))
        else:
            problems.append(
                (
                    "goods",
                    f"goods item {unclassed[0]!r} has no class and the record has several; write it as "
                    f"'<class>:{unclassed[0]}'",
                )
            )

    items: list[GoodsItem] = []
    for c in order:
        texts = by_class_goods.get(c, [])
        grps = by_class_groups.get(c, [])
        if texts and len(grps) == 1:
            items.extend(GoodsItem(nice_class=c, group=grps[0], text=t) for t in texts)
            continue
        items.extend(GoodsItem(nice_class=c, group=g) for g in grps)
        items.extend(GoodsItem(nice_class=c, text=t) for t in texts)
        if not texts and not grps:
            items.append(GoodsItem(nice_class=c))
    return items


def _classes(value: Any, problems: list[tuple[str, str]]) -> list[int]:
    out: list[int] = []
    for tok in _as_list(value, _CLASS_SPLIT):
        t = re.sub(r"^第|类$", "", tok)
        if not re.fullmatch(r"\d{1,3}", t) or not 1 <= int(t) <= 45:
            problems.append(("nice_classes", f"{tok!r} is not a Nice class (1-45)"))
            continue
        if int(t) not in out:
            out.append(int(t))
    return out


def record_from_mapping(row: dict[str, Any], path: Path, index: int, source_format: str = SOURCE_FORMAT) -> Parsed:
    """Validate one row (CSV cells or a JSON object) of the contract form."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {"source_format": source_format}

    number = clean(str(row["number"])) if row.get("number") is not None else None
    values["number"] = number
    if not number:
        problems.append(("number", "required field is missing"))

    mark_type_raw = clean(str(row["mark_type"])) if row.get("mark_type") is not None else None
    mark_type = MARK_TYPES.get(mark_type_raw.lower(), mark_type_raw.lower()) if mark_type_raw else None
    values["mark_type"] = mark_type
    mark = clean(str(row["mark"])) if row.get("mark") is not None else None
    values["mark"] = mark
    if not mark and mark_type != "figurative":
        problems.append(("mark", "the mark is empty; only a figurative mark (mark_type figurative) may have no text"))

    classes = _classes(row.get("nice_classes"), problems)
    groups = _as_list(row.get("groups"), _CLASS_SPLIT)
    goods = _as_list(row.get("goods"), _LIST_SPLIT)
    values["goods"] = _goods(classes, groups, goods, problems)

    parties: list[PartyRef] = []
    for role, key in (("applicant", "applicant"), ("agent", "agent")):
        for i, name in enumerate(_as_list(row.get(key), _LIST_SPLIT)):
            kind = party_kind(name)
            if role == "agent" and kind == "organization":
                kind = "agency"
            parties.append(PartyRef(name=name, role=role, kind=kind, sequence=i + 1))  # type: ignore[arg-type]
    values["parties"] = parties

    for f in DATE_FIELDS:
        try:
            values[f] = _date(row.get(f))
        except ValueError as exc:
            problems.append((f, str(exc)))

    status = map_status(row.get("status"))
    if status is None:
        problems.append(("status", f"unknown status {row.get('status')!r}"))
    values["status"] = status or "unknown"

    country = clean(str(row["country"])) if row.get("country") is not None else None
    values["country"] = country.upper() if country else "CN"
    return build(TrademarkRecord, values, problems, path, index)


def _sniff_csv(head: bytes, path: Path) -> bool:
    line = head.split(b"\n", 1)[0].strip().decode("utf-8", "replace").lower()
    cols = [c.strip().strip('"') for c in line.split(",")]
    return {"number", "mark", "nice_classes"} <= set(cols)


def _sniff_jsonl(head: bytes, path: Path) -> bool:
    return json_keys_present(first_line(head), "number", "mark", "nice_classes")


def parse_csv(path: Path) -> Iterator[Parsed]:
    header: list[str] | None = None
    for item in iter_csv_rows(path):
        if isinstance(item, RecordError):
            yield item
            return
        line, row = item
        if header is None:
            header = [h.strip().lstrip("\ufeff").lower() for h in row]
            missing = [c for c in ("number", "mark", "nice_classes") if c not in header]
            if missing:
                yield RecordError(path=str(path), record="#1", message=f"header lacks columns {missing}")
                return
            continue
        if not any(c.strip() for c in row):
            continue
        mapping = {h: (row[i] if i < len(row) else None) for i, h in enumerate(header) if h}
        yield record_from_mapping(mapping, path, line - 1)


def parse_jsonl(path: Path) -> Iterator[Parsed]:
    for lineno, obj in iter_json_lines(path):
        if isinstance(obj, RecordError):
            yield obj
            continue
        yield record_from_mapping({str(k).lower(): v for k, v in obj.items()}, path, lineno - 1)


def parse(path: Path) -> Iterator[Parsed]:
    if _sniff_jsonl(read_head(path), path):
        yield from parse_jsonl(path)
    else:
        yield from parse_csv(path)


register(
    Format(
        name="tm-tabular-csv",
        sniff=_sniff_csv,
        parse=parse_csv,
        priority=60,
        description="trademark register, contract CSV (number, mark, nice_classes, groups, goods, …)",
    )
)
register(
    Format(
        name="tm-tabular-jsonl",
        sniff=_sniff_jsonl,
        parse=parse_jsonl,
        priority=60,
        description="trademark register, contract JSONL (keys as the contract CSV)",
    )
)
