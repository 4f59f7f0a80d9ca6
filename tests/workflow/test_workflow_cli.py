"""The workflow commands keep the CLI conventions: --json is one object, exit codes 0/1/2."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import xml.etree.ElementTree as ET

import typer
from sqlalchemy import select
from typer.testing import CliRunner

from ipoffice.core import tables as t
from ipoffice.core.store import open_store
from ipoffice.service.cli_workflow import allocate_cmd, workflow_app

app = typer.Typer()
app.add_typer(workflow_app, name="workflow")
app.command("allocate")(allocate_cmd)
runner = CliRunner()

EXAMINERS = """
examiners:
  - {code: E1, name: 王, division: electrical, rights: [invention], ipc_prefixes: [G06F], capacity_per_week: 5}
  - {code: E2, name: 李, division: electrical, rights: [invention], ipc_prefixes: ["G06F 17"],
     conflicts: [{party: ACME, reason: former employer}]}
  - {code: R1, name: 赵, division: electrical, rights: [invention], ipc_prefixes: [G], role: reviewer}
"""


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout


def _cases(home) -> None:
    store = open_store(home)
    with store.session() as s:
        acme = s.scalar(select(t.Party.id).where(t.Party.party_key == "o|acme"))
        for i in range(4):
            s.add(
                t.Case(
                    case_no=f"CN{i}", right="invention", procedure="invention-examination", procedure_version="1",
                    state="awaiting-examination", filing_date=dt.date(2025, 1, 1), ipc_main="G06F 17/30",
                    ipc_source="office", applicant_party_id=acme if i == 0 else None,
                )
            )  # fmt: skip
        s.add(
            t.Case(
                case_no="CN-x", right="invention", procedure="p", procedure_version="1", state="x",
                filing_date=dt.date(2025, 1, 1), ipc_main=None,
            )
        )  # fmt: skip
        s.commit()
    store.engine.dispose()


def test_examiners_allocate_and_pendency(home, tmp_path):
    open_store(home).engine.dispose()
    f = tmp_path / "examiners.yaml"
    f.write_text(EXAMINERS)
    code, out = run("workflow", "examiners", "import", str(f), "--json")
    assert code == 0, out
    assert json.loads(out)["loaded"] == 3 and json.loads(out)["conflicts"] == 1
    _cases(home)
    code, out = run("allocate", "--dry-run", "--json")
    rep = json.loads(out)
    assert code == 1 and rep["dry_run"] and len(rep["results"]) == 4
    assert rep["unassigned"][0]["case_no"] == "CN-x"
    by_case = {r["case_no"]: r["examiner"] for r in rep["results"]}
    assert by_case["CN0"] == "E1"  # E2 is the better field match but has a conflict with ACME
    code, out = run("allocate", "--role", "examiner", "--json")
    assert code == 2 and "may not" in json.loads(out)["error"]
    code, out = run("allocate", "--policy", "nope", "--json")
    assert code == 2 and "unknown allocation policy" in json.loads(out)["error"]
    code, out = run("allocate", "--json")
    assert code == 1 and json.loads(out)["counts"] == {"considered": 5, "assigned": 4, "unassigned": 1}
    code, out = run("workflow", "pendency", "--by", "division", "--json", "--chart", str(tmp_path / "p.svg"))
    fig = json.loads(out)
    assert code == 0 and fig["by"] == "division"
    assert fig["total"]["backlog"]["open"] == 5
    ET.parse(tmp_path / "p.svg")
    code, out = run("workflow", "pendency", "--by", "colour", "--json")
    assert code == 2
    if importlib.util.find_spec("matplotlib") is None:
        code, out = run("workflow", "pendency", "--chart", str(tmp_path / "p.png"), "--json")
        assert code == 2 and "matplotlib" in json.loads(out)["error"]
    code, out = run("workflow", "pendency", "--role", "public", "--json")
    assert code == 2
    code, out = run("workflow", "examiners", "import", str(tmp_path / "missing.yaml"), "--json")
    assert code == 2


def test_quality_sample_review_figures(home):
    store = open_store(home)
    with store.session() as s:
        e = t.Examiner(code="E1", name="E1", division="electrical", rights=["invention"], ipc_prefixes=["G"])
        r = t.Examiner(code="R1", name="R1", division="electrical", rights=["invention"], ipc_prefixes=["G"])
        s.add_all([e, r])
        s.flush()
        for i in range(20):
            c = t.Case(
                case_no=f"C{i}", right="invention", procedure="p", procedure_version="1", state="x",
                filing_date=dt.date(2026, 1, 1), examiner_id=e.id, division="electrical", ipc_main="G06F 1/00",
            )  # fmt: skip
            s.add(c)
            s.flush()
            s.add(t.CaseEvent(case_id=c.id, event="office-action", to_state="x", date=dt.date(2026, 2, 1), actor="E1"))
        s.commit()
    store.engine.dispose()
    code, out = run("workflow", "quality", "sample", "--since", "2026-01-01", "--rate", "0.2", "--seed", "1", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["eligible"] == 20 and rep["random"] == 4
    ids = [x["review_id"] for x in rep["results"]]
    code, out = run("workflow", "quality", "review", str(ids[0]), "--finding", "claims:major:unsupported", "--reviewer",
                    "R1", "--json")  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["findings"][0]["category"] == "claims"
    code, out = run("workflow", "quality", "review", str(ids[1]), "--reviewer", "E1", "--json")
    assert code == 2 and "own action" in json.loads(out)["error"]
    code, out = run("workflow", "quality", "review", str(ids[1]), "--finding", "astrology", "--json")
    assert code == 2
    code, out = run("workflow", "quality", "figures", "--by", "examiner", "--json")
    fig = json.loads(out)
    assert code == 0 and fig["results"][0]["examiner"] == "E1"
    assert fig["results"][0]["categories"]["claims"] == {"errors": 1, "reviewed": 1, "rate": 1.0, "ci95": [0.2065, 1.0]}
    code, out = run("workflow", "quality", "sample", "--since", "yesterday", "--json")
    assert code == 2


def test_simulate_json_and_bad_input(home):
    code, out = run(
        "workflow", "simulate", "--arrivals-per-year", "20000", "--examiners", "60", "--days", "400",
        "--policy", "priority", "--seed", "3", "--json",
    )  # fmt: skip
    res = json.loads(out)
    assert code == 0
    assert res["arrivals"] > 20_000 and res["time_to_first_action"]["count"] > 0
    assert res["config"]["policy"] == "priority" and res["queue_series"]
    code, out = run(
        "workflow", "simulate", "--arrivals-per-year", "3650", "--examiners", "12", "--service-days", "1",
        "--days", "2000", "--single-stage", "--distribution", "exponential", "--arrivals", "exact", "--json",
    )  # fmt: skip
    res = json.loads(out)
    assert code == 0 and res["mmc_reference"]["wq"] > 0
    code, out = run("workflow", "simulate", "--policy", "lifo", "--json")
    assert code == 2 and "policy" in json.loads(out)["error"]
    code, out = run("workflow", "simulate", "--arrivals-per-year", "1000", "--examiners", "2", "--days", "30")
    assert code == 0 and "first action" in out
