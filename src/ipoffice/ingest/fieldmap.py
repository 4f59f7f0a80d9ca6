"""Declarative field maps: one per XML format version, in the manner of PatentsView's parsers.

A format version is described as data, a mapping of model fields to XPath expressions and
small converters, instead of branching parser code. Adding a format version means adding a
map; the engine that applies maps is this one small module.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

_TEXT = etree.XPath("string()")
_PARAS = etree.XPath(
    ".//*[local-name()='p' or local-name()='claim-text' or local-name()='heading' or local-name()='paragraph'"
    " or local-name()='para'][not(ancestor::*[local-name()='p' or local-name()='claim-text'"
    " or local-name()='paragraph' or local-name()='para'])]"
)


_PARA_TAGS = ("p", "claim-text", "heading", "paragraph", "para", "PARA")
_NESTING_TAGS = ("p", "claim-text", "paragraph", "para", "PARA")


def clean(text: str | None) -> str | None:
    """Collapse whitespace; empty becomes None."""
    if not text:
        return None
    t = " ".join(text.split())
    return t or None


def text_of(el: Any) -> str | None:
    """All text below an element (or an XPath string result), whitespace collapsed."""
    if el is None:
        return None
    if isinstance(el, str):
        return clean(el)
    if len(el) == 0:  # a leaf: its own text, no XPath needed (the common case, and hot)
        return clean(el.text)
    return clean(_TEXT(el))


def paragraphs_of(el: Any) -> str | None:
    """Text of a block element keeping paragraph breaks (for descriptions and claims).

    Paragraph-like elements (p, claim-text, heading, paragraph) that are not nested in another
    become one line each; an element without them is returned as one paragraph.
    """
    if el is None:
        return None
    if isinstance(el, str):
        return clean(el)
    parts = []
    for p in el.iter(*_PARA_TAGS):
        if p is not el and next(p.iterancestors(*_NESTING_TAGS), None) is not None:
            continue  # nested in another paragraph: its text is already in that one
        t = text_of(p)
        if t:
            parts.append(t)
    if not parts:  # namespaced or unusual markup: the slower, namespace-blind XPath
        parts = [t for t in (clean(_TEXT(p)) for p in _PARAS(el)) if t]
    if not parts:
        return text_of(el)
    return "\n".join(parts)


_DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d", "%d.%m.%Y")


def parse_date(value: str | None) -> dt.date | None:
    """Office dates: `20120103`, `2012-01-03`, `2012.01.03`; `19290200` (day unknown) -> 1st.

    Raises ValueError on text that is not a date, so the record error names the field.
    """
    if not value:
        return None
    v = value.strip()
    if len(v) == 8 and v.isdigit():  # the usual office form, fast path (hot: every citation)
        y, m, d = int(v[:4]), int(v[4:6]), int(v[6:8])
        if y == 0:
            return None
        return dt.date(y, max(m, 1), max(d, 1))
    v = clean(v)
    if not v:
        return None
    v = v.split("T")[0]
    if re.fullmatch(r"\d{8}", v):
        y, m, d = int(v[:4]), int(v[4:6]), int(v[6:8])
        if y == 0:
            return None
        return dt.date(y, max(m, 1), max(d, 1))
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {v!r}")


@dataclass(frozen=True)
class X:
    """One field: an XPath, whether it yields many values, and a converter per value."""

    path: str
    many: bool = False
    conv: Callable[[Any], Any] = text_of
    namespaces: dict[str, str] | None = None


@dataclass
class FieldMap:
    """A named format version: a root test and a mapping of field name to `X` or callable.

    A callable receives the document root and returns the value; use it for structured parts
    (parties, citations) that need more than one XPath.
    """

    name: str
    fields: dict[str, X | Callable[[etree._Element], Any]]
    namespaces: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._xp: dict[str, tuple[etree.XPath, X]] = {}
        for key, spec in self.fields.items():
            if isinstance(spec, X):
                ns = spec.namespaces or self.namespaces
                self._xp[key] = (etree.XPath(spec.path, namespaces=ns), spec)

    def apply(self, root: etree._Element) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Extract every field; returns the values and (field, message) for each failure."""
        out: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for key, spec in self.fields.items():
            try:
                if key in self._xp:
                    xp, x = self._xp[key]
                    found = xp(root)
                    if not isinstance(found, list):
                        found = [found]
                    values = [v for v in (x.conv(f) for f in found) if v not in (None, "", [], {})]
                    out[key] = values if x.many else (values[0] if values else None)
                else:
                    out[key] = spec(root)  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - every field failure is reported, not raised
                problems.append((key, str(exc) or exc.__class__.__name__))
        return out, problems
