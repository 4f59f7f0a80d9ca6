"""IPC symbols: parse any written form, normalise to the canonical one, walk the hierarchy.

Canonical forms (WIPO ST.8 display, one space between subclass and group):

    G               section
    G06             class
    G06F            subclass
    G06F 17/00      main group
    G06F 17/30      subgroup

Accepted inputs: ``G06F17/30``, ``G06F 17/30``, ``G06F  17/30`` (any spacing, PATSTAT padding),
``g06f17/30`` (any case), full-width characters (``Ｇ０６Ｆ１７／３０``), the fixed-width 14-character
master-file form ``G06F0017300000``, leading zeros (``G06F 017/30``), a trailing edition or version
indicator (``G06F 17/30 (2006.01)``, ``G06F17/30(2006.01)I``, ``[2006.01]``) and ``G06F17`` (read as
the main group ``G06F 17/00``; without a slash at most three digits are read as a main group, so
``G06F 1516`` is refused as ambiguous).

The subgroup digits are a decimal fraction: ``17/3``, ``17/30`` and ``17/300000`` are the same
group, written canonically with trailing zeros removed but at least two digits (``17/30``).

Dot levels (which subgroup is the parent of which) are not part of the symbol; they live in the
scheme data (`ipoffice.core.schemes`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "IpcSymbol",
    "LEVELS",
    "ipc_ancestors",
    "ipc_compact",
    "ipc_level",
    "ipc_like_pattern",
    "ipc_mcd",
    "ipc_parent",
    "ipc_sort_key",
    "is_ipc_prefix",
    "normalize_ipc",
    "parse_ipc",
]

LEVELS = ("section", "class", "subclass", "main-group", "subgroup")

# fixed-width master-file form: subclass + 4-digit main group + 6-digit subgroup
_MCD = re.compile(r"([A-H])(\d\d)([A-Z])(\d{4})(\d{6})")
_FREE = re.compile(
    r"""
    (?P<section>[A-H])
    (?:
        (?P<klass>\d\d)
        (?:
            (?P<subclass>[A-Z])
            (?:
                [\s\-_.]*
                (?P<main>\d{1,4})
                (?:
                    \s*[/:]\s*
                    (?P<sub>\d{1,6})?
                )?
            )?
        )?
    )?
    """,
    re.VERBOSE,
)
# trailing edition "(2006.01)", "[2006.01]", "2006.01", optionally followed by ST.8 indicators "I", "A", "N"
_EDITION = re.compile(r"\s*[(\[]?\s*(?:19|20)\d\d\s*[.\-]\s*\d\d\s*[)\]]?\s*[A-Z]{0,2}\s*$")
_TRAILING_PUNCT = re.compile(r"[\s;,.。；，、]+$")


@dataclass(frozen=True, slots=True)
class IpcSymbol:
    """A parsed IPC symbol. Only the parts down to its level are set."""

    section: str
    klass: str | None = None  # two digits
    subclass: str | None = None  # one letter
    main: int | None = None
    sub: str | None = None  # subgroup digits, canonical: no trailing zeros beyond two ("00" = main group)

    @property
    def level(self) -> str:
        if self.klass is None:
            return "section"
        if self.subclass is None:
            return "class"
        if self.main is None:
            return "subclass"
        if self.sub == "00":
            return "main-group"
        return "subgroup"

    @property
    def subclass_symbol(self) -> str | None:
        return None if self.subclass is None else f"{self.section}{self.klass}{self.subclass}"

    def __str__(self) -> str:
        if self.klass is None:
            return self.section
        if self.subclass is None:
            return f"{self.section}{self.klass}"
        if self.main is None:
            return f"{self.section}{self.klass}{self.subclass}"
        return f"{self.section}{self.klass}{self.subclass} {self.main}/{self.sub}"


def _canonical_sub(digits: str | None) -> str:
    if not digits:
        return "00"
    d = digits.rstrip("0")
    return d.ljust(2, "0")


def _clean(s: str) -> str:
    t = unicodedata.normalize("NFKC", s).strip().upper()
    t = _TRAILING_PUNCT.sub("", t)
    t = _EDITION.sub("", t)
    return t.strip()


def parse_ipc(s: str) -> IpcSymbol:
    """Parse an IPC symbol written in any common form; raise ValueError on anything else."""
    if not isinstance(s, str):
        raise ValueError(f"IPC symbol must be a string, got {type(s).__name__}")
    t = _clean(s)
    if not t:
        raise ValueError(f"not an IPC symbol: {s!r} (empty)")
    m = _MCD.fullmatch(t.replace(" ", ""))
    if m:
        sec, kl, sc, main, sub = m.groups()
        return IpcSymbol(sec, kl, sc, int(main), _canonical_sub(sub))
    m = _FREE.fullmatch(t)
    if not m:
        hint = "expected e.g. 'G', 'G06', 'G06F', 'G06F 17/00', 'G06F 17/30' or 'G06F0017300000'"
        raise ValueError(f"not an IPC symbol: {s!r} ({hint})")
    sec, kl, sc, main, sub = m.group("section", "klass", "subclass", "main", "sub")
    if main is not None and len(main) > 3 and "/" not in t and ":" not in t:
        # "G06F 1516": ST.32 squeezed group (15/16) or a 4-digit main group? Do not guess.
        raise ValueError(f"ambiguous IPC symbol: {s!r} (write the group with a slash, e.g. 'G06F 15/16')")
    if main is None:
        return IpcSymbol(sec, kl, sc)
    return IpcSymbol(sec, kl, sc, int(main), _canonical_sub(sub))


def normalize_ipc(s: str) -> str:
    """The canonical form of an IPC symbol (``G06F 17/30``, ``G06F 17/00``, ``G06F``, ``G06``, ``G``).

    >>> normalize_ipc("g06f0017300000")
    'G06F 17/30'
    """
    return str(parse_ipc(s))


def ipc_level(sym: str) -> str:
    """One of ``section``, ``class``, ``subclass``, ``main-group``, ``subgroup``."""
    return parse_ipc(sym).level


def ipc_ancestors(sym: str) -> list[str]:
    """Canonical symbols above ``sym`` that follow from the symbol alone, from the section down.

    For a subgroup: section, class, subclass, main group (intermediate dot-level subgroups need the
    scheme data). The symbol itself is not included.
    """
    p = parse_ipc(sym)
    out: list[str] = []
    if p.klass is None:
        return out
    out.append(p.section)
    if p.subclass is None:
        return out
    out.append(f"{p.section}{p.klass}")
    if p.main is None:
        return out
    out.append(f"{p.section}{p.klass}{p.subclass}")
    if p.sub == "00":
        return out
    out.append(f"{p.section}{p.klass}{p.subclass} {p.main}/00")
    return out


def ipc_parent(sym: str) -> str | None:
    """The structural parent (main group for a subgroup), or None for a section."""
    anc = ipc_ancestors(sym)
    return anc[-1] if anc else None


def ipc_compact(sym: str) -> str:
    """``G06F17/30``: no space (the form of many data files)."""
    return normalize_ipc(sym).replace(" ", "")


def ipc_mcd(sym: str) -> str:
    """The 14-character fixed-width form (``G06F0017300000``); only for groups."""
    p = parse_ipc(sym)
    if p.main is None:
        raise ValueError(f"{sym!r} is not a group: the fixed-width form exists only for groups")
    return f"{p.subclass_symbol}{p.main:04d}{(p.sub or '00').ljust(6, '0')}"


def ipc_sort_key(sym: str) -> tuple[str, int, str]:
    """Sort key in scheme order (main groups numerically, subgroups as decimal fractions)."""
    try:
        p = parse_ipc(sym)
    except ValueError:
        return (sym, -1, "")
    head = f"{p.section}{p.klass or ''}{p.subclass or ''}"
    return (head, -1 if p.main is None else p.main, (p.sub or "").ljust(6, "0"))


def _parse_prefix(prefix: str) -> tuple[str, IpcSymbol]:
    t = prefix.strip()
    if t[:4].lower() == "ipc:":
        t = t[4:]
    t = _clean(t)
    # "G06F17/" or "G06F 17/" (a main group written as a prefix)
    t = re.sub(r"\s*/\s*$", "", t)
    return t, parse_ipc(t)


def is_ipc_prefix(prefix: str, sym: str) -> bool:
    """Whether ``sym`` lies in the subtree that ``prefix`` names.

    ``G``, ``G06``, ``G06F``: everything below. ``G06F17``, ``G06F 17``, ``G06F 17/00``: the main group
    and all its subgroups. A subgroup prefix (``G06F 17/30``) matches that subgroup and the
    subgroups whose digits extend it (``17/301``, ``17/3012``), the usual shape of its dot-children.
    ``prefix`` may carry an ``ipc:`` tag. Raises ValueError for a prefix that is not IPC; a ``sym``
    that is not IPC simply does not match.
    """
    _, p = _parse_prefix(prefix)
    try:
        s = parse_ipc(sym)
    except ValueError:
        return False
    if s.section != p.section:
        return False
    if p.klass is None:
        return True
    if s.klass != p.klass:
        return False
    if p.subclass is None:
        return True
    if s.subclass != p.subclass:
        return False
    if p.main is None:
        return True
    if s.main != p.main:
        return False
    if p.sub == "00":
        return True
    return (s.sub or "").startswith(p.sub or "")


def ipc_like_pattern(prefix: str) -> str:
    """A SQL LIKE pattern over canonical symbols for the subtree of ``prefix`` (see is_ipc_prefix).

    ``G06F`` -> ``G06F%``; ``G06F17`` -> ``G06F 17/%``; ``G06F 17/30`` -> ``G06F 17/30%`` (the symbol
    and its digit extensions such as ``G06F 17/301``).
    """
    _, p = _parse_prefix(prefix)
    if p.main is None:
        return f"{p}%"
    if p.sub == "00":
        return f"{p.subclass_symbol} {p.main}/%"
    return f"{p}%"
