"""`ipoffice index build|update|check` and `ipoffice search`: the output contract scripts rely on.

The commands are mounted here the way `service.cli` mounts them (`ipoffice index ...`,
`ipoffice search ...`); data-home commands (init, import) come from the main CLI.
"""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from ipoffice.service.cli import app as main_app
from ipoffice.service.cli_search import index_app, search_cmd

runner = CliRunner()
SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN_NEW = "patents/cn/cnipa-xml-new-business-ns"

app = typer.Typer()
app.add_typer(index_app, name="index")
app.command("search")(search_cmd)


def run(*args: str, base: bool = False):
    res = runner.invoke(main_app if base else app, list(args))
    return res.exit_code, res.stdout


def _home_with_slice(shared_data) -> None:
    assert run("init", "--no-schemes", base=True)[0] == 0
    code, _ = run("import", str(shared_data / SLICE), base=True)
    assert code == 0


def test_build_then_search(home, shared_data):
    _home_with_slice(shared_data)
    code, out = run("index", "build", "--json")
    assert code == 0
    rep = json.loads(out)
    assert rep["docs"] == 25 and rep["action"] == "build" and rep["path"].startswith(str(home))
    # the contract the checker relies on
    code, out = run("search", "ti:edging", "--top", "5", "--json")
    assert code == 0
    res = json.loads(out)
    assert res["results"], res
    first = res["results"][0]
    assert first["number"] == "08087209" and first["title"] == "Edging rail for a flooring"
    assert {"number", "title", "score", "country", "kind", "publication_date", "highlights"} <= set(first)
    assert first["country"] == "US" and first["kind"] == "B2" and first["publication_date"] == "2012-01-03"
    assert first["score"] > 0 and first["highlights"][0]["field"] == "title"
    assert res["total"] >= 1 and res["parsed"] == "ti:edging"
    scores = [r["score"] for r in res["results"]]
    assert scores == sorted(scores, reverse=True)
    # malformed: exit 2, what and where
    code, out = run("search", "ti:(edging", "--json")
    assert code == 2
    err = json.loads(out)
    assert "unbalanced parenthesis at position 3" in err["error"] and err["position"] == 3
    for bad in ("", "xx:edging", 'ti:"edging', "pd>2999", "a W/0 b"):
        code, out = run("search", bad, "--json")
        assert code == 2 and "error" in json.loads(out), bad
    code, _ = run("search", "ti:(edging")  # human output: the message on stderr, exit 2
    assert code == 2
    # roles and the human table
    code, out = run("search", "edging OR flooring", "--role", "public", "--json")
    assert code == 0 and json.loads(out)["role"] == "public"
    code, out = run("search", "edging", "--role", "nobody", "--json")
    assert code == 2 and "unknown role" in json.loads(out)["error"]
    code, out = run("search", "ti:edging", "--top", "3")
    assert code == 0 and "08087209" in out and "Edging rail for a flooring" in out
    code, out = run("index", "check")
    assert code == 0 and "ok" in out


def test_search_without_index_says_how_to_build_it(home, shared_data):
    _home_with_slice(shared_data)
    code, out = run("search", "edging", "--json")
    assert code == 2 and "ipoffice index build" in json.loads(out)["error"]
    code, out = run("index", "update", "--json")
    assert code == 2 and "ipoffice index build" in json.loads(out)["error"]


def test_no_data_home(home):
    code, out = run("search", "edging", "--json")
    assert code == 2 and "ipoffice init" in json.loads(out)["error"]


def test_update_and_check(home, shared_data):
    _home_with_slice(shared_data)
    run("index", "build")
    code, out = run("index", "check", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    run("import", str(shared_data / CN_NEW), base=True)
    code, out = run("index", "check", "--json")
    rep = json.loads(out)
    assert code == 1 and rep["ok"] is False and rep["missing"] == 4 and "index update" in rep["advice"]
    code, out = run("search", "显示设备", "--json")  # searches go on, with a warning
    assert code == 0 and any("out of date" in w for w in json.loads(out)["warnings"])
    code, out = run("index", "update", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["added"] == 4 and rep["reindexed"] == 0 and rep["docs"] == 29
    code, out = run("index", "check", "--json")
    assert code == 0 and json.loads(out)["ok"]
    code, out = run("search", "ti:显示设备", "--json")
    assert [r["number"] for r in json.loads(out)["results"]] == ["113781974"]
