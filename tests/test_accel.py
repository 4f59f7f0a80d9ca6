"""The compiled copies of hot modules (ipoffice.accel): found only while they match their source, and giving the
results of the source."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipoffice import accel

ROOT = Path(__file__).resolve().parents[1]
NAME = "ipoffice.trademarks.words"  # the smallest listed module: quick to compile


def _cython() -> bool:
    return importlib.util.find_spec("Cython") is not None


def test_listed_modules_exist_and_the_finder_is_installed():
    for name in accel.MODULES:
        assert accel.source_path(name).is_file(), name
    assert accel._FINDER in sys.meta_path


def test_a_compiled_copy_is_found_only_while_it_matches_its_source(tmp_path, monkeypatch):
    """A build is keyed by its source's hash: an edited source (even by one byte) finds no build and runs as
    Python; IPOFFICE_PURE=1 turns every build off."""
    if not _cython():
        pytest.skip("Cython is not installed")
    root = tmp_path / "accel"
    rows = accel.build([NAME], root=root, jobs=1)
    assert rows[0]["built"] and rows[0]["error"] is None, rows
    monkeypatch.setenv("IPOFFICE_ACCEL_DIR", str(root))
    src = accel.source_path(NAME)

    same, edited = tmp_path / "same", tmp_path / "edited"
    for d, text in ((same, src.read_text()), (edited, src.read_text() + "\n# edited\n")):
        d.mkdir()
        (d / "words.py").write_text(text)
    spec = accel._FINDER.find_spec(NAME, [str(same)])
    assert spec is not None and spec.origin == rows[0]["path"]
    assert accel._FINDER.find_spec(NAME, [str(edited)]) is None
    assert accel._FINDER.find_spec("ipoffice.trademarks.rules", [str(same)]) is None  # not listed
    monkeypatch.setenv("IPOFFICE_PURE", "1")
    assert accel._FINDER.find_spec(NAME, [str(same)]) is None

    # a second build finds the first; a forced one replaces it and leaves one build per module
    assert accel.build([NAME], root=root)[0]["compiled_now"] is False
    assert accel.build([NAME], root=root, force=True, jobs=1)[0]["compiled_now"] is True
    assert len(list((root / NAME).iterdir())) == 1
    assert accel.clean(root) == 1 and not (root / NAME).exists()


def test_the_compiled_module_loads_and_works(tmp_path):
    """Loaded in a fresh interpreter from the build: its data files are found (the package's folder, not the
    module's) and its functions answer as the source's do."""
    if not _cython():
        pytest.skip("Cython is not installed")
    root = tmp_path / "accel"
    assert accel.build([NAME, "ipoffice.trademarks.hanzi"], root=root)[0]["built"]
    code = (
        "import json; from ipoffice import accel; from ipoffice.trademarks import words, hanzi; "
        "print(json.dumps([accel.is_compiled(words), accel.is_compiled(hanzi), hanzi.DATA_DIR.is_dir(), "
        "hanzi.visually_similar('未', '末')]))"
    )
    got = {}
    for pure in ("0", "1"):
        env = {**os.environ, "IPOFFICE_ACCEL_DIR": str(root), "IPOFFICE_PURE": pure}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        got[pure] = json.loads(proc.stdout)
    assert got["0"][:3] == [True, True, True]
    assert got["1"][:3] == [False, False, True]
    assert got["0"][3] == got["1"][3]


_PAIRS = """
import json, sys, yaml
from ipoffice import accel
from ipoffice.trademarks import similarity
from ipoffice.trademarks.similarity import compare
out = {"compiled": accel.is_compiled(similarity), "pairs": []}
for p in yaml.safe_load(open(sys.argv[1]))["pairs"]:
    r = compare(p["a"], p["b"])
    reasons = [(x.code, x.verdict, x.evidence, x.score) for x in r.reasons]
    out["pairs"].append([r.similar, r.identical, r.score, reasons])
print(json.dumps(out, ensure_ascii=False))
"""


def test_the_built_copies_judge_every_labelled_pair_as_the_source_does():
    """Where ``make install`` built the copies (CI does): the 712 labelled pairs of bench/data/tm_pairs.yaml get
    the same call, score and reasons, to the last float and word of evidence, compiled and as Python."""
    if not all(r["built"] for r in accel.status()):
        pytest.skip("no compiled copies match the sources (run `ipoffice accel build`)")
    got = {}
    for pure in ("0", "1"):
        env = {**os.environ, "IPOFFICE_PURE": pure}
        args = [sys.executable, "-c", _PAIRS, str(ROOT / "bench" / "data" / "tm_pairs.yaml")]
        got[pure] = json.loads(subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout)
    assert got["0"]["compiled"] and not got["1"]["compiled"]
    assert len(got["0"]["pairs"]) >= 700
    assert got["0"]["pairs"] == got["1"]["pairs"]
