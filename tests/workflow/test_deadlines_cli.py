"""`ipoffice deadlines`: the calculator's output contract and the listing of open deadlines."""

from __future__ import annotations

import datetime as dt
import json

import typer
from typer.testing import CliRunner

from ipoffice.core import tables as t
from ipoffice.service.cli_deadlines import deadlines_app

runner = CliRunner()

# mounted the way the main CLI mounts it: `ipoffice deadlines ...`
app = typer.Typer()
app.add_typer(deadlines_app, name="deadlines")


def run(*args: str):
    res = runner.invoke(app, ["deadlines", *args])
    return res.exit_code, res.stdout, res.stderr


def kinds(out: str) -> dict[str, dict]:
    return {r["kind"]: r for r in json.loads(out)["results"]}


def test_calc_json_contract():
    code, out, _ = run("calc", "--event", "filing", "--date", "2021-03-01", "--right", "invention", "--json")
    assert code == 0
    doc = json.loads(out)
    assert out.count("\n") == 1, "exactly one JSON object"
    assert isinstance(doc["results"], list) and doc["results"]
    for r in doc["results"]:
        assert {"kind", "deadline", "legal_basis"} <= set(r)
        dt.date.fromisoformat(r["deadline"])
        assert isinstance(r["legal_basis"], str) and r["legal_basis"]
    assert kinds(out)["exam-request"]["deadline"] == "2024-03-01"
    assert [r["deadline"] for r in doc["results"]] == sorted(r["deadline"] for r in doc["results"])


def test_calc_kinds_for_each_right_event():
    wanted = {
        ("first-filing", "2023-03-01", "invention"): {"priority", "restoration"},
        ("refusal", "2024-03-01", "invention"): {"reexamination", "restoration"},
        ("rights-loss-notice", "2024-03-01", "design"): {"restoration"},
        ("tm-publication", "2021-07-09", "trademark"): {"opposition"},
        ("tm-registration", "2014-05-07", "trademark"): {"term-end", "renewal", "renewal-grace"},
        ("tm-expiry", "2024-05-06", "trademark"): {"renewal", "renewal-grace"},
        ("tm-refusal", "2021-09-01", "trademark"): {"reexamination"},
        ("grant-notice", "2024-03-01", "utility"): {"grant-registration"},
        ("office-action", "2024-03-01", "invention"): {"office-action"},
        ("first-filing", "2023-01-10", "trademark"): {"priority"},
    }
    for (event, date, right), expected in wanted.items():
        code, out, err = run("calc", "--event", event, "--date", date, "--right", right, "--json")
        assert code == 0, (event, err)
        assert set(kinds(out)) == expected, event


def test_calc_mail_service_and_priority_date():
    code, out, _ = run(
        "calc", "--event", "tm-refusal", "--date", "2021-09-01", "--right", "trademark", "--service", "mail", "--json"
    )
    r = kinds(out)["reexamination"]
    assert (r["raw_deadline"], r["deadline"], r["base_date"]) == ("2021-10-01", "2021-10-08", "2021-09-16")
    code, out, _ = run(
        "calc", "--event", "filing", "--date", "2024-02-01", "--right", "invention", "--priority-date", "2023-05-31",
        "--json",
    )  # fmt: skip
    assert code == 0 and kinds(out)["exam-request"]["deadline"] == "2026-06-01"
    assert json.loads(out)["priority_date"] == "2023-05-31"


def test_calc_text_output():
    code, out, _ = run("calc", "--event", "refusal", "--date", "2023-11-15", "--right", "invention")
    assert code == 0
    assert "2024-02-29" in out and "reexamination" in out


def test_calc_bad_input_exit_2():
    cases = [
        (("--event", "nope", "--date", "2021-03-01", "--right", "invention"), "unknown event"),
        (("--event", "filing", "--date", "2021-03-01", "--right", "copyright"), "unknown right"),
        (("--event", "filing", "--date", "2021-02-30", "--right", "invention"), "malformed date"),
        (("--event", "filing", "--date", "01/03/2021", "--right", "invention"), "malformed date"),
        (("--event", "filing", "--date", "2099-01-05", "--right", "invention"), "in the future"),
        (("--event", "refusal", "--date", "2021-03-01", "--right", "invention", "--service", "fax"), "unknown service"),
        (("--date", "2021-03-01", "--right", "invention"), "missing --event"),
    ]
    for args, msg in cases:
        code, out, err = run("calc", *args, "--json")
        assert code == 2, args
        assert msg in json.loads(out)["error"], args
        assert msg in err.replace("\n", " "), args
        code, out, err = run("calc", *args)
        assert code == 2 and out == "" and "error" in err


def _seed(home, today: dt.date) -> None:
    from ipoffice.core.store import open_store

    store = open_store(home)
    with store.session() as s:
        ex = t.Examiner(code="E7", name="Wang", division="A61")
        s.add(ex)
        s.flush()
        c = t.Case(
            case_no="2023100001234",
            right="invention",
            procedure="p",
            procedure_version="1",
            state="substantive-examination",
            filing_date=dt.date(2023, 1, 1),
            examiner_id=ex.id,
        )
        s.add(c)
        s.flush()
        for kind, days in (("office-action", 12), ("exam-request", -2), ("renewal", 90)):
            s.add(
                t.CaseDeadline(
                    case_id=c.id,
                    kind=kind,
                    trigger_event="office-action",
                    trigger_date=today - dt.timedelta(days=120),
                    deadline=today + dt.timedelta(days=days),
                    legal_basis="专利法(2020) 第三十七条 / Patent Law (2020) Art. 37",
                    consequence="deemed-withdrawn",
                )
            )
        s.commit()
    store.engine.dispose()


def test_list_open_deadlines(home):
    today = dt.date(2025, 6, 2)
    _seed(home, today)
    code, out, _ = run("--json", "--today", today.isoformat())
    assert code == 0
    doc = json.loads(out)
    assert [(r["case_no"], r["kind"], r["days_left"]) for r in doc["results"]] == [
        ("2023100001234", "office-action", 12)
    ]
    r = doc["results"][0]
    assert r["right"] == "invention" and r["examiner"] == "E7" and r["deadline"] == "2025-06-14"
    code, out, _ = run("--due-within", "13w", "--json", "--today", today.isoformat())
    assert [r["kind"] for r in json.loads(out)["results"]] == ["office-action", "renewal"]
    code, out, _ = run("--overdue", "--json", "--today", today.isoformat())
    assert [r["kind"] for r in json.loads(out)["results"]] == ["exam-request"]
    code, out, _ = run("--today", today.isoformat())
    assert code == 0 and "2023100001234" in out
    code, out, _ = run("--json", "--role", "public")
    assert code == 2 and "may not" in json.loads(out)["error"]
    code, out, _ = run("--json", "--due-within", "soon")
    assert code == 2 and "malformed window" in json.loads(out)["error"]


def test_list_needs_a_home(home):
    code, out, err = run("--json")
    assert code == 2 and "no data home" in json.loads(out)["error"]
