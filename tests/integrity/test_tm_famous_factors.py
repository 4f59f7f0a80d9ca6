"""The factors of the famous-mark copying score (T4/T6), each pinned to an example: the reputed name's
distinctiveness (guideline 下编第五章 3.2.1), the closeness of the copy (Art. 13; 5.1.9, 5.1.12-5.1.14, 5.1.16) and the
goods (Art. 13(2)/(3), Art. 32). The weights are the T4 thresholds of the rules file."""

from __future__ import annotations

import datetime as dt

import pytest

from ipoffice.integrity.rules import default_rules
from ipoffice.integrity.tm_corpus import Filing
from ipoffice.integrity.tm_reference import RefMark, distinctiveness
from ipoffice.integrity.trademark_signals import _closeness, _compare, _goods, _name_factor


@pytest.fixture(scope="module")
def th():
    return dict(default_rules().in_force("T4", dt.date(2021, 6, 1)).thresholds)


@pytest.mark.parametrize(
    "name,level",
    [
        ("Kodak", "invented"),  # CC-CEDICT writes it capitalised: a brand, not a word
        ("Starbucks", "invented"),
        ("METRO", "dictionary"),
        ("Jaguar", "dictionary"),
        ("ERGO", "short"),
        ("苹果", "dictionary"),  # ping2 guo3: a common word
        ("星巴克", "invented"),
        ("New Balance", "invented"),  # a phrase
    ],
)
def test_distinctiveness(name, level):
    assert distinctiveness(name).level == level


def _close(mark, name, th):
    return _closeness(mark, name, _compare(mark, name, dt.date(2021, 6, 1)), th)


def test_closeness_kinds(th):
    assert _close("STARBUCKS", "Starbucks", th)[:2] == ("identical", 1.0)
    assert _close("STARBUCK5", "Starbucks", th)[0] == "look-alike characters"
    assert _close("STARBUCKS STORE", "Starbucks", th)[0] == "name plus descriptive words"
    assert _close("肯德基坊", "肯德基", th)[0] == "name plus descriptive words"  # not a character changed (5.1.7)
    assert _close("Corsairfly", "Corsair", th)[0] == "name inside a longer mark"
    kind, long_, _ = _close("STARBUKS", "Starbucks", th)
    assert kind == "letters changed" and long_ > 0.85  # one letter of nine
    assert _close("Nikan", "Nikon", th)[1] < long_  # one letter of five weighs more
    assert _close("RZAER", "Razer", th)[:2] == ("letters changed", 0.8)  # adjacent letters swapped: one change
    assert _close("ALIBABAA", "Alibaba", th)[0] == "letters changed"  # a letter added is 5.1.9, not containment
    assert _close("NICO", "Nicon", th)[1] < th["flag"]  # the variant is a short string of its own
    assert _close("bol.com", "BOCOM", th)[0] == "similar"  # a letter inserted across a word boundary is not 5.1.9


def test_name_factor(th):
    assert _name_factor("letters changed", "invented", th) == 1.0
    assert _name_factor("letters changed", "dictionary", th) == th["weak_name"]
    assert _name_factor("identical", "dictionary", th) == 1.0
    assert _name_factor("name plus descriptive words", "short", th) == 1.0
    assert _name_factor("name plus descriptive words", "dictionary", th) == 1.0  # 小米专卖店
    assert _name_factor("name inside a longer mark", "dictionary", th) == th["weak_name"]
    assert _name_factor("letters changed", "short", th) == th["weak_name"]


def _f(classes):
    return Filing(1, "X1", "X", dt.date(2021, 6, 1), "filed", None, set(classes))


def test_goods_factor(th):
    ref = RefMark("Porsche", ("保时捷", "Porsche"), ("porsche",), frozenset({12, 37, 35}), "famous", "brand7")
    assert _goods(_f({12}), ref, 0.9, "invented", th) == ("same or similar goods", th["goods_same"])
    assert _goods(_f({35}), ref, 0.9, "invented", th)[0] == "retail / advertising only"
    assert _goods(_f(set()), ref, 0.9, "invented", th)[0] == "no goods on the register"
    assert _goods(_f({21}), ref, 0.9, "invented", th)[1] == th["cross_class"]  # Art. 13(3): close copy
    assert _goods(_f({21}), ref, 0.7, "invented", th)[1] == th["cross_class_weak"]
    assert _goods(_f({21}), ref, 1.0, "dictionary", th)[1] == th["cross_class_weak"]


def test_lookalike_digits_find_the_famous_name():
    from ipoffice.integrity.tm_reference import marks_index

    assert "SOHU" in {n.upper() for _r, n in marks_index().candidates("S0HU")}  # found though no key is shared
