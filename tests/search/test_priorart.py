"""Prior-art search on real records (a USPTO weekly slice and CNIPA XML, Chinese full text): the
critical date, the application and its family left out, Chinese finds English and the reverse, the
claim-element map, roles (the public never sees an unpublished application), bad input, CLI and API.

One data home for the module: the real documents plus a few JSONL records made from them (a family
member sharing 08087209's priority claim, a family-id sibling, an unpublished application), indexed
once by `ipoffice index build` (lexical + dense).
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ipoffice.core.roles import PUBLIC, Actor, Role
from ipoffice.core.store import open_store
from ipoffice.search.priorart import (
    PriorArtError,
    PriorArtNotFound,
    PriorArtQuery,
    PriorArtUnavailable,
    fuse,
    ipc_proximity,
    prior_art,
)
from ipoffice.service.cli import app as main_app
from ipoffice.service.cli_search import index_app, prior_art_cmd

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN = ("patents/cn/cnipa-xml-new-business-ns", "patents/cn/cnipa-xml-old-cn-patent-document")
EXAMINER = Actor("examiner", Role.EXAMINER)
EDGING_EN = "An edging rail for a floor covering with a base part and a cover profile."
EDGING_ZH = "一种地板覆盖物的收边条，具有底座部分和盖板型材。"
RADIO_EN = (
    "A medical radiotherapy apparatus comprising a body, a gantry sliding on the body, a robotic arm "
    "carrying a treatment couch, and drive mechanisms."
)
EDGING_ABSTRACT = (
    "An edging rail for a flooring (2) has a base member (3) and a covering member (4). These are integrally "
    "joined together. At least one drive channel (10) is supported on the base member (3)."
)

runner = CliRunner()
cli = typer.Typer()
cli.add_typer(index_app, name="index")
cli.command("prior-art")(prior_art_cmd)


def _extra_records() -> list[dict]:
    """Records made from 08087209 (its title, abstract and priority claim): family members that must
    never be cited against it, and an unpublished application nobody may cite or the public see."""
    prio = [{"country": "DE", "number": "20 2009 001 036 U", "date": "2009-01-27"}]
    base = {"record": "patent", "country": "EP", "language": "en", "titles": {"en": "Edging rail for a flooring"}}
    return [
        {  # shares the priority claim of 08087209: its family
            **base,
            "number": "EP2213812A1",
            "kind": "A1",
            "publication_date": "2010-08-04",
            "abstracts": {"en": EDGING_ABSTRACT},
            "priorities": prio,
            "classifications": [{"scheme": "ipc", "symbol": "E04F 19/06", "main": True}],
        },
        {  # an unpublished application on the same subject (an examiner's pending case)
            **base,
            "number": "EP9999998A1",
            "kind": "A1",
            "published": False,
            "application_date": "2011-05-02",
            "abstracts": {"en": EDGING_ABSTRACT + " A cover profile is clipped onto the base part."},
            "claims": {"en": ["1. An edging rail for a floor covering, comprising a base part; and a cover profile."]},
        },
        {  # two documents of one family (family id)
            **base,
            "number": "EP9999997A1",
            "kind": "A1",
            "family_id": "FAM-EDGE",
            "publication_date": "2011-06-01",
            "application_date": "2010-06-01",
            "abstracts": {"en": EDGING_ABSTRACT},
        },
        {
            **base,
            "number": "EP9999997B1",
            "kind": "B1",
            "family_id": "FAM-EDGE",
            "publication_date": "2011-12-01",
            "abstracts": {"en": EDGING_ABSTRACT},
        },
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data):
    home = tmp_path_factory.mktemp("priorart") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("IPOFFICE_HOME", str(home))
    mp.delenv("IPOFFICE_DATABASE_URL", raising=False)
    extra = home.parent / "extra.jsonl"
    extra.write_text("\n".join(json.dumps(r) for r in _extra_records()) + "\n", encoding="utf-8")
    assert runner.invoke(main_app, ["init", "--no-schemes"]).exit_code == 0
    for p in (shared_data / SLICE, *(shared_data / c for c in CN), extra):
        assert runner.invoke(main_app, ["import", str(p)]).exit_code == 0, p
    res = runner.invoke(cli, ["index", "build", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["docs"] == 38 and rep["dense"]["docs"] == 38 and rep["dense"]["trained"], rep
    store = open_store(home)
    yield store
    store.engine.dispose()
    mp.undo()


def _numbers(res) -> list[str]:
    return [h.number for h in res.hits]


def test_contract_text_query(built):
    res = prior_art(built, PriorArtQuery(text=EDGING_EN, top=5), EXAMINER)
    d = res.to_dict()
    assert d["results"] and d["results"][0]["number"] == "08087209"
    for r in d["results"]:
        assert {"number", "title", "date", "score", "parts", "passages", "claim_map", "category"} <= set(r)
    first = d["results"][0]
    assert first["category"] == "X" and first["claim_map"][0]["disclosed"]
    assert set(first["parts"]) >= {"lexical", "dense"} and first["parts"]["lexical"]["rank"] <= 3
    p = first["passages"][0]
    assert p["spans"] and all(0 <= s < e <= len(p["text"]) for s, e in p["spans"])
    assert "edging" in p["text"][p["spans"][0][0] : p["spans"][0][1]].lower()
    scores = [r["score"] for r in d["results"]]
    assert scores == sorted(scores, reverse=True)
    # no unpublished document, for an examiner either: prior art is what was published
    assert "EP9999998A1" not in _numbers(res)


def test_critical_date_respected(built):
    for before in (dt.date(2012, 1, 3), dt.date(2011, 7, 1), dt.date(2015, 1, 1)):
        res = prior_art(built, PriorArtQuery(text=EDGING_EN, before=before, top=50), EXAMINER)
        assert res.critical_date == before.isoformat()
        assert all(h.date and dt.date.fromisoformat(h.date) < before for h in res.hits), before
    res = prior_art(built, PriorArtQuery(text=EDGING_EN, before=dt.date(2011, 7, 1), top=50), EXAMINER)
    assert set(_numbers(res)) == {"EP2213812A1", "EP9999997A1"}  # the 2012 slice and later CN are too late
    # by number: the priority date (2009-01-27) is the critical date; everything else is later
    res = prior_art(built, PriorArtQuery(number="08087209"), EXAMINER)
    assert res.critical_date == "2009-01-27" and res.query["critical_date_from"] == "priority date"
    assert res.hits == []
    # a CN application without priority: its filing date
    res = prior_art(built, PriorArtQuery(number="115212463"), EXAMINER)
    assert res.critical_date == "2015-08-07" and res.query["critical_date_from"] == "filing date"
    assert all(dt.date.fromisoformat(h.date) < dt.date(2015, 8, 7) for h in res.hits)


def test_self_and_family_excluded(built):
    late = dt.date(2013, 1, 1)
    res = prior_art(built, PriorArtQuery(number="08087209", before=late, top=50), EXAMINER)
    got = _numbers(res)
    assert got and "08087209" not in got
    assert "EP2213812A1" not in got  # shares the priority claim
    assert {"EP9999997A1", "EP9999997B1"} <= set(got)  # another family: prior art
    res = prior_art(built, PriorArtQuery(number="EP9999997B1", before=late, top=50), EXAMINER)
    got = _numbers(res)
    assert "EP9999997A1" not in got and "EP9999997B1" not in got  # same family id
    assert "08087209" in got  # not of that family: prior art (published 2012-01-03, before the cut-off)


def test_exclude_numbers(built):
    res = prior_art(built, PriorArtQuery(text=EDGING_EN, top=10, exclude={"08087209"}), EXAMINER)
    assert "08087209" not in _numbers(res)


def test_cross_language(built):
    res = prior_art(built, PriorArtQuery(text=EDGING_ZH, top=3), EXAMINER)
    assert "08087209" in _numbers(res), _numbers(res)
    res = prior_art(built, PriorArtQuery(text=RADIO_EN, top=3), EXAMINER)
    # in this 38-document home the best English match is weak, yet scaled to its list's range it ties
    # with the best Chinese one (translations at TRANSLATION_WEIGHT): the Chinese answer is in the top 3
    assert "115212463" in _numbers(res), _numbers(res)
    hit = res.hits[_numbers(res).index("115212463")]
    cmap = hit.claim_map
    assert cmap and any(c["disclosed"] for c in cmap)
    zh_passage = next(c["passage"] for c in cmap if c["disclosed"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh_passage["text"]) and zh_passage["spans"]
    # each retriever alone crosses languages too
    for part in ("lexical", "dense"):
        res = prior_art(built, PriorArtQuery(text=RADIO_EN, top=5, parts=(part,), claim_map=False), EXAMINER)
        assert "115212463" in _numbers(res), part


def test_cross_language_feedback_list(built, monkeypatch):
    """The dense part's cross-language list (lexical and dense together): only documents of the other
    language, found from the query moved toward its translation's best hits; off on tiny indexes."""
    from ipoffice.search import priorart as pa

    q = PriorArtQuery(text=RADIO_EN, top=10, parts=("lexical", "dense"), claim_map=False)
    assert all("xlang" not in h.parts for h in prior_art(built, q, EXAMINER).hits)  # 38 < XLANG_MIN_DOCS
    monkeypatch.setattr(pa, "XLANG_MIN_DOCS", 0)
    res = prior_art(built, q, EXAMINER)
    crossed = [h for h in res.hits if "xlang" in h.parts]
    assert crossed and all(h.language == "zh" for h in crossed), [(h.number, h.language) for h in res.hits]
    assert "115212463" in _numbers(res)
    eng = pa.engine_for(built)
    vec = eng.dense.model.encode_text(RADIO_EN)
    langs = {h.doc_id: h.language for h in res.hits}
    for lang in ("zh", "en"):
        got = eng.dense.search(vec, 5, public=False, language=lang)
        assert got and all(langs.get(d, lang) == lang for d, _s in got)
    monkeypatch.setitem(pa.WEIGHTS, "xlang", 0.0)
    assert all("xlang" not in h.parts for h in prior_art(built, q, EXAMINER).hits)


def test_parts_and_fusion(built):
    for parts in (("lexical",), ("dense",), ("lexical", "dense"), ("lexical", "dense", "ipc")):
        res = prior_art(built, PriorArtQuery(text=EDGING_EN, top=5, parts=parts, claim_map=False), EXAMINER)
        assert res.hits and res.parts == parts[: len(res.parts)]
        for h in res.hits:  # lexical + dense also fuse the cross-language list
            assert set(h.parts) <= set(parts) | ({"xlang"} if {"lexical", "dense"} <= set(parts) else set())
            assert h.claim_map == [] and h.category is None
    res = prior_art(built, PriorArtQuery(text=EDGING_EN, top=5, parts=("ipc",), ipc=["E04F 19/06"]), EXAMINER)
    assert _numbers(res)[0] == "EP2213812A1" and res.hits[0].parts["ipc"]["score"] == 1.0
    res = prior_art(built, PriorArtQuery(text=EDGING_EN, top=5, ipc=["E04C"]), EXAMINER)
    assert res.query["ipc"] == ["E04C"] and res.hits[0].number == "08087209"
    assert res.hits[0].parts["ipc"]["score"] == 0.6
    lex = [(1, 9.0), (2, 5.0), (4, 1.0)]
    fused = fuse({"lexical": lex, "dense": [(2, 0.9), (3, 0.8), (4, 0.1)]}, {1: 0.0, 2: 1.0, 3: 0.3})
    # doc 2: second in both lists and of the same main group; lexical #1 alone beats dense #2 with the same class
    assert [d for d, _s, _p in fused] == [2, 1, 3, 4] and 0 < fused[0][1] <= 1.0
    # scores, not ranks: a first hit far ahead of the second keeps its lead
    fused = fuse({"lexical": [(1, 10.0), (2, 2.0), (4, 1.0)], "dense": [(2, 0.5), (1, 0.49), (4, 0.1)]})
    assert [d for d, _s, _p in fused][:2] == [1, 2]
    assert fused[0][2]["lexical"] == {"rank": 1, "score": 10.0} and fused[0][2]["dense"]["rank"] == 2
    assert ipc_proximity(["E04F 19/06"], ["E04F 19/02"]) == 1.0
    assert ipc_proximity(["E04F 19/06"], ["E04F 15/02"]) == 0.6
    assert ipc_proximity(["E04F 19/06"], ["E04C 2/38"]) == 0.3
    assert ipc_proximity(["E04F 19/06"], ["H01M 4/04"]) == 0.0


def test_claim_map_fields(built):
    claims = (
        "1. Edging rail for a flooring, comprising a base member and a covering member joined at a bending "
        "point; a drive channel fixed on the base member; and a screw engaging the drive channel.\n"
        "2. Edging rail according to claim 1, wherein the bending point is a taper."
    )
    res = prior_art(built, PriorArtQuery(text=claims, top=3), EXAMINER)
    kinds = [f["kind"] for f in res.features]
    assert kinds[0] == "preamble" and kinds.count("feature") == 3, res.features
    h = res.hits[0]
    assert h.number in ("08087209", "EP2213812A1", "EP9999997A1", "EP9999997B1")
    assert len(h.claim_map) == len(res.features)
    for c in h.claim_map:
        assert {"feature", "kind", "text", "similarity", "disclosed", "passage"} <= set(c)
        assert 0.0 <= c["similarity"] <= 1.0 and c["disclosed"] == (c["similarity"] >= 0.6)
    assert h.category in ("X", "Y") and h.claim_map[0]["disclosed"]
    assert all(h2.category in ("X", "Y", "A") for h2 in res.hits)


def test_roles(built):
    # the public may not even ask about an unpublished application (same answer as a missing one)
    with pytest.raises(PriorArtNotFound) as e:
        prior_art(built, PriorArtQuery(number="EP9999998A1", before=dt.date(2013, 1, 1)), PUBLIC)
    with pytest.raises(PriorArtNotFound) as e2:
        prior_art(built, PriorArtQuery(number="NO-SUCH-1"), PUBLIC)
    assert str(e.value).replace("EP9999998A1", "X") == str(e2.value).replace("NO-SUCH-1", "X")
    # an examiner may: its own critical date is the filing date, and it never cites itself
    res = prior_art(built, PriorArtQuery(number="EP9999998A1", top=50), EXAMINER)
    assert res.critical_date == "2011-05-02" and "EP9999998A1" not in _numbers(res)
    for actor in (PUBLIC, EXAMINER):
        res = prior_art(built, PriorArtQuery(text=EDGING_EN + " clipped", top=100), actor)
        assert "EP9999998A1" not in _numbers(res)
        assert "EP9999998A1" not in json.dumps(res.to_dict())


def test_bad_input(built):
    for q, msg in (
        (PriorArtQuery(text="   \n "), "empty"),
        (PriorArtQuery(), "NUMBER or a text"),
        (PriorArtQuery(text="x", number="08087209"), "not both"),
        (PriorArtQuery(text="edging", before=dt.date.today() + dt.timedelta(days=3)), "in the future"),
        (PriorArtQuery(text="edging", top=0), "top"),
        (PriorArtQuery(text="edging", parts=()), "parts"),
        (PriorArtQuery(text="edging", parts=("bm25",)), "parts"),
        (PriorArtQuery(text="edging", ipc=["not-a-class"]), "not an IPC symbol"),
    ):
        with pytest.raises(PriorArtError) as e:
            prior_art(built, q, EXAMINER)
        assert msg in str(e.value), (q, str(e.value))
    big = (EDGING_EN + " ") * 1500  # ~110 KB
    res = prior_art(built, PriorArtQuery(text=big, top=3), EXAMINER)
    assert res.hits and any("100000 bytes" in w for w in res.warnings)


def test_missing_indexes(built, tmp_path):
    from ipoffice.search.dense import dense_path

    home = tmp_path / "empty"
    store = open_store(home)
    with pytest.raises(PriorArtUnavailable) as e:
        prior_art(store, PriorArtQuery(text=EDGING_EN), EXAMINER)
    assert "ipoffice index build" in str(e.value)
    store.engine.dispose()
    # no dense index: a warning, and the other parts still answer; dense alone is refused
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built.home, copy)
    shutil.rmtree(dense_path(copy))
    store = open_store(copy)
    res = prior_art(store, PriorArtQuery(text=EDGING_EN, top=3), EXAMINER)
    assert res.hits and res.parts == ("lexical", "ipc")
    assert any("ipoffice index build" in w for w in res.warnings)
    with pytest.raises(PriorArtUnavailable):
        prior_art(store, PriorArtQuery(text=EDGING_EN, parts=("dense",)), EXAMINER)
    store.engine.dispose()


def test_cli_json_and_errors(built, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text(EDGING_EN, encoding="utf-8")
    res = runner.invoke(cli, ["prior-art", "--text-file", str(q), "--top", "5", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["results"] and all({"number", "title", "score", "passages", "claim_map"} <= set(r) for r in d["results"])
    res = runner.invoke(cli, ["prior-art", "115212463", "--top", "3"])
    assert res.exit_code == 0 and "2015-08-07" in res.stdout
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    for args, msg in (
        (["--text-file", str(empty)], "empty"),
        (["NO-SUCH-1"], "no patent document"),
        (["08087209", "--before", "2019-13-45"], "not a date"),
        (["08087209", "--before", "2999-01-01"], "future"),
        ([], "NUMBER or --text-file"),
        (["--text-file", str(tmp_path / "missing.txt")], "cannot read"),
        (["08087209", "--role", "nobody"], "unknown role"),
    ):
        res = runner.invoke(cli, ["prior-art", *args, "--json"])
        assert res.exit_code == 2, (args, res.output)
        assert msg in json.loads(res.stdout)["error"], (args, res.stdout)


def test_api(built):
    from ipoffice.service.api import create_app

    client = TestClient(create_app(built))
    r = client.post("/prior-art", json={"text": EDGING_EN, "top": 3})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["results"][0]["number"] == "08087209" and d["results"][0]["claim_map"]
    r = client.get("/prior-art", params={"number": "115212463", "top": 3})
    assert r.status_code == 200 and r.json()["critical_date"] == "2015-08-07"
    r = client.get("/api/prior-art", params={"number": "115212463", "before": "2014-12-31", "top": 3})
    assert r.status_code == 200 and all(x["date"] < "2014-12-31" for x in r.json()["results"])
    for method, kw, status in (
        ("get", {"params": {"number": "NO-SUCH-1"}}, 404),
        ("get", {"params": {"number": "EP9999998A1"}}, 404),  # unpublished: the public gets nothing
        ("get", {"params": {"number": "08087209", "before": "20190101x"}}, 400),
        ("get", {"params": {"number": "08087209", "before": "2999-01-01"}}, 400),
        ("get", {"params": {}}, 400),
        ("post", {"json": {"text": "   "}}, 400),
        ("post", {"json": {"text": "edging", "top": 0}}, 422),
    ):
        r = getattr(client, method)("/prior-art", **kw)
        assert r.status_code == status, (kw, r.text)
        assert "error" in r.json() or status == 422
    r = client.post("/prior-art", json={"text": (EDGING_EN + " ") * 1500, "top": 2})
    assert r.status_code == 200 and r.json()["warnings"]
    # the portal page, without JavaScript: the form and the claim-map table
    r = client.get("/prior-art", headers={"accept": "text/html"})
    assert r.status_code == 200 and 'action="/prior-art/search"' in r.text
    r = client.post("/prior-art/search", data={"text": EDGING_EN, "top": "3"})
    assert r.status_code == 200 and 'class="claim-map"' in r.text and "<mark>" in r.text and "08087209" in r.text
    r = client.post("/prior-art/search", data={"number": "NO-SUCH-1"})
    assert r.status_code == 404 and "no patent document" in r.text
    r = client.get("/search-patents", params={"q": "ti:edging"})
    assert r.status_code == 200 and "08087209" in r.text


def test_time_per_query(built):
    """Not a benchmark (bench/ has those): a warm query on this small collection stays well under a second."""
    prior_art(built, PriorArtQuery(text=EDGING_ZH, top=20), EXAMINER)
    started = time.perf_counter()
    for text in (EDGING_EN, EDGING_ZH, RADIO_EN):
        prior_art(built, PriorArtQuery(text=text, top=20), EXAMINER)
    per = (time.perf_counter() - started) / 3
    assert per < 2.0, per


def test_docs_example_runs(built, capsys):
    """The Python example of docs/search.md's prior-art section runs as written (on this home)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "search.md").read_text(encoding="utf-8")
    section = text[text.index("# Prior-art search") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/search.md", "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines and lines[0].split()[0] == "08087209"


def test_portal_page_in_chromium(built, live_server, browser):
    page = browser.new_page()
    page.set_default_timeout(60_000)
    page.goto(live_server(built) + "/prior-art")
    page.fill("textarea[name=text]", EDGING_EN)
    page.fill("input[name=top]", "3")
    page.click("#priorart button")
    page.wait_for_selector("#hit-1")
    hit = page.locator("#hit-1")
    assert "08087209" in hit.inner_text() and hit.locator("table.claim-map tr").count() >= 2
    assert hit.locator("mark").count() >= 1 and hit.locator(".category").inner_text() == "X"
    page.fill("textarea[name=text]", "")
    page.fill("input[name=number]", "NO-SUCH-1")
    page.click("#priorart button")
    assert "no patent document" in page.locator("#error").inner_text()
