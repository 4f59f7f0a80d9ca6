"""Per-document patent signals (Order 77 Art. 3(2)-(4); Announcement 411 Art. 2 before 2024-01-20), each pinned
to a real record of ../shared/data (USPTO ipg120103 slice) and a manipulated copy of it (tests/integrity/manipulate)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import manipulate as m
import pytest

from ipoffice.integrity import patent_signals as ps
from ipoffice.integrity.rules import IntegrityRulesError, default_rules, load
from ipoffice.integrity.signals import ScanContext

D22, D24 = dt.date(2022, 5, 1), dt.date(2024, 3, 1)


_SHARED: list = []


@pytest.fixture(scope="module")
def recs(shared_data):
    _SHARED[:] = [shared_data]
    return m.load_slice(shared_data)


@pytest.fixture(scope="module")
def by_number(recs):
    return {r.number: r for r in recs}


@pytest.fixture(scope="module")
def model(shared_data):
    return m.small_model(shared_data)


def _store(tmp_path, records):
    from ipoffice.core.store import PartyResolver, open_store, upsert_patents

    store = open_store(tmp_path / "home")
    with store.session() as s:
        upsert_patents(s, [(r, "test") for r in records], PartyResolver())
        s.commit()
    return store


def _run(store, fn, model=None):
    ctx = ScanContext(engine=store.engine, rules=default_rules(), home=store.home, engine_name="python")
    if model is not None:
        ctx.options["generated_model"] = model
    elif fn is ps.prior_art_copy:
        ctx.options["perdoc"] = False  # P2 comes from the corpus pass: no generated-text model to train
    else:
        ctx.options["generated_model"] = m.small_model(_SHARED[0])
    return {(f.number, f.behaviour): f for f in fn(ctx)}


def _controls(recs, start=500):
    """Real filings re-dated into the rules' period (their originals are not in the store)."""
    return [m.redated(r, f"CN11{start + i:05d}A", D22 + dt.timedelta(days=i)) for i, r in enumerate(recs)]


# ---------------------------------------------------------------- rules by date


def test_rules_by_filing_date():
    rules = default_rules()
    for code in ("P2", "P3", "P4"):
        assert rules.in_force(code, dt.date(2020, 12, 31)) is None  # before Announcement 411
        assert rules.in_force(code, dt.date(2024, 1, 19)).instrument == "ann411"
        assert rules.in_force(code, dt.date(2024, 1, 20)).instrument == "order77"
    assert rules.ref(rules.in_force("P2", D22)) == "ann411-2.2"
    assert rules.ref(rules.in_force("P2", D24)) == "order77-3.2"
    assert rules.ref(rules.in_force("P3", D24)) == "order77-3.3"
    assert rules.ref(rules.in_force("P4", D24)) == "order77-3.4"
    assert "Art. 3(4)" in rules.cite(rules.in_force("P4", D24))
    assert "第3条第（2）项" in rules.cite(rules.in_force("P2", D24), "zh")
    spelled = rules.rule_json(rules.in_force("P3", D22))
    assert spelled["effective_to"] == "2024-01-19" and spelled["title_zh"] and spelled["source"]


def test_bad_rules_file_is_refused_naming_the_entry(tmp_path):
    base = Path(ps.__file__).parents[1] / "rules" / "data" / "integrity"
    (tmp_path / "instruments.yaml").write_text((base / "instruments.yaml").read_text(encoding="utf-8"))
    (tmp_path / "bad.yaml").write_text(
        'version: "x"\nbehaviours:\n  - {code: P9, kind: patent, title: t, instrument: order77, article: "3",'
        " effective_from: 2025-01-01, effective_to: 2024-01-01}\n"
        '  - {code: P8, kind: patent, title: t, instrument: nosuch, article: "3"}\n',
        encoding="utf-8",
    )
    with pytest.raises(IntegrityRulesError) as exc:
        load(tmp_path)
    assert "'P9'" in str(exc.value) and "before effective_from" in str(exc.value)
    assert "'P8'" in str(exc.value) and "nosuch" in str(exc.value)


# ---------------------------------------------------------------- P2


def test_p2_copied_prior_art_with_substitutions(tmp_path, recs, by_number):
    src = by_number["08087209"]
    copy22 = m.copied(src, "CN114000001A", D22)
    copy24 = m.copied(by_number["08089769"], "CN117000002A", D24)
    store = _store(tmp_path, [*recs, copy22, copy24, *_controls(recs[3:10])])
    flags = _run(store, ps.prior_art_copy)
    f = flags[("CN114000001A", "P2")]
    assert f.score >= 0.6 and "Announcement No. 411" in f.legal_basis and "Art. 2(2)" in f.legal_basis
    assert f.evidence["source"]["number"] == "08087209"
    assert f.evidence["copied_share"] > 0.8 and f.evidence["passages"]
    assert {"from": "rail", "to": "strip"} in [
        {k: w[k] for k in ("from", "to")} for w in f.evidence["substituted_words"]
    ]
    assert "Order No. 77" in flags[("CN117000002A", "P2")].legal_basis
    # the untouched real filings are not flagged, nor the originals (filed before any rule)
    assert {n for n, _ in flags} == {"CN114000001A", "CN117000002A"}


def test_p2_needs_another_applicant(tmp_path, by_number):
    src = by_number["08087209"]
    own = m.redated(src, "CN114000009A", D22)  # same applicants: the applicant's own text (P1 territory)
    store = _store(tmp_path, [src, own])
    assert _run(store, ps.prior_art_copy) == {}


def test_p2_not_when_an_inventor_is_shared(tmp_path, by_number):
    """Older US applications name the inventors as applicants and the grant the assignee: one origin, two names."""
    from ipoffice.core.model import PartyRef

    src = by_number["08087209"]
    copy = m.copied(src, "CN114000011A", D22)
    inventor = next(p for p in src.parties if p.role == "inventor")
    copy.parties = [*copy.parties, PartyRef(name=inventor.name, role="inventor", kind="person")]
    store = _store(tmp_path, [src, copy])
    assert _run(store, ps.prior_art_copy) == {}


def test_p2_boilerplate_alone_is_not_copying(tmp_path, recs):
    """Filings of different applicants sharing only a standard text (as design patents share their claim and
    figure forms) are not copies: boilerplate carried by many filings does not count as copied text."""
    boiler = next(iter(recs[5].descriptions.values()))[:6000]
    docs = []
    for i, r in enumerate(recs[10:16]):
        x = m.redated(r, f"CN11400020{i}A", D22 + dt.timedelta(days=300 * i), applicant=f"Maker {i}")
        x.descriptions = {"en": boiler}
        docs.append(x)
    store = _store(tmp_path, docs)
    assert {n for n, f in _run(store, ps.prior_art_copy).items() if f.score >= 0.6} == set()


# ---------------------------------------------------------------- P3


def test_p3_generated_text(tmp_path, recs, model):
    inv = [r for r in recs if r.doc_type == "invention"]
    fake22 = m.generated(inv[3], inv, "CN114000003A", D22)
    fake24 = m.generated(inv[5], inv, "CN117000004A", D24)
    store = _store(tmp_path, [fake22, fake24, *_controls(inv)])
    flags = {k: f for k, f in _run(store, ps.generated_text, model).items() if f.score >= 0.8}
    assert set(flags) == {("CN114000003A", "P3"), ("CN117000004A", "P3")}
    f = flags[("CN117000004A", "P3")]
    assert "Order No. 77" in f.legal_basis and "Art. 3(3)" in f.legal_basis
    assert f.evidence["statistics"]["adjacent_overlap"]["real_mean"] > 0
    assert len(f.evidence["furthest_from_real"]) == 3


def test_p3_short_or_unmodelled_text_is_not_judged(tmp_path, recs, model):
    """A bare abstract is too short for text statistics, and a language without a model of real patents
    (here Serbian) cannot be judged against one: neither is flagged."""
    inv = [r for r in recs if r.doc_type == "invention"]
    short = m.generated(inv[3], inv, "CN114000021A", D22)
    short.descriptions, short.claims = {}, {"en": ["1. A device."]}
    other = m.redated(inv[4], "CN114000022A", D22)
    other.language = "sh"
    other.abstracts = {"sh": "Opisana su triciklicna sulfonamidna jedinjenja i derivati " * 60}
    other.claims, other.descriptions = {}, {}
    store = _store(tmp_path, [short, other, *_controls(inv)])
    assert {k for k, f in _run(store, ps.generated_text, model).items() if f.score >= 0.8} == set()


def test_p3_two_windows_are_not_judged(tmp_path, recs, model):
    """Rule P3 `min_windows` 3 (patent.yaml 2026.11.27): the drift of a text of two 200-token windows compares its
    claims with its description, and flagged short real filings at scale; such a text is not judged, even generated."""
    from ipoffice.integrity import textstats

    for day in (D22, D24):  # Announcement 411 and Order 77 alike
        assert default_rules().in_force("P3", day).thresholds["min_windows"] == 3
    inv = [r for r in recs if r.doc_type == "invention"]
    fake = m.generated(inv[3], inv, "CN114000041A", D24)
    desc = next(iter(fake.descriptions.values()))
    text = lambda r: "\n".join(  # noqa: E731 - what FilingDoc.text joins (all of it: under 4,000 words)
        [*r.abstracts.values(), *(c for cs in r.claims.values() for c in cs), *r.descriptions.values()]
    )
    for cut in range(200, len(desc), 100):  # the shortest cut of the description that gives two windows
        fake.descriptions = {"en": desc[:cut]}
        if len(textstats.windows(textstats.sentences(text(fake)))) == 2:
            break
    assert len(textstats.windows(textstats.sentences(text(fake)))) == 2
    res, _x = model.prepare(text(fake), min_windows=2)
    assert res is not None and res["windows"] == 2  # it could be measured; the rule says not to
    store = _store(tmp_path, [fake, *_controls(inv)])
    assert ("CN114000041A", "P3") not in _run(store, ps.generated_text, model)


def test_p3_p4_judged_in_the_extraction_pass_stream_from_records(recs, model):
    """At scale P3/P4 are judged while the records stream through the extraction, the P3 classifier once per
    batch on the filings that drift: the same judgement, one filing at a time or in a batch, without a store."""
    from ipoffice.integrity.engines.perdoc import PerDocSpec, judge_p3, perdoc_batch, perdoc_rows

    inv = [r for r in recs if r.doc_type == "invention"]
    items = [
        (i + 1, r.model_dump(mode="json"))
        for i, r in enumerate(
            [
                m.generated(inv[3], inv, "CN114000031A", D22),
                m.padded_claims(inv[4], "CN114000032A", D22),
                *_controls(inv[:6], start=600),
            ]
        )
    ]
    spec = PerDocSpec(rules=default_rules(), model=model, model_where="test")
    batch = perdoc_batch(spec, items)
    assert batch == [row for i, d in items for row in perdoc_rows(spec, i, d)]
    assert {(r[1], r[3]) for r in batch} == {("CN114000031A", "P3"), ("CN114000032A", "P4")}
    # the drift prefilter only skips the classifier where the flag was out of reach
    from ipoffice.integrity.engines.perdoc import filing_from_record

    for i, d in items:
        full = judge_p3(spec, filing_from_record(i, d), prefilter=False)
        if full is not None and full[0] >= 0.8:
            assert any(r[0] == i and r[3] == "P3" for r in batch)


def test_p3_template_reuse(tmp_path, recs):
    boiler = next(iter(recs[5].descriptions.values()))[:20000]
    fakes = []
    for i, r in enumerate(recs[10:15]):
        x = m.redated(r, f"CN11400010{i}A", D22, applicant=f"Shell Company {i}")
        x.descriptions = {"en": boiler}
        x.abstracts = {"en": "A device."}
        x.claims = {"en": [next(iter(r.claims.values()))[0][:400]]}  # its own short claim, the template around it
        fakes.append(x)
    store = _store(tmp_path, [*fakes, *_controls(recs[16:22])])
    flags = _run(store, ps.template_reuse)
    assert {n for n, _ in flags if flags[(n, "P3")].score >= 0.8} == {f.number for f in fakes}
    ev = flags[(fakes[0].number, "P3")].evidence
    assert ev["figures"]["boilerplate_share"] > 0.5 and ev["sharing_filings"] >= 4


# ---------------------------------------------------------------- P4


def test_p4_trivial_stacked_claims(tmp_path, recs, by_number):
    pad22 = m.padded_claims(by_number["08087209"], "CN114000005A", D22)
    pad24 = m.padded_claims(by_number["08088102"], "CN117000006A", D24)
    store = _store(tmp_path, [pad22, pad24, *_controls(recs)])
    flags = {k: f for k, f in _run(store, ps.claim_structure).items() if f.score >= 0.6}
    assert set(flags) == {("CN114000005A", "P4"), ("CN117000006A", "P4")}
    f = flags[("CN114000005A", "P4")]
    assert "Art. 2(5)" in f.legal_basis
    named = {c["claim"] for c in f.evidence["trivial_dependent_claims"]}
    assert {5, 16} <= named  # the appended claims, by number
    assert any(c["trivial"] == "colour" for c in f.evidence["trivial_dependent_claims"])
    assert "Art. 3(4)" in flags[("CN117000006A", "P4")].legal_basis


def test_p4_ordinary_claims_are_not_flagged():
    """Claims differing only in a number (ranges, sequence numbers), a few colour or material claims, and
    "without"/"manually" in real claims are ordinary drafting, not a padded claim set."""
    from ipoffice.integrity import claims as cm

    th = dict(default_rules().in_force("P4", D24).thresholds)
    seq = [f"{i}. An isolated antibody binding the peptide of SEQ ID NO: {i}." for i in range(1, 9)]
    few = [
        "1. A cup comprising a body and a handle.",
        "2. The cup of claim 1, wherein the body is red.",
        "3. The cup of claim 1, wherein the handle is made of steel.",
        "4. The cup of claim 1, wherein the body is filled manually without a funnel.",
    ]
    for claims in (seq, few):
        f = cm.analyse(claims, th)
        assert f.score < th["flag"], (claims[0], f.components)
    stack = few[:1] + [
        f"{i}. The cup of claim {i - 1}, wherein it is {w}."
        for i, w in enumerate(
            [
                "rectangular",
                "coloured red",
                "made of plastic",
                "packaged in a box",
                "about 5 mm thick",
                "sold in pairs",
                "coated with paint",
                "provided with a label",
                "made of steel",
            ],
            start=2,
        )
    ]
    f = cm.analyse(stack, th)
    assert f.score >= th["flag"] and f.counts["trivial"] == 9


def test_gaps_are_named_not_crashed_on(tmp_path, by_number):
    x = m.padded_claims(by_number["08087209"], "CN114000007A", D22)
    x.parties = []
    x.descriptions = {}
    x.application_date = None
    store = _store(tmp_path, [x])
    f = _run(store, ps.claim_structure)[("CN114000007A", "P4")]
    gaps = " ".join(f.evidence["gaps"])
    assert "no applicant" in gaps and "no description" in gaps and "publication date" in gaps
    assert _run(store, ps.prior_art_copy) == {}


def test_p2_through_the_prior_art_engine(tmp_path, recs, by_number):
    pytest.importorskip("ipoffice.search.priorart")
    from ipoffice.search.index import build_index

    copy = m.copied(by_number["08087209"], "CN114000001A", D22)
    store = _store(tmp_path, [*recs[:6], copy])
    build_index(store)
    ctx = ScanContext(
        engine=store.engine, rules=default_rules(), home=store.home, options={"store": store, "perdoc": False}
    )
    f = {x.number: x for x in ps.prior_art_copy(ctx)}["CN114000001A"]
    assert f.evidence["engine"].startswith("prior-art engine") and f.evidence["source"]["number"] == "08087209"
    # the engine is asked about the LSH candidates only, and confirms the source
    assert f.evidence["prior_art_engine"]["source_rank"] is not None
    assert f.score >= 0.6
