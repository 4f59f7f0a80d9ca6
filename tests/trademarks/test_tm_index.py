"""The key index of the register: the indexed conflict search returns exactly what the exhaustive one does.

The register sample is made of real marks (../shared/data/trademarks: the Chinese brand/short-name lexicon,
read in runs of neighbours so that near marks meet, A-share short names, EUIPO verbal elements, consumer brand
names), each given real-looking goods (classes and 类似群 of CNIPA's table) by a fixed random draw.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ipoffice.core.roles import SYSTEM
from ipoffice.trademarks import index as tmi
from ipoffice.trademarks.index import GoodsFilter, RegisterMark
from ipoffice.trademarks.keys import index_keys, probe_keys
from ipoffice.trademarks.search import (
    ConflictQuery,
    conflict_search,
    judge,
    judge_split,
    linked_groups,
    result,
    sound_test,
    translit_best,
)

TM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "trademarks"
STATUSES = ["registered"] * 6 + ["pending", "preliminarily-approved", "expired", "refused"]


def real_sample(n_han: int = 900, n_latin: int = 400, seed: int = 7) -> list[str]:
    if not TM.is_dir():
        pytest.skip("../shared/data is not present")
    rnd = random.Random(seed)
    with gzip.open(TM / "cn/brand-lexicon-company-shortforms/Company-Shorter-Form_28W.txt.gz", "rt") as fh:
        lex = [w.strip().lstrip("\ufeff") for w in fh][3:]
    lex = [w for w in lex if 2 <= len(w) <= 6]
    han: list[str] = []
    while len(han) < n_han:  # runs of pinyin-sorted neighbours: 九龙湖, 九龙汇, 九龙集团 ...
        i = rnd.randrange(len(lex) - 30)
        han += lex[i : i + 30]
    with gzip.open(TM / "euipo-trademarks2020/Trademark2020_validation.json.gz", "rt", encoding="utf-8") as fh:
        eu = sorted({v["Text"] for v in json.load(fh).values() if v.get("Text") and len(v["Text"]) <= 30})
    with open(TM / "famous-marks/brand_names_list.csv", encoding="utf-8") as fh:
        brands = sorted({r["Name"] for r in csv.DictReader(fh)})
    latin = rnd.sample(eu, n_latin // 2) + rnd.sample(brands, n_latin // 2)
    mixed = [f"{rnd.choice(han)}{rnd.choice(latin).split()[0]}" for _ in range(60)]
    return list(dict.fromkeys(han[:n_han] + latin + mixed))


def with_goods(marks: list[str], seed: int = 3) -> list[RegisterMark]:
    from ipoffice.core import schemes

    rnd = random.Random(seed)
    groups: dict[int, list[str]] = {}
    for row in schemes.iter_scheme_rows("cn-group"):
        groups.setdefault(int(row["parent"]), []).append(row["symbol"])
    out = []
    for i, m in enumerate(marks, 1):
        classes = sorted(rnd.sample([3, 9, 25, 30, 35], rnd.choice([1, 1, 2])))
        grp = sorted({rnd.choice(groups[c][:4]) for c in classes})
        day = dt.date(1995, 1, 1) + dt.timedelta(days=rnd.randrange(30 * 365))
        out.append(RegisterMark(i, f"T{i:05d}", m, rnd.choice(STATUSES), day, tuple(classes), tuple(grp)))
    return out


def variant(mark: str, rnd: random.Random) -> str:
    chars = list(mark)
    i = rnd.randrange(len(chars))
    if "\u4e00" <= chars[i] <= "\u9fff":
        chars[i] = rnd.choice("金龙华美天海乐宝星")
    elif chars[i].isalpha():
        chars[i] = rnd.choice("AEIOURSTN")
    return "".join(chars)


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    rows = with_goods(real_sample())
    root = tmp_path_factory.mktemp("tmindex") / "index"
    tmi.build_from_rows(root, rows, workers=1)
    return rows, tmi.TrademarkIndex.open(root)


def _both(rows, idx, q: ConflictQuery):
    linked = linked_groups(q.groups)
    f = GoodsFilter(q.classes, q.groups | set(linked), q.before)
    on_goods = [r for r in rows if set(r.classes) & f.classes or set(r.groups) & f.groups]
    want = result(q, *judge(q, on_goods, linked=linked), len(on_goods), [])
    strong, weak = idx.split_candidates(tmi.split_probe(q.mark), f, dead=q.include_dead, rank_groups=q.groups)
    got = result(q, *judge_split(q, strong, weak, linked=linked), len(on_goods), [])
    # the same with the transliteration pre-test run on the stream (as conflict_search and the gazette run it)
    strong, weak = idx.split_candidates(
        tmi.split_probe(q.mark), f, dead=q.include_dead, rank_groups=q.groups, sound_test=sound_test(q.mark)
    )
    assert weak.sound_tested == (sound_test(q.mark) is not None)
    tested = result(q, *judge_split(q, strong, weak, linked=linked), len(on_goods), [])
    assert tested == got, q.mark
    return want, got


def test_indexed_search_returns_what_the_exhaustive_search_returns(register):
    rows, idx = register
    rnd = random.Random(11)
    picks = rnd.sample(rows, 24)
    checked = hits = 0
    for k, base in enumerate(picks):
        mark = variant(base.mark, rnd) if k % 2 else base.mark
        if k % 3 == 0:
            q = ConflictQuery(mark=mark, groups=set(base.groups), include_dead=k % 4 == 0)
        else:
            q = ConflictQuery(mark=mark, classes={base.classes[0]}, top=10, before=dt.date(2020, 1, 1))
        want, got = _both(rows, idx, q)
        assert got["results"] == want["results"], mark
        assert got.get("dead") == want.get("dead"), mark
        checked += 1
        hits += len(want["results"])
    assert checked == 24 and hits >= 24  # the sample has neighbours: real hits were compared


def test_stored_transliteration_profiles(register, tmp_path):
    """Each mark's stored profile is its profile; an index written before profiles were kept (files removed)
    searches the same, profiling candidates from their text, and ``add_profiles`` writes them in place."""
    import shutil

    from ipoffice.trademarks import translit

    rows, idx = register
    seg = idx.segments[0]
    for i in range(0, len(seg.ids), 7):
        mark = seg.text("marks", i)
        stored = seg.text("translit", i)
        assert translit.decode(stored) == translit.profile(mark), mark
    assert any(translit.decode(seg.text("translit", i))[0] for i in range(len(seg.ids)))
    assert any(translit.decode(seg.text("translit", i))[1] for i in range(len(seg.ids)))

    old = tmp_path / "old"
    shutil.copytree(idx.root, old)
    (seg_dir,) = [p for p in old.iterdir() if p.is_dir()]
    for f in ("translit.bin", "translit_off.npy"):
        (seg_dir / f).unlink()
    bare = tmi.TrademarkIndex.open(old)
    assert bare.segments[0].translit_off is None
    rnd = random.Random(5)
    for base in rnd.sample(rows, 8):
        q = ConflictQuery(mark=base.mark, classes={base.classes[0]}, top=10)
        want, got = _both(rows, bare, q)
        assert got["results"] == want["results"], base.mark
    assert tmi.add_profiles(old, workers=1) == len(seg.ids)
    assert tmi.add_profiles(old, workers=1) == 0
    again = tmi.TrademarkIndex.open(old).segments[0]
    assert [again.text("translit", i) for i in range(0, len(seg.ids), 50)] == [
        seg.text("translit", i) for i in range(0, len(seg.ids), 50)
    ]


def test_every_labelled_similar_pair_shares_a_key():
    """The keys reach every rule that found a labelled pair similar (a key gap would lose hits)."""
    import yaml

    from ipoffice.trademarks.similarity import compare

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "bench/data/tm_pairs.yaml").read_text("utf-8"))
    missing = []
    for p in doc["pairs"]:
        a, b = str(p["a"]), str(p["b"])
        try:
            if not compare(a, b).similar:
                continue
        except ValueError:
            continue
        if not (probe_keys(a) & index_keys(b)) or not (probe_keys(b) & index_keys(a)):
            missing.append((a, b))
    assert missing == []


def _full_translit_score(j, h: str, n) -> float:  # noqa: ANN001 - a similarity._Judge, a NormalizedMark
    """What ``_Judge.cross`` scores as transliteration, the long way: ``transliteration_similarity`` over the
    Chinese text and its core against the Latin text, its core and its single words (under ``j``'s rules)."""
    from ipoffice.trademarks.phonetic import transliteration_similarity

    core = j.strip_han(h, min_core=1)[0]
    lcore = j.strip_latin(n.words)[0]
    cw = j.latin_core_words(n.words)
    singles = [w for w in cw if len(w) >= 4 and w.isalpha()] if len(cw) <= 2 else []
    return max(transliteration_similarity(x, y) for x in {h, core} for y in {n.alnum, lcore, *singles})


def test_transliteration_shortcut_is_the_phonetic_score():
    from ipoffice.trademarks.keys import _judge
    from ipoffice.trademarks.normalize import normalize

    marks = real_sample(200, 200, seed=5)
    rnd = random.Random(2)
    han = [m for m in marks if all("\u4e00" <= c <= "\u9fff" for c in m)]
    lat = [normalize(m) for m in marks if m.isascii()]
    j = _judge()
    for _ in range(300):
        h, n = rnd.choice(han), rnd.choice(lat)
        if not n.alnum:
            continue
        want = _full_translit_score(j, h, n)
        assert translit_best(h, n.alnum, tuple(n.words)) == pytest.approx(want)
        for t in (0.5, 0.8):  # the early-stopping form decides the same way
            assert (translit_best(h, n.alnum, tuple(n.words), t) >= t) == (want >= t - 1e-9)


CSV_HEAD = "number,mark,nice_classes,groups,goods,applicant,filing_date,status\n"


def test_compare_gates_transliteration_by_its_own_rules():
    """``compare`` scores a transliteration only when the pruned test passes; a judge of other rules (here a
    second copy of the rule set, as for another date) makes its own profiles, and both decide as the full
    transliteration scores over the same variants do."""
    import copy

    from ipoffice.trademarks.keys import _judge
    from ipoffice.trademarks.normalize import normalize
    from ipoffice.trademarks.similarity import _TRANSLIT_MIN, _Judge, _translit_reaches

    today = _judge()
    other = _Judge(copy.deepcopy(today.rs), dt.date.today())
    assert other.rs is not today.rs
    marks = real_sample(150, 150, seed=6) + ["耐克", "NIKE", "特斯拉", "TESLA", "爱马仕", "HERMES"]
    han = [m for m in marks if all("\u4e00" <= c <= "\u9fff" for c in m)]
    lat = [normalize(m) for m in marks if m.isascii()]
    rnd = random.Random(8)
    pairs = [("耐克", normalize("NIKE")), ("爱马仕", normalize("HERMES"))]
    pairs += [(rnd.choice(han), rnd.choice(lat)) for _ in range(200)]
    passed = 0
    for h, n in pairs:
        if not n.alnum:
            continue
        want = _full_translit_score(other, h, n)
        for j in (today, other):
            assert _translit_reaches(j, h, n.alnum, tuple(n.words)) == (want >= _TRANSLIT_MIN), (h, n.alnum)
        passed += want >= _TRANSLIT_MIN
    assert passed >= 2


def test_sound_test_decides_as_possible():
    """``translit.SoundTest`` (the query's side fixed, alignments shared by skeleton) decides every candidate
    as ``translit.possible`` does, on stored profiles of real marks and known transliterations."""
    from ipoffice.trademarks import translit
    from ipoffice.trademarks.similarity import _TRANSLIT_MIN

    known = ["耐克", "NIKE", "特斯拉", "TESLA", "爱马仕", "HERMES", "奥迪", "AUDI", "星巴克", "STARBUCKS", "耐克斯"]
    pool = []
    for m in known + real_sample(300, 300, seed=9):
        try:
            pool.append(translit.profile(m))
        except ValueError:
            continue
    rnd = random.Random(4)
    passed = 0
    for qp in pool[: len(known)] + rnd.sample(pool, 40):
        test = translit.SoundTest(qp, _TRANSLIT_MIN)
        for cp in pool:
            want = translit.possible(qp, cp, _TRANSLIT_MIN)
            assert test.stored(translit.encode(cp)) == want, (qp, cp)
            assert test(cp) == want
            passed += want
    assert passed >= 12  # the known pairs pass, both ways
    assert not translit.SoundTest(translit.profile("NIKE"), _TRANSLIT_MIN).stored(translit.encode_mark("!!!"))


@pytest.fixture
def home_store(store, tmp_path):
    from ipoffice.core.schemes import load_schemes
    from ipoffice.ingest.runner import import_path

    with store.session() as s:
        load_schemes(s, only={"cn-group"})
        s.commit()
    rows = with_goods(real_sample(120, 60, seed=9))
    f = tmp_path / "register.csv"
    lines = [
        f'{r.number},"{r.mark}",{";".join(map(str, r.classes))},{";".join(r.groups)},,甲公司,{r.filing_date},{r.status}'
        for r in rows
    ]
    f.write_text(CSV_HEAD + "\n".join(lines) + "\n", encoding="utf-8")
    assert import_path(store, f).loaded == len(rows)
    return store, rows, tmp_path


def test_store_index_build_lazy_update_and_fallback(home_store):
    store, rows, tmp_path = home_store
    from ipoffice.ingest.runner import import_path

    queries = [ConflictQuery(mark=r.mark, classes={r.classes[0]}, include_dead=True) for r in rows[:15:3]]
    with store.session() as s:
        before = [conflict_search(s, SYSTEM, q) for q in queries]  # no index yet: exhaustive
        meta = tmi.build(s)
        assert meta["marks"] == len(rows) and tmi.TrademarkIndex.open() is not None
        after = [conflict_search(s, SYSTEM, q) for q in queries]
    for b, a in zip(before, after, strict=True):
        assert a["results"] == b["results"] and a["dead"] == b["dead"] and a["considered"] == b["considered"]
    new = tmp_path / "new.csv"
    mark = rows[0].mark
    new.write_text(CSV_HEAD + f"N1,{mark},{rows[0].classes[0]},,,乙公司,1990-01-01,registered\n", encoding="utf-8")
    assert import_path(store, new).loaded == 1
    tmi._OPENED.clear()  # the next search checks the watermark now, not in two seconds
    with store.session() as s:
        res = conflict_search(s, SYSTEM, ConflictQuery(mark=mark, classes={rows[0].classes[0]}))
        assert res["results"][0]["number"] == "N1"  # identical and oldest: indexed by the lazy update
        assert len(tmi.read_meta(tmi.default_dir())["segments"]) == 2
        assert (
            conflict_search(s, SYSTEM, queries[0], index=False)["results"]
            == conflict_search(s, SYSTEM, queries[0])["results"]
        )


def test_cli_index_build_and_update(home_store, monkeypatch):
    store, rows, _ = home_store
    from ipoffice.service.cli import app

    if store.dialect != "sqlite":
        monkeypatch.setenv("IPOFFICE_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    r = CliRunner().invoke(app, ["tm", "index", "build", "--json"])
    assert r.exit_code == 0, r.stdout
    out = json.loads(r.stdout)
    assert out["results"][0]["marks"] == len(rows)
    r = CliRunner().invoke(app, ["tm", "index", "update", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["results"][0]["action"] == "unchanged"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_every_labelled_meaning_pair_meets_the_meaning_need():
    """A pair linked only through weak keys is judged for meaning only when one text of the application has a
    shared key in every unit (``keys.meaning_need``): every labelled pair found similar passes that test (or
    shares a strong key, or is a transliteration), both ways round."""
    import yaml

    from ipoffice.trademarks.index import split_keys
    from ipoffice.trademarks.keys import meaning_need
    from ipoffice.trademarks.similarity import compare

    def passes(query: str, earlier: str) -> bool:
        have = index_keys(earlier)
        if any(k in have for k in probe_keys(query) if not k.startswith(("m:", "tkh:", "tkl:"))):
            return True  # a strong key: judged whatever its meaning keys
        for per_unit, whole in meaning_need(query):
            if whole & have or (per_unit and all(u & have for u in per_unit)):
                return True
        return False

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "bench/data/tm_pairs.yaml").read_text("utf-8"))
    missing, checked = [], 0
    for p in doc["pairs"]:
        a, b = str(p["a"]), str(p["b"])
        try:
            sim = compare(a, b)
        except ValueError:
            continue
        if not sim.similar or all("transliteration" in r.evidence for r in sim.reasons if r.verdict != "not_similar"):
            continue
        checked += 1
        for q, e in ((a, b), (b, a)):
            if not passes(q, e):
                missing.append((q, e))
    assert checked > 300
    assert missing == []
    assert split_keys(["m:c:moon", "tkh:MN", "py:yue"])[1].size == 1


def test_probe_hashes_are_those_of_the_probe_keys(register):
    """``split_probe`` makes the transliteration hashes per stored skeleton (cached); they are the hashes of
    ``probe_keys``, split by kind, for every mark of the real sample."""
    rows, _idx = register
    for r in rows[::3]:
        try:
            want = tmi.split_keys(probe_keys(r.mark))
        except ValueError:
            continue
        got = tmi.split_probe(r.mark)
        assert [set(x.tolist()) for x in got] == [set(x.tolist()) for x in want], r.mark


def test_goods_masks_agree_with_the_rows(register):
    """The packed class/group bitmaps (``_eligible``) count and pass the marks a row-by-row filter does, and a
    mark read back (``row``) has its groups."""
    rows, idx = register
    rnd = random.Random(5)
    for _ in range(12):
        base = rnd.choice(rows)
        f = GoodsFilter(set(rnd.sample(range(1, 46), rnd.choice([0, 1, 2]))), set(base.groups[:1]), None)
        want = [r for r in rows if set(r.classes) & f.classes or set(r.groups) & f.groups]
        assert idx.count_on_goods(f) == len(want)
        f.before = dt.date(2010, 1, 1)
        every = np.unique(np.concatenate([s.khash for s in idx.segments]))  # every key: every mark
        got = {idx.row(idx.segments[s], i).number for s, i in idx._rows(every, f)}
        assert got == {r.number for r in want if r.filing_date < f.before}
    assert [(r.number, r.groups) for r in idx.iter_rows()] == [(r.number, r.groups) for r in rows]


def test_linked_groups_walk_the_table_in_order():
    """``linked_groups`` reads the notes through a by-group index; it gives what walking every note of the
    similar-goods table in order gives (the first note naming a group is the one kept)."""
    from ipoffice.trademarks.goods import _table

    def plain(groups: set[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for a, b, note in _table().links:
            for x, y in ((a, b), (b, a)):
                if x.group in groups and y.group not in groups and y.group not in out:
                    out[y.group] = note
        return out

    linking = sorted({g.group for a, b, _n in _table().links for g in (a, b)})
    rnd = random.Random(2)
    sets = [set(rnd.sample(linking, rnd.randint(1, 10))) for _ in range(400)] + [set(), {"0901"}, {"9999"}]
    assert all(linked_groups(s) == plain(s) for s in sets)
    assert sum(len(linked_groups(s)) for s in sets) > 400
