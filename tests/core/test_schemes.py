"""Classification schemes shipped as data (ipoffice.core.schemes), loaded into in-memory SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from ipoffice.core import schemes as S
from ipoffice.core.tables import Base, SchemeEntry


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[Session, dict[str, int]]]:
    eng = create_engine("sqlite://")
    Base.metadata.create_all(eng)
    with Session(eng) as s:
        counts = S.load_schemes(s)
        yield s, counts
    eng.dispose()


@pytest.fixture()
def session(loaded: tuple[Session, dict[str, int]]) -> Session:
    return loaded[0]


def _count(s: Session, scheme: str, **kw: str) -> int:
    q = select(func.count()).select_from(SchemeEntry).where(SchemeEntry.scheme == scheme)
    for k, v in kw.items():
        q = q.where(getattr(SchemeEntry, k) == v)
    return s.execute(q).scalar_one()


# ---------------------------------------------------------------- data shipped with the package


def test_data_is_inside_the_package() -> None:
    pkg = Path(S.__file__).parent
    assert S.DATA_DIR == pkg / "schemes_data"
    names = {p.name for p in S.DATA_DIR.iterdir()}
    assert {"SOURCES.md", "ipc-2026.01.tsv.gz", "cn-items.tsv.gz", "nice-terms-en.tsv.gz"} <= names
    assert sum(p.stat().st_size for p in S.DATA_DIR.iterdir()) < 4_200_000
    assert "/work/shared" not in Path(S.__file__).read_text(encoding="utf-8")
    assert "licence" in (S.DATA_DIR / "SOURCES.md").read_text(encoding="utf-8").lower()


# ---------------------------------------------------------------- counts


def test_counts(loaded: tuple[Session, dict[str, int]]) -> None:
    s, counts = loaded
    assert set(counts) == set(S.SCHEMES)
    assert 76_000 <= counts["ipc"] <= 79_000
    assert 68_000 <= _count(s, "ipc", level="subgroup") <= 71_000
    assert _count(s, "ipc", level="section") == 8
    assert 640 <= _count(s, "ipc", level="subclass") <= 650
    assert 7_400 <= _count(s, "ipc", level="main-group") <= 7_600
    assert counts["nice"] == 45
    assert 9_900 <= counts["nice-term"] <= 10_100
    assert counts["cn-group"] == 491
    assert 11_500 <= counts["cn-item"] <= 12_300
    assert counts["locarno"] == 32
    assert 4_900 <= counts["locarno-term"] <= 5_000
    for scheme, n in counts.items():
        assert _count(s, scheme, version=S.VERSIONS[scheme]) == n


# ---------------------------------------------------------------- IPC


def test_ipc_real_entries(session: Session) -> None:
    a01b = S.lookup(session, "ipc", "A01B")
    assert a01b is not None
    assert a01b.level == "subclass" and a01b.parent == "A01" and a01b.version == "2026.01"
    assert a01b.title_zh.startswith("农业或林业的整地")
    assert a01b.title_en.startswith("SOIL WORKING IN AGRICULTURE OR FORESTRY")
    assert a01b.extra["heading_zh"] == "农业"
    assert "手动工具" in a01b.extra["notes_zh"]

    assert S.ipc_title(session, "A01B1/02") == "锹；铲"
    assert S.ipc_title(session, "A01B0001020000", lang="en") == "Spades; Shovels"
    assert S.ipc_title(session, "G06F 17/10") == "复杂数学运算的"
    assert S.ipc_title(session, "g06f 16/245") == "查询处理"
    assert S.ipc_title(session, "G06N 3/02", "en") == "Neural networks"
    assert S.ipc_title(session, "G06F 17/30") is None  # moved to G06F 16/00 in 2019
    assert S.ipc_title(session, "not a symbol") is None
    with pytest.raises(ValueError):
        S.ipc_title(session, "A01B", lang="fr")


def test_ipc_hierarchy(session: Session) -> None:
    e = S.lookup(session, "ipc", "A01B 3/22")
    assert e is not None and e.parent == "A01B 3/16" and e.extra["dots"] == 3
    path = [a.symbol for a in S.ancestors(session, "ipc", "A01B 3/22")]
    assert path == ["A", "A01", "A01B", "A01B 3/00", "A01B 3/04", "A01B 3/16"]
    kids = [c.symbol for c in S.children(session, "ipc", "A01B1/00")]
    assert kids == ["A01B 1/02", "A01B 1/06", "A01B 1/16", "A01B 1/20", "A01B 1/22", "A01B 1/24"]
    assert [c.symbol for c in S.children(session, "ipc", "A01B 1/06")] == [
        "A01B 1/08",
        "A01B 1/10",
        "A01B 1/12",
        "A01B 1/14",
    ]
    # every parent exists
    parents = set(session.execute(select(SchemeEntry.parent).where(SchemeEntry.scheme == "ipc")).scalars())
    syms = set(session.execute(select(SchemeEntry.symbol).where(SchemeEntry.scheme == "ipc")).scalars())
    assert parents - {None} <= syms


def test_ipc_english_sources(session: Session) -> None:
    e = S.lookup(session, "ipc", "A01B 1/02")
    assert e.extra["title_en_source"] == "ipc-2023.01"
    old = S.lookup(session, "ipc", "B60C 5/00")
    assert old.version == "2026.01"
    assert old.extra["title_en_source"] == "ipc-1980"
    assert old.title_en.startswith("Inflatable pneumatic tyres")
    assert old.title_zh.startswith("充气轮胎或内胎")


def test_ipc_repaired_and_inferred(session: Session) -> None:
    # "E21B47/02" + title "24" in the PDF parse is the symbol E21B 47/024
    assert S.lookup(session, "ipc", "E21B 47/024") is not None
    inferred = S.lookup(session, "ipc", "E21B 47/02")
    assert inferred is not None and "inferred" in inferred.extra
    assert inferred.title_en == "Determining slope or direction"
    assert S.lookup(session, "ipc", "E21B 47/022").parent == "E21B 47/02"


def test_suggest_ipc(session: Session) -> None:
    got = [e.symbol for e in S.suggest_ipc(session, "G06F 17/30")]
    assert len(got) == 3
    assert got[0] == "G06F 17/40"
    assert all(g.startswith("G06F 17/") for g in got)
    assert [e.symbol for e in S.suggest_ipc(session, "G06F17/35", n=2)] == ["G06F 17/40", "G06F 17/18"]
    # main group that does not exist: nearest main groups of the subclass
    near = [e.symbol for e in S.suggest_ipc(session, "A01B 2/00")]
    assert near[0] in {"A01B 1/00", "A01B 3/00"} and all(x.endswith("/00") for x in near)
    # subclass that does not exist: subclasses of the class
    assert all(e.level == "subclass" and e.symbol.startswith("G06") for e in S.suggest_ipc(session, "G06X 1/00"))
    # existing symbol: itself
    assert [e.symbol for e in S.suggest_ipc(session, "G06F 17/10")] == ["G06F 17/10"]
    # trailing junk is cut off
    assert S.suggest_ipc(session, "G06F17/3x")[0].symbol == "G06F 17/40"
    assert S.suggest_ipc(session, "qqqq") == []


# ---------------------------------------------------------------- Nice


def test_nice(session: Session) -> None:
    c9 = S.lookup(session, "nice", "9")
    assert c9 is not None and c9.symbol == "09" and c9.version == "ncl13"
    assert "computer software" in c9.title_en and "computers" in c9.title_en
    assert c9.title_zh.startswith("科学、研究、导航")
    assert c9.extra["kind"] == "goods" and c9.extra["includes"]
    assert S.lookup(session, "nice", "Class 35").extra["kind"] == "services"
    assert S.lookup(session, "nice", "46") is None
    term = S.lookup(session, "nice-term", "090372")
    assert term.title_en == "computers" and term.parent == "09" and term.title_zh == "计算机"
    kids = S.children(session, "nice", "09")
    assert len(kids) > 500 and all(k.scheme == "nice-term" for k in kids)
    groups = S.children(session, "nice", "09", child_scheme="cn-group")
    assert [g.symbol for g in groups][:3] == ["0901", "0902", "0903"]


# ---------------------------------------------------------------- China's similar-goods table


def test_cn_groups_and_items(session: Session) -> None:
    g = S.lookup(session, "cn-group", "0901")
    assert g is not None and g.title_zh == "电子计算机及其外部设备" and g.parent == "09"
    assert any("跨类似群保护商品" in n for n in g.extra["notes"])
    assert "计算机090372" in g.extra["text"]
    assert S.lookup(session, "cn-group", "0101").title_zh == "工业气体,单质"
    assert S.lookup(session, "cn-group", "0917") is None  # deleted group, absent in the source

    item = S.lookup(session, "cn-item", "090372")
    assert item.title_zh == "计算机" and item.parent == "0901" and item.title_en == "computers"
    assert S.lookup(session, "cn-item", "c090001").title_zh.endswith("计算器袋(套)")
    assert S.lookup(session, "cn-item", "C090001").extra["cn_specific"] is True
    smart = S.lookup(session, "cn-item", "090640")
    assert set(smart.extra["names"]) == {"集成电路卡", "智能卡(集成电路卡)"}
    ink = S.lookup(session, "cn-item", "090810")
    assert ink.extra["groups"] == ["0901", "0903"]
    assert any("跨类似群" in n for n in ink.extra["notes"])

    members = {c.symbol for c in S.children(session, "cn-group", "0903")}
    assert "090810" in members  # listed in 0901 first, also in 0903
    assert len(S.children(session, "cn-group", "0901")) > 100


def test_similar_group_of_item(session: Session) -> None:
    def codes(q: str) -> list[str]:
        return [g.symbol for g in S.similar_group_of_item(session, q)]

    assert codes("计算机") == ["0901"]
    assert codes("090372") == ["0901"]
    assert codes("智能卡（集成电路卡）") == ["0901"]  # full-width brackets, synonym
    assert codes("computers") == ["0901"]
    assert codes("打印机和复印机用未填充的墨盒") == ["0901", "0903"]
    assert codes("氨") == ["0101"]  # listed as 氨* in the table
    assert codes("no such goods") == []
    assert codes("") == []


# ---------------------------------------------------------------- Locarno


def test_locarno(session: Session) -> None:
    c14 = S.lookup(session, "locarno", "14")
    assert c14.title_en.startswith("Recording, telecommunication or data processing equipment")
    kids = S.children(session, "locarno", "14")
    assert len(kids) > 100 and all(k.parent == "14" and k.scheme == "locarno-term" for k in kids)
    assert S.lookup(session, "locarno", "1").symbol == "01"


# ---------------------------------------------------------------- loading behaviour


def test_load_is_idempotent_and_repairs() -> None:
    eng = create_engine("sqlite://")
    Base.metadata.create_all(eng)
    calls: list[tuple[str, int, int]] = []
    with Session(eng) as s:
        first = S.load_schemes(s, only={"nice", "locarno", "cn-group"}, progress=lambda *a: calls.append(a))
        assert first == {"nice": 45, "cn-group": 491, "locarno": 32}
        assert calls[-1] == ("locarno", 32, 32)
        again = S.load_schemes(s, only={"nice", "locarno", "cn-group"})
        assert again == first
        assert _count(s, "nice") == 45
        # a partial (scheme, version) is deleted and reloaded
        s.execute(delete(SchemeEntry).where(SchemeEntry.scheme == "nice", SchemeEntry.symbol == "09"))
        s.commit()
        assert _count(s, "nice") == 44
        assert S.load_schemes(s, only={"nice"}) == {"nice": 45}
        assert S.lookup(s, "nice", "09") is not None
        with pytest.raises(ValueError, match="unknown scheme"):
            S.load_schemes(s, only={"cpc"})
    eng.dispose()


def test_query_helpers_on_empty_db() -> None:
    eng = create_engine("sqlite://")
    Base.metadata.create_all(eng)
    with Session(eng) as s:
        assert S.lookup(s, "ipc", "A01B") is None
        assert S.suggest_ipc(s, "A01B 1/02") == []
        assert S.children(s, "ipc", "A01B") == []
        assert S.similar_group_of_item(s, "计算机") == []
    eng.dispose()
