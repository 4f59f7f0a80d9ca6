"""`ipoffice case ...` on a real CN record: one JSON object per command, exit 2 naming case and rule."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from ipoffice.core.model import PartyRef, TrademarkRecord
from ipoffice.core.store import PartyResolver, open_store, upsert_trademarks
from ipoffice.service.cli_cases import case_app
from ipoffice.workflow import cases as C

runner = CliRunner()
CN_DOC = "patents/cn/cnipa-xml-new-business-ns/CN102015000481495CN00001152124630AFULZH20221021CN00D.XML"


def fake_calc(event, date, right, service="electronic", priority_date=None, expiry_date=None, today=None):
    periods = {
        "filing": ("exam-request", 3 * 365, "deemed-withdrawn"),
        "rights-loss-notice": ("restoration", 61, "rights-lost"),
    }
    if event not in periods or (event == "filing" and right != "invention"):
        return []
    kind, days, consequence = periods[event]
    due = date + dt.timedelta(days=days)
    return [
        SimpleNamespace(
            kind=kind,
            deadline=due,
            legal_basis="专利法(2020) 第三十五条第一款 / Patent Law (2020) Art. 35(1)",
            trigger_event=event,
            trigger_date=date,
            party="applicant",
            consequence=consequence,
            rule_id=f"t-{kind}",
        )
    ]


@pytest.fixture
def data_home(home, shared_data, monkeypatch):
    from ipoffice.ingest.runner import import_path

    monkeypatch.setattr(C, "_calculator", lambda: fake_calc)
    store = open_store(home)
    import_path(store, shared_data / CN_DOC)
    rec = TrademarkRecord(
        number="57001234",
        country="CN",
        mark="云上茶",
        mark_type="word",
        filing_date=dt.date(2021, 6, 1),
        status="pending",
        parties=[PartyRef(name="云南某茶业有限公司", role="applicant")],
        source_format="test",
    )
    with store.session() as s:
        upsert_trademarks(s, [(rec, "test")], PartyResolver())
        s.commit()
    store.engine.dispose()
    return home


def run(*args: str) -> tuple[int, dict]:
    res = runner.invoke(case_app, list(args))
    out = res.stdout.strip()
    return res.exit_code, (json.loads(out) if out else {})


def test_open_move_show_a_real_document(data_home):
    code, case = run("open", "--document", "CN115212463A", "--json")
    assert code == 0, case
    no = case["case_no"]
    assert no == "201510481495.9" and case["title"] == "一种医用放射治疗装置" and case["ipc_main"] == "A61N 5/00"
    assert case["applicant"]["name"] == "北京大基康明医疗设备有限公司"
    assert [d["kind"] for d in case["deadlines"]] == ["exam-request"]
    code, again = run("open", "--document", "CN115212463A", "--json")
    assert code == 2 and "already has case 201510481495.9" in again["error"]

    code, out = run("event", no, "start-formalities", "--date", "2015-08-20", "--json")
    assert code == 0 and out["case"]["state"] == "formalities" and out["event"]["from_state"] == "filed"
    code, out = run("event", no, "grant-notice", "--date", "2015-09-01", "--json")
    assert code == 2
    assert out["case"] == no and out["state"] == "formalities" and "pass-formalities" in out["allowed"]
    assert f"case {no}: event 'grant-notice' is not allowed in state 'formalities'" in out["error"]
    code, out = run("event", no, "pass-formalities", "--date", "2015-13-01", "--json")
    assert code == 2 and "not a date" in out["error"]
    code, out = run(
        "event",
        no,
        "request-examination",
        "--date",
        "2015-09-01",
        "--detail",
        "service=mail",
        "--role",
        "applicant",
        "--json",
    )
    assert code == 2 and "may not case transition" in out["error"]  # an applicant without the case's party
    code, out = run("event", no, "request-examination", "--date", "2015-09-01", "--note", "随申请提出", "--json")
    assert code == 0 and out["event"]["details"]["note"] == "随申请提出"
    code, out = run("event", "NO-SUCH", "publish", "--date", "2015-09-01", "--json")
    assert code == 2 and "no case 'NO-SUCH'" in out["error"]

    code, page = run("show", no, "--json")
    assert code == 0 and [e["event"] for e in page["events"]] == ["file", "start-formalities", "request-examination"]
    assert page["deadlines"][0]["status"] == "met"
    code, _ = run("show", no, "--role", "public", "--json")
    assert code == 2
    res = runner.invoke(case_app, ["show", no])
    assert res.exit_code == 0 and "201510481495.9" in res.stdout and "request-examination" in res.stdout


def test_sweep_confirm_reject(data_home):
    code, a = run("open", "--right", "invention", "--filing-date", "2019-03-04", "--title", "逾期案", "--json")
    assert code == 0 and a["case_no"] == "201910000001.9" and a["procedure_version"] == "v2010"
    code, b = run("open", "--right", "invention", "--filing-date", "2019-05-06", "--json")
    code, rep = run("sweep", "--today", "2022-06-01", "--json")
    assert code == 0 and rep["proposed"] == 2
    by_case = {p["case"]: p for p in rep["results"]}
    assert by_case[a["case_no"]]["action"] == "deem-withdrawn"
    code, listed = run("actions", "--json")
    assert {r["case"] for r in listed["results"]} == {a["case_no"], b["case_no"]}
    code, done = run("confirm", str(by_case[a["case_no"]]["proposed_action_id"]), "--date", "2022-06-02", "--json")
    assert code == 0 and done["case"]["state"] == "deemed-withdrawn" and done["event"]["event"] == "deem-withdrawn"
    code, again = run("confirm", str(by_case[a["case_no"]]["proposed_action_id"]), "--json")
    assert code == 2 and "already confirmed" in again["error"]
    pid = str(by_case[b["case_no"]]["proposed_action_id"])
    code, rej = run("reject", pid, "--reason", "请求已邮寄", "--extend-to", "2022-07-01", "--json")
    assert code == 0 and rej == {"proposed_action": int(pid), "status": "rejected", "extended_to": "2022-07-01"}
    code, rep = run("sweep", "--today", "2022-06-15", "--json")
    assert rep["proposed"] == 0


def test_trademark_tracks_and_reports(data_home):
    code, tm = run("open", "--right", "trademark", "--trademark", "57001234", "--json")
    assert code == 0 and tm["case_no"] == "57001234" and tm["right"] == "trademark" and tm["state"] == "filed"
    code, tr = run("tracks", "57001234", "--json")
    assert code == 0 and [a["eligible"] for a in tr["results"]] == [False]
    code, tr = run(
        "tracks",
        "57001234",
        "--declare",
        "major-project",
        "--assign",
        "green-channel",
        "--date",
        "2021-06-02",
        "--json",
    )
    assert code == 0 and tr["track"] == "green-channel" and tr["assigned"]["reasons"]
    code, rep = run("track-report", "--right", "trademark", "--today", "2021-08-01", "--json")
    row = next(r for r in rep["results"] if r["track"] == "green-channel")
    assert row["cases"] == 1 and row["targets"][0]["pending_late"] == 1  # 20 working days passed, no decision
    code, proc = run("procedure", "invention", "--date", "2024-02-01", "--json")
    assert (
        code == 0
        and proc["version"] == "v2024"
        and any(t["event"] == "declare-open-licence" for t in proc["transitions"])
    )
    code, err = run("procedure", "trademark", "--date", "2018-01-01", "--json")
    assert code == 2 and "no trademark procedure in force on 2018-01-01" in err["error"]
    code, err = run("open", "--trademark", "57001234", "--right", "invention", "--json")
    assert code == 2 and "--trademark opens a trademark case" in err["error"]
