"""The full-text index on real documents (US grants, CNIPA XML, Chinese abstracts), on SQLite and
PostgreSQL: every field, operator, truncation, proximity and date form gives exactly the documents a
brute-force reading of the store gives; the role filter holds for hits and counts; update and check.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, insert, select, text, update

from ipoffice.core import tables as t
from ipoffice.core.ipc import is_ipc_prefix
from ipoffice.core.roles import PUBLIC, Actor, Role, is_published
from ipoffice.core.schemes import iter_scheme_rows
from ipoffice.core.store import open_store
from ipoffice.ingest.runner import import_path
from ipoffice.search.analysis import analyze_values, query_tokens, set_user_dictionary
from ipoffice.search.index import (
    USERDICT_FILE,
    SearchIndexError,
    build_index,
    check_index,
    class_terms,
    index_path,
    ipc_parents,
    update_index,
)
from ipoffice.search.query import QueryError
from ipoffice.search.searcher import PatentSearcher

P = "patents"
US_SLICE = f"{P}/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN_DIRS = (f"{P}/cn/cnipa-xml-new-business-ns", f"{P}/cn/cnipa-xml-old-cn-patent-document")
GP_ABSTRACTS = f"{P}/corpus/google-patents-crawl-energy-recovery/abstracts_by_ipc_group_and_year.tar.gz"
SUBCLASSES = ("B60L", "F01K", "H01M", "G06F", "E04C", "F28D", "H01L", "A61K")
ALL = 10_000


def cn_abstracts_sample(shared: Path, dest: Path, limit: int = 300) -> Path:
    """The first ``limit`` Chinese abstracts of the energy-recovery crawl, as a tar.gz of the same layout."""
    out: dict[str, list[str]] = {}
    n = 0
    with tarfile.open(shared / GP_ABSTRACTS, "r|gz") as tf:
        for m in tf:
            if not (m.isfile() and m.name.endswith(".txt")):
                continue
            fh = tf.extractfile(m)
            lines = [x for x in fh.read().decode("utf-8").split("\n") if x.startswith("id-CN")] if fh else []
            out[m.name] = lines[: limit - n]
            n += len(out[m.name])
            if n >= limit:
                break
    path = dest / "cn-abstracts-sample.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.USTAR_FORMAT) as tf:
        for name, lines in out.items():
            data = ("\n".join(lines) + "\n").encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@functools.cache
def _ipc_rows() -> tuple[dict, ...]:
    return tuple(r for r in iter_scheme_rows("ipc") if len(r["symbol"]) < 4 or r["symbol"][:4] in SUBCLASSES)


def load_ipc_subset(store) -> None:
    rows = [dict(r) for r in _ipc_rows()]
    with store.session() as s:
        s.execute(insert(t.SchemeEntry.__table__), rows)
        s.commit()


def _pg_store(home: Path, tag: str):
    url = os.environ.get("IPOFFICE_TEST_PG_URL")
    if not url:
        pytest.skip("IPOFFICE_TEST_PG_URL not set (CI sets it)")
    schema = f"s{os.getpid()}{tag}"
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    sep = "&" if "?" in url else "?"
    return open_store(home, url=f"{url}{sep}options=-csearch_path%3D{schema}"), schema


def _drop_pg(schema: str) -> None:
    eng = create_engine(os.environ["IPOFFICE_TEST_PG_URL"])
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    eng.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def built(request, tmp_path_factory, shared_data):
    """A store of ~330 real documents in English and Chinese, and its index (built once per backend)."""
    home = tmp_path_factory.mktemp(f"search-{request.param}")
    schema = None
    if request.param == "postgres":
        store, schema = _pg_store(home, "idx")
    else:
        store = open_store(home)
    load_ipc_subset(store)
    for rel in (US_SLICE, *CN_DIRS):
        assert import_path(store, shared_data / rel).rejected == 0
    rep = import_path(store, cn_abstracts_sample(shared_data, home))
    assert rep.loaded >= 250
    # Half of the dateless crawl documents lose their "published" mark, so they stand for unpublished
    # applications (no date, no mark); the rest stay published without a date.
    with store.session() as s:
        s.execute(
            update(t.PatentDocument)
            .where(t.PatentDocument.publication_date.is_(None), t.PatentDocument.id % 2 == 0)
            .values(published_flag=None)
        )
        s.commit()
    report = build_index(store)
    assert report.docs == report.indexed and report.docs >= 280
    yield store, PatentSearcher(store)
    store.engine.dispose()
    if schema:
        _drop_pg(schema)


@pytest.fixture
def corpus(built):
    """The module's store and searcher, with Chinese cut as its index cuts it (other tests build
    indexes with other dictionaries; the brute force below must segment like this one)."""
    set_user_dictionary(index_path(built[0].home) / USERDICT_FILE)
    return built


# --------------------------------------------------------------------------- brute force over the store

FIELD_TEXTS = {
    "ti": lambda d: list(d["titles"].values()),
    "ab": lambda d: list(d["abstracts"].values()),
    "cl": lambda d: [c for v in d["claims"].values() for c in v],
    "desc": lambda d: list(d["descriptions"].values()),
    "pa": lambda d: [p["name"] for p in d["parties"] if p["role"] in ("applicant", "assignee", "owner")],
    "inv": lambda d: [p["name"] for p in d["parties"] if p["role"] == "inventor"],
    "ag": lambda d: [p["name"] for p in d["parties"] if p["role"] in ("agent", "agency", "representative")],
}
_positions_cache: dict[tuple[str, str], dict[str, list[int]]] = {}
_docs_cache: dict[int, list[t.PatentDocument]] = {}


def docs(store) -> list[t.PatentDocument]:
    if id(store) not in _docs_cache:
        with store.session() as s:
            _docs_cache[id(store)] = list(s.scalars(select(t.PatentDocument).order_by(t.PatentDocument.id)))
    return _docs_cache[id(store)]


def positions(doc, field: str) -> dict[str, list[int]]:
    """term -> word positions in one field of a document, as the indexer analyzes it."""
    key = (doc.content_hash, field)
    if key not in _positions_cache:
        pos: dict[str, list[int]] = {}
        for w, p, _s, _e, _m in analyze_values(FIELD_TEXTS[field](doc.data), offsets=False):
            pos.setdefault(w, []).append(p)
        _positions_cache[key] = pos
    return _positions_cache[key]


def has_term(doc, fields, term: str) -> bool:
    return any(term in positions(doc, f) for f in fields)


def has_phrase(doc, fields, terms: list[str]) -> bool:
    for f in fields:
        pos = positions(doc, f)
        if all(x in pos for x in terms) and any(
            all(p + i in pos[x] for i, x in enumerate(terms)) for p in pos[terms[0]]
        ):
            return True
    return False


def within(doc, fields, a, b, n: int, ordered: bool) -> bool:
    """a and b: predicates on a term; True if some a and b occur 1..n words apart (b after a if ordered)."""
    for f in fields:
        pos = positions(doc, f)
        pa = [p for w, ps in pos.items() if a(w) for p in ps]
        pb = [p for w, ps in pos.items() if b(w) for p in ps]
        for x in pa:
            for y in pb:
                if 1 <= y - x <= n or (not ordered and 1 <= x - y <= n):
                    return True
    return False


EXAMINER = Actor("examiner", Role.EXAMINER)


def hits(searcher, query: str, actor=EXAMINER) -> set[str]:
    res = searcher.search(query, actor, top=ALL, highlights=False)
    assert res.total == len(res.hits)
    return {h.number for h in res.hits}


def expect(store, pred) -> set[str]:
    return {d.number for d in docs(store) if pred(d)}


DEFAULT = ("ti", "ab", "cl")


# --------------------------------------------------------------------------- fields and terms


def test_checker_query_finds_the_flooring_rail(corpus):
    _store, searcher = corpus
    res = searcher.search("ti:edging", EXAMINER, top=5)
    assert res.hits[0].number == "08087209" and res.hits[0].title == "Edging rail for a flooring"
    assert res.hits[0].highlights[0] == {"field": "title", "text": "Edging rail for a flooring", "spans": [[0, 6]]}


@pytest.mark.parametrize(
    "field, word",
    [
        ("ti", "rail"),
        ("ti", "battery"),
        ("ab", "flooring"),
        ("ab", "电池"),
        ("ab", "制动"),
        ("cl", "screw"),
        ("cl", "装置"),
        ("desc", "embodiment"),
        ("desc", "实施例"),
        ("pa", "Kueberit"),
        ("pa", "有限公司"),
        ("in", "Sondermann"),
        ("in", "曹凯"),
        ("ag", "Epstein"),
        ("ag", "专利"),
    ],
)
def test_each_text_field_exactly(corpus, field, word):
    store, searcher = corpus
    fields = {"in": ("inv",)}.get(field, (field,))
    terms = query_tokens(word)  # a word jieba cuts in two is a phrase of its parts
    want = expect(store, lambda d: has_phrase(d, fields, terms))
    assert want, f"no document has {word!r} in {field}: pick another word"
    assert hits(searcher, f"{field}:{word}") == want


def test_no_prefix_searches_title_abstract_claims_not_description(corpus):
    store, searcher = corpus
    term = query_tokens("embodiment")[0]
    assert hits(searcher, "embodiment") == expect(store, lambda d: has_term(d, DEFAULT, term))
    assert hits(searcher, "ft:embodiment") == expect(store, lambda d: has_term(d, (*DEFAULT, "desc"), term))
    assert hits(searcher, "ft:embodiment") > hits(searcher, "embodiment")


def test_english_is_stemmed_and_folded(corpus):
    _store, searcher = corpus
    assert "08087209" in hits(searcher, "ti:floorings")
    assert hits(searcher, "ti:ＥＤＧＩＮＧ") == hits(searcher, "ti:edging") == hits(searcher, "ti:Edged")


def test_chinese_segmented_with_traditional_and_compounds(corpus):
    store, searcher = corpus
    assert hits(searcher, "電池") == hits(searcher, "电池")  # traditional folded to simplified
    # a word inside a compound is found: 电池 in 蓄电池
    assert any(
        "蓄电池" in " ".join(FIELD_TEXTS["ab"](d.data)) for d in docs(store) if d.number in hits(searcher, "电池")
    )
    # a query word jieba cuts in two is a phrase of its words
    tried = 0
    for word in ("回收装置", "电池组件", "发电装置", "控制单元", "能量回收", "制动能量"):
        terms = query_tokens(word)
        want = expect(store, lambda d, terms=terms: has_phrase(d, DEFAULT, terms))
        if len(terms) == 2 and want:
            assert hits(searcher, word) == want, word
            tried += 1
    assert tried


def test_phrases_exactly(corpus):
    store, searcher = corpus
    for q in ('"drive channel"', '"light emitting"', '"能量回收"', '"base member"'):
        terms = query_tokens(q.strip('"'))
        want = expect(store, lambda d, terms=terms: has_phrase(d, DEFAULT, terms))
        assert want, q
        assert hits(searcher, q) == want, q


def test_truncation_matches_words_as_written(corpus):
    store, searcher = corpus
    for q, rx in (
        ("comput*", r"=?comput.*"),
        ("electr*", r"=?electr.*"),
        ("batter?", r"=?batter."),
        ("电池*", r"电池.*"),
    ):
        pat = re.compile(rx)
        want = expect(store, lambda d, pat=pat: any(pat.fullmatch(w) for f in DEFAULT for w in positions(d, f)))
        assert want, q
        assert hits(searcher, q) == want, q
    # as written, not as stemmed: "connection*" finds "connections", not "connected"
    assert hits(searcher, "connection*") <= hits(searcher, "connect*")


@pytest.mark.parametrize(
    "a, b, n",
    [
        ("first", "second", 3),
        ("signal", "control", 3),
        ("method", "comprising", 3),
        ("电机", "电池", 4),
        ("能量", "回收", 2),
        ("车辆", "能量", 3),
    ],
)
def test_proximity_is_exact(corpus, a, b, n):
    """W/n: b follows a with at most n-1 words between; NEAR/n: either side. Checked on every document."""
    store, searcher = corpus
    (ta,), (tb,) = query_tokens(a), query_tokens(b)
    ordered = expect(store, lambda d: within(d, DEFAULT, ta.__eq__, tb.__eq__, n, True))
    unordered = expect(store, lambda d: within(d, DEFAULT, ta.__eq__, tb.__eq__, n, False))
    assert ordered, f"{a} W/{n} {b} finds nothing: pick other words"
    assert hits(searcher, f"{a} W/{n} {b}") == ordered
    assert hits(searcher, f"{a} NEAR/{n} {b}") == unordered
    assert hits(searcher, f"{b} NEAR/{n} {a}") == unordered
    if ordered != unordered:  # the order matters somewhere: W/n is not NEAR/n
        assert hits(searcher, f"{b} W/{n} {a}") != ordered


def test_proximity_with_truncation_groups_and_phrases(corpus):
    store, searcher = corpus
    electr = re.compile(r"=?electr.*")
    sig = {query_tokens("signal")[0], query_tokens("current")[0]}
    want = expect(store, lambda d: within(d, DEFAULT, electr.fullmatch, sig.__contains__, 4, False))
    assert want
    assert hits(searcher, "electr* NEAR/4 (signal OR current)") == want
    zh = {"回收", "再生"}
    want = expect(store, lambda d: within(d, DEFAULT, "能量".__eq__, zh.__contains__, 3, True))
    assert want
    assert hits(searcher, "能量 W/3 (回收 OR 再生)") == want
    # a phrase operand: the distance runs from its last word
    a, b, c = query_tokens("at least one")
    m = query_tokens("member")[0]

    def phrase_then(d):
        for f in DEFAULT:
            pos = positions(d, f)
            ends = [p + 2 for p in pos.get(a, []) if p + 1 in pos.get(b, []) and p + 2 in pos.get(c, [])]
            if any(1 <= q - p <= 4 for p in ends for q in pos.get(m, [])):
                return True
        return False

    want = expect(store, phrase_then)
    assert want
    assert hits(searcher, '"at least one" W/4 member') == want
    # nested proximity and a field prefix over the whole expression
    nested = hits(searcher, "ab:((能量 W/2 回收) NEAR/10 车辆)")
    assert nested and nested <= hits(searcher, "ab:(能量 W/2 回收)") & hits(searcher, "ab:车辆")


def test_boolean_algebra(corpus):
    store, searcher = corpus
    n = len(docs(store))
    a, b, c = hits(searcher, "电池"), hits(searcher, "first"), hits(searcher, "电机")
    assert a and b and c
    assert hits(searcher, "电池 OR first") == a | b
    assert hits(searcher, "电机 电池") == hits(searcher, "电机 AND 电池") == a & c
    assert hits(searcher, "电机 NOT 电池") == hits(searcher, "电机 AND NOT 电池") == c - a
    assert len(hits(searcher, "NOT 电池")) == n - len(a)
    assert hits(searcher, "(电池 OR first) AND NOT (电机 OR 车辆)") == (a | b) - c - hits(searcher, "车辆")


# --------------------------------------------------------------------------- classification, numbers, dates


def _ipcs(d) -> list[str]:
    return [c["symbol"] for c in d.data["classifications"] if c["scheme"] == "ipc"]


def test_ipc_subtree(corpus):
    store, searcher = corpus
    for prefix in ("B60L", "B60L7", "B60L 7/10", "H01M10", "H01M", "H", "G06F17"):
        q = f'ipc:"{prefix}"'
        want = expect(store, lambda d, prefix=prefix: any(is_ipc_prefix(prefix, s) for s in _ipcs(d)))
        assert want, prefix
        assert hits(searcher, q) == want, q
    assert "08088512" in hits(searcher, "ipc:H01M10") and "08088512" not in hits(searcher, 'ipc:"H01M 10/04"')
    assert hits(searcher, "ipc:G06F17 OR ipc:B60L") == hits(searcher, "ipc:(G06F17 OR B60L)")


def test_ipc_dot_level_parents_from_the_scheme(corpus):
    store, _searcher = corpus
    with store.session() as s:
        parents = ipc_parents(s)
    terms = class_terms("H01M 10/0562", parents)
    # 10/0561 is the dot-level parent of 10/0562, though its digits are no prefix of it
    assert {"H01M 10/0561", "H01M 10/056", "H01M 10/05", "H01M 10/00", "H01M", "H01", "H"} <= terms
    assert class_terms("G06F 17/3001") >= {"G06F 17/30", "G06F 17/300", "G06F 17/00", "G06F", "G06", "G"} - {
        "G06F 17/300"
    }


def test_unknown_ipc_symbol_is_refused_with_the_nearest(corpus):
    _store, searcher = corpus
    with pytest.raises(QueryError) as exc:
        searcher.search("battery AND ipc:H01M99", EXAMINER)
    assert "IPC symbol 'H01M 99/00' at position 16 does not exist; nearest: H01M" in str(exc.value)
    assert exc.value.suggestions and exc.value.suggestions[0].startswith("H01M ")


def test_numbers_country_kind(corpus):
    store, searcher = corpus
    for q in ("pn:08087209", "pn:US8087209B2", 'pn:"US 8,087,209 B2"', "pn:12693349", "pn:us08087209"):
        assert hits(searcher, q) == {"08087209"}, q
    assert hits(searcher, "pn:CN113781974A") == {"113781974"}
    assert hits(searcher, "cc:cn") == expect(store, lambda d: d.country == "CN")
    assert hits(searcher, "kd:S1") == expect(store, lambda d: d.kind == "S1") != set()
    assert hits(searcher, "pn:0808*") == expect(store, lambda d: d.number_norm.startswith("808"))


def test_dates(corpus):
    store, searcher = corpus
    cases = [
        ("pd<2012-01-04", lambda d: d.publication_date and d.publication_date < dt.date(2012, 1, 4)),
        ("pd>=2014", lambda d: d.publication_date and d.publication_date >= dt.date(2014, 1, 1)),
        ("pd:2021-12", lambda d: d.publication_date and d.publication_date.strftime("%Y-%m") == "2021-12"),
        (
            "ad:[2009-01-01 TO 2009-12-31]",
            lambda d: d.application_date and dt.date(2009, 1, 1) <= d.application_date <= dt.date(2009, 12, 31),
        ),
        ("ad:{2008 TO 2010}", lambda d: d.application_date and d.application_date.year == 2009),
        ("gd:2012", lambda d: d.grant_date and d.grant_date.year == 2012),
        ("pr<2008", lambda d: any(p["date"] and p["date"] < "2008-01-01" for p in d.data["priorities"])),
    ]
    for q, pred in cases:
        want = expect(store, pred)
        assert want, q
        assert hits(searcher, q) == want, q
    assert hits(searcher, "电池 AND pd>=2014") == hits(searcher, "电池") & hits(searcher, "pd>=2014")


# --------------------------------------------------------------------------- roles, highlights, lexical stage


def test_public_sees_published_documents_only_even_in_counts(corpus):
    store, searcher = corpus
    today = dt.date.today()
    published = expect(store, is_published)
    unpublished = {d.number for d in docs(store)} - published
    assert unpublished, "half the dateless crawl abstracts stand for unpublished applications"
    assert any(d.publication_date is None and d.number in published for d in docs(store))
    assert all(d.publication_date <= today for d in docs(store) if d.number in published and d.publication_date)
    for q in ("电池", "battery OR 电池", "NOT battery", "ipc:B60L"):
        res = searcher.search(q, PUBLIC, top=ALL, highlights=False)
        office = hits(searcher, q)
        assert {h.number for h in res.hits} == office & published
        assert res.total == len(office & published)  # the count leaks nothing either
        assert res.role == "public"


def test_highlights(corpus):
    _store, searcher = corpus
    res = searcher.search('ab:"drive channel" OR 能量回收', EXAMINER, top=50)
    by_number = {h.number: h for h in res.hits}
    hl = by_number["08087209"].highlights[0]
    assert hl["field"] == "abstract"
    assert [hl["text"][s:e].lower() for s, e in hl["spans"]][:2] == ["drive channel", "drive channel"] or all(
        hl["text"][s:e].lower() in ("drive", "channel", "drive channel") for s, e in hl["spans"]
    )
    zh = next(h for h in res.hits if h.country == "CN")
    assert any(h["text"][s:e] in ("能量回收", "能量", "回收") for h in zh.highlights for s, e in h["spans"])


def test_lexical_stage_ranks_the_claimed_document_first(corpus):
    store, searcher = corpus
    with store.session() as s:
        doc = s.scalars(select(t.PatentDocument).where(t.PatentDocument.number == "08087209")).one()
    claim = doc.data["claims"]["en"][0]
    ranked = searcher.lexical(claim, top=5, actor=EXAMINER)
    assert ranked and ranked[0][0] == doc.id
    zh = next(d for d in docs(store) if not is_published(d) and d.data["abstracts"].get("zh"))
    assert searcher.lexical(zh.data["abstracts"]["zh"], top=3, actor=EXAMINER)[0][0] == zh.id
    assert zh.id not in {i for i, _s in searcher.lexical(zh.data["abstracts"]["zh"], top=50)}  # public: unpublished


# --------------------------------------------------------------------------- update, check, missing index


def _small_store(store, shared_data):
    import_path(store, shared_data / US_SLICE)
    build_index(store)
    return store


def test_update_reindexes_only_the_changed_record(store, shared_data, tmp_path):
    _small_store(store, shared_data)
    changed = tmp_path / "ipg120103.changed.xml"
    raw = (shared_data / US_SLICE).read_text(encoding="utf-8")
    assert raw.count("Edging rail for a flooring") >= 1
    changed.write_text(raw.replace("Edging rail for a flooring", "Edging rail for a laminate flooring"), "utf-8")
    rep = import_path(store, changed)
    assert rep.updated == 1 and rep.loaded == 0
    up = update_index(store)
    assert (up.reindexed, up.added, up.deleted, up.indexed) == (1, 0, 0, 1)
    assert up.numbers == ["08087209"]
    searcher = PatentSearcher(store)
    assert hits(searcher, "ti:laminate") == {"08087209"}
    again = update_index(store)
    assert again.indexed == 0 and again.deleted == 0
    # a document removed from the store leaves the index at the next update
    with store.session() as s:
        doc = s.scalars(select(t.PatentDocument).where(t.PatentDocument.number == "08087209")).one()
        s.execute(delete(t.PatentDocument).where(t.PatentDocument.id == doc.id))
        s.commit()
    gone = update_index(store)
    assert gone.deleted == 1 and gone.indexed == 0
    assert hits(PatentSearcher(store), "ti:edging") == set()
    # a document whose publication moves into the future disappears for the public, hits and counts
    future = dt.date.today() + dt.timedelta(days=30)
    with store.session() as s:
        doc = s.scalars(select(t.PatentDocument).where(t.PatentDocument.number == "08088512")).one()
        party_id = s.scalar(select(t.PatentParty.party_id).where(t.PatentParty.document_id == doc.id).limit(1))
        s.execute(
            update(t.PatentDocument)
            .where(t.PatentDocument.id == doc.id)
            .values(publication_date=future, content_hash="x" * 64, updated_at=t.utcnow())
        )
        s.commit()
    assert update_index(store).reindexed == 1
    searcher = PatentSearcher(store)
    public = searcher.search("battery OR structure", PUBLIC, top=50)
    assert "08088512" not in {h.number for h in public.hits} and public.total == len(public.hits)
    assert "08088512" in hits(searcher, "ti:battery")  # the office sees it
    own = searcher.search("ti:battery", Actor("applicant", Role.APPLICANT, party_id=party_id))
    assert [h.number for h in own.hits] == ["08088512"]  # so does its applicant
    other = searcher.search("ti:battery", Actor("other", Role.APPLICANT, party_id=party_id + 10_000))
    assert other.total == 0 and other.hits == []


def test_check_detects_missing_and_stale_documents(store, shared_data):
    _small_store(store, shared_data)
    ok = check_index(store)
    assert ok.ok and ok.missing == 0 and ok.extra == 0 and ok.hash_mismatches == 0 and ok.sampled == ok.store_docs
    # documents imported after the index run
    import_path(store, shared_data / CN_DIRS[0])
    rep = check_index(store)
    assert not rep.ok and rep.missing == 4 and "index update" in (rep.advice or "")
    assert set(rep.missing_numbers) == {"113781974", "113783949", "113784721", "115212463"}
    res = PatentSearcher(store).search("battery", EXAMINER)
    assert any("out of date" in w for w in res.warnings)
    update_index(store)
    assert check_index(store).ok
    # a document lost from the index itself
    from tantivy import Index, Query

    idx = Index.open(str(index_path(store.home)))
    with store.session() as s:
        doc_id = s.scalar(select(t.PatentDocument.id).where(t.PatentDocument.number == "08087209"))
    w = idx.writer(heap_size=15_000_000, num_threads=1)
    w.delete_documents_by_query(Query.term_query(idx.schema, "doc_id", doc_id))
    w.commit()
    w.wait_merging_threads()
    lost = check_index(store)
    assert not lost.ok and lost.missing == 1 and lost.missing_numbers == ["08087209"]
    assert update_index(store).added == 1 and check_index(store).ok
    # a rebuild swaps a fresh index in, leaving nothing behind; without an index, check says so
    path = index_path(store.home)
    build_index(store)
    assert (path / "state.json").exists() and check_index(store).ok
    assert not [p for p in path.parent.iterdir() if ".building-" in p.name or ".old-" in p.name]
    shutil.rmtree(path)
    with pytest.raises(SearchIndexError, match="ipoffice index build"):
        check_index(store)


def test_missing_index_says_how_to_build_it(store):
    with pytest.raises(SearchIndexError, match="ipoffice index build"):
        PatentSearcher(store)
    with pytest.raises(SearchIndexError, match="ipoffice index build"):
        update_index(store)
