#!/usr/bin/env python3
"""Regenerate `src/ipoffice/trademarks/data/` (character data for 形/音/义 mark comparison).

    .venv/bin/python scripts/build_hanzi_data.py [--src /work/shared/data/hanzi] [--out DIR]

Reads the third-party copies described in `<src>/SOURCES.md` and writes small gzipped TSV files that
`ipoffice.trademarks` loads at run time (the package never reads `<src>` itself). Output is
deterministic (sorted rows, gzip mtime 0), so reruns give identical bytes.

Only permissively licensed inputs are shipped: Unihan (Unicode licence), 漢語拆字字典 (CC BY 3.0),
char-similar tables (Apache-2.0/MIT), pycorrector confusion sets (Apache-2.0). The CJKVI IDS file
(GPL-2.0, from CHISE) and Make Me a Hanzi (LGPL-3.0) are deliberately not used, so the package stays
Apache-2.0 clean; 漢語拆字字典 gives the component decompositions instead.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = Path("/work/shared/data/hanzi")
DEFAULT_OUT = ROOT / "src" / "ipoffice" / "trademarks" / "data"

# code-point ranges of characters kept: CJK Unified Ideographs (+ Ext. A) and Compatibility Ideographs
_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _keep(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _RANGES)


def _cp(field: str) -> str:
    return chr(int(field[2:].split("<")[0], 16))


def write_gz(path: Path, text: str) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, mtime=0, fileobj=buf) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def toneless(syllable: str) -> str:
    """hǎi -> hai, lǘ -> lv (the usual ASCII spelling of ü)."""
    s = unicodedata.normalize("NFD", syllable.strip().lower()).replace("u\u0308", "v")
    return "".join(c for c in s if not unicodedata.combining(c))


def read_unihan(path: Path, fields: set[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.startswith("U+"):
                continue
            cp, field, value = line.rstrip("\n").split("\t", 2)
            if field in fields:
                out[_cp(cp)][field] = value
    return out


def readings(rec: dict[str, str]) -> list[str]:
    """Toneless readings, the kMandarin ones (mainland first) before the dictionary ones."""
    out: list[str] = []
    for v in rec.get("kMandarin", "").split():
        out.append(toneless(v))
    for key in ("kXHC1983", "kTGHZ2013", "kHanyuPinyin"):
        for part in rec.get(key, "").split():
            vals = part.split(":", 1)[-1]
            out.extend(toneless(v) for v in vals.split(","))
    return [r for r in dict.fromkeys(out) if re.fullmatch(r"[a-z]+", r)]


def load_json_gz(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def build(src: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    uni = src / "unihan"
    read = read_unihan(
        uni / "Unihan_Readings.txt.gz", {"kMandarin", "kHanyuPinyin", "kXHC1983", "kTGHZ2013", "kDefinition"}
    )
    dic = read_unihan(uni / "Unihan_DictionaryLikeData.txt.gz", {"kFourCornerCode", "kFrequency", "kGradeLevel"})
    irg = read_unihan(uni / "Unihan_IRGSources.kRSUnicode-kTotalStrokes-kIICore.txt.gz", {"kTotalStrokes"})
    var = read_unihan(
        uni / "Unihan_Variants.txt.gz",
        {"kSpoofingVariant", "kSemanticVariant", "kZVariant", "kSimplifiedVariant"},
    )
    cs = src / "char-similar"
    fourangle = load_json_gz(cs / "char_fourangle.json.gz")
    struct = load_json_gz(cs / "char_struct.json.gz")
    order = load_json_gz(cs / "char_order.json.gz")
    number = load_json_gz(cs / "char_number.json.gz")
    freq = load_json_gz(cs / "char_frequency.json.gz")

    decomp: dict[str, list[str]] = {}
    for name in ("chaizi-jt.txt", "chaizi-ft.txt"):
        for line in (src / "chaizi" / name).read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 2 or parts[0] in decomp:
                continue
            alts = [" ".join(a.split()) for a in parts[1:] if a.strip()]
            if alts:
                decomp[parts[0]] = list(dict.fromkeys(alts))

    chars = sorted(c for c, r in read.items() if _keep(c) and readings(r))
    rows = ["char\treadings\tfour_corner\tstrokes\tstruct\torder\tdecomp\tfreq"]
    for c in chars:
        fc = dic.get(c, {}).get("kFourCornerCode", "").split(" ")[0].replace(".", "")
        if not re.fullmatch(r"\d{5}", fc):
            fc = str(fourangle.get(c, ""))
            fc = fc if re.fullmatch(r"\d{5}", fc) else ""
        strokes = irg.get(c, {}).get("kTotalStrokes", "").split(" ")[0] or str(number.get(c, ""))
        f = freq.get(c, 0)
        fq = round(float(f)) if f not in ("", None) else 0
        ordr = str(order.get(c, ""))
        ordr = ordr if ordr.isdigit() else ""
        rows.append(
            "\t".join(
                [
                    c,
                    " ".join(readings(read[c])),
                    fc,
                    strokes,
                    str(struct.get(c, "")),
                    ordr,
                    "|".join(decomp.get(c, [])),
                    str(fq),
                ]
            )
        )
    write_gz(out / "hanzi.tsv.gz", "\n".join(rows) + "\n")

    # 形近字: pycorrector same_stroke rows (each row one confusion set) + Unihan kSpoofingVariant pairs
    sets: dict[str, set[str]] = defaultdict(set)
    for line in (src / "pycorrector" / "same_stroke.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        members = [m for m in dict.fromkeys(x.strip() for x in line.split("\t")) if len(m) == 1]
        for m in members:
            sets[m].update(x for x in members if x != m)
    for c, rec in var.items():
        for v in rec.get("kSpoofingVariant", "").split():
            d = _cp(v)
            if _keep(c) and _keep(d) and c != d:
                sets[c].add(d)
                sets[d].add(c)
    conf = ["char\tsimilar"] + [f"{c}\t{''.join(sorted(sets[c]))}" for c in sorted(sets) if sets[c]]
    write_gz(out / "confusables.tsv.gz", "\n".join(conf) + "\n")

    # variant folding beyond OpenCC t2s: a rare semantic/z-variant -> its common form with the same reading
    # (菓 -> 果); the target must be a frequent character and the source not one
    def common(ch: str) -> bool:
        return "kFrequency" in dic.get(ch, {}) or "kGradeLevel" in dic.get(ch, {})

    def rank(ch: str) -> float:
        return float(freq.get(ch, 0) or 0)

    variants: dict[str, str] = {}
    for c, rec in var.items():
        if not _keep(c) or c not in read:
            continue
        for key in ("kSemanticVariant", "kZVariant"):
            for v in rec.get(key, "").split():
                d = _cp(v)
                if d == c or d not in read or not _keep(d):
                    continue
                rc, rd = readings(read[c]), readings(read[d])
                if not rc or not rd or rc[0] != rd[0]:
                    continue
                if common(d) and rank(d) > 0 and rank(c) < rank(d) and rank(c) < 12:
                    if c not in variants or rank(d) > rank(variants[c]):
                        variants[c] = d
    vrows = ["variant\tstandard"] + [f"{c}\t{variants[c]}" for c in sorted(variants)]
    write_gz(out / "variants.tsv.gz", "\n".join(vrows) + "\n")

    # English glosses of characters in common use (kDefinition), for 义 comparison of one-character words
    glosses = ["char\tgloss"]
    for c in chars:
        g = read[c].get("kDefinition", "")
        if g and (common(c) or rank(c) >= 8):
            glosses.append(f"{c}\t{g}")
    write_gz(out / "glosses.tsv.gz", "\n".join(glosses) + "\n")
    return {
        "hanzi": len(rows) - 1,
        "confusables": len(conf) - 1,
        "variants": len(vrows) - 1,
        "glosses": len(glosses) - 1,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    counts = build(args.src, args.out)
    for k, v in counts.items():
        print(f"{k}: {v} rows")


if __name__ == "__main__":
    main()
