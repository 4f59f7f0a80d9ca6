"""IPC classification on real records: one data home per module (a real USPTO weekly slice, the CNIPA
samples), its model trained on first use, then the CLI, the calibration, intake and the API.

Records written for these tests (an unclassified filing, an unpublished application) reuse the text of
real grants from ../shared/data/patents; only numbers, dates and classifications are changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
EDGING = (
    "An edging rail for a floor covering with a base part and a cover profile, the cover profile bent over the edge."
)
BOILER = "一种余热回收锅炉，包括烟气换热器和汽包，利用工业炉窑排出的高温烟气的热量产生蒸汽，提高能源利用率。"

runner = CliRunner()


def _cli(*args: str):  # noqa: ANN202
    from ipoffice.service.cli import app

    return runner.invoke(app, list(args), catch_exceptions=False)


def _json(res) -> dict:  # noqa: ANN001
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def home(tmp_path_factory, shared_data):
    """init + import of a real weekly slice and the CNIPA samples; the model trains on first classify."""
    h = tmp_path_factory.mktemp("classify") / "home"
    old = {k: os.environ.get(k) for k in ("IPOFFICE_HOME", "IPOFFICE_DATABASE_URL")}
    os.environ["IPOFFICE_HOME"] = str(h)
    os.environ.pop("IPOFFICE_DATABASE_URL", None)
    try:
        assert _cli("init").exit_code == 0
        assert _cli("import", str(shared_data / SLICE), "--json").exit_code in (0, 1)
        assert _cli("import", str(shared_data / "patents" / "cn"), "--json").exit_code in (0, 1)
        yield h
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def env(home, monkeypatch):
    monkeypatch.setenv("IPOFFICE_HOME", str(home))
    monkeypatch.delenv("IPOFFICE_DATABASE_URL", raising=False)
    return home


@pytest.fixture(scope="module")
def trained(home):
    """The first classify of a home without a model trains one and says so on stderr (the contract)."""
    os.environ["IPOFFICE_HOME"] = str(home)
    q = home.parent / "q.txt"
    q.write_text(EDGING, encoding="utf-8")
    res = _cli("classify", "--text-file", str(q), "--top", "3", "--json")
    assert res.exit_code == 0, res.output
    assert "training one" in res.stderr
    return _json(res)


def _store(home: Path):  # noqa: ANN202
    from ipoffice.core.store import open_store

    return open_store(home)


def test_first_use_trains_and_answers_the_contract(trained, env):
    from ipoffice.classify.storage import current_version, model_root

    r = trained["results"]
    assert r and all({"symbol", "confidence", "level", "title", "reasons"} <= set(x) for x in r)
    subs = [x for x in r if x["level"] == "subclass"]
    assert len(subs) == 3 and subs[0]["symbol"] in ("E04C", "E04F")  # 08087209, the edging rail, is E04C 2/38
    assert {t["term"] for t in subs[0]["reasons"]["terms"]} & {"rail", "floor", "edg", "cover"}
    assert any(n["number"] == "08087209" for x in r for n in x["reasons"]["neighbours"])
    version = current_version(env)
    meta = json.loads((model_root(env) / version / "metadata.json").read_text())
    assert meta["counts"]["store_documents"] >= 20 and meta["counts"]["scheme_samples"] > 8000
    assert meta["scheme"]["version"] == "2026.01" and "trained_at" in meta


def test_chinese_text(trained, env):
    res = _cli("classify", "--text", BOILER, "--top", "5", "--level", "subclass", "--json")
    assert res.exit_code == 0, res.output
    syms = [x["symbol"] for x in _json(res)["results"]]
    assert {"F22B", "F01K", "F27D", "F23J"} & set(syms[:3]), syms
    top = _json(res)["results"][0]
    assert top["title"]["zh"] and top["reasons"]["terms"]


def test_confidences_are_probabilities_and_symbols_canonical(trained, env):
    from ipoffice.core.ipc import normalize_ipc

    res = _cli("classify", "--text", EDGING + " " + BOILER, "--top", "50", "--json")
    d = _json(res)
    for level in ("subclass", "main_group"):
        confs = [x["confidence"] for x in d["results"] if x["level"] == level]
        assert confs and all(0.0 <= c <= 1.0 for c in confs)
        assert sum(confs) <= 1.0 + 1e-3
        assert confs == sorted(confs, reverse=True)
    for x in d["results"]:
        assert normalize_ipc(x["symbol"]) == x["symbol"]
        assert (" " in x["symbol"]) == (x["level"] == "main_group")


def test_number_leaves_itself_out(trained, env):
    res = _cli("classify", "08087209", "--top", "3", "--json")
    assert res.exit_code == 0, res.output
    d = _json(res)
    assert d["number"] == "08087209" and d["results"]
    assert all(n["number"] != "08087209" for x in d["results"] for n in x["reasons"]["neighbours"])
    assert any(c["symbol"].startswith("E04C 2/") and c["source"] == "office" for c in d["classifications"])
    # options after the number and before it are both honoured
    res = _cli("classify", "--top", "2", "08087209", "--level", "subclass", "--json")
    assert [x["level"] for x in _json(res)["results"]] == ["subclass", "subclass"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--text", "   \n\t "), "empty"),
        (("--text", ""), "empty"),
        (("--text", "。，；!!! 123"), "no words"),
        (("NO-SUCH-NUMBER",), "no patent document with number 'NO-SUCH-NUMBER'"),
        (("--text", "rail", "--top", "0"), "--top must be between 1 and 50"),
        (("--text", "rail", "--top", "51"), "--top must be between 1 and 50"),
        (("--text", "rail", "--level", "group"), "--level must be one of"),
        (("--text-file", "/no/such/file.txt"), "cannot read --text-file"),
        ((), "nothing to classify"),
    ],
)
def test_bad_input_exits_2(trained, env, args, message):
    res = _cli("classify", *args, "--json")
    assert res.exit_code == 2
    assert message in _json(res)["error"]


def test_long_text_is_trimmed_with_a_warning(trained, env, tmp_path):
    f = tmp_path / "long.txt"
    f.write_text((EDGING + " ") * 1000, encoding="utf-8")  # ~120 KB
    res = _cli("classify", "--text-file", str(f), "--top", "1", "--json")
    assert res.exit_code == 0
    d = _json(res)
    assert d["warnings"] and d["chars"] <= 20_000 and d["results"]
    assert "warning" in res.stderr


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps({"record": "patent", **r}, ensure_ascii=False) for r in records) + "\n")
    return path


def _real_text(home: Path, number: str) -> dict:
    from ipoffice.core.queries import find_patents
    from ipoffice.core.roles import SYSTEM

    store = _store(home)
    with store.session() as s:
        data = find_patents(s, number, SYSTEM)[0].data
    return {k: data[k] for k in ("titles", "abstracts", "claims") if data.get(k)}


def test_intake_suggests_and_never_touches_office_classes(trained, env, tmp_path):
    from sqlalchemy import select

    from ipoffice.classify.intake import suggest_for
    from ipoffice.core import tables as t

    text = _real_text(env, "08087209")
    f = _write_jsonl(
        tmp_path / "new.jsonl",
        [{"number": "TEST-NEW-1", "country": "US", "publication_date": "2012-01-03", **text}],
    )
    res = _cli("import", str(f), "--json")
    assert res.exit_code == 0, res.output
    assert "suggested IPC stored" in res.stderr
    store = _store(env)

    def rows(number: str) -> list[tuple[str, str, bool]]:
        with store.session() as s:
            q = (
                select(t.PatentClassification.symbol, t.PatentClassification.source, t.PatentClassification.main)
                .join(t.PatentDocument, t.PatentDocument.id == t.PatentClassification.document_id)
                .where(t.PatentDocument.number == number, t.PatentClassification.scheme == "ipc")
            )
            return sorted(s.execute(q).all())

    new = rows("TEST-NEW-1")
    assert new and all(src == "suggested" for _sym, src, _m in new)
    assert sum(m for *_x, m in new) == 1
    assert new[0][0].startswith("E04")
    # the record as published is untouched: the suggestion lives beside it
    show = _json(_cli("show", "TEST-NEW-1", "--json"))
    assert not [c for c in show.get("classifications", []) if c.get("scheme") == "ipc"]
    # again: replaced, not duplicated; an office-classified document gets none
    before = rows("08087209")
    rep = suggest_for(store, ["TEST-NEW-1", "08087209", "NOPE-1"])
    assert rep.office_classified == 1 and rep.suggested == 1 and rep.not_found == ["NOPE-1"]
    assert rows("08087209") == before and all(src == "office" for _s, src, _m in before)
    assert len(rows("TEST-NEW-1")) == len(new)
    # suggestions never train the next model
    from ipoffice.classify.data import store_samples

    assert "TEST-NEW-1" not in {x.ref["number"] for x in store_samples(store)}


def test_train_command_versions_and_rollback(trained, env):
    from ipoffice.classify.storage import current_version, model_root, versions

    first = current_version(env)
    res = _cli("classify", "train", "--no-scheme", "--json")
    assert res.exit_code == 0, res.output
    d = _json(res)
    assert d["version"] != first and d["counts"]["store_documents"] >= 20 and "scheme_samples" not in d["counts"]
    assert first in versions(env) and d["version"] in versions(env)  # the older version is kept
    assert current_version(env) == d["version"]
    (model_root(env) / "current").write_text(first + "\n")  # roll back by rewriting the pointer
    assert _cli("classify", "--text", EDGING, "--json").exit_code == 0


def test_corrupt_or_missing_model_says_how_to_train(trained, env):
    from ipoffice.classify.storage import current_version, model_root

    first = current_version(env)
    bad = model_root(env) / "broken"
    bad.mkdir(exist_ok=True)
    (bad / "model.joblib").write_bytes(b"not a model")
    (bad / "metadata.json").write_text("{}")
    try:
        (model_root(env) / "current").write_text("broken\n")
        res = _cli("classify", "--text", EDGING, "--json")
        assert res.exit_code == 2 and "ipoffice classify train" in _json(res)["error"]
        (model_root(env) / "current").write_text("gone\n")
        res = _cli("classify", "--text", EDGING, "--json")
        assert res.exit_code == 2 and "ipoffice classify train" in _json(res)["error"]
    finally:
        (model_root(env) / "current").write_text(first + "\n")


def test_record_without_text(trained, env, tmp_path):
    f = _write_jsonl(tmp_path / "bare.jsonl", [{"number": "TEST-BARE-1", "country": "US"}])
    assert _cli("import", str(f), "--no-suggest-ipc").exit_code == 0
    res = _cli("classify", "TEST-BARE-1", "--json")
    assert res.exit_code == 2 and "no title, abstract, claims or description" in _json(res)["error"]


def test_api_honours_visibility(trained, env, tmp_path):
    from fastapi.testclient import TestClient

    from ipoffice.core.roles import Role
    from ipoffice.service.api import create_app
    from ipoffice.service.auth import create_token

    text = _real_text(env, "08087209")
    f = _write_jsonl(
        tmp_path / "secret.jsonl",
        [{"number": "TEST-UNPUB-1", "country": "US", "stage": "application", "published": False, **text}],
    )
    assert _cli("import", str(f), "--no-suggest-ipc").exit_code == 0
    store = _store(env)
    with store.session() as s:
        token = create_token(s, "examiner-1", Role.EXAMINER)
        s.commit()
    client = TestClient(create_app(store))
    hidden = client.get("/classify", params={"number": "TEST-UNPUB-1"})
    missing = client.get("/classify", params={"number": "TEST-NONE-1"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace("TEST-UNPUB-1", "X") == missing.json()["error"].replace("TEST-NONE-1", "X")
    ok = client.get("/classify", params={"number": "TEST-UNPUB-1"}, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["results"][0]["symbol"].startswith("E04")
    post = client.post("/classify", json={"text": BOILER, "top": 2})
    assert post.status_code == 200 and {"symbol", "confidence"} <= set(post.json()["results"][0])
    assert client.post("/classify", json={"text": "  "}).status_code == 400
    assert client.post("/classify", json={"text": "rail", "top": 99}).status_code == 400
    # the unpublished application is an office neighbour, never a public one
    text_q = " ".join(text.get("titles", {}).values()) + " " + EDGING
    pub = client.post("/classify", json={"text": text_q, "top": 3}).json()
    office = client.post(
        "/classify", json={"text": text_q, "top": 3}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert all(n["number"] != "TEST-UNPUB-1" for x in pub["results"] for n in x["reasons"]["neighbours"])
    assert isinstance(office["results"], list)
