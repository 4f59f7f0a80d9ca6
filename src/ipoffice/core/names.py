"""Party-name normalization: one applicant is one party however its name is written.

Folds full/half width (NFKC), traditional to simplified Chinese (OpenCC), case and
punctuation, and drops company-form suffixes (有限公司, Co., Ltd., GmbH, K.K. ...), which
offices print inconsistently for the same company.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_T2S = OpenCC("t2s")

# Longest first: legal-form suffixes that do not distinguish one company from another.
_ZH_SUFFIXES = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "股份公司",
        "有限公司",
        "集团有限公司",
        "集团股份有限公司",
        "(集团)有限公司",
        "(集团)股份有限公司",
        "公司",
    ],
    key=len,
    reverse=True,
)
_LATIN_FORMS = [
    "co ltd",
    "company limited",
    "co limited",
    "corporation",
    "incorporated",
    "limited",
    "company",
    "corp",
    "inc",
    "ltd",
    "llc",
    "l l c",
    "llp",
    "gmbh co kg",
    "gmbh & co kg",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "s a",
    "sas",
    "srl",
    "spa",
    "bv",
    "b v",
    "nv",
    "n v",
    "ab",
    "oy",
    "plc",
    "pty",
    "kk",
    "k k",
    "kabushiki kaisha",
    "co",
]
_LATIN_RE = re.compile(r"(?:[\s,]+(?:" + "|".join(re.escape(f) for f in _LATIN_FORMS) + r"))+\s*$")
_PUNCT = re.compile(r"[\s\.,;:'\"`·•\-_/\\()\[\]{}<>《》“”‘’、，。；：！？!?&+*#@]+")


@lru_cache(maxsize=200_000)
def normalize_name(name: str) -> str:
    """Canonical form used as the party key (not for display)."""
    s = unicodedata.normalize("NFKC", name)
    if not s.isascii():
        s = _T2S.convert(s)
    s = s.casefold().strip()
    s = s.replace("（", "(").replace("）", ")")
    if re.search(r"[\u4e00-\u9fff]", s):
        compact = re.sub(r"\s+", "", s)
        for suffix in _ZH_SUFFIXES:
            if compact.endswith(suffix) and len(compact) > len(suffix) + 1:
                compact = compact[: -len(suffix)]
                break
        s = compact
    else:
        s = re.sub(r"[.,]", " ", s)
        s = re.sub(r"\s+", " ", s).strip()
        s = re.sub(r"^the\s+", "", s)
        prev = None
        while prev != s:
            prev = s
            stripped = _LATIN_RE.sub("", s).strip()
            if stripped:
                s = stripped
    s = _PUNCT.sub(" ", s).strip()
    return re.sub(r"\s+", " ", s)


def party_key(name: str, kind: str, country: str | None) -> str:
    """Organizations are one party per normalized name; persons also by country."""
    norm = normalize_name(name)
    if kind == "person":
        return f"p|{norm}|{(country or '').upper()}"
    return f"o|{norm}"
