"""Publication-number normalization, so `show 08087209`, `US8087209B2` and `US 8,087,209 B2`
find the same document; the number as printed is always kept as well.
"""

from __future__ import annotations

import re
import unicodedata

# A country prefix, before digits or a US series letter (D design, PP plant, RE reissue, H SIR, T).
_COUNTRY = re.compile(r"^(?!RE\d|PP\d)([A-Z]{2})(?=(?:D|PP|RE|H|T)?\d)")
_KIND = re.compile(r"(?<=\d)([A-Z]\d?)$")


def normalize_number(number: str) -> str:
    s = unicodedata.normalize("NFKC", number).upper()
    s = re.sub(r"[^0-9A-Z]", "", s)
    s = _COUNTRY.sub("", s)
    s = _KIND.sub("", s)
    m = re.match(r"^([A-Z]*)0*(\d.*)$", s)
    if m:
        s = m.group(1) + m.group(2)
    return s
