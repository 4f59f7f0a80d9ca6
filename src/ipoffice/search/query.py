"""The examiner query language: a recursive-descent parser to an AST with positions, and the
compiler from the AST to tantivy queries.

Syntax (operators in any case; terms are case-, width- and traditional/simplified-insensitive)::

    battery electrode             implicit AND
    battery AND electrode         AND, OR, NOT and parentheses; ``a NOT b`` is ``a AND NOT b``
    (battery OR cell) NOT fuel
    "lithium battery"             phrase (words in this order, adjacent)
    comput*  wom?n  电池*         truncation: * any characters, ? one character
    battery W/3 electrode         ordered proximity: electrode comes 1 to 3 words after battery
                                  (W/1: adjacent; W/3: at most two words between); operands may be
                                  words, phrases, truncations, OR-groups of them and proximities; a
                                  phrase operand counts from its last word (right of it) or its first
    battery NEAR/5 electrode      unordered proximity: 1 to 5 words apart, either order
    ti: ab: cl: desc: ft:         title, abstract, claims, description, full text (ti+ab+cl+desc)
    pa: in: ag:                   applicant/assignee, inventor, agent/agency
    ipc:G06F17  ipc:"G06F 17/30"  IPC subtree (cpc: likewise for CPC): the symbol and all below it
    pn:US8087209B2  cc:CN  kd:B2  publication/application number (any written form), country, kind
    pd<2019-01-01  pd>=2015       publication date; ad: filing, gd: grant, pr: priority date
    ad:[2015-01-01 TO 2018-12-31] date range (inclusive; ``{...}`` exclusive; ``*`` open)
    pd:2019  pd:2019-05           a whole year or month
    ti:(battery OR cell)          a prefix applies to a whole group

Without a prefix a term searches title, abstract and claims (not the description: descriptions are
long and mention everything in passing, so they would drown the precise hits; use ``desc:`` or ``ft:``).
Precedence, tightest first: prefixes and parentheses, proximity, NOT, AND (also implicit), OR.
Word distances count words as indexed: English words, jieba words for Chinese.

Every error names what is wrong and where (a character position in the query, from 0).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ipoffice.core.ipc import normalize_ipc
from ipoffice.core.numbers import normalize_number
from ipoffice.search.analysis import query_tokens, wildcard_patterns

__all__ = [
    "DEFAULT_FIELDS",
    "FIELDS",
    "And",
    "Compiler",
    "DateRange",
    "IpcChecker",
    "Keyword",
    "Near",
    "Node",
    "Not",
    "Or",
    "ParsedQuery",
    "QueryError",
    "Symbol",
    "Text",
    "parse",
]

MAX_QUERY_CHARS = 10_000
MAX_DISTANCE = 100
MAX_DEPTH = 64
MAX_LAYOUTS = 2000


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # text | ipc | cpc | number | code | date
    fields: tuple[str, ...]  # index fields
    label: str


FIELDS: dict[str, FieldSpec] = {
    "ti": FieldSpec("text", ("ti",), "title"),
    "ab": FieldSpec("text", ("ab",), "abstract"),
    "cl": FieldSpec("text", ("cl",), "claims"),
    "desc": FieldSpec("text", ("desc",), "description"),
    "ft": FieldSpec("text", ("ti", "ab", "cl", "desc"), "full text: title, abstract, claims, description"),
    "pa": FieldSpec("text", ("pa",), "applicant, assignee or owner"),
    "in": FieldSpec("text", ("inv",), "inventor"),
    "ag": FieldSpec("text", ("ag",), "agent or agency"),
    "ipc": FieldSpec("ipc", ("ipc",), "IPC symbol and its subtree"),
    "cpc": FieldSpec("cpc", ("cpc",), "CPC symbol and its subtree"),
    "pn": FieldSpec("number", ("pn",), "publication or application number"),
    "cc": FieldSpec("code", ("cc",), "country code"),
    "kd": FieldSpec("code", ("kd",), "kind code"),
    "pd": FieldSpec("date", ("pd",), "publication date"),
    "ad": FieldSpec("date", ("ad",), "application (filing) date"),
    "gd": FieldSpec("date", ("gd",), "grant date"),
    "pr": FieldSpec("date", ("pr",), "priority date"),
}
DEFAULT_FIELDS = ("ti", "ab", "cl")
DATE_PREFIXES = tuple(k for k, v in FIELDS.items() if v.kind == "date")
#: field weights when one term searches several fields
BOOSTS = {"ti": 3.0, "ab": 2.0, "cl": 1.0, "desc": 0.5}


class QueryError(ValueError):
    """A query that cannot be run: ``str()`` says what is wrong and where; ``position`` is the
    character offset in the query (None when the query as a whole is at fault)."""

    def __init__(self, message: str, position: int | None = None, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.suggestions = suggestions or []

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message, "position": self.position}
        if self.suggestions:
            out["suggestions"] = self.suggestions
        return out


# --------------------------------------------------------------------------- the AST


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Text(Node):
    """Words or a phrase searched in text fields (analyzed when compiled)."""

    fields: tuple[str, ...]
    text: str
    phrase: bool = False
    prefix: str | None = None  # the prefix as written (None: default fields)

    def __str__(self) -> str:
        body = f'"{self.text}"' if self.phrase else self.text
        return f"{self.prefix}:{body}" if self.prefix else body


@dataclass(frozen=True)
class Symbol(Node):
    """An IPC or CPC symbol (canonical form): the symbol and its subtree."""

    field: str  # ipc | cpc
    symbol: str

    def __str__(self) -> str:
        return f'{self.field}:"{self.symbol}"' if " " in self.symbol else f"{self.field}:{self.symbol}"


@dataclass(frozen=True)
class Keyword(Node):
    """An exact code: a normalized number (pn), a country (cc) or a kind (kd); ``*`` truncates."""

    field: str
    value: str
    prefix_match: bool = False

    def __str__(self) -> str:
        return f"{self.field}:{self.value}{'*' if self.prefix_match else ''}"


@dataclass(frozen=True)
class DateRange(Node):
    field: str
    lo: dt.date | None  # inclusive
    hi: dt.date | None  # inclusive

    def __str__(self) -> str:
        return f"{self.field}:[{self.lo or '*'} TO {self.hi or '*'}]"


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.children)) + ")"


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.children)) + ")"


@dataclass(frozen=True)
class Not(Node):
    child: Node

    def __str__(self) -> str:
        return f"NOT {self.child}"


@dataclass(frozen=True)
class Near(Node):
    left: Node
    right: Node
    distance: int
    ordered: bool

    def __str__(self) -> str:
        op = f"W/{self.distance}" if self.ordered else f"NEAR/{self.distance}"
        return f"({self.left} {op} {self.right})"


# --------------------------------------------------------------------------- lexing


@dataclass(frozen=True)
class Tok:
    kind: str  # WORD PHRASE LPAREN RPAREN LBRACK RBRACK FIELD DATECMP AND OR NOT PROX EOF
    text: str
    pos: int
    end: int
    value: Any = None


_OPS = {"and": "AND", "or": "OR", "not": "NOT"}
_PROX = re.compile(r"(?i)(w|near)/(\S*)")
_FIELD = re.compile(r"([A-Za-z]+):")
_DATECMP = re.compile(r"(?i)(" + "|".join(DATE_PREFIXES) + r")\s*(<=|>=|<|>|=)\s*")
_SPECIAL = set('()[]{}"')


def _lex_view(q: str) -> str:
    """One character for each of the query's: full-width punctuation and curly quotes made ASCII,
    so that positions in messages are positions in what the user typed."""
    out = []
    for ch in q:
        if ch.isascii():
            out.append(ch)
        elif ch in "“”„‟＂「」":
            out.append('"')
        elif ch.isspace():
            out.append(" ")
        else:
            n = unicodedata.normalize("NFKC", ch)
            out.append(n if len(n) == 1 and n.isascii() else ch)
    return "".join(out)


def _lex(q: str) -> list[Tok]:
    v = _lex_view(q)
    toks: list[Tok] = []
    i, n = 0, len(v)
    while i < n:
        ch = v[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()[]{}":
            kind = {"(": "LPAREN", ")": "RPAREN", "[": "LBRACK", "]": "RBRACK", "{": "LBRACE", "}": "RBRACE"}[ch]
            toks.append(Tok(kind, ch, i, i + 1))
            i += 1
            continue
        if ch == '"':
            j = v.find('"', i + 1)
            if j < 0:
                raise QueryError(f"unbalanced quote at position {i}: the phrase is never closed", i)
            toks.append(Tok("PHRASE", q[i + 1 : j], i, j + 1))
            i = j + 1
            continue
        m = _DATECMP.match(v, i)
        if m:
            toks.append(Tok("DATECMP", m.group(0), i, m.end(), (m.group(1).lower(), m.group(2))))
            i = m.end()
            continue
        m = _FIELD.match(v, i)
        if m:
            name = m.group(1).lower()
            if name not in FIELDS:
                known = ", ".join(f"{k}:" for k in FIELDS)
                raise QueryError(f"unknown field prefix '{q[i : m.end()]}' at {i} (known: {known})", i)
            toks.append(Tok("FIELD", m.group(0), i, m.end(), name))
            i = m.end()
            continue
        j = i
        while j < n and not v[j].isspace() and v[j] not in _SPECIAL:
            j += 1
        word, raw = v[i:j], q[i:j]
        low = word.lower()
        if low in _OPS:
            toks.append(Tok(_OPS[low], word, i, j))
        elif (pm := _PROX.fullmatch(word)) and (pm.group(2) == "" or pm.group(2).isdigit()):
            d = pm.group(2)
            if not d or not 1 <= int(d) <= MAX_DISTANCE:
                raise QueryError(
                    f"proximity operator '{word}' at {i} needs a distance from 1 to {MAX_DISTANCE}, e.g. "
                    f"{pm.group(1).upper()}/5",
                    i,
                )
            toks.append(Tok("PROX", word, i, j, (int(d), pm.group(1).lower() == "w")))
        else:
            toks.append(Tok("WORD", raw, i, j))
        i = j
    toks.append(Tok("EOF", "", n, n))
    _check_parens(toks)
    return toks


def _check_parens(toks: list[Tok]) -> None:
    stack: list[int] = []
    for t in toks:
        if t.kind == "LPAREN":
            stack.append(t.pos)
            if len(stack) > MAX_DEPTH:
                raise QueryError(f"parentheses nested deeper than {MAX_DEPTH} at position {t.pos}", t.pos)
        elif t.kind == "RPAREN":
            if not stack:
                raise QueryError(f"unbalanced parenthesis at position {t.pos}: ')' has no matching '('", t.pos)
            stack.pop()
    if stack:
        raise QueryError(f"unbalanced parenthesis at position {stack[-1]}: '(' is never closed", stack[-1])


_DANGLING = re.compile(r"(?i)^(and|or|not|w/\d*|near/\d*|[a-z]+:|(?:" + "|".join(DATE_PREFIXES) + r")(?:<=|>=|<|>|=))$")


def _trim(q: str, limit: int) -> str:
    """A prefix of ``q`` of about ``limit`` characters that is still a well-formed query: cut between
    two words outside quotes, dangling operators dropped, open parentheses closed."""
    v = _lex_view(q)
    quoted, best = False, 0
    for i in range(min(len(v), limit + 1)):
        ch = v[i]
        if i > 0 and ch.isspace() and not quoted:
            best = i
        if i == limit:
            break
        if ch == '"':
            quoted = not quoted
    out = q[:best]
    while True:
        out = out.rstrip()
        m = re.match(r"(?s)(.*)\s(\S*)$", out)
        head, last = (m.group(1), m.group(2)) if m else ("", out)
        lv = _lex_view(last)
        if out and (_DANGLING.match(lv) or lv.endswith("(")):
            out = head
            continue
        break
    depth, quoted = 0, False
    for ch in _lex_view(out):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth = max(0, depth - 1)
    return out + ")" * depth if out else out


# --------------------------------------------------------------------------- parsing


class IpcChecker:
    """Checks IPC symbols of a query against the scheme (the searcher provides one with a session)."""

    def exists(self, symbol: str) -> bool:  # pragma: no cover - interface
        return True

    def suggest(self, text: str) -> list[str]:  # pragma: no cover - interface
        return []

    def indexed(self, field: str, symbol: str) -> bool:  # pragma: no cover - interface
        return False


@dataclass
class ParsedQuery:
    ast: Node
    query: str  # the query as run (trimmed when it was too long)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return str(self.ast)


_DATE_RE = re.compile(r"(\d{4})(?:[-./]?(\d{1,2})(?:[-./]?(\d{1,2}))?)?")
_SUBCLASS = re.compile(r"(?i)[A-HY]\d\d[A-Z]")
_GROUP = re.compile(r"\d{1,4}\s*/\s*\d{1,6}")


class _Parser:
    def __init__(self, toks: list[Tok], query: str, ipc: IpcChecker | None, today: dt.date) -> None:
        self.toks = toks
        self.i = 0
        self.query = query
        self.ipc = ipc
        self.today = today
        self.warnings: list[str] = []
        self.depth = 0

    # -- helpers
    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def _nested(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"query nested deeper than {MAX_DEPTH} at position {pos}", pos)

    # -- grammar
    def parse(self) -> Node:
        t = self.peek()
        if t.kind == "EOF":
            raise QueryError("empty query: nothing to search for", 0)
        node = self.parse_or(None)
        t = self.peek()
        if t.kind != "EOF":
            raise self._unexpected(t)
        return node

    def _unexpected(self, t: Tok) -> QueryError:
        if t.kind == "RPAREN":
            return QueryError(f"unbalanced parenthesis at position {t.pos}: ')' has no matching '('", t.pos)
        if t.kind in ("RBRACK", "RBRACE"):
            return QueryError(f"'{t.text}' at position {t.pos} closes no date range", t.pos)
        return QueryError(f"unexpected '{t.text}' at position {t.pos}", t.pos)

    def parse_or(self, ctx: str | None) -> Node:
        first = self.peek()
        if first.kind == "OR" or first.kind == "AND":
            raise QueryError(f"{first.kind} at position {first.pos} has nothing before it", first.pos)
        parts = [self.parse_and(ctx)]
        while self.peek().kind == "OR":
            op = self.take()
            if self.peek().kind in ("EOF", "RPAREN", "OR", "AND"):
                raise QueryError(f"OR at position {op.pos} has nothing after it", op.pos)
            parts.append(self.parse_and(ctx))
        return parts[0] if len(parts) == 1 else Or(parts[0].pos, tuple(parts))

    def parse_and(self, ctx: str | None) -> Node:
        parts = [self.parse_not(ctx)]
        while True:
            t = self.peek()
            if t.kind in ("EOF", "OR", "RPAREN", "RBRACK", "RBRACE"):
                break
            if t.kind == "AND":
                self.take()
                if self.peek().kind in ("EOF", "RPAREN", "OR", "AND"):
                    raise QueryError(f"AND at position {t.pos} has nothing after it", t.pos)
            parts.append(self.parse_not(ctx))
        return parts[0] if len(parts) == 1 else And(parts[0].pos, tuple(parts))

    def parse_not(self, ctx: str | None) -> Node:
        t = self.peek()
        if t.kind == "NOT":
            self.take()
            if self.peek().kind in ("EOF", "RPAREN", "OR", "AND"):
                raise QueryError(f"NOT at position {t.pos} has nothing after it", t.pos)
            self._nested(t.pos)
            child = self.parse_not(ctx)
            self.depth -= 1
            return Not(t.pos, child)
        return self.parse_prox(ctx)

    def parse_prox(self, ctx: str | None) -> Node:
        node = self.parse_unary(ctx)
        while self.peek().kind == "PROX":
            op = self.take()
            if self.peek().kind in ("EOF", "RPAREN", "OR", "AND", "PROX"):
                raise QueryError(f"'{op.text}' at position {op.pos} has nothing after it", op.pos)
            right = self.parse_unary(ctx)
            distance, ordered = op.value
            near = Near(op.pos, node, right, distance, ordered)
            _check_near(near)
            node = near
        return node

    def parse_unary(self, ctx: str | None) -> Node:
        t = self.peek()
        if t.kind == "PROX":
            raise QueryError(f"'{t.text}' at position {t.pos} has nothing before it", t.pos)
        if t.kind == "LPAREN":
            self.take()
            if self.peek().kind == "RPAREN":
                raise QueryError(f"empty parentheses at position {t.pos}", t.pos)
            self._nested(t.pos)
            node = self.parse_or(ctx)
            self.depth -= 1
            close = self.peek()
            if close.kind != "RPAREN":  # _check_parens guarantees one exists further on
                raise self._unexpected(close)
            self.take()
            return node
        if t.kind == "FIELD":
            self.take()
            nxt = self.peek()
            if nxt.kind in ("EOF", "RPAREN", "OR", "AND", "PROX"):
                raise QueryError(f"field prefix '{t.text}' at {t.pos} has nothing after it", t.pos)
            if nxt.kind == "FIELD":
                raise QueryError(f"field prefix '{nxt.text}' at {nxt.pos} follows another prefix", nxt.pos)
            return self.parse_unary(t.value)
        if t.kind == "DATECMP":
            self.take()
            return self._date_compare(t)
        if t.kind in ("LBRACK", "LBRACE"):
            if ctx is None or FIELDS[ctx].kind != "date":
                raise QueryError(
                    f"'{t.text}' at position {t.pos}: a range needs a date prefix, e.g. pd:[2015 TO 2018]", t.pos
                )
            return self._date_range(ctx)
        if t.kind in ("WORD", "PHRASE"):
            self.take()
            return self._leaf(t, ctx)
        if t.kind == "NOT":
            raise QueryError(f"NOT at position {t.pos} cannot stand here; write 'a NOT b' or 'a AND NOT b'", t.pos)
        raise self._unexpected(t)

    # -- leaves
    def _leaf(self, t: Tok, ctx: str | None) -> Node:
        text = t.text.strip()
        if t.kind == "PHRASE" and not text:
            raise QueryError(f"empty phrase at position {t.pos}", t.pos)
        spec = FIELDS[ctx] if ctx else None
        if spec is None or spec.kind == "text":
            return Text(t.pos, spec.fields if spec else DEFAULT_FIELDS, text, t.kind == "PHRASE", ctx)
        if spec.kind in ("ipc", "cpc"):
            return self._symbol(t, ctx or "ipc", text)
        if spec.kind == "date":
            lo, hi = self._period(text, t.pos)
            return DateRange(t.pos, ctx or "pd", lo, hi)
        prefix = text.endswith("*")
        value = text.rstrip("*")
        if "*" in value or "?" in value:
            raise QueryError(f"'{ctx}:' at {t.pos} takes only a trailing '*'", t.pos)
        if not value:
            raise QueryError(f"'{ctx}:' at {t.pos} needs a value", t.pos)
        if spec.kind == "number":
            norm = normalize_number(value)
            if not norm:
                raise QueryError(f"'{text}' at position {t.pos} is not a publication or application number", t.pos)
            value = norm
        else:
            value = unicodedata.normalize("NFKC", value).upper()
        return Keyword(t.pos, ctx or "pn", value, prefix)

    def _symbol(self, t: Tok, fld: str, text: str) -> Node:
        # "ipc:G06F 17/30" typed without quotes: take the group that follows the subclass
        if t.kind == "WORD" and _SUBCLASS.fullmatch(text):
            nxt = self.peek()
            if nxt.kind == "WORD" and nxt.pos == t.end + 1 and _GROUP.fullmatch(nxt.text):
                self.take()
                text = f"{text} {nxt.text}"
        raw = text.rstrip("*").rstrip("/").strip()
        try:
            if fld == "cpc" and raw[:1] in "Yy":
                sym = "Y" + normalize_ipc("A" + raw[1:])[1:]
            else:
                sym = normalize_ipc(raw)
        except ValueError as exc:
            sugg = self.ipc.suggest(raw) if self.ipc and fld == "ipc" else []
            hint = f"; nearest: {', '.join(sugg)}" if sugg else ""
            reason = str(exc).split(" (", 1)[-1].rstrip(")") if "(" in str(exc) else "not an IPC symbol"
            raise QueryError(
                f"'{text}' at position {t.pos} is not an {fld.upper()} symbol ({reason}){hint}", t.pos, sugg
            ) from None
        if fld == "ipc" and self.ipc is not None and not self.ipc.exists(sym):
            if self.ipc.indexed(fld, sym):
                self.warnings.append(
                    f"IPC symbol '{sym}' at position {t.pos} is not in the current IPC edition; "
                    "searching the documents classified under it"
                )
            else:
                sugg = self.ipc.suggest(sym)
                hint = f"; nearest: {', '.join(sugg)}" if sugg else ""
                raise QueryError(f"IPC symbol '{sym}' at position {t.pos} does not exist{hint}", t.pos, sugg)
        return Symbol(t.pos, fld, sym)

    def _date(self, text: str, pos: int) -> tuple[dt.date, dt.date]:
        """The first and last day a written date stands for (a year, a month or a day)."""
        s = unicodedata.normalize("NFKC", text).strip()
        m = _DATE_RE.fullmatch(s)
        if not m:
            raise QueryError(f"malformed date '{text}' at position {pos}: write YYYY, YYYY-MM or YYYY-MM-DD", pos)
        y, mo, d = int(m.group(1)), m.group(2), m.group(3)
        if y < 1700:
            raise QueryError(f"date '{text}' at position {pos} is before any patent document", pos)
        try:
            if d is not None:
                first = last = dt.date(y, int(mo), int(d))
            elif mo is not None:
                first = dt.date(y, int(mo), 1)
                last = (dt.date(y + (int(mo) == 12), int(mo) % 12 + 1, 1)) - dt.timedelta(days=1)
            else:
                first, last = dt.date(y, 1, 1), dt.date(y, 12, 31)
        except ValueError as exc:
            raise QueryError(f"malformed date '{text}' at position {pos}: {exc}", pos) from None
        if first > self.today:
            raise QueryError(f"date '{text}' at position {pos} is in the future (today is {self.today})", pos)
        return first, last

    def _period(self, text: str, pos: int) -> tuple[dt.date | None, dt.date | None]:
        if text[:2] in ("<=", ">=") or text[:1] in "<>=":
            op = text[:2] if text[:2] in ("<=", ">=") else text[:1]
            return self._bounds(op, text[len(op) :], pos + len(op))
        return self._date(text, pos)

    def _bounds(self, op: str, value: str, pos: int) -> tuple[dt.date | None, dt.date | None]:
        if not value.strip():
            raise QueryError(f"'{op}' at position {pos - len(op)} needs a date after it", pos - len(op))
        first, last = self._date(value, pos)
        one = dt.timedelta(days=1)
        return {
            "<": (None, first - one),
            "<=": (None, last),
            ">": (last + one, None),
            ">=": (first, None),
            "=": (first, last),
        }[op]

    def _date_compare(self, t: Tok) -> Node:
        fld, op = t.value
        nxt = self.peek()
        if nxt.kind != "WORD":
            raise QueryError(f"'{t.text.strip()}' at position {t.pos} needs a date after it", t.pos)
        self.take()
        lo, hi = self._bounds(op, nxt.text, nxt.pos)
        return DateRange(t.pos, fld, lo, hi)

    def _date_range(self, fld: str) -> Node:
        open_ = self.take()
        words: list[Tok] = []
        while self.peek().kind == "WORD":
            words.append(self.take())
        close = self.peek()
        if close.kind not in ("RBRACK", "RBRACE"):
            raise QueryError(
                f"date range at position {open_.pos} is not closed: write {fld}:[2015-01-01 TO 2018-12-31]",
                open_.pos,
            )
        self.take()
        if len(words) != 3 or words[1].text.upper() != "TO":
            raise QueryError(
                f"malformed date range at position {open_.pos}: write {fld}:[2015-01-01 TO 2018-12-31]", open_.pos
            )
        lo_w, hi_w = words[0], words[2]
        lo = None if lo_w.text == "*" else self._date(lo_w.text, lo_w.pos)
        hi = None if hi_w.text == "*" else self._date(hi_w.text, hi_w.pos)
        if lo is None and hi is None:
            raise QueryError(f"date range at position {open_.pos} is open on both sides", open_.pos)
        lo_d = None if lo is None else (lo[0] if open_.kind == "LBRACK" else lo[1] + dt.timedelta(days=1))
        hi_d = None if hi is None else (hi[1] if close.kind == "RBRACK" else hi[0] - dt.timedelta(days=1))
        if lo_d and hi_d and lo_d > hi_d:
            raise QueryError(f"date range at position {open_.pos} is empty: {lo_d} is after {hi_d}", open_.pos)
        return DateRange(open_.pos, fld, lo_d, hi_d)


def _check_near(node: Near) -> None:
    """Proximity joins words, phrases, truncations, OR-groups of them and proximities, in one field."""
    fields: set[tuple[str, ...]] = set()

    def walk(n: Node) -> None:
        if isinstance(n, Text):
            fields.add(n.fields)
        elif isinstance(n, Or):
            for c in n.children:
                walk(c)
        elif isinstance(n, Near):
            walk(n.left)
            walk(n.right)
        else:
            what = {And: "an AND", Not: "a NOT", Symbol: "a classification", Keyword: "a code", DateRange: "a date"}
            raise QueryError(
                f"{'W' if node.ordered else 'NEAR'}/{node.distance} at position {node.pos} can only join words, "
                f"phrases, truncations and OR-groups of them; found {what.get(type(n), 'another term')} "
                f"at position {n.pos}",
                node.pos,
            )

    walk(node.left)
    walk(node.right)
    if len(fields) > 1:
        raise QueryError(
            f"{'W' if node.ordered else 'NEAR'}/{node.distance} at position {node.pos} joins terms of different "
            "fields; put the prefix before the whole expression, e.g. ti:(battery W/3 electrode)",
            node.pos,
        )


def parse(query: str, ipc: IpcChecker | None = None, today: dt.date | None = None) -> ParsedQuery:
    """Parse an examiner query; raises QueryError (with the position) when it is malformed.

    A query longer than `MAX_QUERY_CHARS` is cut at the last word boundary before the limit outside
    a phrase (its open parentheses closed, a dangling operator dropped), with a warning."""
    if query is None or not query.strip():
        raise QueryError("empty query: nothing to search for", 0)
    warnings: list[str] = []
    if len(query) > MAX_QUERY_CHARS:
        trimmed = _trim(query, MAX_QUERY_CHARS)
        warnings.append(
            f"the query is {len(query)} characters long; only its first {len(trimmed)} "
            f"(at most {MAX_QUERY_CHARS}) were searched"
        )
        query = trimmed
        if not query.strip():
            raise QueryError("the query is too long and has no word boundary to cut it at", 0)
    p = _Parser(_lex(query), query, ipc, today or dt.date.today())
    ast = p.parse()
    return ParsedQuery(ast, query, warnings + p.warnings)


# --------------------------------------------------------------------------- compiling

Layout = tuple[tuple[int, str, bool], ...]  # (offset, term or regex, is_regex)


class Compiler:
    """AST -> tantivy Query over an index of `search.index`'s schema.

    Text leaves are analyzed here exactly as the indexer analyzed the documents. Proximity is exact:
    tantivy's phrase query with explicit word offsets matches only those offsets (with ``slop`` s it
    matches an offset within s of them, either direction), so W/n becomes the phrase queries whose
    offsets are 1..n apart, NEAR/n those of both orders."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.warnings: list[str] = []

    def compile(self, node: Node) -> Any:
        from tantivy import Query

        q = self._node(node)
        if q is None:
            raise QueryError("nothing to search for: the query has no searchable word", node.pos)
        return q if q is not _ALL else Query.all_query()

    # -- dispatch
    def _node(self, node: Node) -> Any:
        if isinstance(node, Text):
            return self._text(node)
        if isinstance(node, Symbol):
            return self._const(self._term(node.field, node.symbol))
        if isinstance(node, Keyword):
            return self._const(self._keyword(node))
        if isinstance(node, DateRange):
            return self._const(self._date(node))
        if isinstance(node, And):
            return self._and(node)
        if isinstance(node, Or):
            return self._or(node)
        if isinstance(node, Not):
            return self._not(node)
        if isinstance(node, Near):
            return self._near(node)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    # -- leaves
    def _term(self, field_name: str, value: str) -> Any:
        from tantivy import Query

        return Query.term_query(self.schema, field_name, value)

    def _const(self, q: Any) -> Any:
        from tantivy import Query

        return Query.const_score_query(q, 1.0)

    def _patterns(self, node: Text) -> list[tuple[str, bool]]:
        if "*" in node.text or "?" in node.text:
            if not any(ch.isalnum() for ch in node.text):
                raise QueryError(f"'{node.text}' at position {node.pos}: a lone wildcard matches everything", node.pos)
            pats = wildcard_patterns(node.text)
        else:
            pats = [(t, False) for t in query_tokens(node.text)]
        return pats

    def _text(self, node: Text) -> Any:
        from tantivy import Query

        pats = self._patterns(node)
        if not pats:
            self.warnings.append(f"'{node.text}' at position {node.pos} has no searchable word; ignored")
            return None
        layout = tuple((i, p, rx) for i, (p, rx) in enumerate(pats))
        per_field = [self._layout_query(f, layout, 0) for f in node.fields]
        if len(per_field) == 1:
            return per_field[0]
        return Query.boolean_query(
            [
                (_occur("should"), Query.boost_query(q, BOOSTS.get(f, 1.0)))
                for f, q in zip(node.fields, per_field, strict=True)
            ]
        )

    def _layout_query(self, field_name: str, layout: Layout, slop: int) -> Any:
        from tantivy import Query

        if len(layout) == 1 and slop == 0:
            _off, p, rx = layout[0]
            return Query.regex_query(self.schema, field_name, p) if rx else self._term(field_name, p)
        if any(rx for _o, _p, rx in layout):
            words = [(o, p if rx else re.escape(p)) for o, p, rx in layout]
            return Query.regex_phrase_query(self.schema, field_name, words, slop)
        return Query.phrase_query(self.schema, field_name, [(o, p) for o, p, _rx in layout], slop)

    def _keyword(self, node: Keyword) -> Any:
        from tantivy import Query

        if node.prefix_match:
            return Query.regex_query(self.schema, node.field, re.escape(node.value) + ".*")
        return self._term(node.field, node.value)

    def _date(self, node: DateRange) -> Any:
        from tantivy import FieldType, Query

        def at(d: dt.date | None) -> dt.datetime | None:
            return None if d is None else dt.datetime(d.year, d.month, d.day)

        return Query.range_query(self.schema, node.field, FieldType.Date, at(node.lo), at(node.hi))

    # -- boolean
    def _and(self, node: And) -> Any:
        from tantivy import Query

        clauses = []
        positive = False
        for c in node.children:
            if isinstance(c, Not):
                q = self._node(c.child)
                if q is not None and q is not _ALL:
                    clauses.append((_occur("must_not"), q))
                continue
            q = self._node(c)
            if q is None:
                continue
            if q is _ALL:
                positive = True
                continue
            clauses.append((_occur("must"), q))
            positive = True
        if not clauses:
            return _ALL if positive else None
        if not any(o == _occur("must") for o, _q in clauses):
            clauses.append((_occur("must"), Query.all_query()))
        return Query.boolean_query(clauses)

    def _or(self, node: Or) -> Any:
        from tantivy import Query

        qs = [self._node(c) for c in node.children]
        if any(q is _ALL for q in qs):
            return _ALL
        qs = [q for q in qs if q is not None]
        if not qs:
            return None
        return qs[0] if len(qs) == 1 else Query.boolean_query([(_occur("should"), q) for q in qs])

    def _not(self, node: Not) -> Any:
        from tantivy import Query

        q = self._node(node.child)
        if q is None:
            return None
        if q is _ALL:
            return Query.empty_query()
        return Query.boolean_query([(_occur("must"), Query.all_query()), (_occur("must_not"), q)])

    # -- proximity
    def _alternatives(self, node: Node) -> list[Layout]:
        if isinstance(node, Text):
            pats = self._patterns(node)
            if not pats:
                raise QueryError(f"'{node.text}' at position {node.pos} has no searchable word", node.pos)
            return [tuple((i, p, rx) for i, (p, rx) in enumerate(pats))]
        if isinstance(node, Or):
            return [alt for c in node.children for alt in self._alternatives(c)]
        if isinstance(node, Near):
            return self._combine(node, self._alternatives(node.left), self._alternatives(node.right))
        raise QueryError(f"unexpected term at position {node.pos} inside a proximity", node.pos)  # pragma: no cover

    def _combine(self, node: Near, left: list[Layout], right: list[Layout]) -> list[Layout]:
        out: list[Layout] = []
        for a in left:
            for b in right:
                for first, second in ((a, b),) if node.ordered else ((a, b), (b, a)):
                    end = max(o for o, _p, _r in first)
                    for d in range(1, node.distance + 1):
                        shift = end + d
                        out.append(first + tuple((o + shift, p, r) for o, p, r in second))
                        if len(out) > MAX_LAYOUTS:
                            raise QueryError(
                                f"the proximity at position {node.pos} expands to more than {MAX_LAYOUTS} word "
                                "layouts; use smaller distances or fewer alternatives",
                                node.pos,
                            )
        return out

    def _near(self, node: Near) -> Any:
        from tantivy import Query

        fields = _near_fields(node)
        left, right = self._alternatives(node.left), self._alternatives(node.right)
        queries = []
        for f in fields:
            for a in left:
                for b in right:
                    if len(a) == 1 and len(b) == 1:
                        # one word each side: a window of offsets is one or two sloppy phrase queries
                        pairs = [(a[0], b[0])] if node.ordered else [(a[0], b[0]), (b[0], a[0])]
                        for x, y in pairs:
                            for lo, hi in _windows(node.distance):
                                m, slop = (lo + hi) // 2, (hi - lo) // 2
                                queries.append(self._layout_query(f, ((0, x[1], x[2]), (m, y[1], y[2])), slop))
                    else:
                        for lay in self._combine(node, [a], [b]):
                            queries.append(self._layout_query(f, lay, 0))
                    if len(queries) > MAX_LAYOUTS:
                        raise QueryError(
                            f"the proximity at position {node.pos} expands to more than {MAX_LAYOUTS} phrase "
                            "queries; use smaller distances or fewer alternatives",
                            node.pos,
                        )
        if len(queries) == 1:
            return queries[0]
        return Query.boolean_query([(_occur("should"), q) for q in queries])


def _windows(n: int) -> list[tuple[int, int]]:
    """Split offsets 1..n into windows of odd size (lo, hi): each is one phrase query with slop."""
    return [(1, n)] if n % 2 == 1 else [(1, n - 1), (n, n)]


def _near_fields(node: Node) -> tuple[str, ...]:
    if isinstance(node, Text):
        return node.fields
    if isinstance(node, Or):
        return _near_fields(node.children[0])
    if isinstance(node, Near):
        return _near_fields(node.left)
    return DEFAULT_FIELDS  # pragma: no cover


_ALL = object()  # "matches everything" (a NOT-only conjunction), resolved at the end


def _occur(name: str) -> Any:
    from tantivy import Occur

    return {"must": Occur.Must, "should": Occur.Should, "must_not": Occur.MustNot}[name]


def highlight_terms(node: Node) -> dict[str, tuple[set[str], list[re.Pattern[str]]]]:
    """Per index field, the terms and patterns of the query's positive text leaves (for highlights)."""
    out: dict[str, tuple[set[str], list[re.Pattern[str]]]] = {}

    def add(n: Node, negated: bool) -> None:
        if isinstance(n, Text):
            if negated:
                return
            pats = wildcard_patterns(n.text) if ("*" in n.text or "?" in n.text) else None
            for f in n.fields:
                terms, rxs = out.setdefault(f, (set(), []))
                if pats is None:
                    terms.update(query_tokens(n.text))
                else:
                    for p, rx in pats:
                        if rx:
                            rxs.append(re.compile(p))
                        else:
                            terms.add(p)
        elif isinstance(n, (And, Or)):
            for c in n.children:
                add(c, negated)
        elif isinstance(n, Not):
            add(n.child, not negated)
        elif isinstance(n, Near):
            add(n.left, negated)
            add(n.right, negated)

    add(node, False)
    return out
