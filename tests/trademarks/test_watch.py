"""Trademark watch: gazette marks an earlier mark could oppose, with the Art. 33 window, on real marks.

The register is real: the house marks (stock short names) of Chinese listed companies with their legal names as
applicants and their listing dates as filing dates (../shared/data/trademarks/cn/listed-companies-a-share), put in
the class and 类似群 of their industry. The gazette marks are later applications written against them by the
guideline's rules (traditional form, one character changed, reordered, an added word).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
import sys
import types
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ipoffice.core.roles import PUBLIC, SYSTEM, Actor, PermissionDenied, Role
from ipoffice.trademarks import watch as w

ASTOCK = "trademarks/cn/listed-companies-a-share/Astock.csv.gz"
# industry (Tushare) -> (Nice class, goods item of the similar-goods table)
INDUSTRY = {
    "白酒": (33, "白酒"),
    "红黄酒": (33, "黄酒"),
    "啤酒": (32, "啤酒"),
    "软饮料": (32, "矿泉水"),
    "中成药": (5, "中药成药"),
    "乳制品": (29, "奶制品"),
    "家用电器": (11, "空气调节装置"),
}
GAZETTE_HEADER = "number,mark,nice_classes,groups,goods,applicant,filing_date,status,publication_date\n"
GAZETTE = GAZETTE_HEADER + (
    "G1,五糧液,33,,白酒,某酒业有限公司,2024-01-10,初审公告,2024-03-06\n"  # 5.1.1 traditional form of 五粮液
    "G2,泸州老窑,33,3301,白酒,某酿造有限公司,2024-02-01,初审公告,2024-07-06\n"  # one character changed
    "G3,五粮液,9,0901,,某科技有限公司,2024-01-10,初审公告,2024-03-06\n"  # identical, but on unrelated goods
    "G4,格力电器,11,,空气调节装置,珠海格力电器股份有限公司,2024-03-01,初审公告,2024-03-06\n"  # the owner's own
    "G5,青岛啤酒,32,3201,啤酒,某饮品有限公司,2024-02-20,初审公告,2024-03-06\n"
)


def _register_csv(shared_data: Path, path: Path) -> dict[str, str]:
    """The contract CSV of the real register; returns {mark: number}."""
    rows, numbers = [], {}
    with gzip.open(shared_data / ASTOCK, "rt", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["industry"] not in INDUSTRY:
                continue
            mark = re.sub(r"^\*?ST", "", r["name"]).strip()
            cls, goods = INDUSTRY[r["industry"]]
            number = "CN" + r["symbol"]
            listed = dt.datetime.strptime(r["list_date"], "%Y%m%d").date().isoformat()
            rows.append([number, mark, cls, "", goods, r["fullname"], listed, "registered"])
            numbers[mark] = number
    with path.open("w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["number", "mark", "nice_classes", "groups", "goods", "applicant", "filing_date", "status"])
        wr.writerows(rows)
    return numbers


@pytest.fixture(scope="module")
def register(tmp_path_factory, shared_data):
    from ipoffice.core.schemes import load_schemes
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path

    tmp = tmp_path_factory.mktemp("watch")
    store = open_store(tmp / "home")
    with store.session() as s:
        load_schemes(s, only={"cn-group"})
        s.commit()
    numbers = _register_csv(shared_data, tmp / "register.csv")
    assert import_path(store, tmp / "register.csv").loaded == len(numbers) > 150
    gz = tmp / "gazette.csv"
    gz.write_text(GAZETTE, encoding="utf-8")
    store.numbers = numbers  # type: ignore[attr-defined]
    store.gazette = gz  # type: ignore[attr-defined]
    yield store
    store.engine.dispose()


def _conflicts(report):
    return {(e["watched"]["mark"], c["mark"]): c for e in report["results"] for c in e["conflicts"]}


# ---- the opposition window: dated law, pinned to examples ---------------------------------------------------


@pytest.mark.parametrize(
    ("published", "today", "deadline", "days_left", "state", "rule"),
    [
        ("2024-03-06", "2024-03-06", "2024-06-06", 92, "open", "opposition/tl2019"),  # a Thursday: no shift
        # 2024-10-06 is in the National Day holiday: the period ends on the next working day (TR2014 Art. 12)
        ("2024-07-06", "2024-10-08", "2024-10-08", 0, "open", "opposition/tl2019"),
        ("2019-10-31", "2020-02-04", "2020-02-03", -1, "closed", "opposition/tl2013"),  # Spring Festival, TL2013
        ("2023-11-30", "2024-01-01", "2024-02-29", 59, "open", "opposition/tl2019"),  # no 30 Feb: last day of Feb
        ("2025-01-10", "2025-01-01", "2025-04-10", 99, "not-yet-open", "opposition/tl2019"),  # dated ahead of today
    ],
)
def test_opposition_window_pinned(published, today, deadline, days_left, state, rule):
    win = w.opposition_window(dt.date.fromisoformat(published), dt.date.fromisoformat(today))
    assert (win["deadline"], win["days_left"], win["state"], win["rule_id"]) == (deadline, days_left, state, rule)
    assert "33" in win["legal_basis"] and win["opens"] == published


def test_opposition_rules_cite_the_law(shared_data):
    rules = w.load_opposition_rules()
    law = (shared_data / "law" / "trademark-law-2019.md").read_text(encoding="utf-8")
    articles = {m.group(1): m.group(2) for m in re.finditer(r"^第([一二三四五六七八九十]+)条\s*(.*)$", law, re.M)}
    cn = {30: "三十", 31: "三十一", 33: "三十三"}
    for g in rules.grounds:
        for lb in (g.legal_basis, g.standing):
            assert lb.text in articles[cn[lb.article]], (g.id, lb.article)
    assert [x["id"] for x in w.grounds_for("registered", dt.date(2024, 3, 6))] == ["earlier-mark/approved/tl2019"]
    assert [x["id"] for x in w.grounds_for("pending", dt.date(2019, 1, 2))] == ["earlier-mark/application/tl2013"]
    assert len(w.grounds_for("unknown", dt.date(2024, 3, 6))) == 2
    assert w.counting_rule(dt.date(2024, 3, 6))["rule_id"] == "counting/trademark/tr2014"


def test_bad_opposition_rules_are_refused(tmp_path):
    doc = w.OPPOSITION_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(doc.replace("earlier_status: [pending, unknown]", "earlier_status: [sleeping]", 1), "utf-8")
    with pytest.raises(w.WatchInputError, match="earlier-mark/application/tl2013"):
        w.parse_opposition_rules(bad)
    bad.write_text(doc.replace("instrument: TL2019, article: 31", "instrument: TL2099, article: 31"), "utf-8")
    with pytest.raises(w.WatchInputError, match="unknown instrument 'TL2099'"):
        w.parse_opposition_rules(bad)
    bad.write_text(doc.replace("time_limit_kind: opposition", "time_limit_kind: objection"), "utf-8")
    with pytest.raises(w.WatchInputError, match="no 'objection' rule"):
        w.parse_opposition_rules(bad)


# ---- the three modes on the real register ------------------------------------------------------------------


def test_owner_mode(register):
    rows, errors = w.read_gazette(register.gazette)
    assert not errors and len(rows) == 5
    rep = w.watch(register, SYSTEM, rows, owner="宜宾五粮液股份有限公司", today=dt.date(2024, 4, 1))
    assert rep["mode"] == "owner" and rep["engine"] == "pairwise"
    [entry] = rep["results"]
    assert entry["watched"]["number"] == register.numbers["五粮液"]
    hit = {c["number"]: c for c in entry["conflicts"]}
    assert set(hit) == {"G1"}  # G3 is on computer goods (class 9): not similar goods
    g1 = hit["G1"]
    assert g1["goods_overlap"] == {"groups": ["3301"], "linked_groups": [], "classes": []}
    assert [r["code"] for r in g1["reasons"]][-1] == "tmg2021-5.2"
    assert g1["opposition"]["deadline"] == "2024-06-06" and g1["opposition"]["days_left"] == 66
    assert g1["grounds"][0]["legal_basis"].endswith("Trademark Law (2019) Art. 30")
    assert entry["next_deadline"] == "2024-06-06"
    # the owner's name as the store normalises it: spacing, width and the company form do not matter
    again = w.watch(register, SYSTEM, rows, owner="宜宾五粮液 股份有限公司", today=dt.date(2024, 4, 1))
    assert _conflicts(again).keys() == _conflicts(rep).keys()


def test_owner_does_not_oppose_itself_and_unknown_owner(register):
    rows, _ = w.read_gazette(register.gazette)
    rep = w.watch(register, SYSTEM, rows, owner="珠海格力电器股份有限公司", today=dt.date(2024, 4, 1))
    assert all(c["number"] != "G4" for e in rep["results"] for c in e["conflicts"])
    with pytest.raises(w.WatchInputError, match="unknown owner '宜宾五粮夜股份有限公司'.*did you mean"):
        w.watch(register, SYSTEM, rows, owner="宜宾五粮夜股份有限公司")


def test_marks_file_mode(register, tmp_path):
    marks = tmp_path / "marks.jsonl"
    lines = [
        {"number": register.numbers["泸州老窖"], "mark": "泸州老窖", "nice_classes": [33], "groups": ["3301"],
         "goods": [], "applicant": "泸州老窖股份有限公司", "filing_date": "1994-05-09", "status": "registered"},
        {"number": "X1", "mark": "青岛啤酒", "nice_classes": "32", "groups": "", "goods": "啤酒",
         "applicant": "青岛啤酒股份有限公司", "filing_date": "1993-08-27", "status": "expired"},
        {"number": "X2", "mark": "", "nice_classes": "32", "groups": "", "goods": "",
         "applicant": "x", "filing_date": "1993-08-27", "status": "registered"},
    ]  # fmt: skip
    marks.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    watched, errors = w.read_marks(marks)
    assert len(watched) == 2 and errors[0].field == "mark" and errors[0].record.startswith("#3")
    rows, _ = w.read_gazette(register.gazette)
    rep = w.watch(register, SYSTEM, rows, watched=watched, today=dt.date(2024, 8, 1))
    assert rep["mode"] == "marks"
    assert [n["number"] for n in rep["not_watched"]] == ["X1"]  # an expired mark gives no ground
    c = _conflicts(rep)[("泸州老窖", "泸州老窑")]
    assert c["opposition"]["deadline"] == "2024-10-08"  # 2024-10-06 falls in the National Day holiday
    assert "rest day" in c["opposition"]["note"] and c["opposition"]["days_left"] == 68
    assert any(r["code"].startswith("tmg2021-5.5.1") for r in c["reasons"])


def test_whole_register_mode_online(register, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipoffice.trademarks.batch", None)  # no batch engine: the online search
    rows, _ = w.read_gazette(register.gazette)
    rep = w.watch(register, SYSTEM, rows, today=dt.date(2024, 4, 1))
    assert rep["mode"] == "register" and rep["engine"] == "conflict_search"
    assert any("not installed" in x for x in rep["warnings"])
    got = _conflicts(rep)
    assert ("五粮液", "五糧液") in got and ("泸州老窖", "泸州老窑") in got
    assert not any(g == "格力电器" and later == "格力电器" for g, later in got)  # the owner's own application
    assert not any(later == "五粮液" for _, later in got)  # G3: class 9 against class 33 marks
    deadlines = [e["next_deadline"] for e in rep["results"]]
    assert deadlines == sorted(deadlines) and all(e["conflicts"] for e in rep["results"])


def test_whole_register_mode_uses_the_batch_engine(register, monkeypatch):
    """run_gazette (the DuckDB/Spark batch) is used when importable; its hits become the same report."""
    from ipoffice.trademarks.search import ConflictQuery, conflict_search

    calls = []

    def run_gazette(store, gazette_marks, engine="duckdb", **kw):
        calls.append(engine)
        out = {}
        with store.session() as s:
            for g in gazette_marks:
                q = ConflictQuery(mark=g["mark"], classes=set(g["nice_classes"]), groups=set(g["groups"]))
                out[g["number"]] = conflict_search(s, SYSTEM, q)["results"]
        return [{"gazette_number": k, "results": v} for k, v in out.items()]

    fake = types.ModuleType("ipoffice.trademarks.batch")
    fake.run_gazette = run_gazette  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipoffice.trademarks.batch", fake)
    rows, _ = w.read_gazette(register.gazette)
    batch = w.watch(register, SYSTEM, rows, today=dt.date(2024, 4, 1), engine="spark")
    assert calls == ["spark"] and batch["engine"] == "run_gazette:spark"
    monkeypatch.setitem(sys.modules, "ipoffice.trademarks.batch", None)
    online = w.watch(register, SYSTEM, rows, today=dt.date(2024, 4, 1))
    assert json.dumps(batch["results"], sort_keys=True) == json.dumps(online["results"], sort_keys=True)
    # a batch engine that fails falls back to the online search, and says so
    fake.run_gazette = lambda *a, **k: 1 / 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipoffice.trademarks.batch", fake)
    failed = w.watch(register, SYSTEM, rows, today=dt.date(2024, 4, 1))
    assert failed["engine"] == "conflict_search" and any("ZeroDivisionError" in x for x in failed["warnings"])


def test_whole_register_mode_on_the_real_batch_engine(register):
    """With `trademarks.batch` present, the DuckDB batch gives the report the online search gives."""
    pytest.importorskip("ipoffice.trademarks.batch")
    rows, _ = w.read_gazette(register.gazette)
    batch = w.watch(register, SYSTEM, rows, today=dt.date(2024, 4, 1), engine="duckdb")
    assert batch["engine"] == "run_gazette:duckdb", batch["warnings"]
    online = w.watch(register, SYSTEM, rows, today=dt.date(2024, 4, 1), engine="online")

    def pairs(rep):
        return sorted((e["watched"]["number"], c["number"], c["reasons"][0]["code"]) for e in rep["results"]
                      for c in e["conflicts"])  # fmt: skip

    assert pairs(batch) == pairs(online) and pairs(online)


def test_batch_result_shapes():
    hit = {"number": "A", "score": 1.0}
    assert w._batch_hits({"G1": [hit]}) == {"G1": [hit]}
    assert w._batch_hits([{"number": "G1", "results": [hit]}]) == {"G1": [hit]}
    assert w._batch_hits([{"gazette_number": "G1", **hit}]) == {"G1": [hit | {"gazette_number": "G1"}]}
    warnings: list[str] = []
    assert w._batch_hits([{"number": "G2", "error": "field mark ''"}], warnings) == {"G2": []}
    assert warnings == ["gazette mark G2: not searched: field mark ''"]
    with pytest.raises(ValueError):
        w._batch_hits([{"score": 1}])


# ---- bad input, the CLI, the API, the page -------------------------------------------------------------------


def _cli(register, monkeypatch, *args):
    from ipoffice.service.cli import app

    monkeypatch.setenv("IPOFFICE_HOME", str(register.home))
    monkeypatch.delenv("IPOFFICE_DATABASE_URL", raising=False)
    return CliRunner().invoke(app, ["tm", "watch", *args])


def test_cli_report_files_and_bad_rows(register, monkeypatch, tmp_path):
    gz = tmp_path / "gazette.csv"
    gz.write_text(
        GAZETTE.replace("2024-07-06\n", "\n")  # G2 loses its publication date
        + "G6,五粮液,46,,,某公司,2024-01-10,初审公告,2024-03-06\n"  # class 46
        + "G7,五粮液,33,,白酒,某公司,2024-13-10,初审公告,2024-03-06\n"  # no month 13
        + "G8,五粮液,33,,白酒,某公司,2010-01-10,初审公告,2012-03-06\n",  # before the rules' first version
        encoding="utf-8",
    )
    out = tmp_path / "report.html"
    res = _cli(register, monkeypatch, "--gazette", str(gz), "--owner", "宜宾五粮液股份有限公司", "--today",
               "2024-04-01", "--out", str(out), "--json")  # fmt: skip
    assert res.exit_code == 1, res.stdout
    rep = json.loads(res.stdout)
    assert rep["results"][0]["conflicts"][0]["number"] == "G1"
    errs = {(e["record"].split()[0], e["field"]) for e in rep["errors"]}
    assert errs == {
        ("#3", "publication_date"),
        ("#7", "nice_classes"),
        ("#8", "filing_date"),
        ("#9", "publication_date"),
    }
    assert "2014-05-01" in rep["errors"][-1]["message"]
    assert "五糧液" in out.read_text(encoding="utf-8") and "<script" not in out.read_text(encoding="utf-8")
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["summary"]["conflicts"] == 1
    # --published fills the missing date; Markdown when asked
    md = tmp_path / "report.md"
    res = _cli(register, monkeypatch, "--gazette", str(gz), "--owner", "泸州老窖股份有限公司", "--published",
               "2024-07-06", "--today", "2024-08-01", "--out", str(md))  # fmt: skip
    assert res.exit_code == 1 and "2024-10-08" in res.stdout
    assert "| G2 | 泸州老窑 |" in md.read_text(encoding="utf-8")


def test_cli_refuses_what_cannot_be_watched(register, monkeypatch, tmp_path):
    for args, msg in (
        (["--gazette", str(tmp_path / "nope.csv")], "does not exist"),
        (["--gazette", str(register.gazette), "--owner", "无此公司"], "unknown owner"),
        (["--gazette", str(register.gazette), "--owner", "a", "--marks", "b"], "not both"),
        (["--gazette", str(register.gazette), "--today", "2024-02-30"], "not a date"),
        (["--gazette", str(register.gazette), "--classes", "46", "--owner", "泸州老窖股份有限公司"], "Nice class 46"),
    ):
        res = _cli(register, monkeypatch, *args, "--json")
        assert res.exit_code == 2, (args, res.stdout)
        assert msg in json.loads(res.stdout)["error"]
    empty = tmp_path / "empty.csv"
    empty.write_text(GAZETTE_HEADER + "G9,五粮液,33,,,x,2024-01-01,初审公告,\n", encoding="utf-8")
    res = _cli(register, monkeypatch, "--gazette", str(empty), "--json")
    assert res.exit_code == 2 and "publication_date" in json.loads(res.stdout)["error"]
    headless = tmp_path / "headless.csv"
    headless.write_text("a,b\n1,2\n", encoding="utf-8")
    res = _cli(register, monkeypatch, "--gazette", str(headless), "--json")
    assert res.exit_code == 2 and "lacks the columns" in json.loads(res.stdout)["error"]


def test_permission():
    from ipoffice.core.roles import check

    for role in (Role.APPLICANT, Role.AGENT, Role.EXAMINER, Role.ADMINISTRATOR):
        check("trademark_watch", Actor("x", role))
    with pytest.raises(PermissionDenied):
        check("trademark_watch", PUBLIC)


def _api(register):
    from ipoffice.service.api import create_app
    from ipoffice.service.auth import create_token

    with register.session() as s:
        token = create_token(s, "agent-1", Role.AGENT)
        s.commit()
    return TestClient(create_app(register)), {"Authorization": f"Bearer {token}"}


def _gazette_json():
    rows = list(csv.DictReader(GAZETTE.splitlines()))
    return [dict(r, nice_classes=[int(r["nice_classes"])]) for r in rows]


def test_api(register):
    client, auth = _api(register)
    body = {"gazette": _gazette_json(), "owner": "泸州老窖股份有限公司", "today": "2024-08-01"}
    assert client.post("/trademarks/watch", json=body).status_code == 403  # the public uses the search
    r = client.post("/trademarks/watch", json=body, headers=auth)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["results"][0]["conflicts"][0]["opposition"]["deadline"] == "2024-10-08"
    bad = {**body, "gazette": [*body["gazette"], {"number": "B1", "mark": "x", "nice_classes": "99"}, 7]}
    rep = client.post("/trademarks/watch", json=bad, headers=auth).json()
    assert [e["record"] for e in rep["errors"]] == ["#6 (B1)", "#7"] and rep["results"]
    r = client.post("/trademarks/watch", json={**body, "owner": "无此公司"}, headers=auth)
    assert r.status_code == 422 and "unknown owner" in r.json()["error"]
    marks = [{"number": "M1", "mark": "泸州老窖", "nice_classes": [33], "groups": ["3301"], "goods": [],
              "applicant": "某", "filing_date": "2000-01-01", "status": "registered"}]  # fmt: skip
    r = client.post("/trademarks/watch", json={"gazette": body["gazette"], "marks": marks, "today": "2024-08-01"},
                    headers=auth)  # fmt: skip
    assert r.status_code == 200 and r.json()["results"][0]["conflicts"][0]["number"] == "G2"
    assert client.post("/trademarks/watch", json={"gazette": []}, headers=auth).status_code == 422


def test_portal_page(register):
    client, auth = _api(register)
    assert client.get("/trademarks/watch").status_code == 401  # the login page
    cookie = {"ipoffice_token": auth["Authorization"].split()[1]}
    client.cookies.update(cookie)
    assert client.get("/trademarks/watch").status_code == 200
    r = client.post(
        "/trademarks/watch/report",
        data={"owner": "宜宾五粮液股份有限公司", "today": "2024-04-01"},
        files={"gazette": ("gazette.csv", GAZETTE.encode("utf-8"), "text/csv")},
    )
    assert r.status_code == 200 and "五糧液" in r.text and "2024-06-06" in r.text and "tmg2021-5.2" in r.text
    r = client.post("/trademarks/watch/report", data={"owner": "无此公司"},
                    files={"gazette": ("g.csv", GAZETTE.encode("utf-8"), "text/csv")})  # fmt: skip
    assert r.status_code == 422 and "unknown owner" in r.text


def test_portal_page_in_chromium(register, live_server, browser, tmp_path):
    _client, auth = _api(register)
    url = live_server(register)
    page = browser.new_page()
    page.goto(url + "/login")
    page.fill("input[name=token]", auth["Authorization"].split()[1])
    page.click("form button")
    page.goto(url + "/trademarks/watch")
    gz = tmp_path / "gazette.csv"
    gz.write_text(GAZETTE, encoding="utf-8")
    page.set_input_files("input[name=gazette]", str(gz))
    page.fill("input[name=owner]", "宜宾五粮液股份有限公司")
    page.fill("input[name=today]", "2024-04-01")
    page.click("#tm-watch button")
    page.wait_for_selector("#tm-watch-report")
    text = page.locator("#tm-watch-report").inner_text()
    assert "五糧液" in text and "2024-06-06" in text


def test_owner_and_register_modes_on_each_backend(store, tmp_path):
    """The watch's store queries (owner by normalised name, stored goods, the hits' records) on both backends."""
    from ipoffice.core.schemes import load_schemes
    from ipoffice.ingest.runner import import_path

    with store.session() as s:
        load_schemes(s, only={"cn-group"})
        s.commit()
    reg = tmp_path / "register.csv"
    reg.write_text(
        "number,mark,nice_classes,groups,goods,applicant,filing_date,status\n"
        "CN000858,五粮液,33,3301,白酒,宜宾五粮液股份有限公司,1998-04-27,registered\n"
        "CN000568,泸州老窖,33,3301,白酒,泸州老窖股份有限公司,1994-05-09,registered\n",
        encoding="utf-8",
    )
    assert import_path(store, reg).loaded == 2
    gz = tmp_path / "gazette.csv"
    gz.write_text(GAZETTE, encoding="utf-8")
    rows, _ = w.read_gazette(gz)
    rep = w.watch(store, SYSTEM, rows, owner="宜宾五粮液股份有限公司", today=dt.date(2024, 4, 1))
    assert [c["number"] for e in rep["results"] for c in e["conflicts"]] == ["G1"]
    rep = w.watch(store, SYSTEM, rows, today=dt.date(2024, 4, 1), engine="online")
    assert {(e["watched"]["number"], c["number"]) for e in rep["results"] for c in e["conflicts"]} == {
        ("CN000858", "G1"),
        ("CN000568", "G2"),
    }
