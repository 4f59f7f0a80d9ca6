#!/usr/bin/env python3
# ruff: noqa: E501  (the SOURCES.md template below holds Markdown table rows)
"""Regenerate `src/ipoffice/core/schemes_data/` from the collected scheme files.

    .venv/bin/python scripts/build_schemes_data.py [--src /work/shared/data/schemes] [--out DIR]

Reads the third-party copies described in `<src>/SOURCES.md` and writes compact, cleaned, gzipped
files that `ipoffice.core.schemes` loads at run time (the package never reads `<src>` itself).
Output is deterministic (gzip mtime 0, sorted rows), so reruns give identical bytes.

What the cleaning does, per file, is written into the `SOURCES.md` it produces.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ipoffice.core.ipc import ipc_ancestors, ipc_sort_key, normalize_ipc, parse_ipc  # noqa: E402

DEFAULT_SRC = Path("/work/shared/data/schemes")
DEFAULT_OUT = ROOT / "src" / "ipoffice" / "core" / "schemes_data"
IPC_VERSION = "2026.01"

csv.field_size_limit(10_000_000)

# --------------------------------------------------------------------------- helpers

_CJK = r"\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0]+(?=[{_CJK}])")
_WS = re.compile(r"\s+")
_HREF_RESIDUE = re.compile(r'\s*\d{4}\.\d{2}"\s*href=.*$', re.S)
_EN_EDITION = re.compile(r"\s*\[\d{4}\.\d{2}\]\s*$")


def write_gz(path: Path, text: str) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def tsv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else str(v) for v in r])
    return out.getvalue()


def json_text(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def clean_zh(t: str) -> str:
    t = t.replace("\r", "").strip()
    t = _CJK_GAP.sub("", t)
    return _WS.sub(" ", t).strip()


def clean_en(t: str) -> str:
    t = t.replace("\u00a0", " ")
    t = _HREF_RESIDUE.sub("", t)
    t = _WS.sub(" ", t).strip()
    t = _EN_EDITION.sub("", t)
    return t.strip()


def norm(sym: str) -> str | None:
    try:
        return normalize_ipc(sym)
    except ValueError:
        return None


# --------------------------------------------------------------------------- IPC

_GUIDE_LIKE = re.compile(r"(?<!入)[A-H]\d\d[A-Z]\s*\d+/\d+(?:[；;]|\s|$)")


def _zh_candidate_score(row_level: str, sym_level: str, title: str, idx: int) -> tuple[int, int, int, int]:
    lvl = {"main_group": "main-group"}.get(row_level, row_level)
    return (
        1 if lvl == sym_level else 0,
        1 if title else 0,
        0 if _GUIDE_LIKE.search(title) else 1,
        idx,
    )


def read_ipc_zh(src: Path) -> tuple[dict[str, str | None], dict[str, int]]:
    """symbol -> Chinese title (None where the PDF parse lost it); plus repair statistics."""
    stats: dict[str, int] = defaultdict(int)
    cands: dict[str, list[tuple[tuple[int, int, int, int], str | None]]] = defaultdict(list)
    with gzip.open(src / "ipc" / "ipc_2026.01_zh_cnipa_pdf_parsed.tsv.gz", "rt", encoding="utf-8", newline="") as f:
        rd = csv.reader(f, delimiter="\t")
        next(rd)
        for idx, raw in enumerate(rd):
            code, level, title = (c.strip() for c in raw[:3])
            if level == "unparsed_line":
                continue
            if not code:
                stats["dropped_empty_code"] += 1
                continue
            title = clean_zh(title)
            # PDF artefact: "E21B47/02" + title "24" is the symbol E21B47/024 with its title lost
            m = re.fullmatch(r"(\d+)(?:\s+(.*))?", title)
            if m and "/" in code:
                code = code + m.group(1)
                title = (m.group(2) or "").strip()
                stats["repaired_split_symbol"] += 1
            elif re.fullmatch(r"[.．·•]+", title):
                title = ""
                stats["dot_only_title"] += 1
            sym = norm(code)
            if sym is None:
                stats["dropped_bad_symbol"] += 1
                continue
            score = _zh_candidate_score(level, parse_ipc(sym).level, title, idx)
            cands[sym].append((score, title or None))
    out: dict[str, str | None] = {}
    for sym, cs in cands.items():
        if len(cs) > 1:
            stats["duplicate_symbols_resolved"] += 1
        out[sym] = max(cs, key=lambda c: c[0])[1]
    stats["no_title_zh"] = sum(1 for v in out.values() if not v)
    return out, dict(stats)


def read_ipc_en_2023(src: Path) -> tuple[dict[str, str], dict[str, tuple[int, str | None]]]:
    """2023.01 IPCPUB scrape: titles and (dots, parent) from the bullet depth in file order."""
    titles: dict[str, str] = {}
    tree: dict[str, tuple[int, str | None]] = {}
    stack: dict[int, str] = {}
    cur_file = None
    path = src / "ipc" / "ipc_2023.01_en_groups_partial_thxare_ipcpub_scrape.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            title = clean_en(r["title_en"])
            if not title or title == "Definitions" or title.startswith("Warning:"):
                continue
            sym = norm(r["symbol"])
            if sym is None or parse_ipc(sym).main is None:
                continue
            if r["source_file"] != cur_file:
                cur_file, stack = r["source_file"], {}
            if sym in titles:
                continue
            titles[sym] = title
            dots = int(r["dots"] or 0)
            if sym.endswith("/00"):
                dots = 0
            stack = {d: s for d, s in stack.items() if d < dots}
            stack[dots] = sym
            parent = stack.get(dots - 1) if dots > 0 else None
            tree[sym] = (dots, parent)
    return titles, tree


def read_ipc_en_1980(src: Path) -> tuple[dict[str, str], dict[str, tuple[int, str | None]]]:
    titles: dict[str, str] = {}
    tree: dict[str, tuple[int, str | None]] = {}
    with gzip.open(src / "ipc" / "ipc_1980_en_entries_from_wipo_xml.tsv.gz", "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            kind = r["kind"]
            if kind not in {"s", "c", "u", "m", "1", "2", "3", "4", "5", "6", "7", "8"}:
                continue
            sym = norm(r["symbol"])
            if sym is None or sym in titles:
                continue
            title = clean_en(r["title_en"])
            if kind == "s":
                title = re.sub(r"^SECTION [A-H]\s*[-—]?\s*", "", title)
            titles[sym] = title
            if kind.isdigit():
                tree[sym] = (int(kind), norm(r["parent_symbol"]) if r["parent_symbol"] else None)
    return titles, tree


def read_ipc_en_subclasses(src: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with open(src / "ipc" / "ipc_en_subclasses_thxare_ipcpub_scrape.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["level"] not in {"section", "class", "subclass"}:
                continue
            sym = norm(r["symbol"])
            title = clean_en(r["title_en"])
            if sym and title and sym not in out:
                out[sym] = title
    return out


def build_ipc(src: Path, out: Path) -> dict[str, object]:
    zh, stats = read_ipc_zh(src)
    t23, tree23 = read_ipc_en_2023(src)
    t80, tree80 = read_ipc_en_1980(src)
    tsub = read_ipc_en_subclasses(src)
    syms = set(zh)
    # Symbols the PDF parse lost but whose subgroups are there (E21B 47/022 is present, E21B 47/02 is not):
    # take them from the 2023.01 tree where they are an ancestor of a present symbol within the same main group
    # (not from 1980: too many revisions in between).
    inferred: set[str] = set()
    for sym in sorted(syms):
        p = parse_ipc(sym)
        if p.level != "subgroup" or sym not in tree23:
            continue
        par, seen = tree23[sym][1], set()
        while par is not None and par not in seen and par.startswith(f"{p.subclass_symbol} {p.main}/"):
            seen.add(par)
            if par not in syms:
                inferred.add(par)
            par = tree23.get(par, (0, None))[1]
    # sections, classes, subclasses and main groups missing from the source while symbols below them are there
    for sym in sorted(syms):
        inferred.update(a for a in ipc_ancestors(sym) if a not in syms)
    for sym in inferred:
        zh[sym] = None
    syms |= inferred

    def resolve_parent(sym: str) -> tuple[str | None, int | None, str]:
        p = parse_ipc(sym)
        if p.level != "subgroup":
            anc = ipc_ancestors(sym)
            return (anc[-1] if anc else None), None, ""
        main = f"{p.subclass_symbol} {p.main}/00"
        for tree, src_tag in ((tree23, "2023.01"), (tree80, "1980")):
            if sym not in tree:
                continue
            dots, par = tree[sym]
            seen = set()
            while par is not None and par not in syms and par not in seen:
                seen.add(par)
                par = tree.get(par, (0, None))[1]
            if par is None or not par.startswith(f"{p.subclass_symbol} {p.main}/"):
                par = main
            return par, dots, src_tag
        return main, None, ""

    rows = []
    n_en = defaultdict(int)
    for sym in sorted(syms, key=ipc_sort_key):
        parent, dots, dsrc = resolve_parent(sym)
        level = parse_ipc(sym).level
        if sym in t23:
            en, esrc = t23[sym], "w"
        elif sym in tsub:
            en, esrc = tsub[sym], "s"
        elif sym in t80:
            en, esrc = t80[sym], "o"
        else:
            en, esrc = "", ""
        n_en[esrc] += 1
        row_src = "i" if sym in inferred else ""
        rows.append([sym, level, parent or "", "" if dots is None else dots, dsrc, zh[sym] or "", en, esrc, row_src])
    write_gz(
        out / f"ipc-{IPC_VERSION}.tsv.gz",
        tsv_text(
            ["symbol", "level", "parent", "dots", "dots_source", "title_zh", "title_en", "en_source", "inferred"], rows
        ),
    )

    notes = {}
    with open(src / "ipc" / "ipc_2026.01_zh_cnipa_notes.jsonl", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            sym = norm(o["code"])
            if sym is None:
                continue
            entry = {}
            if o.get("heading"):
                entry["heading_zh"] = clean_zh(o["heading"])
            if o.get("notes_text"):
                entry["notes_zh"] = o["notes_text"].replace("\r", "").strip()
            if entry:
                notes[sym] = entry
    write_gz(out / f"ipc-{IPC_VERSION}-notes.json.gz", json_text(dict(sorted(notes.items()))))
    missing_2023 = sorted(s for s in t23 if s not in syms)
    return {
        "rows": len(rows),
        "inferred_from_children": len(inferred),
        "zh_repairs": stats,
        "title_en_from": {"2023.01": n_en["w"], "subclass-scrape": n_en["s"], "1980": n_en["o"], "none": n_en[""]},
        "notes": len(notes),
        "en_2023_symbols_not_in_zh_2026": len(missing_2023),
    }


# --------------------------------------------------------------------------- Nice, CN table, Locarno


def build_nice(src: Path, out: Path) -> dict[str, object]:
    classes = json.loads((src / "nice" / "ncl13-2026_class_headings_notes_en.json").read_text(encoding="utf-8"))
    zh: dict[int, tuple[str, str]] = {}
    with open(src / "cn-similar-groups" / "cn_similar_goods_classes_zh.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            text = r["heading_and_notes"].replace("\r", "")
            head, _, notes = text.partition("【注释】")
            zh[int(r["class_code"])] = (head.strip(), notes.strip())
    out_classes = []
    for c in sorted(classes, key=lambda c: int(c["number"])):
        n = int(c["number"])
        out_classes.append(
            {
                "number": n,
                "heading": c["heading"].strip(),
                "note": (c.get("note") or "").strip(),
                "includes": c.get("includes") or [],
                "excludes": c.get("excludes") or [],
                "heading_zh": zh.get(n, ("", ""))[0],
                "notes_zh": zh.get(n, ("", ""))[1],
            }
        )
    write_gz(out / "nice-ncl13-classes.json.gz", json_text(out_classes))

    terms = []
    with open(src / "nice" / "nice_alphabetical_list_en.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            terms.append([r["basic_number"].strip(), int(r["class_number"]), _WS.sub(" ", r["term"]).strip()])
    terms.sort(key=lambda t: (t[1], t[0]))
    write_gz(out / "nice-terms-en.tsv.gz", tsv_text(["basic_number", "class", "term"], terms))
    return {"classes": len(out_classes), "terms": len(terms)}


_NOTE_AT = re.compile(r"注[：:]")
_ITEM_CODE = re.compile(r"C?\d{6}")
_PART_HEAD = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
_NUMBERED = re.compile(r"(?:(?<=[；;。])|^)\s*(?=\d+[.．])")


def group_notes(text: str) -> list[str]:
    """The 注 notes of a group's published text, one string per numbered note, in order.

    A note starts at a line beginning with 注：, at 注： after the items of a line, or is a line of
    text before the first item line (a preface such as 本类似群各部分之间商品不类似); it runs on over
    following lines until a line with items or a part heading such as (二).
    """
    chunks: list[list[str]] = []  # [part heading in force, text]
    in_note = False
    seen_items = False
    part = ""
    for line in text.split("\n"):
        t = line.strip()
        if not t:
            continue
        m = _NOTE_AT.search(t)
        head = _PART_HEAD.match(t)
        if t.startswith("注") and m and m.start() <= 1:
            chunks.append([part, t[m.end() :].strip()])
            in_note = True
        elif head or _ITEM_CODE.search(t):
            if head:
                part = head.group(0).replace("（", "(").replace("）", ")")
            seen_items = True
            in_note = False
            if m:  # items, then 注：… on the same line
                chunks.append([part, t[m.end() :].strip()])
                in_note = True
        elif in_note and chunks:
            chunks[-1][1] += ("\n" if _NUMBERED.match(t) else "") + t
        elif not seen_items:
            chunks.append(["", t])
            in_note = True
    notes: list[str] = []
    for part_of, c in chunks:
        for piece in re.split(r"\n|" + _NUMBERED.pattern, c):
            piece = (piece or "").strip()
            if not piece:
                continue
            # a note about "本部分" (this part) gets the part it follows
            notes.append(f"第{part_of}部分：{piece}" if part_of and "本部分" in piece else piece)
    return notes


def build_cn(src: Path, out: Path) -> dict[str, object]:
    groups = []
    with open(src / "cn-similar-groups" / "cn_similar_groups_zh.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            text = r["group_text"].replace("\r", "").strip()
            groups.append(
                {
                    "class": r["class_code"].zfill(2),
                    "code": r["group_code"].strip(),
                    "title": r["group_title"].strip(),
                    "notes": group_notes(text),
                    "text": text,
                }
            )
    groups.sort(key=lambda g: g["code"])
    write_gz(out / "cn-groups.json.gz", json_text(groups))

    items = []
    with open(src / "cn-similar-groups" / "cn_similar_group_items_zh.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            items.append(
                [
                    r["group_code"].strip(),
                    r["group_part"].strip(),
                    r["item_code"].strip(),
                    r["item_name"].strip(),
                    r["cn_specific_item"].strip() or "0",
                ]
            )
    # keep the source order within a group (it is the published order)
    write_gz(out / "cn-items.tsv.gz", tsv_text(["group", "part", "code", "name", "cn_specific"], items))
    return {"groups": len(groups), "item_rows": len(items), "distinct_item_codes": len({i[2] for i in items})}


def build_locarno(src: Path, out: Path) -> dict[str, object]:
    d = json.loads((src / "locarno" / "locarno_14th_en_classes_indications_ardesign.json").read_text(encoding="utf-8"))
    value_to_class = {c["value"]: int(c["number"]) for c in d["main_classes"]}
    classes = sorted([int(c["number"]), c["label"].strip()] for c in d["main_classes"])
    inds = []
    seen = set()
    for s in d["subclasses"]:
        if s.get("locarno_id") is None or s["locarno_id"] in seen:
            continue
        seen.add(s["locarno_id"])
        inds.append([int(s["locarno_id"]), value_to_class[s["main_class_value"]], _WS.sub(" ", s["label"]).strip()])
    inds.sort()
    write_gz(out / "locarno-14.json.gz", json_text({"classes": classes, "indications": inds}))
    return {"classes": len(classes), "indications": len(inds)}


# --------------------------------------------------------------------------- SOURCES.md

SOURCES_HEADER = """# Shipped classification data: origin and licences

Generated by `scripts/build_schemes_data.py` from the collected copies in the project's shared data
folder (`data/schemes/`, see its SOURCES.md). Loaded by `ipoffice.core.schemes.load_schemes`; nothing at
run time reads the shared folder. **All files are third-party copies or conversions of official
publications (WIPO, CNIPA, USPTO); check against the official text before relying on them for anything
legal.**

| shipped file | scheme(s) / version | derived from | licence as stated by the source |
|---|---|---|---|
| `ipc-2026.01.tsv.gz` | `ipc` 2026.01 | `ipc/ipc_2026.01_zh_cnipa_pdf_parsed.tsv.gz` (titles, symbols); English titles from `ipc/ipc_2023.01_en_groups_partial_thxare_ipcpub_scrape.tsv.gz`, `ipc/ipc_en_subclasses_thxare_ipcpub_scrape.csv`, `ipc/ipc_1980_en_entries_from_wipo_xml.tsv.gz`; dot levels from the 2023.01 and 1980 files | none stated (GitHub `Jingyou-design/cr_zl_v2`, `thxare/IPCcodes`, `SmartDataAnalytics/linked-uspto-patent-data`); the IPC is WIPO's, the Chinese text CNIPA's |
| `ipc-2026.01-notes.json.gz` | extra of `ipc` sections/classes/subclasses | `ipc/ipc_2026.01_zh_cnipa_notes.jsonl` | as above |
| `nice-ncl13-classes.json.gz` | `nice` ncl13 (45 class headings) | `nice/ncl13-2026_class_headings_notes_en.json`; Chinese headings/notes from `cn-similar-groups/cn_similar_goods_classes_zh.csv` | MIT (GitHub `kylemcdonald/nice-classification`); CN file: README says MIT (no LICENSE file); the texts are WIPO's / CNIPA's |
| `nice-terms-en.tsv.gz` | `nice-term` ncl12 (alphabetical list) | `nice/nice_alphabetical_list_en.csv` | GPL-3.0 (repository `nicemagician/nice-classification`); the list is WIPO's |
| `cn-groups.json.gz`, `cn-items.tsv.gz` | `cn-group`, `cn-item` ncl12-2025 | `cn-similar-groups/cn_similar_groups_zh.csv`, `cn_similar_group_items_zh.csv` | README says MIT, no LICENSE file (GitHub `lanbing1989/Intelligent-retrieval-of-Chinese-trademark-commodity-and-service-classification`) |
| `locarno-14.json.gz` | `locarno` 14 (32 classes), `locarno-term` 14 (indications) | `locarno/locarno_14th_en_classes_indications_ardesign.json` | none stated (GitHub `samoosama1/ARDesign-server`) |

## What the build changed

- **IPC symbols** are written canonically (`A01B 1/02`, `A01B 1/00`, `A01B`), via `ipoffice.core.ipc.normalize_ipc`.
- **Chinese IPC rows** (`unparsed_line` rows and rows without a code dropped):
  - symbols split by the PDF parse (`E21B47/02` with title `24`) are rejoined (`E21B 47/024`), their title is lost (empty);
  - titles that are only dots (`.`, `..`) are set empty, the symbol kept;
  - for a symbol given twice, the row whose level fits the symbol, that has a title, and that does not look like a
    guide heading (a list of symbols) wins, else the later row;
  - spaces between two CJK characters (PDF line wraps) are removed; other text (including appended guide headings and
    edition markers like `〔8〕`) is kept as published.
- **English titles** (`title_en`, with `en_source`): `w` = IPC 2023.01 IPCPUB scrape (groups, 400 subclasses), `s` = IPCPUB
  subclass scrape (sections, classes, subclasses A–F; edition not stated, about 2023), `o` = IPC **1980** (3rd edition):
  older text, may not match the 2026 meaning. "Definitions"/"Warning" rows, HTML residue and trailing `[YYYY.MM]`
  markers were removed; whitespace collapsed.
- **Entries the source lacks but whose descendants it has** are added (`inferred` = `i`, no Chinese title): the
  class, subclass or main group of a present symbol (e.g. class `C01`, subclass `B62J`), and subgroups that the
  2023.01 tree makes the parent of a present subgroup (e.g. `E21B 47/02`, parent of the present `E21B 47/022`).
- **Parents of subgroups** (`parent`, `dots`, `dots_source`): the Chinese source has no dot levels; where the 2023.01
  scrape (bullet depth) or the 1980 master file (kind 1–8) has the symbol, its parent chain is used, walking up to the
  nearest symbol present in 2026.01 and never leaving the main group; else the parent is the main group and `dots` is empty.
- **Nice classes**: the English class heading/note/includes/excludes as published; `heading_zh`/`notes_zh` are the
  Chinese class heading and 【注释】 from the Chinese similar-goods table (NCL 12-2025 text, not 13).
- **Nice terms**: basic number, class, term; whitespace collapsed. Edition not stated (probably NCL 12-2024/2025).
- **CN groups**: class, code, title, the full published `text` of the group, and `notes` = the 注 notes split into
  numbered notes (a note speaking of 本部分 is prefixed with the part it follows, e.g. `第(三)部分：本部分为金属氧化物；`).
- **CN items**: as in the derived CSV (one row per group occurrence; ※/C-code items flagged `cn_specific`).
- **Locarno**: class numbers and titles; indications with WIPO "ID No", class and label; the 32 synthetic
  "Miscellaneous" entries (no ID) dropped. Locarno subclass codes are not in the source.

Not shipped: the 1980 IPC as its own edition, the IPC 2026.01 `unparsed_line` rows, the Nice MGS notes, NCL 10-2015,
USPC, the IPC–technology concordance.

## Build statistics
"""


def relevant_sources(md: str) -> str:
    """The preamble and the entries of the shared SOURCES.md for the folders used here."""
    keep_top = ("ipc/", "nice/", "cn-similar-groups/", "locarno/")
    chunks = re.split(r"(?m)^(?=## )", md)
    out = [chunks[0]]
    for ch in chunks[1:]:
        head = ch.splitlines()[0][3:].strip()
        if head.startswith(keep_top):
            out.append(ch)
            continue
        subs = re.split(r"(?m)^(?=### )", ch)
        picked = [x for x in subs[1:] if x[4:].strip().startswith("ipc/")]
        if picked:
            out.append(f"## {head} (IPC entries only)\n\n" + "".join(picked))
    return "".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    stats = {
        "ipc": build_ipc(a.src, a.out),
        "nice": build_nice(a.src, a.out),
        "cn": build_cn(a.src, a.out),
        "locarno": build_locarno(a.src, a.out),
    }
    sources_md = relevant_sources((a.src / "SOURCES.md").read_text(encoding="utf-8"))
    (a.out / "SOURCES.md").write_text(
        SOURCES_HEADER
        + "\n```json\n"
        + json.dumps(stats, ensure_ascii=False, indent=2)
        + "\n```\n\n---\n\n# Appendix: the collector's notes on the original files (the relevant entries, copied verbatim)\n\n"
        + sources_md,
        encoding="utf-8",
    )
    total = sum(p.stat().st_size for p in a.out.iterdir() if p.is_file())
    print(json.dumps(stats, ensure_ascii=False, indent=2))
    print(f"total size of {a.out}: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
