"""The examiner query language: what each construct parses to, and errors that say what and where.

Pure parsing (no store, no index); what the queries find is tested on real documents in
test_index.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ipoffice.search.analysis import fold, query_tokens, wildcard_patterns
from ipoffice.search.query import (
    MAX_QUERY_CHARS,
    And,
    DateRange,
    IpcChecker,
    Keyword,
    Near,
    Not,
    Or,
    QueryError,
    Symbol,
    Text,
    parse,
)

TODAY = dt.date(2026, 11, 26)


def ast(q: str):
    return parse(q, today=TODAY).ast


@pytest.mark.parametrize(
    "query, rendered",
    [
        ("battery electrode", "(battery AND electrode)"),
        ("battery AND electrode", "(battery AND electrode)"),
        ("battery and electrode", "(battery AND electrode)"),
        ("battery OR cell", "(battery OR cell)"),
        ("battery NOT fuel", "(battery AND NOT fuel)"),
        ("a OR b c", "(a OR (b AND c))"),  # AND binds tighter than OR
        ("(a OR b) c", "((a OR b) AND c)"),
        ("NOT a", "NOT a"),
        ('"lithium battery"', '"lithium battery"'),
        ("comput*", "comput*"),
        ("battery W/3 electrode", "(battery W/3 electrode)"),
        ("battery near/5 electrode", "(battery NEAR/5 electrode)"),
        ("a W/2 b OR c", "((a W/2 b) OR c)"),  # proximity binds tighter than OR
        ("(a OR b) W/2 c", "((a OR b) W/2 c)"),
        ("a W/1 b NEAR/4 c", "((a W/1 b) NEAR/4 c)"),
        ("电池 W/3 电极", "(电池 W/3 电极)"),
        ("ti:edging", "ti:edging"),
        ("ti:(a OR b)", "(ti:a OR ti:b)"),
        ("ti:(a W/3 b)", "(ti:a W/3 ti:b)"),
        ("ab:电池 cl:电极 desc:x ft:y pa:华为 in:smith ag:专利", None),
        ("ipc:G06F17", 'ipc:"G06F 17/00"'),
        ('ipc:"G06F 17/30"', 'ipc:"G06F 17/30"'),
        ("ipc:G06F 17/30", 'ipc:"G06F 17/30"'),  # typed without quotes
        ("ipc:g06f0017300000", 'ipc:"G06F 17/30"'),
        ("ipc:G06F*", "ipc:G06F"),
        ("cpc:Y02E10", 'cpc:"Y02E 10/00"'),
        ("pn:US8087209B2", "pn:8087209"),
        ("pn:US 8,087,209 B2", None),
        ("pn:CN1019*", "pn:1019*"),
        ("cc:cn", "cc:CN"),
        ("kd:b2", "kd:B2"),
        ("pd<2019-01-01", "pd:[* TO 2018-12-31]"),
        ("pd<=2018", "pd:[* TO 2018-12-31]"),
        ("pd>2018-06", "pd:[2018-07-01 TO *]"),
        ("pd>=2015", "pd:[2015-01-01 TO *]"),
        ("pd = 2019-02", "pd:[2019-02-01 TO 2019-02-28]"),
        ("pd:2019", "pd:[2019-01-01 TO 2019-12-31]"),
        ("pd:20190315", "pd:[2019-03-15 TO 2019-03-15]"),
        ("ad:[2015-01-01 TO 2018-12-31]", "ad:[2015-01-01 TO 2018-12-31]"),
        ("ad:{2015 TO 2018}", "ad:[2016-01-01 TO 2017-12-31]"),
        ("pr:[2015 TO *]", "pr:[2015-01-01 TO *]"),
        ("gd:>=2020", "gd:[2020-01-01 TO *]"),
        ("pd:(2019 OR 2021)", "(pd:[2019-01-01 TO 2019-12-31] OR pd:[2021-01-01 TO 2021-12-31])"),
        ("ti：（电池 OR 电极）", "(ti:电池 OR ti:电极)"),  # full-width punctuation
        ("“锂离子电池”", '"锂离子电池"'),  # curly quotes
    ],
)
def test_constructs(query, rendered):
    node = ast(query)
    if rendered is not None:
        assert str(node) == rendered


def test_ast_types_and_positions():
    q = 'ti:battery W/3 ti:electrode AND NOT ipc:H01M OR "a b" pd>=2015 pn:08087209'
    node = ast(q)
    assert isinstance(node, Or)
    left, right = node.children
    assert isinstance(left, And) and isinstance(right, And)
    near, neg = left.children
    assert isinstance(near, Near) and near.ordered and near.distance == 3 and near.pos == 11
    assert isinstance(near.left, Text) and near.left.fields == ("ti",) and near.left.pos == 3  # the word
    assert isinstance(neg, Not) and isinstance(neg.child, Symbol) and neg.child.symbol == "H01M"
    phrase, date, number = right.children
    assert isinstance(phrase, Text) and phrase.phrase and phrase.pos == q.index('"a b"')
    assert isinstance(date, DateRange) and date.lo == dt.date(2015, 1, 1) and date.hi is None
    assert isinstance(number, Keyword) and number.value == "8087209"


def test_default_fields_are_title_abstract_claims():
    node = ast("battery")
    assert isinstance(node, Text) and node.fields == ("ti", "ab", "cl")
    assert ast("ft:battery").fields == ("ti", "ab", "cl", "desc")
    assert ast("in:smith").fields == ("inv",)


@pytest.mark.parametrize(
    "query, message, position",
    [
        ("", "empty query", 0),
        ("   \t ", "empty query", 0),
        ("xx:foo", "unknown field prefix 'xx:' at 0", 0),
        ("battery AND zz:(a)", "unknown field prefix 'zz:' at 12", 12),
        ("ti:(edging", "unbalanced parenthesis at position 3", 3),
        ("(a OR (b AND c)", "unbalanced parenthesis at position 0", 0),
        ("a OR b)", "unbalanced parenthesis at position 6", 6),
        ('ti:"edging rail', "unbalanced quote at position 3", 3),
        ("a AND", "AND at position 2 has nothing after it", 2),
        ("OR a", "OR at position 0 has nothing before it", 0),
        ("a OR", "OR at position 2 has nothing after it", 2),
        ("a NOT", "NOT at position 2 has nothing after it", 2),
        ("()", "empty parentheses at position 0", 0),
        ('""', "empty phrase at position 0", 0),
        ("ti:", "field prefix 'ti:' at 0 has nothing after it", 0),
        ("a W/0 b", "needs a distance from 1 to 100", 2),
        ("a NEAR/101 b", "needs a distance from 1 to 100", 2),
        ("a W/ b", "needs a distance", 2),
        ("W/3 b", "has nothing before it", 0),
        ("a W/3", "has nothing after it", 2),
        ("(a AND b) W/3 c", "can only join words", 10),
        ("a W/3 ipc:H01M", "found a classification at position 10", 2),
        ("ti:a W/3 ab:b", "joins terms of different fields", 5),
        ("pd<2019-13-01", "malformed date '2019-13-01' at position 3", 3),
        ("pd:2019-02-30", "malformed date '2019-02-30' at position 3", 3),
        ("pd:yesterday", "malformed date 'yesterday' at position 3", 3),
        ("pd>=2031", "date '2031' at position 4 is in the future", 4),
        ("ad:[2015 TO 2099-01-01]", "is in the future", 12),
        ("ad:[2018 TO 2015]", "date range at position 3 is empty", 3),
        ("ad:[2015 2018]", "malformed date range at position 3", 3),
        ("ad:[2015 TO 2018", "date range at position 3 is not closed", 3),
        ("[2015 TO 2018]", "a range needs a date prefix", 0),
        ("pd:1066", "before any patent document", 3),
        ("ipc:XYZ", "'XYZ' at position 4 is not an IPC symbol", 4),
        ("ipc:G06F 1516", None, None),  # the group is not taken: "1516" is then a plain term
        ("pn:---", "is not a publication or application number", 3),
        ("kd:B*2", "'kd:' at 3 takes only a trailing '*'", 3),
    ],
)
def test_errors_say_what_and_where(query, message, position):
    if message is None:
        parse(query, today=TODAY)
        return
    with pytest.raises(QueryError) as exc:
        parse(query, today=TODAY)
    assert message in str(exc.value), str(exc.value)
    if position is not None:
        assert exc.value.position == position


def test_positions_count_characters_as_typed():
    # full-width letters and punctuation are one character each, as on the screen
    with pytest.raises(QueryError) as exc:
        parse("ｔｉ：（电池", today=TODAY)
    assert exc.value.position == 3
    with pytest.raises(QueryError) as exc:
        parse("电池 AND 鋰電池 ＡＮＤ ｘｘ：ａ", today=TODAY)
    assert exc.value.position == 15 and "unknown field prefix 'ｘｘ：' at 15" in str(exc.value)


def test_long_query_is_trimmed_with_a_warning():
    words = " ".join(f"word{i}" for i in range(20_000))  # about 130 KB
    q = f'ti:({words}) AND "a phrase"'
    p = parse(q, today=TODAY)
    assert len(p.query) <= MAX_QUERY_CHARS + 1 and p.query.endswith(")")  # whole words, the group closed
    assert p.warnings and "only its first" in p.warnings[0]
    assert isinstance(p.ast, And) and all(c.fields == ("ti",) for c in p.ast.children)
    p = parse("x " * 4997 + ' "a quoted phrase that is cut" ' + words, today=TODAY)
    assert p.query.endswith("x")  # never inside the phrase
    p = parse("x " * 4998 + "AND (ti:(y", today=TODAY)  # no dangling AND, no empty group
    assert p.query.endswith("x")
    huge = "a" * 200_000  # one 200 KB word: no place to cut
    with pytest.raises(QueryError, match="too long"):
        parse(huge, today=TODAY)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(QueryError, match="nested deeper"):
        parse("(" * 500 + "a" + ")" * 500, today=TODAY)
    with pytest.raises(QueryError, match="nested deeper"):
        parse("NOT " * 500 + "a", today=TODAY)


class _Scheme(IpcChecker):
    def exists(self, symbol):
        return symbol in {"G06F 17/00", "G06F 17/30", "G06F 9/00", "G06F"}

    def suggest(self, text):
        return ["G06F 17/00", "G06F 9/00"]

    def indexed(self, field, symbol):
        return symbol == "G06F 17/99"


def test_ipc_symbols_checked_against_the_scheme():
    assert str(parse("ipc:G06F17", _Scheme(), TODAY).ast) == 'ipc:"G06F 17/00"'
    with pytest.raises(QueryError) as exc:
        parse("battery AND ipc:G06F18", _Scheme(), TODAY)
    assert "IPC symbol 'G06F 18/00' at position 16 does not exist; nearest: G06F 17/00, G06F 9/00" in str(exc.value)
    assert exc.value.suggestions == ["G06F 17/00", "G06F 9/00"]
    # not in the edition, but documents carry it (an older edition): searched, with a warning
    p = parse('ipc:"G06F 17/99"', _Scheme(), TODAY)
    assert p.warnings and "not in the current IPC edition" in p.warnings[0]
    with pytest.raises(QueryError, match="nearest: G06F 17/00"):
        parse("ipc:G06Fxx", _Scheme(), TODAY)


def test_analysis_folds_width_case_and_script():
    assert query_tokens("ＥＤＧＩＮＧ Rails") == query_tokens("edging rail") == ["edg", "rail"]
    assert query_tokens("鋰離子電池") == query_tokens("锂离子电池")
    assert fold("Ｆｕｌｌ－ｗｉｄｔｈ")[0] == "full-width"
    assert fold("½ inch")[1] is not None  # an expanding character keeps offsets mapped
    assert wildcard_patterns("comput*") == [("=?comput.*", True)]
    assert wildcard_patterns("电池*") == [("电池.*", True)]
    assert wildcard_patterns("li-ion*") == [("li", False), ("=?ion.*", True)]
