"""Conflict search: earlier similar marks on similar goods, reasons named, dead marks apart, bad input refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ipoffice.core.roles import SYSTEM
from ipoffice.ingest.runner import import_path
from ipoffice.service.api import create_app
from ipoffice.trademarks.search import ConflictQuery, SearchInputError, conflict_search

CSV = (
    "number,mark,nice_classes,groups,goods,applicant,filing_date,status\n"
    "TM1,蓝月亮,3,0301,,甲公司,2015-03-01,registered\n"
    "TM2,长城,33,3301,,乙公司,2015-03-01,registered\n"
    "TM3,月亮蓝,3,0301,,丙公司,2010-01-05,expired\n"
    "TM4,蓝月亮,9,0901,,丁公司,2016-01-05,registered\n"
    "TM5,蓝月亮,3,0301,,戊公司,2024-05-01,pending\n"
)


@pytest.fixture
def register(store, tmp_path):
    from ipoffice.core.schemes import load_schemes

    with store.session() as s:
        load_schemes(s, only={"cn-group"})
        s.commit()
    f = tmp_path / "register.csv"
    f.write_text(CSV, encoding="utf-8")
    assert import_path(store, f).loaded == 5
    return store


def _search(store, **kw):
    with store.session() as s:
        return conflict_search(s, SYSTEM, ConflictQuery(**kw))


def test_reordered_characters_on_the_same_group(register):
    res = _search(register, mark="月亮蓝", groups={"0301"}, include_dead=True)
    assert [h["number"] for h in res["results"]] == ["TM1", "TM5"]  # class 9 and class 33 marks are not asked
    hit = res["results"][0]
    assert {"number", "mark", "score", "classes", "status", "reasons"} <= set(hit)
    codes = [r["code"] for r in hit["reasons"]]
    assert codes[0] == "tmg2021-5.5.1.1" and "tmg2021-5.2" in codes
    assert [h["number"] for h in res["dead"]] == ["TM3"]  # expired: listed apart, does not block


def test_before_date_keeps_earlier_marks_only(register):
    res = _search(register, mark="蓝月亮", classes={3}, before=dt.date(2020, 1, 1))
    assert [h["number"] for h in res["results"]] == ["TM1"]


def test_bad_input_is_refused(register):
    for kw, msg in (
        ({"mark": "   ", "classes": {3}}, "mark"),
        ({"mark": "！？。", "classes": {3}}, "mark"),
        ({"mark": "蓝月亮", "classes": {46}}, "Nice class 46"),
        ({"mark": "蓝月亮", "groups": {"9999"}}, "9999"),
        ({"mark": "蓝月亮"}, "nothing to search"),
    ):
        with pytest.raises(SearchInputError, match=msg):
            _search(register, **kw)
    long_mark = "蓝" * 200
    assert _search(register, mark=long_mark, classes={3})["results"] == []  # long marks do not crash


def test_cli_and_api_contract(register, monkeypatch):
    from ipoffice.service.cli import app

    monkeypatch.setenv("IPOFFICE_HOME", str(register.home))
    if register.dialect != "sqlite":
        monkeypatch.setenv("IPOFFICE_DATABASE_URL", register.engine.url.render_as_string(hide_password=False))
    res = CliRunner().invoke(app, ["tm", "search", "月亮蓝", "--classes", "3", "--json"])
    assert res.exit_code == 0, res.stdout
    hits = json.loads(res.stdout)["results"]
    assert hits and all({"number", "mark", "score", "classes", "status", "reasons"} <= set(h) for h in hits)
    assert CliRunner().invoke(app, ["tm", "search", "蓝月亮", "--classes", "46"]).exit_code == 2
    client = TestClient(create_app(register))
    r = client.get("/trademarks/search", params={"mark": "月亮蓝", "classes": "3"})
    assert r.status_code == 200 and r.json()["results"][0]["number"] in ("TM1", "TM5")
    assert client.get("/trademarks/search", params={"mark": "🙂", "classes": "3"}).status_code == 422


def test_portal_page_in_chromium(register, live_server, browser):
    page = browser.new_page()
    page.goto(live_server(register) + "/trademarks")
    page.fill("input[name=mark]", "月亮蓝")
    page.fill("input[name=groups]", "0301")
    page.click("#tm-search button")
    page.wait_for_selector("#tm-hits")
    text = page.locator("#tm-hits").inner_text()
    assert "蓝月亮" in text and "tmg2021-5.5.1.1" in text and "tmg2021-5.2" in text
    assert "TM3" in page.locator("#tm-dead").inner_text()
    page.fill("input[name=mark]", "🙂")
    page.click("#tm-search button")
    assert "mark" in page.locator("#error").inner_text()
