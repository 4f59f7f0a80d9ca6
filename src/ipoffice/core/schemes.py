"""Classification schemes as data: IPC, Nice, China's similar-goods table (类似商品和服务区分表), Locarno.

The package ships compact files in `schemes_data/` (built by `scripts/build_schemes_data.py`; origins and
licences in `schemes_data/SOURCES.md`). `load_schemes` streams them into the `scheme_entries` table
(`SchemeEntry`); the helpers below query that table. Nothing here reads the shared data folder.

Schemes, versions and symbols:

=============  ===========  ======================================================================
scheme         version      rows
=============  ===========  ======================================================================
ipc            2026.01      sections to subgroups, canonical symbols (``G06F 17/30``), Chinese titles
                            (CNIPA), English titles from IPC 2023.01 / an IPCPUB subclass list / IPC 1980
                            where they exist (``extra["title_en_source"]``); parents follow dot levels
                            where an English edition gave them, else the main group
nice           ncl13        the 45 class headings (``09``), English; Chinese heading from the CN table
nice-term      ncl12        Nice alphabetical list, English terms by basic number (``090372``), parent class
cn-group       ncl12-2025   类似群 (``0901``) with class as parent and the 注 notes
cn-item        ncl12-2025   商品/服务项目 by code (``090372``, ``C090001``), first group as parent
locarno        14           the 32 Locarno classes (``01``), English
locarno-term   14           Locarno product indications by WIPO ID number, parent class
=============  ===========  ======================================================================

Levels: ``section``, ``class``, ``subclass``, ``main-group``, ``subgroup`` (ipc); ``class`` (nice,
locarno); ``term`` (nice-term); ``group`` (cn-group); ``item`` (cn-item); ``indication`` (locarno-term).

``extra`` keys (present only where they apply):

- ipc: ``title_en_source`` (``ipc-2023.01``, ``ipcpub-subclass-list`` or ``ipc-1980``: the English title
  comes from that edition, not from 2026.01), ``dots`` and ``dots_source`` (dot level of a subgroup and
  the edition it was taken from), ``inferred`` (the entry is missing from the Chinese source but has
  descendants there; no Chinese title), ``heading_zh`` and ``notes_zh`` (sections, classes, subclasses).
- nice: ``kind`` (goods/services), ``note``, ``includes``, ``excludes``, ``notes_zh``, ``title_zh_source``.
- nice-term: ``title_zh_source`` (Chinese name taken from the CN table item with the same number).
- cn-group: ``class``, ``notes`` (the 注 notes, one string per numbered note), ``text`` (published body).
- cn-item: ``class``, ``part`` (一, 二 …), ``names`` (all names when the code has synonyms), ``groups`` and
  ``parts`` (when listed in several groups), ``cn_specific`` (※ / C-code items), ``notes`` (notes that
  name the item; ``[0102] …`` when the note belongs to another group), ``title_en_source``.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from ipoffice.core.ipc import IpcSymbol, ipc_sort_key, normalize_ipc, parse_ipc
from ipoffice.core.tables import SchemeEntry

__all__ = [
    "DATA_DIR",
    "SCHEMES",
    "VERSIONS",
    "ancestors",
    "children",
    "ipc_title",
    "iter_scheme_rows",
    "load_schemes",
    "lookup",
    "normalize_symbol",
    "similar_group_of_item",
    "suggest_ipc",
]

DATA_DIR = Path(__file__).with_name("schemes_data")

VERSIONS: dict[str, str] = {
    "ipc": "2026.01",
    "nice": "ncl13",
    "nice-term": "ncl12",
    "cn-group": "ncl12-2025",
    "cn-item": "ncl12-2025",
    "locarno": "14",
    "locarno-term": "14",
}
SCHEMES: tuple[str, ...] = tuple(VERSIONS)

# the scheme whose rows have a given scheme's symbols as parent
CHILD_SCHEME = {"ipc": "ipc", "nice": "nice-term", "cn-group": "cn-item", "locarno": "locarno-term"}

_EN_SOURCE = {"w": "ipc-2023.01", "s": "ipcpub-subclass-list", "o": "ipc-1980"}
_CN_VERSION_NOTE = "cn-similar-table ncl12-2025"

csv.field_size_limit(10_000_000)

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]


# --------------------------------------------------------------------------- reading the shipped files


def _open_text(name: str):
    path = DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"scheme data file missing: {path} (run scripts/build_schemes_data.py)")
    return gzip.open(path, "rt", encoding="utf-8", newline="")


def _read_tsv(name: str) -> list[dict[str, str]]:
    with _open_text(name) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _read_json(name: str) -> Any:
    with _open_text(name) as f:
        return json.load(f)


@lru_cache(maxsize=1)
def _cn_items_raw() -> tuple[tuple[str, str, str, str, bool], ...]:
    return tuple(
        (r["group"], r["part"], r["code"], r["name"], r["cn_specific"] == "1") for r in _read_tsv("cn-items.tsv.gz")
    )


@lru_cache(maxsize=1)
def _nice_terms_raw() -> dict[str, tuple[int, str]]:
    return {r["basic_number"]: (int(r["class"]), r["term"]) for r in _read_tsv("nice-terms-en.tsv.gz")}


def _row(scheme: str, symbol: str, level: str, parent: str | None, zh: str | None, en: str | None, extra: dict) -> Row:
    return {
        "scheme": scheme,
        "version": VERSIONS[scheme],
        "symbol": symbol,
        "level": level,
        "parent": parent or None,
        "title_zh": zh or None,
        "title_en": en or None,
        "extra": extra,
    }


def iter_ipc() -> Iterator[Row]:
    notes = _read_json(f"ipc-{VERSIONS['ipc']}-notes.json.gz")
    with _open_text(f"ipc-{VERSIONS['ipc']}.tsv.gz") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            extra: dict[str, Any] = {}
            if r["title_en"]:
                extra["title_en_source"] = _EN_SOURCE.get(r["en_source"], r["en_source"])
            if r["dots"]:
                extra["dots"] = int(r["dots"])
                extra["dots_source"] = r["dots_source"]
            if r["inferred"]:
                extra["inferred"] = "present in IPC 2023.01 above subgroups of this edition; missing from the source"
            if r["symbol"] in notes:
                extra.update(notes[r["symbol"]])
            yield _row("ipc", r["symbol"], r["level"], r["parent"], r["title_zh"], r["title_en"], extra)


def iter_nice() -> Iterator[Row]:
    for c in _read_json("nice-ncl13-classes.json.gz"):
        n = int(c["number"])
        extra: dict[str, Any] = {"kind": "goods" if n <= 34 else "services"}
        for k in ("note", "includes", "excludes", "notes_zh"):
            if c.get(k):
                extra[k] = c[k]
        if c.get("heading_zh"):
            extra["title_zh_source"] = _CN_VERSION_NOTE
        yield _row("nice", f"{n:02d}", "class", None, c.get("heading_zh"), c["heading"], extra)


def iter_nice_terms() -> Iterator[Row]:
    zh: dict[str, str] = {}
    for _g, _p, code, name, _cn in _cn_items_raw():
        zh.setdefault(code, name)
    for num, (cls, term) in sorted(_nice_terms_raw().items(), key=lambda kv: (kv[1][0], kv[0])):
        extra = {"title_zh_source": _CN_VERSION_NOTE} if num in zh else {}
        yield _row("nice-term", num, "term", f"{cls:02d}", zh.get(num), term, extra)


def _clean_name(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace("*", "").replace("※", "").strip()


_BEFORE_CH = frozenset(",，、；;：:。. \n\t0123456789)）")
_BEFORE_WORDS = ("部分", "与", "商品", "服务")
_AFTER_CH = frozenset(",，、；;：:。(（ \n\t0123456789")
_AFTER_WORDS = ("与", "类似", "交叉", "不")


def _names_in(name: str, note: str) -> bool:
    """Whether an item name occurs in a note as a whole listed name (not inside a longer name)."""
    if len(name) < 2:
        return False
    i = note.find(name)
    while i >= 0:
        j = i + len(name)
        before = i == 0 or note[i - 1] in _BEFORE_CH or note[:i].endswith(_BEFORE_WORDS)
        after = j == len(note) or note[j] in _AFTER_CH or note.startswith(_AFTER_WORDS, j)
        if before and after:
            return True
        i = note.find(name, i + 1)
    return False


def iter_cn_groups() -> Iterator[Row]:
    for g in _read_json("cn-groups.json.gz"):
        extra: dict[str, Any] = {"class": g["class"]}
        if g["notes"]:
            extra["notes"] = g["notes"]
        extra["text"] = g["text"]
        yield _row("cn-group", g["code"], "group", g["class"], g["title"], None, extra)


def iter_cn_items() -> Iterator[Row]:
    groups = {g["code"]: g for g in _read_json("cn-groups.json.gz")}
    terms = _nice_terms_raw()
    by_code: dict[str, list[tuple[str, str, str, bool]]] = {}
    by_group: dict[str, list[str]] = {}
    for group, part, code, name, cn in _cn_items_raw():
        by_code.setdefault(code, []).append((group, part, name, cn))
        by_group.setdefault(group, []).append(code)

    # notes of a group that name an item, for the items of that group and of the groups the note cites;
    # a note from a group other than the item's first (its parent) is prefixed with that group's code
    item_notes: dict[str, list[str]] = {}
    names_of = {code: {_clean_name(o[2]) for o in occ} for code, occ in by_code.items()}
    primary = {code: occ[0][0] for code, occ in by_code.items()}
    for gcode in sorted(groups):
        for note in groups[gcode].get("notes", []):
            cited = {c for c in re.findall(r"(?<!\d)(\d{4})(?!\d)", note) if c in groups}
            for grp in sorted({gcode} | cited):
                for code in by_group.get(grp, []):
                    if not any(_names_in(n, note) for n in names_of[code]):
                        continue
                    text = note if gcode == primary[code] else f"[{gcode}] {note}"
                    lst = item_notes.setdefault(code, [])
                    if text not in lst:
                        lst.append(text)

    for code, occ in by_code.items():
        group, part, name, cn = occ[0]
        extra: dict[str, Any] = {"class": group[:2]}
        if part:
            extra["part"] = part
        names = list(dict.fromkeys(o[2] for o in occ))
        if len(names) > 1:
            extra["names"] = names
        grps = list(dict.fromkeys(o[0] for o in occ))
        if len(grps) > 1:
            extra["groups"] = grps
            extra["parts"] = {o[0]: o[1] for o in occ if o[1]}
        if cn or code.startswith("C"):
            extra["cn_specific"] = True
        if code in item_notes:
            extra["notes"] = item_notes[code]
        en = terms.get(code, (0, None))[1]
        if en:
            extra["title_en_source"] = "nice-term ncl12"
        yield _row("cn-item", code, "item", group, name, en, extra)


def iter_locarno() -> Iterator[Row]:
    for num, label in _read_json("locarno-14.json.gz")["classes"]:
        yield _row("locarno", f"{int(num):02d}", "class", None, None, label, {})


def iter_locarno_terms() -> Iterator[Row]:
    for lid, cls, label in _read_json("locarno-14.json.gz")["indications"]:
        yield _row("locarno-term", str(lid), "indication", f"{int(cls):02d}", None, label, {})


LOADERS: dict[str, Callable[[], Iterator[Row]]] = {
    "ipc": iter_ipc,
    "nice": iter_nice,
    "nice-term": iter_nice_terms,
    "cn-group": iter_cn_groups,
    "cn-item": iter_cn_items,
    "locarno": iter_locarno,
    "locarno-term": iter_locarno_terms,
}


def iter_scheme_rows(scheme: str) -> Iterator[Row]:
    """Rows (dicts with the SchemeEntry columns) of one scheme, from the shipped data."""
    if scheme not in LOADERS:
        raise ValueError(f"unknown scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    return LOADERS[scheme]()


# --------------------------------------------------------------------------- loading


def load_schemes(
    session: Session,
    only: set[str] | None = None,
    progress: Progress | None = None,
    *,
    batch_size: int = 5000,
    commit: bool = True,
) -> dict[str, int]:
    """Load the shipped schemes into `scheme_entries`; return the row count per scheme now stored.

    Idempotent per (scheme, version): if the table already holds as many rows as the shipped data, the
    scheme is skipped; otherwise its rows are deleted and reloaded. ``only`` restricts to some scheme
    names (see SCHEMES). ``progress(scheme, done, total)`` is called after each batch (and once for a
    skipped scheme). Commits after each scheme unless ``commit=False`` (then it only flushes).
    """
    names = list(SCHEMES) if only is None else [s for s in SCHEMES if s in only]
    unknown = set(only or ()) - set(SCHEMES)
    if unknown:
        raise ValueError(f"unknown scheme(s) {sorted(unknown)}; known: {', '.join(SCHEMES)}")
    table = SchemeEntry.__table__
    counts: dict[str, int] = {}
    for scheme in names:
        version = VERSIONS[scheme]
        rows = list(iter_scheme_rows(scheme))
        total = len(rows)
        where = (table.c.scheme == scheme, table.c.version == version)
        have = session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        if have == total:
            counts[scheme] = have
            if progress:
                progress(scheme, total, total)
            continue
        if have:
            session.execute(delete(table).where(*where))
        for i in range(0, total, batch_size):
            session.execute(insert(table), rows[i : i + batch_size])
            if progress:
                progress(scheme, min(i + batch_size, total), total)
        if commit:
            session.commit()
        else:
            session.flush()
        counts[scheme] = total
    return counts


# --------------------------------------------------------------------------- queries


def normalize_symbol(scheme: str, symbol: str) -> str:
    """The stored form of a symbol of ``scheme``; raises ValueError when it cannot be one."""
    s = unicodedata.normalize("NFKC", str(symbol)).strip()
    if scheme == "ipc":
        return normalize_ipc(s)
    if scheme in {"nice", "locarno"}:
        m = re.fullmatch(r"(?i)(?:class|cl\.?|第)?\s*(\d{1,2})\s*(?:类)?", s)
        if not m or not 1 <= int(m.group(1)) <= (45 if scheme == "nice" else 32):
            raise ValueError(f"not a {scheme} class: {symbol!r}")
        return f"{int(m.group(1)):02d}"
    if scheme == "cn-group":
        if not re.fullmatch(r"\d{3,4}", s):
            raise ValueError(f"not a similar-group code: {symbol!r}")
        return s.zfill(4)
    if scheme == "cn-item":
        s = s.upper()
        if not re.fullmatch(r"C?\d{6}", s):
            raise ValueError(f"not a similar-goods item code: {symbol!r}")
        return s
    if scheme == "nice-term":
        if not re.fullmatch(r"\d{5,6}", s):
            raise ValueError(f"not a Nice basic number: {symbol!r}")
        return s.zfill(6)
    return s


def _latest_version(session: Session, scheme: str) -> str | None:
    return session.execute(select(func.max(SchemeEntry.version)).where(SchemeEntry.scheme == scheme)).scalar_one()


def lookup(session: Session, scheme: str, symbol: str, version: str | None = None) -> SchemeEntry | None:
    """The entry for ``symbol`` (any written form) in ``scheme``; the newest version unless one is given."""
    try:
        sym = normalize_symbol(scheme, symbol)
    except ValueError:
        return None
    q = select(SchemeEntry).where(SchemeEntry.scheme == scheme, SchemeEntry.symbol == sym)
    if version is not None:
        q = q.where(SchemeEntry.version == version)
    return session.execute(q.order_by(SchemeEntry.version.desc()).limit(1)).scalar_one_or_none()


def ipc_title(session: Session, symbol: str, lang: str = "zh", version: str | None = None) -> str | None:
    """Title of an IPC symbol in ``lang`` ("zh" or "en"); None if unknown or not in that language."""
    if lang not in {"zh", "en"}:
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    e = lookup(session, "ipc", symbol, version)
    if e is None:
        return None
    return e.title_zh if lang == "zh" else e.title_en


def _sort_entries(scheme: str, entries: list[SchemeEntry]) -> list[SchemeEntry]:
    if scheme == "ipc":
        return sorted(entries, key=lambda e: ipc_sort_key(e.symbol))
    return sorted(entries, key=lambda e: e.symbol)


def children(
    session: Session,
    scheme: str,
    symbol: str,
    child_scheme: str | None = None,
    version: str | None = None,
) -> list[SchemeEntry]:
    """Direct children of ``symbol``, in scheme order.

    IPC: the entries whose parent is ``symbol`` (subgroups by dot level where known). ``nice`` class ->
    ``nice-term`` rows, ``cn-group`` -> its ``cn-item`` rows (including items listed in several groups),
    ``locarno`` class -> ``locarno-term`` rows. Pass ``child_scheme`` to choose another scheme whose
    parent column holds these symbols (e.g. ``children(s, "nice", "09", child_scheme="cn-group")``).
    """
    try:
        sym = normalize_symbol(scheme, symbol)
    except ValueError:
        return []
    cs = child_scheme or CHILD_SCHEME.get(scheme, scheme)
    ver = version if version is not None and cs == scheme else _latest_version(session, cs)
    if ver is None:
        return []
    q = select(SchemeEntry).where(SchemeEntry.scheme == cs, SchemeEntry.version == ver, SchemeEntry.parent == sym)
    found = list(session.execute(q).scalars())
    if cs == "cn-item":
        seen = {e.id for e in found}
        extra_q = select(SchemeEntry).where(
            SchemeEntry.scheme == cs,
            SchemeEntry.version == ver,
            SchemeEntry.parent != sym,
            cast(SchemeEntry.extra, Text).like(f'%"{sym}"%'),
        )
        for e in session.execute(extra_q).scalars():
            if e.id not in seen and sym in (e.extra or {}).get("groups", []):
                found.append(e)
    return _sort_entries(cs, found)


def ancestors(session: Session, scheme: str, symbol: str, version: str | None = None) -> list[SchemeEntry]:
    """Entries from the top down to the parent of ``symbol``, following the stored parent links."""
    e = lookup(session, scheme, symbol, version)
    out: list[SchemeEntry] = []
    seen: set[str] = set()
    while e is not None and e.parent and e.parent not in seen:
        seen.add(e.parent)
        p = session.execute(
            select(SchemeEntry).where(
                SchemeEntry.scheme == e.scheme, SchemeEntry.version == e.version, SchemeEntry.symbol == e.parent
            )
        ).scalar_one_or_none()
        if p is None:
            break
        out.append(p)
        e = p
    return out[::-1]


# ---- suggestions for IPC symbols that do not exist


def _ipc_like(session: Session, version: str, pattern: str, level: str | None = None) -> list[SchemeEntry]:
    q = select(SchemeEntry).where(
        SchemeEntry.scheme == "ipc", SchemeEntry.version == version, SchemeEntry.symbol.like(pattern)
    )
    if level:
        q = q.where(SchemeEntry.level == level)
    return list(session.execute(q).scalars())


def _sub_value(sub: str | None) -> float:
    return float("0." + (sub or "0"))


def _rank(target: str, entries: list[SchemeEntry], key: Callable[[SchemeEntry], float], n: int) -> list[SchemeEntry]:
    def score(e: SchemeEntry) -> tuple[float, float, tuple]:
        ratio = difflib.SequenceMatcher(None, target, e.symbol).ratio()
        return (key(e), -ratio, ipc_sort_key(e.symbol))

    return sorted(entries, key=score)[:n]


def suggest_ipc(session: Session, symbol: str, n: int = 3, version: str | None = None) -> list[SchemeEntry]:
    """Nearest existing IPC entries for a symbol that is not in the scheme (best first).

    If ``symbol`` exists, it alone is returned. Otherwise walk up to the deepest existing level
    (main group, subclass, class, section) and rank the entries one level below it by numeric
    closeness (subgroup digits as a decimal fraction, main-group numbers, subclass letters, class
    numbers), difflib similarity breaking ties. For text that is not an IPC symbol, its longest leading
    part that is one (at least a subclass) is used (``G06F17/3x`` -> ``G06F 17/30``); failing that,
    its first four characters are matched with difflib against the subclass symbols.
    """
    ver = version or _latest_version(session, "ipc")
    if ver is None:
        return []
    try:
        p: IpcSymbol | None = parse_ipc(symbol)
    except ValueError:
        p = None
    if p is None:
        return _suggest_fuzzy(session, ver, symbol, n)
    target = str(p)
    hit = lookup(session, "ipc", target, ver)
    if hit is not None:
        return [hit]

    sub_sym = p.subclass_symbol
    if p.main is not None and sub_sym:
        if p.sub != "00":
            same_main = [e for e in _ipc_like(session, ver, f"{sub_sym} {p.main}/%") if e.symbol != target]
            if same_main:
                return _rank(
                    target, same_main, lambda e: abs(_sub_value(parse_ipc(e.symbol).sub) - _sub_value(p.sub)), n
                )
        mains = _ipc_like(session, ver, f"{sub_sym} %", "main-group")
        if mains:
            return _rank(target, mains, lambda e: abs((parse_ipc(e.symbol).main or 0) - (p.main or 0)), n)
    if p.subclass is not None:
        subs = _ipc_like(session, ver, f"{p.section}{p.klass}_", "subclass")
        if subs:
            return _rank(target, subs, lambda e: abs(ord(e.symbol[3]) - ord(p.subclass or "A")), n)
    if p.klass is not None:
        classes = _ipc_like(session, ver, f"{p.section}__", "class")
        if classes:
            return _rank(target, classes, lambda e: abs(int(e.symbol[1:3]) - int(p.klass or 0)), n)
    return _rank(target, _ipc_like(session, ver, "_", "section"), lambda e: abs(ord(e.symbol) - ord(p.section)), n)


def _suggest_fuzzy(session: Session, ver: str, text: str, n: int) -> list[SchemeEntry]:
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).upper())
    # the longest leading part that is a symbol of at least subclass level ("G06F17/3x" -> "G06F17/3")
    for k in range(len(t) - 1, 3, -1):
        try:
            p = parse_ipc(t[:k])
        except ValueError:
            continue
        if p.subclass is not None:
            return suggest_ipc(session, str(p), n, ver)
        break
    pool = _ipc_like(session, ver, "____", "subclass")
    by_compact = {e.symbol: e for e in pool}
    close = difflib.get_close_matches(t[:4], list(by_compact), n=n, cutoff=0.75)
    return [by_compact[c] for c in close]


# ---- China's similar-goods table


def similar_group_of_item(session: Session, item_text_or_code: str, version: str | None = None) -> list[SchemeEntry]:
    """The similar groups (cn-group entries) that list an item, given its code or its name.

    Codes: ``090372`` or ``C090001``. Names are compared after NFKC (full-width punctuation to ASCII, as
    in the data) without the ``*``/``※`` markers, against the Chinese names (all synonyms) and the
    English Nice term. An item listed in several groups gives several groups. Empty list if unknown.
    """
    ver = version or _latest_version(session, "cn-item")
    if ver is None:
        return []
    raw = unicodedata.normalize("NFKC", str(item_text_or_code)).strip()
    items: list[SchemeEntry] = []
    if re.fullmatch(r"(?i)C?\d{6}", raw):
        e = lookup(session, "cn-item", raw, ver)
        items = [e] if e else []
    elif raw:
        name = _clean_name(raw)
        q = select(SchemeEntry).where(
            SchemeEntry.scheme == "cn-item",
            SchemeEntry.version == ver,
            SchemeEntry.title_zh.in_([name, name + "*", "※" + name, "※" + name + "*"]),
        )
        items = list(session.execute(q).scalars())
        if not items:
            low = name.lower()
            q = select(SchemeEntry).where(SchemeEntry.scheme == "cn-item", SchemeEntry.version == ver)
            for e in session.execute(q).scalars():
                names = [e.title_zh or "", *((e.extra or {}).get("names") or [])]
                if any(_clean_name(x) == name for x in names) or (
                    e.title_en and _clean_name(e.title_en).lower() == low
                ):
                    items.append(e)
    codes: list[str] = []
    for e in items:
        for g in (e.extra or {}).get("groups") or [e.parent]:
            if g and g not in codes:
                codes.append(g)
    if not codes:
        return []
    q = select(SchemeEntry).where(
        SchemeEntry.scheme == "cn-group", SchemeEntry.version == ver, SchemeEntry.symbol.in_(codes)
    )
    return sorted(session.execute(q).scalars(), key=lambda e: e.symbol)
