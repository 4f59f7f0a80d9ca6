"""IPC symbol parsing and normalising (ipoffice.core.ipc)."""

from __future__ import annotations

import pytest

from ipoffice.core.ipc import (
    ipc_ancestors,
    ipc_compact,
    ipc_level,
    ipc_like_pattern,
    ipc_mcd,
    ipc_parent,
    ipc_sort_key,
    is_ipc_prefix,
    normalize_ipc,
)


@pytest.mark.parametrize(
    "raw",
    [
        "G06F17/30",
        "G06F 17/30",
        "G06F  17/30",
        "G06F   17/30",
        "G06F0017300000",
        "g06f17/30",
        "g06f 17/30",
        "Ｇ０６Ｆ　１７／３０",
        "Ｇ０６Ｆ１７／３０",
        "G06F 17/30 (2006.01)",
        "G06F17/30(2006.01)",
        "G06F17/30（2006.01）",
        "G06F 17/30 [2006.01]",
        "G06F17/30(2006.01)I",
        "G06F 17/30;",
        " G06F 17/30\n",
        "G06F 017/30",
        "G06F 17/300",
        "G06F-17/30",
        "G06F\u00a017/30",
    ],
)
def test_normalize_subgroup_forms(raw: str) -> None:
    assert normalize_ipc(raw) == "G06F 17/30"


@pytest.mark.parametrize(
    ("raw", "canonical", "level"),
    [
        ("G06F17/00", "G06F 17/00", "main-group"),
        ("G06F 17", "G06F 17/00", "main-group"),
        ("G06F17", "G06F 17/00", "main-group"),
        ("G06F17/", "G06F 17/00", "main-group"),
        ("G06F0017000000", "G06F 17/00", "main-group"),
        ("H04N   5/00", "H04N 5/00", "main-group"),
        ("g06f", "G06F", "subclass"),
        ("G06F (2006.01)", "G06F", "subclass"),
        ("G06", "G06", "class"),
        ("g", "G", "section"),
        ("A01B0001020000", "A01B 1/02", "subgroup"),
        ("A01B1/02", "A01B 1/02", "subgroup"),
        ("G06F18/2321", "G06F 18/2321", "subgroup"),
        ("G06F 16/2455", "G06F 16/2455", "subgroup"),
        ("G06F0016245500", "G06F 16/2455", "subgroup"),
        ("G06F 17/3", "G06F 17/30", "subgroup"),  # subgroup digits are a decimal fraction
        ("A43D 999/00", "A43D 999/00", "main-group"),
    ],
)
def test_normalize_levels(raw: str, canonical: str, level: str) -> None:
    assert normalize_ipc(raw) == canonical
    assert ipc_level(raw) == level


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "hello",
        "Z99",
        "Y02E 10/50",
        "G6F",
        "GG06F",
        "G06F 17/30/40",
        "G06F 12345/00",
        "123",
        "G06F17/30x",
        "G06F 17/1234567",
        "G06F 1516",
        "06F17/30",
        "G06F17-30abc",
    ],
)
def test_junk_raises(junk: str) -> None:
    with pytest.raises(ValueError, match="IPC symbol"):
        normalize_ipc(junk)


def test_non_string_raises() -> None:
    with pytest.raises(ValueError):
        normalize_ipc(None)  # type: ignore[arg-type]


def test_ancestors_and_parent() -> None:
    assert ipc_ancestors("G06F17/30") == ["G", "G06", "G06F", "G06F 17/00"]
    assert ipc_ancestors("G06F 17/00") == ["G", "G06", "G06F"]
    assert ipc_ancestors("G06F") == ["G", "G06"]
    assert ipc_ancestors("G06") == ["G"]
    assert ipc_ancestors("G") == []
    assert ipc_parent("G06F0017300000") == "G06F 17/00"
    assert ipc_parent("G") is None


def test_prefix_matching() -> None:
    assert is_ipc_prefix("G06F17", "G06F 17/30")
    assert is_ipc_prefix("ipc:G06F17", "G06F17/30")
    assert is_ipc_prefix("G06F 17", "G06F0017300000")
    assert is_ipc_prefix("G06F 17/00", "G06F 17/00")
    assert is_ipc_prefix("G06F17", "G06F 17/00")
    assert not is_ipc_prefix("G06F17", "G06F 171/00")
    assert not is_ipc_prefix("G06F1", "G06F 17/30")
    assert is_ipc_prefix("G06F1", "G06F 1/16")
    assert is_ipc_prefix("G06F", "G06F 17/30")
    assert is_ipc_prefix("G06", "G06Q 10/00")
    assert is_ipc_prefix("G", "G06Q 10/00")
    assert not is_ipc_prefix("G06F", "G06Q 10/00")
    assert not is_ipc_prefix("H", "G06F 17/30")
    assert is_ipc_prefix("G06F 17/30", "G06F 17/30")
    assert is_ipc_prefix("G06F 17/30", "G06F 17/301")
    assert not is_ipc_prefix("G06F 17/30", "G06F 17/40")
    assert not is_ipc_prefix("G06F17", "not a symbol")
    with pytest.raises(ValueError):
        is_ipc_prefix("junk", "G06F 17/30")


def test_other_forms_and_sorting() -> None:
    assert ipc_compact("G06F 17/30") == "G06F17/30"
    assert ipc_mcd("G06F 17/30") == "G06F0017300000"
    assert ipc_mcd("A01B 1/02") == "A01B0001020000"
    with pytest.raises(ValueError):
        ipc_mcd("G06F")
    assert ipc_like_pattern("G06F") == "G06F%"
    assert ipc_like_pattern("G06F17") == "G06F 17/%"
    assert ipc_like_pattern("G06F 17/30") == "G06F 17/30%"
    syms = ["G06F 17/30", "G06F 3/01", "G06F 17/00", "G06F 17/105", "G06F", "G06F 17/11", "G06F 9/00"]
    assert sorted(syms, key=ipc_sort_key) == [
        "G06F",
        "G06F 3/01",
        "G06F 9/00",
        "G06F 17/00",
        "G06F 17/105",
        "G06F 17/11",
        "G06F 17/30",
    ]
