"""The CLI keeps the conventions scripts rely on: data home, --json, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ipoffice.service.cli import app

runner = CliRunner()
SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"


def run(*args):
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout


def test_init_creates_home(home):
    code, out = run("init", "--no-schemes", "--json")
    assert code == 0
    assert json.loads(out)["home"] == str(home)
    assert (home / "ipoffice.sqlite").exists() and (home / "index").is_dir()


def test_commands_need_a_home(home):
    code, _ = run("stats", "--json")
    assert code == 2


def test_import_stats_show(home, shared_data):
    run("init", "--no-schemes")
    code, out = run("import", str(shared_data / SLICE), "--json")
    rep = json.loads(out)
    assert code == 0, rep
    assert rep["loaded"] >= 20 and rep["rejected"] == 0
    code, out = run("import", str(shared_data / SLICE), "--json")
    assert json.loads(out)["unchanged"] == rep["loaded"]
    code, out = run("stats", "--json")
    st = json.loads(out)
    assert st["patents"] == rep["loaded"] and st["patents_by_country"]["US"] == rep["loaded"]
    code, out = run("show", "08087209", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["number"] == "08087209" and doc["country"] == "US" and doc["title"]
    assert any(e["type"] == "granted" for e in doc["events"])
    code, out = run("show", "NO-SUCH-NUMBER", "--json")
    assert code == 2 and "error" in json.loads(out)


def test_broken_file_named_and_exit_code(home, tmp_path):
    run("init", "--no-schemes")
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?>\n<us-patent-grant><broken>')
    res = runner.invoke(app, ["import", str(bad), "--json"])
    assert res.exit_code in (1, 2)
    assert "bad.xml" in res.stdout


def test_formats_listed(home):
    code, out = run("formats", "--json")
    names = {f["name"] for f in json.loads(out)["results"]}
    assert "ipoffice-jsonl" in names


def test_export_then_import_roundtrip(home, shared_data, tmp_path):
    run("init", "--no-schemes")
    run("import", str(shared_data / SLICE))
    code, out = run("export", str(tmp_path / "all.jsonl"), "--json")
    n = json.loads(out)["records"]
    assert code == 0 and n >= 20
    code, out = run("import", str(tmp_path / "all.jsonl"), "--json")
    assert json.loads(out)["unchanged"] == n
